"""Izhikevich (2007): the distal-reward network of ``daspnet.m``, several copies side by side.

One copy ("condition") is the author's network: 1000 Izhikevich neurons (800 regular
spiking excitatory cells, a = 0.02, d = 8; 200 fast-spiking inhibitory cells, a = 0.1,
d = 2), each with M = 100 random targets (inhibitory cells target excitatory cells only),
excitatory weights starting at 1 and plastic under dopamine-modulated STDP
(:func:`snnlearn.rules.da_stdp`, bounds [0, 4]), inhibitory weights fixed at -1, and a
random thalamic input I = 13 (U - 0.5) to every neuron every millisecond.

The rewarded synapse is the first synapse of neuron n1 = 0, onto n2, its first target;
it starts at 0. Whenever n2 fires within 20 ms after n1, a dopamine pulse (+0.5) follows
after a random delay of 1-3 s; dopamine decays by 0.995 per ms (tau_d = 199.5 ms). The
reward chain is Brian2 code (:mod:`snnlearn.modulators`): a coincidence detector, a
random delay line and a delivery synapse onto the copy's dopamine.

Reward conditions of a copy: ``"pairing"`` (the task), ``"none"`` (no dopamine beyond the
tonic level) and ``("yoked", k)``: the copy receives the rewards earned by copy ``k``,
the same number of pulses at times unrelated to its own n1 -> n2 pairings (the
shuffled-reward control).

Discretisation as in ``daspnet.m``: time step 1 ms; the membrane potential takes two
0.5-ms Euler half-steps, written as a ``run_regularly`` at the end of each step, after
the threshold, the synaptic events and the reset. A spike of step t therefore reaches
its targets' currents in the same step and first affects their threshold test at
t + 1 ms: this is daspnet's conduction delay D = 1 ms, and a Brian2 ``delay`` of 0.
For the same reason daspnet reads the presynaptic STDP trace one step late, so a
pre -> post lag of k ms potentiates by 0.1 * 0.95**(k - 1); with exponential traces this
is ``Ap = 0.1/0.95``. Postsynaptic spikes are processed before presynaptic ones within a
step, so that a coincident pair depresses (-0.15), as in daspnet.
"""

from dataclasses import dataclass

import numpy as np
from brian2 import EventMonitor, Network, NeuronGroup, SpikeMonitor, StateMonitor, Synapses, ms, second

import snnlearn as sl
from snnlearn.modulators import coincidence_detector, deliver, neuromodulator, random_delay
from snnlearn.rules.neuromodulated import DASPNET_TAU_C, DASPNET_TAU_DA, DASPNET_TAU_STDP

__all__ = ["Condition", "daspnet_rule", "build_distal_reward", "raster_from", "read_results", "simulate",
           "IZHIKEVICH_NEURON", "IZHIKEVICH_UPDATE", "N_EXC", "N_INH", "M_SYN"]

N_EXC, N_INH, M_SYN = 800, 200, 100
DT = 1 * ms

IZHIKEVICH_NEURON = """
v : 1
u : 1
a : 1 (constant)
dreset : 1 (constant)
Isyn : 1
"""

# daspnet.m's update: two 0.5-ms half-steps for v, then u (b = 0.2)
IZHIKEVICH_UPDATE = """
I_total = 13 * (rand() - 0.5) + Isyn
v = v + 0.5 * ((0.04 * v + 5) * v + 140 - u + I_total)
v = v + 0.5 * ((0.04 * v + 5) * v + 140 - u + I_total)
u = u + a * (0.2 * v - u)
Isyn = 0
"""


@dataclass(frozen=True)
class Condition:
    """One copy of the network: its connectivity seed and its reward condition.

    reward: ``"pairing"``, ``"none"`` or ``("yoked", k)`` (rewards of copy k).
    """

    seed: int
    reward: object = "pairing"


