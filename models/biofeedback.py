"""Biofeedback (Legenstein, Pecevski & Maass 2008, fig. 3): reward-modulated STDP raises one chosen neuron's rate.

The Fetz-Baker operant-conditioning experiment in a recurrent spiking network
(docs/validation.md, check R3). Several independent copies of the network run side by
side in one Brian2 program; each copy has

* 400 excitatory and 100 inhibitory current-based leaky integrate-and-fire neurons
  (tau_m = 20 ms, threshold 20 mV above rest, reset to 10 mV, 2-ms refractory period),
  driven by a Gaussian white-noise background (mean ``mu``, standard deviation ``sigma``,
  the diffusion limit of Poisson input) so that they fire irregularly at a few Hz;
* a fixed in-degree of 10 %: every neuron receives 40 excitatory and 10 inhibitory
  synapses (no autapses), delay 1.5 ms; excitatory weights start at ``J`` (mV),
  inhibitory ones are fixed at ``-g*J``;
* reward-modulated STDP on all 16,000 excitatory -> excitatory synapses:
  :func:`snnlearn.rules.da_stdp` (an STDP-tagged eligibility trace c with tau_c = 1 s, the
  weight moves by c times the reward signal every 10 ms, weights in [0, ``wmax``]);
* the reward: each spike of the copy's *chosen* excitatory neuron adds ``reward_amount``
  to the copy's dopamine d after ``reward_delay`` (200 ms), and d decays with tau_d =
  0.2 s: d(t) is the chosen neuron's rate filtered by an exponential kernel and delayed
  by 200 ms, as in Legenstein et al.'s fig. 3. The weights read the *mean-subtracted*
  signal r = d - d_bar, d_bar a running mean of d over ``tau_baseline`` (the expected
  reward), so that the weight change is driven by the covariance of eligibility and
  reward and not by the unsupervised term <c><d> (Fremaux et al. 2010).

Reward conditions of a copy: ``"own"`` (its chosen neuron drives its dopamine: the
task), ``("yoked", k)`` (it receives copy k's dopamine pulses, the same number at times
unrelated to its own chosen neuron's spikes: the shuffled-reward control) and
``"none"`` (no phasic dopamine, r = 0).

Legenstein et al.'s analysis (their eq. 10) needs a positive overlap of the eligibility
kernel with the delayed reward kernel: here the eligibility decays with tau_c = 1 s, far
longer than the 200-ms delay. At each spike of the chosen neuron its input synapses
collect the presynaptic traces (pre before post), and the presynaptic spikes of the next
~20 ms remove ``Am`` times the postsynaptic trace (post before pre): with ``Am = Ap/2``
an output spike leaves a net eligibility of about ``(Ap - Am) nu_pre tau`` on each
input, and the reward that follows 200 ms later turns it into potentiation of exactly
the chosen neuron's inputs.

Two choices keep the rest of the network still (docs/validation.md, R3, measured):

* the expected reward is a *short* running mean (``tau_baseline`` = 1 s). With a net
  eligibility every synapse's mean c is positive, and the slow part of r moves all
  weights together by <c> tau_baseline Delta(d_bar)/10 ms: with a 5-10-s mean the loop
  "chosen rate up -> d_bar up -> all weights up -> network rate up" had a gain above 1,
  and the networks ran away to ~200 Hz or fell silent. A 1-s mean cuts that gain
  5-10 times and keeps half of the eligibility-reward overlap (0.068 s against 0.136 s
  with no baseline);
* a small learning rate (``Ap`` = 1.3e-4 mV): the product r c fluctuates for every
  synapse, so the weights diffuse; at ``Ap`` = 1e-3 (balanced window) they spread by
  +-J and the network broke into bursts.

A balanced window (``Am = Ap``) leaves only the causal part of the pre/post correlation,
a few percent of the pairings, so the learning rate it needs lets every weight diffuse
by about its own size before the chosen neuron's rate doubles.

A warm-up of ``baseline_duration`` runs with plasticity off (r gated to 0) and gives each
neuron's baseline rate; d_bar tracks the reward throughout.
"""

from dataclasses import dataclass, field

import numpy as np
from brian2 import Network, NeuronGroup, StateMonitor, Synapses, mV, ms, second

import snnlearn as sl

__all__ = ["Copy", "BiofeedbackParams", "feedback_rule", "build_biofeedback", "run_phases", "run_time_values",
           "read_results", "simulate", "N_EXC", "N_INH"]

N_EXC, N_INH = 400, 100
C_EXC, C_INH = 40, 10  # in-degree: 10 % of each population

LIF = """
dv/dt = (mu - v) / tau_m + sigma * sqrt(2 / tau_m) * xi : volt (unless refractory)
spikes : 1
"""


@dataclass(frozen=True)
class Copy:
    """One copy of the network: its connectivity seed and its reward condition.

    reward: ``"own"``, ``"none"`` or ``("yoked", k)`` (the dopamine pulses of copy k).
    chosen: index of the reinforced excitatory neuron (0 ... 399).
    """

    seed: int
    reward: object = "own"
    chosen: int = 0


