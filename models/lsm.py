"""Spiking liquid-state machine in Brian2 (Maass, Natschläger & Markram 2002, Neural Comput 14:2531).

The liquid (docs/validation.md, Reservoirs, "LSM"): N = 135 current-based leaky integrate-and-fire neurons on
a 15 x 3 x 3 grid, 20 % inhibitory, static synapses::

    tau_m dv/dt = -v + v_bg + I_in + I_rec - I_inh + noise * sqrt(2 tau_m) xi(t)   (unless refractory)
    dI_in/dt = -I_in / tau_e,  dI_rec/dt = -I_rec / tau_e_rec,  dI_inh/dt = -I_inh / tau_i
    v > v_thresh  ->  v = v_reset,  refractory t_ref (3 ms excitatory, 2 ms inhibitory)

(currents in mV, i.e. R I with R = 1 MOhm), tau_m = 30 ms, v_thresh = 15 mV, v_reset = 13.5 mV,
v_bg ~ U[13.5, 14.5] mV per neuron (sub-threshold: without input the liquid is nearly silent),
tau_e = 3 ms (input synapses), tau_i = 6 ms (inhibitory synapses) [M: Maass et al. 2002 values].
A synapse a -> b exists with probability ``C_ab * exp(-(D(a, b) / lambda)^2)``, D the grid distance,
lambda = 2, C_EE = 0.3, C_EI = 0.2, C_IE = 0.4, C_II = 0.1 [M].  Weights are Gamma-distributed
(coefficient of variation 0.7) around the means given to :func:`make_liquid`; delays are 1.5 ms
for E -> E and 0.8 ms otherwise [M].  Input: each of ``n_channels`` spike channels reaches 30 % of
the neurons (drawn independently per channel).

Two defaults are calibrations for the fading-memory check E4 (see tests/test_reservoir.py):

- ``noise = 0.3 mV``: the free-membrane standard deviation of a white membrane noise (an
  Ornstein-Uhlenbeck membrane potential; CSIM's LIF neuron has such an I_noise term).  Without any
  noise the liquid is deterministic apart from the input jitter, and even the liquid *without*
  recurrence is decoded at about 0.99 from sub-millivolt residues of inputs 100 ms old, so no
  memory comparison is possible.  0.2 mV was enough with 100 training trials per template pair
  but not with 200 (the feed-forward control then recovers part of the residue).
- ``tau_e_rec = 30 ms``: currents from excitatory liquid neurons (E -> E and E -> I) decay with
  30 ms (NMDA-like) instead of the 3 ms of Maass et al. (input currents keep 3 ms); with 3-ms
  recurrent excitation the recurrent liquid was never more than 0.05 better than its feed-forward
  control (its memory is shorter than the noise allows).  Weights were then re-calibrated
  (w_ee = 0.5 mV) for a liquid rate of about 15-25 Hz.

Simulation (:func:`simulate_liquid`): all trials run in one Brian2 ``Network.run``; the trial
structure is in the input.  Trials are laid out on ``n_lanes`` identical, non-interacting copies
of the liquid (a block-diagonal network, so Brian2 vectorises over copies); on each copy the trials
follow one another, each as ``[gap | stimulus]``.  At the start of every gap a ``run_regularly``
operation resets the membrane potentials to values drawn (in numpy) uniformly from
[13.5, 15] mV and clears the synaptic currents and the filtered traces; recurrent spikes still in
flight at the reset are discarded on arrival (transmission is gated off for the longest delay
after each reset), so no activity carries over from one trial to the next.  The state read out is the exponentially filtered spike train of every neuron
(tau_f = 30 ms), ``dfilt/dt = -filt / tau_f``, ``filt += 1`` at each spike, sampled by a
``StateMonitor`` at the end of each stimulus.  ``recurrent=False`` removes every liquid -> liquid
synapse (the control).  Runs on Brian2's runtime target (numpy by default); no ``network_operation``.
The equations are integrated by (Euler-)Maruyama with dt = 0.1 ms (Brian2's exact linear
integrator divides by tau_e_rec - tau_m, which is zero for the calibrated 30 ms).

:func:`template_task` is the fading-memory task of docs/validation.md (Reservoirs) (E4): two classes of
jittered 20-Hz spike templates that differ only before ``t_same`` and are identical afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import (
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    TimedArray,
    Hz,
    ms,
    mV,
    second,
    prefs,
)
from brian2 import seed as brian_seed

from snnlearn.metrics.reservoir import classification_accuracy, fit_ridge, loo_ridge

__all__ = [
    "Liquid",
    "LiquidRun",
    "make_liquid",
    "simulate_liquid",
    "make_template_pair",
    "jitter_trials",
    "filtered_input_states",
    "template_task",
]

# Maass et al. 2002 connection constants C_ab [M]; a = presynaptic, b = postsynaptic type.
_C = {("E", "E"): 0.3, ("E", "I"): 0.2, ("I", "E"): 0.4, ("I", "I"): 0.1}


@dataclass(frozen=True)
class Liquid:
    """A drawn liquid; all arrays are numpy, potentials in mV and times in ms (plain floats).

    positions (N, 3) grid coordinates; inhibitory (N,) bool; v_bg (N,) background potential;
    recurrent synapses ``pre``, ``post``, ``weight`` (mV, > 0; the sign comes from the presynaptic
    type), ``delay`` (ms); input synapses ``in_channel``, ``in_target``, ``in_weight`` (mV);
    ``params``: the neuron constants.
    """

    positions: np.ndarray
    inhibitory: np.ndarray
    v_bg: np.ndarray
    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
    in_channel: np.ndarray
    in_target: np.ndarray
    in_weight: np.ndarray
    n_channels: int
    params: dict = field(default_factory=dict)

    @property
    def n(self):
        """Number of liquid neurons N."""
        return self.positions.shape[0]


def _gamma(rng, mean, size, cv=0.7):
    """Gamma-distributed positive values with the given mean and coefficient of variation."""
    shape = 1.0 / cv**2
    return rng.gamma(shape, mean / shape, size=size)


def make_liquid(rng, grid=(15, 3, 3), frac_inh=0.2, lam=2.0, w_ee=0.5, w_ei=9.0, w_ie=13.5, w_ii=13.5,
                w_in_e=12.0, w_in_i=6.0, n_channels=4, input_fraction=0.3, weight_cv=0.7, tau_e_rec=30.0,
                noise=0.3):
    """Draw a :class:`Liquid` from the numpy Generator ``rng``.

    grid: neurons per axis (N = product); frac_inh: fraction inhibitory; lam: length constant of
    the connection probability ``C * exp(-(D/lam)^2)`` (grid units); ``w_ab``: mean weight in mV of
    a -> b synapses, the jump R*dI of the synaptic current (the peak PSP in a 30-ms membrane is
    0.077 w for a 3-ms current, 0.13 w for 6 ms and 0.37 w for 30 ms); ``w_in_e`` / ``w_in_i``:
    mean input weight onto E / I neurons (mV); ``n_channels`` input channels each reaching
    ``input_fraction`` of the neurons; ``tau_e_rec``: decay (ms) of recurrent excitatory currents;
    ``noise``: membrane noise, free-membrane SD in mV.  The weight, ``tau_e_rec`` and ``noise``
    defaults are the calibration documented in tests/test_reservoir.py (test_E4...).
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(seed))")
    grid = tuple(int(g) for g in grid)
    if len(grid) != 3 or min(grid) < 1:
        raise ValueError(f"grid must be three positive integers, got {grid}")
    if not 0 <= frac_inh < 1:
        raise ValueError(f"frac_inh must lie in [0, 1), got {frac_inh}")
    if not lam > 0:
        raise ValueError(f"lam (connection length constant) must be > 0, got {lam}")
    for name, w in (("w_ee", w_ee), ("w_ei", w_ei), ("w_ie", w_ie), ("w_ii", w_ii),
                    ("w_in_e", w_in_e), ("w_in_i", w_in_i)):
        if not np.isfinite(w) or w < 0:
            raise ValueError(f"{name} must be a weight magnitude >= 0 (mV), got {w}")
    if int(n_channels) != n_channels or n_channels < 1:
        raise ValueError(f"n_channels must be a positive integer, got {n_channels}")
    if not tau_e_rec > 0:
        raise ValueError(f"tau_e_rec (ms) must be > 0, got {tau_e_rec}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise (membrane noise SD, mV) must be >= 0, got {noise}")
    if not 0 < input_fraction <= 1:
        raise ValueError(f"input_fraction must lie in (0, 1], got {input_fraction}")
    positions = np.array(np.meshgrid(*[np.arange(g) for g in grid], indexing="ij")).reshape(3, -1).T
    n = positions.shape[0]
    n_inh = int(round(frac_inh * n))
    inhibitory = np.zeros(n, dtype=bool)
    inhibitory[rng.choice(n, size=n_inh, replace=False)] = True
    kind = np.where(inhibitory, "I", "E")

    d2 = ((positions[:, None, :] - positions[None, :, :]) ** 2).sum(-1)
    c = np.vectorize(lambda a, b: _C[(a, b)])(kind[:, None], kind[None, :])
    prob = c * np.exp(-d2 / lam**2)
    np.fill_diagonal(prob, 0.0)
    pre, post = np.nonzero(rng.random((n, n)) < prob)
    means = {("E", "E"): w_ee, ("E", "I"): w_ei, ("I", "E"): w_ie, ("I", "I"): w_ii}
    mean_w = np.array([means[(kind[a], kind[b])] for a, b in zip(pre, post)])
    weight = _gamma(rng, 1.0, pre.size, weight_cv) * mean_w
    delay = np.where(~inhibitory[pre] & ~inhibitory[post], 1.5, 0.8)

    in_channel, in_target = [], []
    n_in = int(round(input_fraction * n))
    for ch in range(int(n_channels)):
        targets = np.sort(rng.choice(n, size=n_in, replace=False))
        in_channel.append(np.full(n_in, ch))
        in_target.append(targets)
    in_channel = np.concatenate(in_channel)
    in_target = np.concatenate(in_target)
    in_weight = _gamma(rng, 1.0, in_target.size, weight_cv) * np.where(inhibitory[in_target], w_in_i, w_in_e)
    v_bg = rng.uniform(13.5, 14.5, size=n)
    params = dict(tau_m=30.0, v_thresh=15.0, v_reset=13.5, t_ref_e=3.0, t_ref_i=2.0,
                  tau_e=3.0, tau_i=6.0, tau_e_rec=float(tau_e_rec), noise=float(noise), v_init=(13.5, 15.0))
    return Liquid(positions=positions, inhibitory=inhibitory, v_bg=v_bg, pre=pre, post=post,
                  weight=weight, delay=delay, in_channel=in_channel, in_target=in_target,
                  in_weight=in_weight, n_channels=int(n_channels), params=params)