def daspnet_rule(tonic=0.002, update_dt=10 * ms):
    """``da_stdp`` with daspnet's exact discretisation (see the module docstring)."""
    return sl.rules.da_stdp(Ap=0.1 / 0.95, Am=0.15, taupre=DASPNET_TAU_STDP, taupost=DASPNET_TAU_STDP,
                            tau_c=DASPNET_TAU_C, update_dt=update_dt, tonic=tonic, wmin=0.0, wmax=4.0,
                            pairing="nearest")


def _copy_connectivity(seed):
    """daspnet's ``post`` matrix: 100 random targets per neuron (with repeats), inhibitory -> excitatory only."""
    rng = np.random.default_rng(seed)
    N = N_EXC + N_INH
    exc_post = rng.integers(0, N, size=(N_EXC, M_SYN))
    inh_post = rng.integers(0, N_EXC, size=(N_INH, M_SYN))
    return exc_post, inh_post


def build_distal_reward(conditions, rule=None, sample_weights=1000, record_dt=10 * second, da_record_dt=10 * ms,
                        raster_copies=(), sample_seed=0, raster_from=0 * second):
    """Build the network for a list of :class:`Condition` (copy k owns neurons k*1000 ... k*1000 + 999).

    Returns a dict: ``net`` (the Network), ``neurons``,
    ``plastic`` (the da_stdp Synapses, copy k's synapses are ``k*80000 ... (k+1)*80000 - 1``,
    row-major over (presynaptic neuron, synapse number)), ``dopamine``, ``rewarded``
    (index of each copy's rewarded synapse in ``plastic``), ``n2`` (its target, global
    index), monitors ``w_rewarded`` (the rewarded synapses, every ``record_dt``),
    ``w_sample`` (``sample_weights`` random excitatory synapses per copy), ``da``
    (dopamine of each copy, every ``da_record_dt``), ``rewards`` and ``pairings``
    (spike monitors of each copy's reward deliveries and detected pairings; their
    ``i`` is the copy's rank among the rewarded copies), ``raster`` (spikes of the
    copies in ``raster_copies`` from the simulated time ``raster_from`` on: an
    ``EventMonitor`` of the neurons' ``raster`` event, a spike of a recorded neuron at
    ``t >= raster_from``, so that the window needs no Python between runs).
    """
    conditions = list(conditions)
    if not conditions:
        raise ValueError("build_distal_reward: give at least one condition")
    K = len(conditions)
    N = N_EXC + N_INH
    for k, c in enumerate(conditions):
        if c.reward not in ("pairing", "none") and not (
                isinstance(c.reward, tuple) and len(c.reward) == 2 and c.reward[0] == "yoked"
                and 0 <= c.reward[1] < K and conditions[c.reward[1]].reward == "pairing"):
            raise ValueError(f"condition {k}: reward must be 'pairing', 'none' or ('yoked', k) with copy k "
                             f"rewarded by pairing, got {c.reward!r}")
    rule = rule or daspnet_rule()

    raster_idx = [k for k in raster_copies if 0 <= k < K]
    raster_vars = "raster_from : second (shared, constant)\nin_raster : boolean (constant)\n"
    neurons = NeuronGroup(K * N, IZHIKEVICH_NEURON + raster_vars, threshold="v >= 30",
                          reset="v = -65\nu = u + dreset", dt=DT, name="izh",
                          events={"raster": "v >= 30 and in_raster and t >= raster_from"})
    neurons.raster_from = raster_from
    neurons.in_raster = np.repeat(np.isin(np.arange(K), raster_idx), N)
    is_exc = np.tile(np.r_[np.ones(N_EXC, bool), np.zeros(N_INH, bool)], K)
    neurons.a = np.where(is_exc, 0.02, 0.1)
    neurons.dreset = np.where(is_exc, 8.0, 2.0)
    neurons.v = -65.0
    neurons.u = 0.2 * -65.0
    neurons.run_regularly(IZHIKEVICH_UPDATE, dt=DT, when="end", name="izh_update")

    exc_i, exc_j, inh_i, inh_j = [], [], [], []
    for k, c in enumerate(conditions):
        exc_post, inh_post = _copy_connectivity(c.seed)
        exc_i.append(k * N + np.repeat(np.arange(N_EXC), M_SYN))
        exc_j.append(k * N + exc_post.ravel())
        inh_i.append(k * N + N_EXC + np.repeat(np.arange(N_INH), M_SYN))
        inh_j.append(k * N + inh_post.ravel())
    exc_i, exc_j = np.concatenate(exc_i), np.concatenate(exc_j)
    inh_i, inh_j = np.concatenate(inh_i), np.concatenate(inh_j)
    n_exc_syn = N_EXC * M_SYN
    rewarded = np.arange(K) * n_exc_syn  # neuron 0's first synapse in each copy
    n2 = exc_j[rewarded]

    # dopamine: one element per neuron, all of a copy receive the same pulses
    dopamine = neuromodulator(DASPNET_TAU_DA, n=K * N, name="dopamine", dt=DT)
    w0 = np.ones(exc_i.size)
    w0[rewarded] = 0.0
    plastic = sl.connect(neurons, neurons, rule, transmit="Isyn_post += w", connect={"i": exc_i, "j": exc_j},
                         w=w0, modulators={"d": (dopamine, "d", "post")}, dt=DT, name="exc_da_stdp")
    plastic.post.order = -2  # postsynaptic spikes first within a step (daspnet)
    inhibitory = Synapses(neurons, neurons, on_pre="Isyn_post += -1.0", dt=DT, name="inh")
    inhibitory.connect(i=inh_i, j=inh_j)
    objects = [neurons, dopamine, plastic, inhibitory]

    # reward chains
    delay_lines, ranks = {}, {}
    for k, c in enumerate(conditions):
        if c.reward == "pairing":
            det = coincidence_detector(neurons, k * N, neurons, int(n2[k]), window=20 * ms, name=f"pairing_{k}")
            line = random_delay(det.output, 1 * second, 3 * second, n_slots=16, name=f"reward_delay_{k}")
            objects += det.objects + line.objects
            delay_lines[k] = (det, line)
            ranks[k] = len(ranks)
    for k, c in enumerate(conditions):
        source = k if c.reward == "pairing" else (c.reward[1] if isinstance(c.reward, tuple) else None)
        if source is None:
            continue
        line = delay_lines[source][1]
        objects.append(deliver(line.output, dopamine, 0.5, connect={"i": np.repeat(np.arange(line.output.N), N),
                                                                     "j": np.tile(k * N + np.arange(N), line.output.N)},
                               name=f"da_delivery_{k}"))

    rng = np.random.default_rng(sample_seed)
    sample = np.concatenate([k * n_exc_syn + np.sort(rng.choice(n_exc_syn, sample_weights, replace=False))
                             for k in range(K)]) if sample_weights else np.array([], int)
    w_rewarded = StateMonitor(plastic, "w", record=rewarded, dt=record_dt, name="w_rewarded")
    monitors = {"w_rewarded": w_rewarded}
    if sample.size:
        monitors["w_sample"] = StateMonitor(plastic, "w", record=sample, dt=record_dt, name="w_sample")
    monitors["da"] = StateMonitor(dopamine, "d", record=np.arange(K) * N, dt=da_record_dt, name="da_trace")
    if delay_lines:
        # one reward/pairing monitor per rewarded copy, merged into one group index space
        reward_groups = [delay_lines[k][1].output for k in sorted(delay_lines)]
        det_groups = [delay_lines[k][0].output for k in sorted(delay_lines)]
        monitors["rewards"] = [SpikeMonitor(g, name=f"rewards_{k}") for k, g in zip(sorted(delay_lines), reward_groups)]
        monitors["pairings"] = [SpikeMonitor(g, name=f"pairings_{k}") for k, g in zip(sorted(delay_lines), det_groups)]
    if raster_idx:
        monitors["raster"] = EventMonitor(neurons, "raster", name="raster")
    flat = []
    for m in monitors.values():
        flat += m if isinstance(m, list) else [m]
    net = Network(*objects, *flat)
    return {"net": net, "neurons": neurons, "plastic": plastic, "dopamine": dopamine, "rewarded": rewarded,
            "n2": n2, "sample": sample, "monitors": monitors, "n_copies": K, "conditions": conditions,
            "rewarded_ranks": ranks, "n_exc_syn": n_exc_syn}


