"""Runaway detection: non-finite weights or state variables, exploding firing rates.

A learning rule with a wrong sign or a too-large rate often ends in NaN or inf weights,
or in neurons that fire at every time step. :func:`check_network` looks for both after a
run (on every device: in ``cpp_standalone`` from the program's results, while the device
is still active) and raises a one-line :class:`~snnlearn.RunawayError` naming the
object, the variable, the first bad index and the simulated time, instead of letting
NaNs flow into metrics and figures. :func:`check_state` does the same for the state
arrays of a chunked ``cpp_standalone`` run, after every chunk.

The rate ceiling applies to the groups that a ``SpikeMonitor`` watches, except input
generators (``PoissonGroup``, ``SpikeGeneratorGroup``, whose rates are given): the
default :data:`DEFAULT_MAX_RATE` is far above any biological rate and below "fires at
every time step"; an experiment overrides it with ``MAX_RATE``, a user with
``--max-rate`` (``run_experiment(max_rate=...)``).
"""

import numpy as np
from brian2 import Hz, NeuronGroup, PoissonGroup, SpikeGeneratorGroup, SpikeMonitor, Synapses, second

from .errors import RunawayError

__all__ = ["check_network", "check_state", "DEFAULT_MAX_RATE"]

#: Default ceiling on the mean firing rate of any single monitored neuron over a run.
DEFAULT_MAX_RATE = 1000 * Hz


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
        except (NotImplementedError, TypeError, ValueError, OSError, KeyError):  # not stored / no result file
            continue


def _t_text(t):
    return f"{float(t):g} s of simulated time"


def _first_bad(obj_name, name, values, t):
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise RunawayError(
            f"'{obj_name}.{name}' is {values.flat[first]} at index {first} after {_t_text(t)}: the simulation ran "
            f"away (check the rule's learning rate and bounds)")


def check_network(net, max_rate=None, t=None):
    """Raise RunawayError if a Synapses/NeuronGroup variable is NaN/inf, or a monitored neuron fires above ``max_rate``.

    ``t`` is the simulated time in seconds (default ``net.t``).
    """
    t = float(net.t / second) if t is None else float(t)
    # weights first: a runaway weight is the cause, a NaN membrane potential its consequence
    ordered = sorted(net.objects, key=lambda o: 0 if isinstance(o, Synapses) else 1)
    for obj in ordered:
        if isinstance(obj, (Synapses, NeuronGroup)):
            for name, values in _state_arrays(obj):
                _first_bad(obj.name, name, values, t)
    if max_rate is None or t <= 0:
        return
    limit = float(max_rate / Hz) if hasattr(max_rate, "dim") else float(max_rate)
    for obj in net.objects:
        if not isinstance(obj, SpikeMonitor) or isinstance(obj.source, (PoissonGroup, SpikeGeneratorGroup)):
            continue
        try:
            counts = np.asarray(obj.count[:], dtype=float)
        except (NotImplementedError, TypeError, ValueError, OSError, KeyError):
            continue
        if counts.size == 0:
            continue
        rates = counts / t
        worst = int(np.argmax(rates))
        if rates[worst] > limit:
            raise RunawayError(
                f"'{obj.source.name}' neuron {worst} fired at {rates[worst]:.0f} Hz on average over {_t_text(t)} "
                f"(ceiling {limit:g} Hz; raise it with --max-rate): the activity exploded")


def check_state(state, t):
    """Raise RunawayError if a float array of ``state`` ({"owner.var": array}) holds NaN or inf."""
    for key in sorted(state, key=lambda k: (0 if k.split(".")[0].startswith("synapses") else 1, k)):
        values = np.asarray(state[key])
        if values.size == 0 or not np.issubdtype(values.dtype, np.floating):
            continue
        owner, _, name = key.rpartition(".")
        if name in ("lastspike", "lastupdate", "t"):
            continue
        _first_bad(owner, name, values, t)
