r"""A topographic map learned from reward only: route each input position on a ring to the matching output.

The map task of :mod:`models.cortical_sheet` (check T2), posed as a reward problem. ``n_in``
inputs sit on a ring; a trial shows a Gaussian bump of rate centred on one of ``n_pos``
positions :math:`c_s = s\,n_{in}/n_{pos}` (input cells)

.. math:: r_i = r_{base} + r_{peak}\, e^{-d(i, c_s)^2 / 2\sigma_{in}^2}

(:math:`d` the wrapped ring distance), as one frozen Poisson spike pattern per position
(:func:`bump_patterns`), so that a perturbed pass and its unperturbed baseline pass see the
same input. ``n_out`` escape-noise output units (:func:`models.reward_tasks.escape_outputs`)
on a second ring receive all-to-all weights :math:`w_{ij} \in [0, w_{max}]`. The reward is
high when the output activity peaks at the matching output position
:math:`c_s\,n_{out}/n_{in}`: it is :math:`R = -\frac{1}{n_{out}}\sum_j (\Lambda_j - y^*_{sj})^2`,
the mean squared error between the expected spike counts :math:`\Lambda_j` of the trial and
the target profile (:func:`map_targets`)

.. math:: y^*_{sj} = y_{peak}\, e^{-d_{out}(j, s\,n_{out}/n_{pos})^2 / 2\sigma_{out}^2}

computed inside the simulation (:class:`snnlearn.modulators.RewardCircuit`). Nothing tells
the network where a weight should grow except this scalar: the weights are learned by node
perturbation (Fiete & Seung 2006; default) or REINFORCE (Williams 1992), and the map's
order is read, as for the self-organised map, from the circular RF centres of the weights
(:func:`snnlearn.metrics.maps.ring_map_measures`).

Built on :func:`models.reward_tasks.build_pattern_task`: the whole training compiles into one
``cpp_standalone`` program.
"""

import numpy as np
from brian2 import Hz, StateMonitor, ms

from snnlearn.models.reward_tasks import Escape, build_pattern_task

__all__ = ["RULES", "ring_distance", "bump_rates", "bump_patterns", "map_targets", "build_reward_map"]

#: Reward-driven rules this task supports.
RULES = ("node_perturbation", "reinforce")


def ring_distance(a, b, n):
    """Wrapped distance between positions ``a`` and ``b`` on a ring of ``n`` cells (broadcasts)."""
    d = np.mod(np.asarray(a, dtype=float) - np.asarray(b, dtype=float), n)
    return np.minimum(d, n - d)


def bump_rates(n_in, centre, sigma, peak=38 * Hz, baseline=2 * Hz):
    """Rates (Hz) of ``n_in`` inputs on a ring for a Gaussian bump at ``centre`` (input cells) of width ``sigma``."""
    if not float(sigma) > 0:
        raise ValueError(f"bump_rates: sigma must be positive, got {sigma!r}")
    d = ring_distance(np.arange(int(n_in)), centre, int(n_in))
    return baseline + peak * np.exp(-d ** 2 / (2 * float(sigma) ** 2))