def raster_from(duration, raster_window):
    """Start of the recorded raster window (the last ``raster_window`` of a run of ``duration``)."""
    return max(duration - raster_window, 0 * second)


def read_results(m, conditions):
    """Numpy arrays of a finished simulation (see :func:`simulate`)."""
    mon = m["monitors"]
    K, n_syn = m["n_copies"], m["n_exc_syn"]
    out = {
        "w_final": np.array(m["plastic"].w[:]).reshape(K, n_syn),
        "rewarded_w": np.array(mon["w_rewarded"].w[:]),
        "w_time_s": np.array(mon["w_rewarded"].t[:] / second),
        "da": np.array(mon["da"].d[:]),
        "da_time_s": np.array(mon["da"].t[:] / second),
    }
    if "w_sample" in mon:
        out["w_sample"] = np.array(mon["w_sample"].w[:]).reshape(K, -1, out["w_time_s"].size)
    rewards, pairings = [], []
    ranks = m["rewarded_ranks"]
    for k, c in enumerate(conditions):
        src = k if c.reward == "pairing" else (c.reward[1] if isinstance(c.reward, tuple) else None)
        if src is None:
            rewards.append(np.array([]))
            pairings.append(np.array([]))
        else:
            rewards.append(np.sort(np.array(mon["rewards"][ranks[src]].t[:] / second)))
            pairings.append(np.array(mon["pairings"][ranks[src]].t[:] / second) if src == k else np.array([]))
    out["reward_times_s"], out["pairing_times_s"] = rewards, pairings
    if "raster" in mon:
        i = np.array(mon["raster"].i[:])
        t = np.array(mon["raster"].t[:] / second)
        keep = i < N_EXC + N_INH  # copy 0
        out["raster_i"], out["raster_t_s"] = i[keep], t[keep]
    return out