@dataclass(frozen=True)
class BiofeedbackParams:
    """Network and learning parameters (units as in the module docstring)."""

    J: float = 0.5  # initial excitatory weight (mV)
    g: float = 8.0  # inhibitory weight, in units of J
    wmax: float = 1.5  # upper weight bound (mV)
    mu: object = field(default_factory=lambda: 17 * mV)  # mean background drive
    sigma: object = field(default_factory=lambda: 3.5 * mV)  # background noise standard deviation
    Ap: float = 1.3e-4  # eligibility per pre-before-post pair (mV)
    Am: float = 6.5e-5  # eligibility removed per post-before-pre pair (mV)
    tau_c: object = field(default_factory=lambda: 1 * second)  # eligibility time constant
    tau_d: object = field(default_factory=lambda: 0.2 * second)  # dopamine decay
    reward_delay: object = field(default_factory=lambda: 200 * ms)
    reward_amount: float = 1.0  # dopamine added per spike of the chosen neuron
    tau_baseline: object = field(default_factory=lambda: 1 * second)  # running mean of the dopamine
    dt: object = field(default_factory=lambda: 0.5 * ms)


def feedback_rule(p):
    """``da_stdp`` reading the mean-subtracted reward ``r``, no tonic dopamine."""
    return sl.rules.da_stdp(Ap=p.Ap, Am=p.Am, taupre=20 * ms, taupost=20 * ms, tau_c=p.tau_c, update_dt=10 * ms,
                            tonic=0.0, wmin=0.0, wmax=p.wmax, pairing="all", modulator="r")


def _copy_connectivity(seed):
    """Fixed in-degree: (pre, post) of the E->E, E->I and I->all synapses of one copy (local indices)."""
    rng = np.random.default_rng(seed)
    N = N_EXC + N_INH
    ee, ei, ie = [], [], []
    for post in range(N):
        exc = rng.choice(np.delete(np.arange(N_EXC), post) if post < N_EXC else np.arange(N_EXC), C_EXC,
                         replace=False)
        inh_pool = np.arange(N_EXC, N)
        inh = rng.choice(inh_pool[inh_pool != post], C_INH, replace=False)
        (ee if post < N_EXC else ei).append(np.c_[exc, np.full(C_EXC, post)])
        ie.append(np.c_[inh, np.full(C_INH, post)])
    return np.concatenate(ee), np.concatenate(ei), np.concatenate(ie)


def build_biofeedback(copies, p=None, record_dt=10 * second):
    """Build the copies (copy k owns neurons k*500 ... k*500 + 499). Returns a dict of objects and monitors."""
    copies = list(copies)
    p = p or BiofeedbackParams()
    K = len(copies)
    if K == 0:
        raise ValueError("build_biofeedback: give at least one copy")
    for k, c in enumerate(copies):
        ok = c.reward in ("own", "none") or (isinstance(c.reward, tuple) and len(c.reward) == 2
                                             and c.reward[0] == "yoked" and 0 <= c.reward[1] < K
                                             and copies[c.reward[1]].reward == "own")
        if not ok:
            raise ValueError(f"build_biofeedback: copy {k}: reward must be 'own', 'none' or ('yoked', k) with copy k "
                             f"rewarded by its own neuron, got {c.reward!r}")
        if not 0 <= int(c.chosen) < N_EXC:
            raise ValueError(f"build_biofeedback: copy {k}: chosen must be an excitatory neuron 0..{N_EXC - 1}, "
                             f"got {c.chosen}")
    N = N_EXC + N_INH
    neurons = NeuronGroup(K * N, LIF, threshold="v > 20*mV", reset="v = 10*mV\nspikes += 1", refractory=2 * ms,
                          method="euler", namespace={"mu": p.mu, "sigma": p.sigma, "tau_m": 20 * ms}, dt=p.dt,
                          name="lif")
    neurons.v = "10*mV + 10*mV*rand()"

    ee, ei, ie = [], [], []
    for k, c in enumerate(copies):
        a, b, cc = _copy_connectivity(c.seed)
        ee.append(a + k * N)
        ei.append(b + k * N)
        ie.append(cc + k * N)
    ee, ei, ie = np.concatenate(ee), np.concatenate(ei), np.concatenate(ie)

    dopamine = NeuronGroup(K * N, """
        dd/dt = -d / tau_d : 1
        ddbar/dt = (d - dbar) / tau_baseline : 1
        r : 1
        gate : 1 (shared)
        """, method="exact", namespace={"tau_d": p.tau_d, "tau_baseline": p.tau_baseline}, dt=p.dt,
                           name="dopamine")
    dopamine.run_regularly("r = gate * (d - dbar)", dt=p.dt, when="before_synapses", name="dopamine_error")
    rule = feedback_rule(p)
    # Ap and Am are shared variables of the synapses, so that a compiled program runs other values (run_args)
    plastic = sl.connect(neurons, neurons, rule, transmit="v_post += w * mV", connect={"i": ee[:, 0], "j": ee[:, 1]},
                         w=p.J, delay=1.5 * ms, modulators={"r": (dopamine, "r", "post")}, dt=p.dt, name="ee",
                         variable_params=("Ap", "Am"))
    e_to_i = Synapses(neurons, neurons, on_pre="v_post += J_ei", namespace={"J_ei": p.J * mV}, dt=p.dt, name="ei")
    e_to_i.connect(i=ei[:, 0], j=ei[:, 1])
    e_to_i.delay = 1.5 * ms
    inh = Synapses(neurons, neurons, on_pre="v_post -= J_ie", namespace={"J_ie": p.g * p.J * mV}, dt=p.dt, name="ie")
    inh.connect(i=ie[:, 0], j=ie[:, 1])
    inh.delay = 1.5 * ms
    objects = [neurons, dopamine, plastic, e_to_i, inh]

    src, tgt = [], []
    for k, c in enumerate(copies):
        source = k if c.reward == "own" else (c.reward[1] if isinstance(c.reward, tuple) else None)
        if source is None:
            continue
        src.append(np.full(N, source * N + copies[source].chosen))
        tgt.append(k * N + np.arange(N))
    delivery = None
    if src:
        delivery = Synapses(neurons, dopamine, "reward_amount : 1 (shared)", on_pre="d_post += reward_amount",
                            dt=p.dt, name="reward_delivery")
        delivery.connect(i=np.concatenate(src), j=np.concatenate(tgt))
        delivery.delay = p.reward_delay
        delivery.reward_amount = p.reward_amount
        objects.append(delivery)
    counts = StateMonitor(neurons, "spikes", record=True, dt=record_dt, when="end", name="spike_counts")
    da = StateMonitor(dopamine, ["d", "dbar"], record=np.arange(K) * N, dt=record_dt, name="da_trace")
    net = Network(*objects, counts, da)
    dopamine.dbar = _initial_baseline(p)
    return {"net": net, "neurons": neurons, "plastic": plastic, "dopamine": dopamine, "delivery": delivery,
            "counts": counts, "da": da, "rule": rule, "ee": ee, "n_copies": K}


