"""Small helpers shared by the plotting functions."""

import numpy as np


def get_ax(ax, figsize=(5, 3.5)):
    """``ax`` or a new figure's axes."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def as_seconds(t):
    """Times as a float array in seconds (accepts Brian2 quantities or plain numbers in seconds)."""
    return np.asarray(t, dtype=float)


def time_axis_unit(t_max_s):
    """('ms', 1e3) for short spans, ('s', 1) otherwise."""
    return ("ms", 1e3) if t_max_s <= 2.0 else ("s", 1.0)