def simulate(conditions, duration, brian_seed=0, directory=None, device="cpp_standalone", raster_window=None,
             record_dt=10 * second, sample_weights=1000, report=None, context=None, run=None):
    """Build and run the copies; return numpy arrays (usable from a worker process).

    The simulation runs under ``context`` (a device context manager such as an
    experiment's ``ctx.use_device(...)``) or else ``use_device(device, directory)``, as one
    ``run(net, duration)`` call: by default ``net.run(duration, report=report)``; an
    experiment passes ``ctx.run``, which adds progress, checkpoints and resume.

    ``brian_seed``: Brian2's seed, or a function that seeds it (``ctx.brian_seed``).
    ``raster_window``: record the raster of copy 0 during the last ``raster_window`` of
    the run. Returns a dict with ``w_final`` (n_copies, 80000), ``rewarded_w``
    (n_copies, n_samples), ``w_time_s``, ``w_sample`` (n_copies, sample_weights,
    n_samples), ``da`` (n_copies, n_da), ``da_time_s``, ``reward_times_s`` and
    ``pairing_times_s`` (lists per copy; empty for unrewarded copies; a yoked copy lists
    the rewards it received), ``raster_i``, ``raster_t_s`` and the run's wall time.
    """
    import time

    from brian2 import seed as brian2_seed

    from snnlearn.devices import use_device

    t0 = time.perf_counter()
    conditions = list(conditions)
    raster = raster_window is not None and float(raster_window / second) > 0
    with (context if context is not None else use_device(device, directory=directory)) as sim:
        brian_seed() if callable(brian_seed) else brian2_seed(brian_seed)
        m = build_distal_reward(conditions, record_dt=record_dt, sample_weights=sample_weights,
                                raster_copies=(0,) if raster else (),
                                raster_from=raster_from(duration, raster_window) if raster else 0 * second)
        if run is None:
            m["net"].run(duration, report=report)
        else:
            run(m["net"], duration)
        sim.build()
        out = read_results(m, conditions)
    out["wall_s"] = time.perf_counter() - t0
    return out