def _initial_baseline(p):
    """Start the running mean of the dopamine near its value for a chosen neuron firing at about 5 Hz."""
    return p.reward_amount * float(p.tau_d / second) * 5.0


def run_time_values(m, p):
    """The values of ``p`` a compiled program of the same structure takes as ``run_args``: the STDP amplitudes
    and the dopamine per reward (with the initial running mean that follows from it)."""
    values = {m["plastic"].Ap: p.Ap, m["plastic"].Am: p.Am, m["dopamine"].dbar: _initial_baseline(p)}
    if m["delivery"] is not None:
        values[m["delivery"].reward_amount] = p.reward_amount
    return values


def run_phases(m, baseline_duration, duration, run=None, report=None):
    """Baseline (phasic dopamine off) then learning, as two calls ``run(net, duration, set)``.

    By default ``run`` is ``net.run``; an experiment passes ``ctx.run``, which adds progress,
    checkpoints and resume. The second call switches the dopamine on through ``set``.
    """
    if run is None:
        def run(net, duration, set):
            for view, value in set.items():
                view[:] = value
            net.run(duration, report=report)
    run(m["net"], baseline_duration, {m["dopamine"].gate: 0.0})
    run(m["net"], duration, {m["dopamine"].gate: 1.0})


def read_results(m):
    """Numpy arrays of a finished simulation (see :func:`simulate`)."""
    K, N = m["n_copies"], N_EXC + N_INH
    return {
        "counts": np.array(m["counts"].spikes[:]).reshape(K, N, -1),
        "count_time_s": np.array(m["counts"].t[:] / second),
        "w_final": np.array(m["plastic"].w[:]),
        "ee": np.c_[np.array(m["plastic"].i[:]), np.array(m["plastic"].j[:])],
        "d": np.array(m["da"].d[:]),
        "dbar": np.array(m["da"].dbar[:]),
    }


def simulate(copies, duration, baseline_duration=100 * second, p=None, brian_seed=0, record_dt=10 * second,
             context=None, directory=None, device="cpp_standalone", report=None, run=None):
    """Baseline (plasticity off) then learning (:func:`run_phases`); returns numpy arrays.

    ``counts`` (n_copies, 500, n_samples): cumulative spike counts every ``record_dt``;
    ``count_time_s``; ``w_final`` (n_copies, 16000) with ``ee`` the (pre, post) global
    indices; ``d``, ``dbar`` (n_copies, n_samples). ``brian_seed`` is Brian2's seed, or a
    function that seeds it (``ctx.brian_seed``); ``run`` as in :func:`run_phases`.
    """
    import time

    from brian2 import seed as brian2_seed

    from snnlearn.devices import use_device

    t0 = time.perf_counter()
    with (context if context is not None else use_device(device, directory=directory)) as sim:
        brian_seed() if callable(brian_seed) else brian2_seed(brian_seed)
        m = build_biofeedback(copies, p or BiofeedbackParams(), record_dt=record_dt)
        run_phases(m, baseline_duration, duration, run=run, report=report)
        sim.build()
        out = read_results(m)
    out["wall_s"] = time.perf_counter() - t0
    return out
