"""Poisson spike trains drawn interval by interval: `poisson_source`.

Brian2's ``PoissonGroup(n, rates)`` decides in every time step, for every neuron,
whether it spikes: one random number per neuron and step (threshold
``rand() < rates*dt``). With many inputs at low rates that is most of a simulation's
work: in the 1 M synapse network of ``benchmarks/`` (5000 inputs at 10 Hz), a quarter
of the loop on one thread (1.57 of 6.56 s, ``python -m benchmarks.where``), and all of
it serial under OpenMP.

The same process can be drawn at the spikes instead. A spike in each step with
probability p = rate·dt makes the number of steps K from one spike to the next
geometric, P(K = k) = (1 − p)^(k−1) p for k ≥ 1, and K = ⌈ln U / ln(1 − p)⌉ with U
uniform on (0, 1] has exactly that law (P(K ≤ m) = P(U ≥ (1 − p)^m) = 1 − (1 − p)^m).
:func:`poisson_source` keeps each neuron's next spike step and draws the following one
when it fires, so a step costs one comparison per neuron and the random numbers are
drawn per spike. The spike trains have the same distribution as ``PoissonGroup``'s
(not the same spikes for the same seed: the random numbers are used differently).

The rates are constant: a rate changed after the start keeps the interval already
drawn. For rates that vary in time use ``PoissonGroup``.
"""

import numpy as np
from brian2 import Clock, Hz, NeuronGroup, Quantity, defaultclock, second
from brian2.units.fundamentalunits import DimensionMismatchError, fail_for_dimension_mismatch

__all__ = ["poisson_source"]

_MODEL = """
rates : Hz (constant)
next_step : 1  # the train spikes in the first time step t_in_timesteps >= next_step
"""
# x = ln U / ln(1 - p), U = 1 - rand() on (0, 1]: the threshold fires ceil(x) = K steps on. No ceil() in
# the code: Brian2's numpy target casts it to int32. (For p = 0, x = -inf: silent trains get next_step = inf.)
_NEXT_INTERVAL = "log(1 - rand()) / log(1 - rates * dt)"


def poisson_source(n, rates, *, dt=None, name=None):
    """``n`` independent Poisson spike trains at constant ``rates``: a drop-in for ``PoissonGroup`` that draws per spike.

    Parameters
    ----------
    n : int
        Number of spike trains.
    rates : Quantity (Hz), scalar or array of length ``n``
        Rate of each train; ``rates * dt`` must be below 1 (at most one spike per step).
    dt : Quantity (second), optional
        Time step of the group (default: ``defaultclock.dt``).
    name : str, optional
        Name of the ``NeuronGroup``.

    Returns a ``NeuronGroup`` that spikes like ``PoissonGroup(n, rates)`` (see the module
    docstring). The trains start with the network, at t = 0: the first spike of each is at
    step K₀ = K − 1 ≥ 0, as for a Bernoulli process started then. (The group has a clock
    of its own for this; add it to a network before the network's first run.)
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"poisson_source: n must be a positive integer, got {n!r}")
    if not isinstance(rates, Quantity):
        raise DimensionMismatchError(f"poisson_source: rates must be in Hz, got {rates!r} without a unit")
    fail_for_dimension_mismatch(rates, Hz, "poisson_source: rates must be in Hz")
    values = np.broadcast_to(np.asarray(rates / Hz, dtype=float), (n,)) if np.ndim(rates) <= 1 and (
        np.size(rates) in (1, n)) else None
    if values is None:
        raise ValueError(f"poisson_source: rates must be a scalar or have length n = {n}, got shape {np.shape(rates)}")
    if dt is not None and (not isinstance(dt, Quantity) or dt.dim != second.dim or not float(dt) > 0):
        raise DimensionMismatchError(f"poisson_source: dt must be a positive time (e.g. 0.1*ms), got {dt!r}")
    step = defaultclock.dt if dt is None else dt
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError("poisson_source: rates must be finite and non-negative")
    if np.any(values * float(step) >= 1):
        raise ValueError(f"poisson_source: rates * dt must be below 1 (max rate {values.max():g} Hz at dt = {step}); "
                         f"use a smaller dt")
    kwargs = {} if name is None else {"name": name}
    # A clock of its own, at t = 0 now: the first intervals are drawn from step 0, where a network
    # that runs the group starts, whatever another network did to the default clock before.
    group = NeuronGroup(n, _MODEL, threshold="t_in_timesteps >= next_step",
                        reset=f"next_step = t_in_timesteps + {_NEXT_INTERVAL}", clock=Clock(dt=step), **kwargs)
    group.rates = values * Hz
    _draw_first_spikes(group, silent=bool(np.any(values == 0)))
    return group


def _draw_first_spikes(group, silent):
    # Apart from poisson_source: Brian2 resolves these strings in the caller's namespace too, and a
    # local called `rates` there would shadow nothing but draw a warning.
    first = f"t_in_timesteps + {_NEXT_INTERVAL} - 1"
    if silent:
        group.next_step = "inf"
        group.next_step["rates > 0*Hz"] = first
    else:
        group.next_step = first