@dataclass(frozen=True)
class LiquidRun:
    """Result of :func:`simulate_liquid`.

    states (n_trials, N): filtered liquid traces at the end of each stimulus; rate_hz: mean liquid
    rate during the stimuli; spike_i, spike_t (s, relative to the stimulus onset) and spike_trial:
    the spikes of ``n_raster`` trials kept for plots; n_objects: Brian2 objects in the network.
    """

    states: np.ndarray
    rate_hz: float
    spike_i: np.ndarray
    spike_t: np.ndarray
    spike_trial: np.ndarray
    n_objects: int


_EQS = """
dv/dt = (-v + v_bg + ie + ir - ii) / tau_m : volt (unless refractory)
die/dt = -ie / tau_e : volt  # input current
dir/dt = -ir / tau_r : volt  # recurrent excitatory current
dii/dt = -ii / tau_i : volt  # recurrent inhibitory current
dfilt/dt = -filt / tau_f : 1
v_bg : volt (constant)
t_ref : second (constant)
"""


def simulate_liquid(liquid, trials, stim_duration=500 * ms, gap=50 * ms, recurrent=True, n_lanes=50,
                    tau_f=30 * ms, dt=0.1 * ms, rng=None, n_raster=4, codegen_target="numpy"):
    """Run all ``trials`` through ``liquid`` in one Brian2 run and read the states at each trial end.

    trials: list of input trials; each is a list of ``n_channels`` arrays of spike times (in
    seconds, relative to the stimulus onset, inside [0, stim_duration)).  Trial m runs on copy
    ``m % n_lanes`` in slot ``m // n_lanes``; slot k of a copy spans
    ``[k P, (k+1) P)``, ``P = gap + stim_duration``, with the stimulus in its last
    ``stim_duration``.  ``rng`` (numpy Generator) draws the per-trial initial potentials and the
    seed passed to ``brian2.seed`` for the membrane noise (which also reseeds numpy's legacy
    global generator, as brian2.seed always does).  Input spikes falling in the same time step of
    the same channel are merged (one spike).
    Returns a :class:`LiquidRun`.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (it draws the initial potentials)")
    n_trials = len(trials)
    if n_trials < 1:
        raise ValueError("trials is empty")
    if int(n_lanes) != n_lanes or n_lanes < 1:
        raise ValueError(f"n_lanes must be a positive integer, got {n_lanes}")
    dt_s, stim_s, gap_s = float(dt / second), float(stim_duration / second), float(gap / second)
    if not stim_s > 0 or gap_s < 0:
        raise ValueError(f"need stim_duration > 0 and gap >= 0, got {stim_duration}, {gap}")
    if gap_s < 2 * float(liquid.delay.max(initial=0.0)) * 1e-3:
        raise ValueError(f"gap ({gap}) must exceed twice the longest synaptic delay")
    period_steps = int(round((stim_s + gap_s) / dt_s))
    if abs(period_steps * dt_s - (stim_s + gap_s)) > 1e-9:
        raise ValueError("gap + stim_duration must be a whole number of time steps dt")
    gap_steps = int(round(gap_s / dt_s))
    # recurrent spikes arriving in the first steps of a gap (still in flight at the reset) are dropped
    blank_steps = int(np.ceil(float(liquid.delay.max(initial=0.0)) * 1e-3 / dt_s - 1e-9)) + 1
    period_s = period_steps * dt_s
    n_lanes = min(int(n_lanes), n_trials)
    n_slots = -(-n_trials // n_lanes)
    n, n_ch = liquid.n, liquid.n_channels
    p = liquid.params

    # ---- input spikes: index lane * n_ch + channel, time slot * P + gap + t, on the dt grid
    idx, steps = [], []
    for m, trial in enumerate(trials):
        if len(trial) != n_ch:
            raise ValueError(f"trial {m} has {len(trial)} channels, the liquid has {n_ch}")
        lane, slot = m % n_lanes, m // n_lanes
        for ch, times in enumerate(trial):
            times = np.asarray(times, dtype=float)
            if times.size and (times.min() < 0 or times.max() >= stim_s):
                raise ValueError(f"trial {m}, channel {ch}: spike times must lie in [0, stim_duration)")
            s = slot * period_steps + gap_steps + np.floor(times / dt_s + 1e-9).astype(np.int64)
            idx.append(np.full(s.size, lane * n_ch + ch))
            steps.append(s)
    idx = np.concatenate(idx)
    steps = np.concatenate(steps)
    key = np.unique(steps * (n_lanes * n_ch) + idx)  # merge duplicates within one time step
    idx, steps = key % (n_lanes * n_ch), key // (n_lanes * n_ch)
    inputs = SpikeGeneratorGroup(n_lanes * n_ch, idx, steps * dt, dt=dt, name="lsm_input")

    # ---- liquid copies
    v0 = rng.uniform(*p["v_init"], size=(n_slots + 1, n_lanes * n))  # initial v for each slot
    v_init = TimedArray(v0 * mV, dt=period_s * second, name="lsm_v_init")
    ns = dict(tau_m=p["tau_m"] * ms, tau_e=p["tau_e"] * ms, tau_i=p["tau_i"] * ms,
              tau_r=p["tau_e_rec"] * ms, tau_f=tau_f,
              lsm_v_init=v_init)
    eqs = _EQS
    if p["noise"] > 0:
        eqs = eqs.replace("/ tau_m : volt", "/ tau_m + noise * sqrt(2 / tau_m) * xi : volt")
        ns["noise"] = p["noise"] * mV
    group = NeuronGroup(n_lanes * n, eqs, threshold=f"v > {p['v_thresh']}*mV",
                        reset=f"v = {p['v_reset']}*mV; filt += 1", refractory="t_ref",
                        method="euler", namespace=ns, dt=dt, name="lsm_liquid")
    group.v_bg = np.tile(liquid.v_bg, n_lanes) * mV
    group.t_ref = np.tile(np.where(liquid.inhibitory, p["t_ref_i"], p["t_ref_e"]), n_lanes) * ms
    reset_op = group.run_regularly("v = lsm_v_init(t, i); ie = 0*mV; ir = 0*mV; ii = 0*mV; filt = 0",
                                   dt=period_s * second, when="start", order=1, name="lsm_trial_reset")
    objects = [inputs, group, reset_op]

    offs_n = (np.arange(n_lanes) * n)[:, None]
    offs_c = (np.arange(n_lanes) * n_ch)[:, None]
    s_in = Synapses(inputs, group, "w : volt", on_pre="ie_post += w", dt=dt, name="lsm_input_syn")
    s_in.connect(i=(offs_c + liquid.in_channel).ravel(), j=(offs_n + liquid.in_target).ravel())
    s_in.w = np.tile(liquid.in_weight, n_lanes) * mV
    objects.append(s_in)
    if recurrent:
        for name, inh, target in (("exc", False, "ir"), ("inh", True, "ii")):
            sel = liquid.inhibitory[liquid.pre] == inh
            if not np.any(sel):
                continue
            syn = Synapses(group, group, "w : volt", dt=dt, name=f"lsm_rec_{name}",
                           on_pre=f"{target}_post += w * int(timestep(t, dt) % lsm_period >= lsm_blank)",
                           namespace=dict(lsm_period=period_steps, lsm_blank=blank_steps))
            syn.connect(i=(offs_n + liquid.pre[sel]).ravel(), j=(offs_n + liquid.post[sel]).ravel())
            syn.w = np.tile(liquid.weight[sel], n_lanes) * mV
            syn.delay = np.tile(liquid.delay[sel], n_lanes) * ms
            objects.append(syn)

    state_mon = StateMonitor(group, "filt", record=True, dt=period_s * second, when="start",
                             order=0, name="lsm_states")
    spike_mon = SpikeMonitor(group, name="lsm_spikes")
    objects += [state_mon, spike_mon]
    net = Network(*objects)
    old_target = prefs.codegen.target
    prefs.codegen.target = codegen_target
    brian_seed(int(rng.integers(2**31)))
    try:
        net.run(n_slots * period_s * second + dt, namespace={})
    finally:
        prefs.codegen.target = old_target

    traces = np.array(state_mon.filt)  # (n_lanes * n, n_slots + 1); column k = time k P
    trial_ids = np.arange(n_trials)
    lanes, slots = trial_ids % n_lanes, trial_ids // n_lanes
    states = traces.reshape(n_lanes, n, -1)[lanes, :, slots + 1]

    si = np.array(spike_mon.i)
    st = np.asarray(spike_mon.t / second)
    k = np.floor(st / period_s + 1e-9).astype(int)
    rel = st - k * period_s - gap_s
    in_stim = rel >= -1e-12
    slot_ok = in_stim & (k * n_lanes + si // n < n_trials)
    rate = slot_ok.sum() / (n * n_trials * stim_s)
    trial_of = k * n_lanes + si // n
    keep = slot_ok & (trial_of < min(n_raster, n_trials))
    return LiquidRun(states=states, rate_hz=float(rate), spike_i=si[keep] % n, spike_t=rel[keep],
                     spike_trial=trial_of[keep], n_objects=len(net.objects))


def make_template_pair(rng, n_channels=4, rate=20 * Hz, stim_duration=500 * ms, t_same=400 * ms):
    """Two input templates (lists of per-channel spike-time arrays, seconds) for :func:`template_task`.

    Each channel is a Poisson train of ``rate``; the two templates are drawn independently in
    [0, t_same) and share the same spikes in [t_same, stim_duration).
    """
    rate_hz = float(rate / Hz)
    stim_s, same_s = float(stim_duration / second), float(t_same / second)
    if rate_hz <= 0 or not 0 <= same_s <= stim_s:
        raise ValueError(f"need rate > 0 and 0 <= t_same <= stim_duration, got {rate}, {t_same}")

    def poisson(t0, t1):
        k = rng.poisson(rate_hz * (t1 - t0))
        return np.sort(rng.uniform(t0, t1, size=k))

    shared = [poisson(same_s, stim_s) for _ in range(n_channels)]
    return [[np.concatenate([poisson(0.0, same_s), shared[ch]]) for ch in range(n_channels)]
            for _ in range(2)]


def jitter_trials(template, n_trials, rng, jitter=4 * ms, stim_duration=500 * ms):
    """``n_trials`` noisy copies of ``template``: each spike moved by N(0, jitter^2), kept in the window.

    Spikes pushed outside [0, stim_duration) are reflected back inside.
    """
    jit = float(jitter / second)
    stim_s = float(stim_duration / second)
    if jit < 0:
        raise ValueError(f"jitter must be >= 0, got {jitter}")
    out = []
    for _ in range(int(n_trials)):
        trial = []
        for times in template:
            t = times + jit * rng.standard_normal(times.size)
            t = np.abs(t)  # reflect at 0
            t = np.where(t >= stim_s, 2 * stim_s - t - 1e-6, t)  # reflect at the end
            trial.append(np.sort(np.clip(t, 0.0, np.nextafter(stim_s, 0))))
        out.append(trial)
    return out


def filtered_input_states(trials, tau_f=30 * ms, stim_duration=500 * ms):
    """The input-only control: each channel's spike train filtered with tau_f, at the stimulus end."""
    tau_s, stim_s = float(tau_f / second), float(stim_duration / second)
    return np.array([[np.exp(-(stim_s - np.asarray(t)) / tau_s).sum() for t in trial] for trial in trials])