def bump_patterns(n_in, n_pos, window, sigma, rng, peak=38 * Hz, baseline=2 * Hz, dt=0.5 * ms):
    """One frozen Poisson spike pattern per bump position: a list of ``(indices, times)`` in ``[0, window)``.

    Position ``s`` (``0 .. n_pos - 1``) is centred on input cell ``s * n_in / n_pos``; rates from
    :func:`bump_rates`. Spikes on the ``dt`` grid, at most one per input and step.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"bump_patterns: rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if int(n_pos) < 2 or int(n_in) < 2:
        raise ValueError(f"bump_patterns: need n_in >= 2 and n_pos >= 2, got {n_in}, {n_pos}")
    steps = int(round(float(window / dt)))
    out = []
    for s in range(int(n_pos)):
        p = np.asarray(bump_rates(n_in, s * n_in / n_pos, sigma, peak, baseline) * dt, dtype=float)
        spikes = rng.random((steps, int(n_in))) < p[None, :]
        t_idx, i_idx = np.nonzero(spikes)
        out.append((i_idx.astype(np.int32), t_idx * dt))
    return out


def map_targets(n_pos, n_out, peak, sigma):
    """Target expected counts ``(n_pos, n_out)``: a Gaussian of height ``peak`` and width ``sigma``
    (output cells, wrapped) centred on output position ``s * n_out / n_pos`` for stimulus ``s``."""
    if not float(sigma) > 0 or not float(peak) > 0:
        raise ValueError(f"map_targets: peak and sigma must be positive, got {peak!r}, {sigma!r}")
    centre = np.arange(int(n_pos)) * n_out / n_pos
    d = ring_distance(np.arange(int(n_out))[None, :], centre[:, None], int(n_out))
    return float(peak) * np.exp(-d ** 2 / (2 * float(sigma) ** 2))


def build_reward_map(w0, patterns, schedule, targets, rule="node_perturbation", eta=0.05, sigma_noise=0.5,
                     tau_noise=5 * ms, w_max=1.0, escape=None, offset=10 * ms, record_every=None, name="rmap",
                     dt=0.5 * ms):
    """The reward-driven map learner: inputs on a ring -> escape-noise outputs, trained by ``rule``.

    w0 : array ``(n_in, n_out)`` of initial weights in ``[0, w_max]`` (the layout of
        :class:`models.cortical_sheet.MapNetwork`).
    patterns, schedule, targets : from :func:`bump_patterns`, a
        :class:`snnlearn.modulators.TrialSchedule` (``paired=True`` for node perturbation: an
        unperturbed baseline pass before each perturbed pass) and :func:`map_targets`.
    rule : ``"node_perturbation"`` (Ornstein-Uhlenbeck noise of s.d. ``sigma_noise`` and time
        constant ``tau_noise`` on each output's potential, rewarded on the expected counts) or
        ``"reinforce"`` (the outputs' own spikes, rewarded on the actual counts, per-stimulus
        running-mean baseline).
    eta : learning rate of the rule; weights are clipped to ``[0, w_max]``.
    record_every : record all weights every this many trials (StateMonitor ``w_monitor``).

    Returns the dict of :func:`models.reward_tasks.build_pattern_task` (``objects``, ``synapses``
    with weight ``k = i * n_out + j``, ``circuit``, ``rule``, ...) plus ``w_monitor`` (or None).
    """
    w0 = np.asarray(w0, dtype=float)
    if w0.ndim != 2 or w0.shape[0] < 2 or w0.shape[1] < 2:
        raise ValueError(f"build_reward_map: w0 must have shape (n_in, n_out), both >= 2, got {w0.shape}")
    if rule not in RULES:
        raise ValueError(f"build_reward_map: rule must be one of {RULES}, got {rule!r}")
    if not float(w_max) > 0 or np.any(w0 < 0) or np.any(w0 > w_max):
        raise ValueError(f"build_reward_map: w0 must lie in [0, w_max = {w_max}]")
    if rule == "node_perturbation" and not np.all(schedule.perturbed[::2] == 0):
        raise ValueError("build_reward_map: node perturbation needs a paired schedule "
                         "(TrialSchedule.random(..., paired=True))")
    n_in, n_out = w0.shape
    params = {"eta": eta, "wmin": 0.0, "wmax": float(w_max)}
    if rule == "node_perturbation":
        params.update(sigma=sigma_noise, tau_noise=tau_noise)
    m = build_pattern_task(rule, patterns, schedule, np.asarray(targets, dtype=float), w0.T, params, offset=offset,
                           escape=escape or Escape(), noise="ou", sigma_noise=sigma_noise, tau_noise=tau_noise,
                           name=name, dt=dt)
    m["w_monitor"] = None
    if record_every is not None:
        mon = StateMonitor(m["synapses"], "w", record=np.arange(n_in * n_out), dt=int(record_every) * schedule.duration,
                           when="end", name=f"{name}_w_monitor")
        m["w_monitor"] = mon
        m["objects"].append(mon)
    return m
