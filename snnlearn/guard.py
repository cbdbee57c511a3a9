"""Runaway detection: non-finite weights or state variables, exploding firing rates.

A learning rule with a wrong sign or a too-large rate often ends in NaN or inf weights,
or in neurons that fire at every time step. :func:`check_network` looks for both after a
run and raises a one-line :class:`~snnlearn.RunawayError` naming the object, the variable
and the first bad index, instead of letting NaNs flow into metrics and figures.
"""

import numpy as np
from brian2 import NeuronGroup, SpikeMonitor, Synapses, second

from .errors import RunawayError

__all__ = ["check_network"]


def _state_arrays(obj):
    for name, var in obj.variables.items():
        if name.startswith("_") or name in ("t", "dt", "t_in_timesteps", "lastspike", "lastupdate"):
            continue
        if getattr(var, "scalar", False) and getattr(var, "constant", False):
            continue
        if not hasattr(var, "get_value") or getattr(var, "dtype", None) is None:
            continue
        if not np.issubdtype(var.dtype, np.floating):
            continue
        try:
            yield name, np.asarray(var.get_value())
        except (NotImplementedError, TypeError, ValueError):  # e.g. subexpressions, not stored
            continue


def check_network(net, max_rate=None):
    """Raise RunawayError if a Synapses/NeuronGroup variable is NaN/inf, or a monitored group fires above ``max_rate``."""
    # weights first: a runaway weight is the cause, a NaN membrane potential its consequence
    ordered = sorted(net.objects, key=lambda o: 0 if isinstance(o, Synapses) else 1)
    for obj in ordered:
        if isinstance(obj, (Synapses, NeuronGroup)):
            for name, values in _state_arrays(obj):
                bad = ~np.isfinite(values)
                if bad.any():
                    first = int(np.flatnonzero(bad)[0])
                    raise RunawayError(
                        f"'{obj.name}.{name}' is {values.flat[first]} at index {first} after {net.t}: the simulation "
                        f"ran away (check the rule's learning rate and bounds)")
        if max_rate is not None and isinstance(obj, SpikeMonitor) and float(net.t) > 0:
            n = obj.source.N
            rate = obj.num_spikes / (n * float(net.t / second))
            if rate > float(max_rate):
                raise RunawayError(f"'{obj.source.name}' fires at {rate:.0f} Hz on average (limit {max_rate}): "
                                   f"the activity exploded")