def template_task(liquid, rng, n_pairs=10, n_train=200, n_test=100, jitter=4 * ms, rate=20 * Hz,
                  stim_duration=500 * ms, t_same=400 * ms, gap=50 * ms, n_lanes=100, tau_f=30 * ms,
                  ridges=(1e-4, 1e-3, 1e-2, 1e-1, 1.0), dt=0.1 * ms, codegen_target="numpy"):
    """Fading-memory classification with and without recurrence (docs/validation.md, Reservoirs, E4).

    For each of ``n_pairs`` template pairs (:func:`make_template_pair`), draw ``n_train`` training
    and ``n_test`` test trials with balanced classes (:func:`jitter_trials`); all trials of all
    pairs run through the liquid in one simulation, once with and once without recurrent
    synapses.  A ridge readout (targets +/-1, ridge chosen by leave-one-out on the training set,
    :func:`snnlearn.metrics.reservoir.loo_ridge`) of the filtered states at the end of the
    stimulus is scored on the test trials.  Returns a dict with per-pair accuracies
    ``accuracy``, ``accuracy_no_recurrence``, ``accuracy_input_only`` (readout of the filtered
    input channels), their means, and the liquid rates (Hz) ``rate_hz``, ``rate_hz_no_recurrence``,
    plus the two :class:`LiquidRun` objects under ``runs`` (keyed by ``recurrent``), and the trial
    ``labels`` (+/-1), ``pair`` index, ``is_train`` mask and filtered ``input_states``.
    """
    if int(n_pairs) != n_pairs or n_pairs < 1:
        raise ValueError(f"n_pairs must be a positive integer, got {n_pairs}")
    if n_train < 4 or n_test < 2:
        raise ValueError(f"need n_train >= 4 and n_test >= 2, got {n_train}, {n_test}")
    trials, labels, pair_of, is_train = [], [], [], []
    for pair in range(int(n_pairs)):
        templates = make_template_pair(rng, liquid.n_channels, rate, stim_duration, t_same)
        for n_set, train in ((n_train, True), (n_test, False)):
            lab = np.arange(n_set) % 2
            rng.shuffle(lab)
            for c in lab:
                trials += jitter_trials(templates[c], 1, rng, jitter, stim_duration)
                labels.append(2 * c - 1)
                pair_of.append(pair)
                is_train.append(train)
    labels, pair_of, is_train = np.array(labels), np.array(pair_of), np.array(is_train)
    seed_v = int(rng.integers(2**32))
    runs = {}
    for rec in (True, False):
        runs[rec] = simulate_liquid(liquid, trials, stim_duration, gap, recurrent=rec, n_lanes=n_lanes,
                                    tau_f=tau_f, dt=dt, rng=np.random.default_rng(seed_v),
                                    codegen_target=codegen_target)
    inp = filtered_input_states(trials, tau_f, stim_duration)

    def score(X):
        acc = []
        for pair in range(int(n_pairs)):
            tr = (pair_of == pair) & is_train
            te = (pair_of == pair) & ~is_train
            ridge, _ = loo_ridge(X[tr], labels[tr], ridges)
            readout = fit_ridge(X[tr], labels[tr], ridge)
            acc.append(classification_accuracy(labels[te], readout.predict(X[te])))
        return np.array(acc)

    out = {
        "accuracy": score(runs[True].states),
        "accuracy_no_recurrence": score(runs[False].states),
        "accuracy_input_only": score(inp),
        "rate_hz": runs[True].rate_hz,
        "rate_hz_no_recurrence": runs[False].rate_hz,
        "runs": runs,
        "labels": labels,
        "pair": pair_of,
        "is_train": is_train,
        "input_states": inp,
    }
    for key in ("accuracy", "accuracy_no_recurrence", "accuracy_input_only"):
        out["mean_" + key] = float(out[key].mean())
    return out
