"""Learning curves (mean and spread over seeds) and modulator / reward traces."""

import numpy as np

from ._util import get_ax

__all__ = ["learning_curve", "modulator_trace"]


def learning_curve(curves, ax=None, x=None, label=None, spread="sd", xlabel="trial", ylabel="error",
                   logy=False, **kwargs):
    """Mean over seeds with a shaded spread.

    Parameters
    ----------
    curves : array (n_seeds, n_points) or (n_points,)
    spread : {"sd", "sem", "minmax", None}
    """
    c = np.atleast_2d(np.asarray(curves, dtype=float))
    x = np.arange(c.shape[1]) if x is None else np.asarray(x, dtype=float)
    if x.shape[0] != c.shape[1]:
        raise ValueError(f"learning_curve: x has {x.shape[0]} points, curves have {c.shape[1]}")
    ax = get_ax(ax)
    mean = np.nanmean(c, axis=0)
    (line,) = ax.plot(x, mean, label=label, **kwargs)
    if c.shape[0] > 1 and spread:
        if spread == "sd":
            lo, hi = mean - np.nanstd(c, axis=0), mean + np.nanstd(c, axis=0)
        elif spread == "sem":
            sem = np.nanstd(c, axis=0) / np.sqrt(c.shape[0])
            lo, hi = mean - sem, mean + sem
        elif spread == "minmax":
            lo, hi = np.nanmin(c, axis=0), np.nanmax(c, axis=0)
        else:
            raise ValueError(f"learning_curve: spread must be 'sd', 'sem', 'minmax' or None, got {spread!r}")
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if label is not None:
        ax.legend(fontsize="small")
    return ax


def modulator_trace(t_s, values, ax=None, events_s=None, label="dopamine", ylabel="modulator (a.u.)", **kwargs):
    """A neuromodulator or reward signal over time, with optional event markers (e.g. rewards)."""
    t = np.asarray(t_s, dtype=float)
    v = np.asarray(values, dtype=float)
    ax = get_ax(ax)
    ax.plot(t, v, label=label, **kwargs)
    if events_s is not None and len(events_s):
        ax.plot(np.asarray(events_s, dtype=float), np.full(len(events_s), np.nanmax(v) * 1.05 if v.size else 1),
                "v", color="tab:orange", ms=4, label="reward")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    return ax
