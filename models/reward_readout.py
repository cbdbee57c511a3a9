r"""Reward-driven learning in a spiking liquid: the readout only, or the whole network.

Hoerzer, Legenstein & Maass (2014) train the readout of a recurrent network from a scalar
reward: exploratory noise on the readout, the reward compared with a baseline, and
:math:`\Delta w = \eta\,(R - \bar R)\,\xi\,r`. Here the same idea runs in a spiking
liquid-state machine, with the catalog rule :func:`snnlearn.rules.node_perturbation`
(Fiete & Seung 2006), whose update is exactly that product: noise :math:`\xi_i(t)`
on each perturbed neuron's input, eligibility :math:`e_{ij} = \int \xi_i x_j\,dt` with
:math:`x_j` the presynaptic activity filtered by the synapse's kernel, and
:math:`\Delta w_{ij} = \eta\,(R - \bar R)\,e_{ij}/(2\sigma^2\tau_\xi)` at the end of each
trial.

Network of one *lane* (one learner)::

    frozen input spike patterns (n_channels)  --static-->  liquid (N LIF, 20 % inhibitory,
    models.lsm.make_liquid connectivity)  --plastic readout-->  n_out escape-noise outputs
    (models.reward_tasks.escape_outputs)

* liquid neuron (potentials in mV, plain numbers; constants of :mod:`models.lsm`)::

      tau_m dv/dt = -v + v_bg + I_in + I_exc + I_inh + noise      (unless refractory)
      dI_in/dt = -I_in/tau_e, dI_exc/dt = -I_exc/tau_e_rec, dI_inh/dt = -I_inh/tau_i
      v > 15 -> v = 13.5, refractory 3 ms (E) / 2 ms (I)

  A synapse j -> i adds its weight to I_exc (w >= 0, excitatory j) or I_inh (w <= 0,
  inhibitory j), so a node-perturbation eligibility with ``tau_x`` = the current's decay
  estimates the gradient with respect to that weight (the noise enters the same sum).
  There is no membrane noise apart from the perturbation: a trial's outcome is a
  deterministic function of the weights and the perturbation.
* outputs: ``u_i = sum_j (J/N) w_ij x_j`` (``x_j`` the liquid spike train filtered with
  the outputs' 20-ms PSP kernel), expected count :math:`\Lambda_i = \int \rho_0
  \mathrm{softplus}(u_i + \xi_i - \theta)\,dt` over the trial. The readout gain ``J/N``
  makes the effective learning rate of the readout independent of N.
* reward (computed in the simulation): :math:`R = -\frac1{n_{out}}\sum_i (\Lambda_i -
  \Lambda_i^*)^2` against the targets of the trial's stimulus; baseline :math:`\bar R`
  the reward of the paired unperturbed pass of the same stimulus (Werfel et al.'s E(0),
  ``baseline="paired"`` of :class:`snnlearn.modulators.RewardCircuit`). Trials come in
  pairs: an unperturbed pass (P = 0, no noise anywhere), then a perturbed pass (P = 1).

Conditions of a lane:

* ``"readout"``: node perturbation on the readout only (noise on the outputs; the liquid
  is fixed);
* ``"whole"``: the same rule on every plastic weight -- readout and all recurrent liquid
  synapses (noise on the outputs *and* on every liquid neuron, standard deviation
  ``sigma_liquid`` mV);
* ``"frozen"``: no perturbation and no learning (the initial error, and a check that
  nothing drifts).

Every trial starts from rest: at each trial boundary the potentials are set to
``v_bg``, currents and traces are cleared, and recurrent spikes still in flight from
the previous trial are discarded on arrival (as in :func:`models.lsm.simulate_liquid`).

Many lanes (sizes x seeds x conditions) share one set of Brian2 objects -- block-diagonal
groups, as in :func:`models.lsm.simulate_liquid` -- so that a whole comparison compiles
into one small ``cpp_standalone`` program (about 40 code objects whatever the number of
lanes). Because :class:`~snnlearn.modulators.RewardCircuit` computes one reward per
circuit, :class:`LaneRewards` is its lane-vectorised counterpart for the paired-baseline,
rate-activity, MSE-reward case (same scheduling slots, same equations), one reward and
baseline per lane; the rules read them through a per-neuron copy (``R_copy``, ``Rbar_copy`` of the
liquid group and of a small signal group of the outputs).

References: Hoerzer GM, Legenstein R, Maass W (2014) Emergence of complex computational
structures from chaotic neural networks through reward-modulated Hebbian learning.
Cereb Cortex 24:677-690. Fiete IR, Seung HS (2006) Phys Rev Lett 97:048104. Maass W,
Natschläger T, Markram H (2002) Neural Comput 14:2531. Werfel J, Xie X, Seung HS (2005)
Neural Comput 17:2699.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import (Hz, NeuronGroup, SpikeGeneratorGroup, SpikeMonitor, StateMonitor, Synapses, TimedArray,
                    linked_var, ms, second)

import snnlearn as sl
from snnlearn.models.lsm import Liquid
from snnlearn.models.reward_tasks import Escape, escape_outputs
from snnlearn.modulators import ORDER_READOUT_RESET, ORDER_RECORD, ORDER_RECORD_REWARD, ORDER_TRIAL_END

__all__ = ["CONDITIONS", "Lane", "LaneRewards", "build_lanes", "lane_results", "paired_schedule"]

#: Learning conditions of a lane.
CONDITIONS = ("readout", "whole", "frozen")

#: Trial-boundary slots (see snnlearn.modulators): rest before everything, the per-neuron
#: copy of the reward after the trial-end code and before the rules (order 0).
ORDER_REST = -25
ORDER_COPY_REWARD = -16


@dataclass
class Lane:
    """One learner.

    liquid : :class:`models.lsm.Liquid` (its ``noise`` parameter is ignored: no membrane noise).
    patterns : list of (indices, times) -- one frozen spike pattern per stimulus over the
        liquid's ``n_channels`` inputs (:func:`models.reward_tasks.frozen_patterns`).
    targets : (n_stimuli, n_out) target expected counts (spikes per trial).
    w_out : (n_out, N) initial readout weights.
    stimuli : (n_trials,) stimulus of each pass (paired: each stimulus shown twice in a row).
    condition : one of :data:`CONDITIONS`.
    label : free text for logs and plots.
    """

    liquid: Liquid
    patterns: list
    targets: np.ndarray
    w_out: np.ndarray
    stimuli: np.ndarray
    condition: str
    label: str = ""

    def __post_init__(self):
        if self.condition not in CONDITIONS:
            raise ValueError(f"Lane: condition must be one of {CONDITIONS}, got {self.condition!r}")
        self.targets = np.asarray(self.targets, dtype=float)
        self.w_out = np.asarray(self.w_out, dtype=float)
        self.stimuli = np.asarray(self.stimuli, dtype=int)
        n_stim = len(self.patterns)
        if self.targets.ndim != 2 or self.targets.shape[0] != n_stim:
            raise ValueError(f"Lane {self.label!r}: targets must have shape (n_stimuli={n_stim}, n_out), "
                             f"got {self.targets.shape}")
        if self.w_out.shape != (self.targets.shape[1], self.liquid.n):
            raise ValueError(f"Lane {self.label!r}: w_out must have shape (n_out, N) = "
                             f"({self.targets.shape[1]}, {self.liquid.n}), got {self.w_out.shape}")
        if self.stimuli.ndim != 1 or self.stimuli.size < 2 or self.stimuli.min() < 0 or self.stimuli.max() >= n_stim:
            raise ValueError(f"Lane {self.label!r}: stimuli must be a 1-D array of indices < {n_stim}")

    @property
    def n(self):
        return self.liquid.n

    @property
    def n_out(self):
        return self.targets.shape[1]


def paired_schedule(n_passes, n_stimuli, rng):
    """Stimuli of ``n_passes`` passes in pairs (unperturbed, perturbed) of one random stimulus each.

    Returns (stimuli, perturbed) arrays of length ``n_passes`` (even, >= 2).
    """
    if int(n_passes) != n_passes or n_passes < 2 or n_passes % 2:
        raise ValueError(f"paired_schedule: n_passes must be an even integer >= 2, got {n_passes}")
    s = np.repeat(rng.integers(0, n_stimuli, int(n_passes) // 2), 2)
    return s, np.tile([0.0, 1.0], int(n_passes) // 2)


class LaneRewards:
    r"""One reward and one paired baseline per lane, computed in the simulation.

    The lane-vectorised form of :class:`snnlearn.modulators.RewardCircuit` with
    ``activity=rate``, ``reward="mse"``, ``baseline="paired"``: at the end of each trial
    (order -20 of the ``start`` slot) lane :math:`l` gets
    :math:`R_l = -\frac1{n_{out}}\sum_{i\in l}(\Lambda_i - \Lambda_i^*)^2`,
    :math:`\Lambda_i = \int_{trial}\rho_i\,dt`, and :math:`\bar R_l` = the reward of its
    most recent unperturbed pass (:math:`\bar R_l = R_l` on an unperturbed pass). The
    task group (``self.task``, one element per lane) also holds ``P`` (1 on a perturbed
    pass), ``stim``, ``err`` and ``last_stim``/``last_P`` of the trial that just ended.

    outputs : the output group (rate variable ``rate``, Hz); ``lane_of_output`` its lane
    indices; ``stimuli`` / ``perturbed`` (n_trials, n_lanes); ``targets`` (n_trials,
    n_outputs) the target of each output in each trial; ``T`` the trial duration.
    """

    def __init__(self, outputs, lane_of_output, stimuli, perturbed, targets, T, rate="rho", name="rr_task"):
        n_lanes = stimuli.shape[1]
        n_out_per_lane = np.bincount(lane_of_output, minlength=n_lanes).astype(float)
        self.T, self.name = T, name
        ns = {f"{name}_stim_ta": TimedArray(stimuli.astype(float), dt=T, name=f"{name}_stim_ta"),
              f"{name}_pert_ta": TimedArray(np.asarray(perturbed, dtype=float), dt=T, name=f"{name}_pert_ta")}
        model = """
            R : 1
            Rbar : 1
            R0 : 1
            err : 1
            P : 1
            stim : integer
            trial : integer
            last_stim : integer
            last_P : 1
            Esum : 1
            n_out_lane : 1 (constant)
        """
        self.task = NeuronGroup(n_lanes, model, namespace=ns, name=name, dt=outputs.clock.dt)
        self.task.n_out_lane = n_out_per_lane
        code = f"""
            done = int(trial > 0)
            err = done * Esum
            R = done * (-err / n_out_lane)
            Rbar = done * (P * R0 + (1 - P) * R)
            R0 = done * ((1 - P) * R + P * R0)
            last_stim = stim
            last_P = P
            stim = int({name}_stim_ta(t, i) + 0.5)
            P = {name}_pert_ta(t, i)
            trial = trial + 1
        """
        self.task.run_regularly(code, dt=T, when="start", order=ORDER_TRIAL_END, name=f"{name}_trial_end")
        target_ta = TimedArray(np.asarray(targets, dtype=float), dt=T, name=f"{name}_target_ta")
        # order -10: integrate the activity before the summed variable reads it (as RewardCircuit)
        self.readout = Synapses(outputs, self.task, model=f"""
            dLam/dt = {rate}_pre : 1 (clock-driven)
            Esum_post = (Lam - target)**2 : 1 (summed)
            target : 1
        """, namespace={f"{name}_target_ta": target_ta}, method="euler", order=-10, name=f"{name}_readout")
        self.readout.connect(i=np.arange(outputs.N), j=np.asarray(lane_of_output))
        self.readout.run_regularly(f"Lam = 0\ntarget = {name}_target_ta(t, i)", dt=T, when="start",
                                   order=ORDER_READOUT_RESET, name=f"{name}_readout_reset")
        self.objects = [self.task, self.readout]

    def record(self):
        """Monitors of every trial (add them to the network); read with :meth:`results`."""
        self._task_mon = StateMonitor(self.task, ["R", "Rbar", "err", "last_stim", "last_P"], record=True,
                                      dt=self.T, when="start", order=ORDER_RECORD_REWARD, name=f"{self.name}_rec_task")
        self._out_mon = StateMonitor(self.readout, ["Lam", "target"], record=True, dt=self.T, when="start",
                                     order=ORDER_RECORD, name=f"{self.name}_rec_readout")
        return [self._task_mon, self._out_mon]

    def results(self, n_trials):
        """Per-trial arrays: ``R``, ``Rbar``, ``err``, ``stimulus``, ``perturbed`` (n_lanes, n_trials) and
        ``expected``, ``target`` (n_outputs, n_trials)."""
        n = min(len(self._task_mon.t), n_trials + 1)  # sample k (at t = kT) describes trial k - 1
        tm, om = self._task_mon, self._out_mon
        return {"R": np.asarray(tm.R)[:, 1:n], "Rbar": np.asarray(tm.Rbar)[:, 1:n], "err": np.asarray(tm.err)[:, 1:n],
                "stimulus": np.array(tm.last_stim)[:, 1:n].astype(int), "perturbed": np.array(tm.last_P)[:, 1:n],
                "expected": np.asarray(om.Lam)[:, 1:n], "target": np.asarray(om.target)[:, 1:n]}


_LIQUID_EQS = """
dv/dt = (-v + v_bg + ie + ir + ii + noise) / tau_m : 1 (unless refractory)
die/dt = -ie / tau_e : 1
dir/dt = -ir / tau_r : 1
dii/dt = -ii / tau_i : 1
dz/dt = -z / tau_noise + sqrt(2 / tau_noise) * xi : 1
noise : 1
sigma_liq : 1 (constant)
P : 1 (linked)
R_lane : 1 (linked)
Rbar_lane : 1 (linked)
R_copy : 1
Rbar_copy : 1
v_bg : 1 (constant)
t_ref : second (constant)
"""


def build_lanes(lanes, T, offset, escape=None, readout_gain=8.0, eta_out=0.01, sigma_out=0.5, eta_rec=0.01,
                sigma_liquid=0.5, tau_noise=5 * ms, w_out_bound=5.0, w_rec_bound=150.0, dt=0.5 * ms, name="rr"):
    """All ``lanes`` (a list of :class:`Lane`) in one set of Brian2 objects.

    T : trial duration; ``offset`` : start of the stimulus pattern within a trial.
    readout_gain : J in ``u += (J/N) w`` per liquid spike.
    eta_out, sigma_out : node perturbation of the readout (learning rate, noise SD in units of u).
    eta_rec, sigma_liquid : node perturbation of the recurrent liquid weights of "whole" lanes
        (learning rate; noise SD in mV). ``tau_noise`` : correlation time of all perturbations.
    w_out_bound : readout weights are clipped to [-w_out_bound, w_out_bound];
    w_rec_bound : excitatory weights to [0, w_rec_bound] mV, inhibitory to [-w_rec_bound, 0].

    Returns a dict: ``objects`` (add all to a Network), ``rewards`` (:class:`LaneRewards`),
    ``readout``, ``rec_exc``, ``rec_inh`` (Synapses), ``liquid``, ``outputs``, ``spikes``
    (a count-only SpikeMonitor of the liquid), ``rules`` and index maps ``lane_of_neuron``,
    ``lane_of_output``, ``offsets`` (first liquid neuron of each lane), ``out_offsets``,
    ``run_time``.
    """
    if not lanes:
        raise ValueError("build_lanes: no lanes given")
    n_trials = lanes[0].stimuli.size
    if any(ln.stimuli.size != n_trials for ln in lanes):
        raise ValueError("build_lanes: every lane needs the same number of passes")
    if n_trials % 2:
        raise ValueError(f"build_lanes: passes come in (unperturbed, perturbed) pairs; got an odd number {n_trials}")
    if any(np.any(ln.stimuli[0::2] != ln.stimuli[1::2]) for ln in lanes):
        raise ValueError("build_lanes: the two passes of a pair must show the same stimulus (see paired_schedule)")
    if len({ln.liquid.n_channels for ln in lanes}) != 1:
        raise ValueError("build_lanes: all liquids need the same number of input channels")
    p0 = lanes[0].liquid.params
    for key in ("tau_m", "v_thresh", "v_reset", "t_ref_e", "t_ref_i", "tau_e", "tau_i", "tau_e_rec"):
        if any(ln.liquid.params[key] != p0[key] for ln in lanes):
            raise ValueError(f"build_lanes: all liquids need the same neuron constant {key}")
    T_s, off_s, dt_s = float(T / second), float(offset / second), float(dt / second)
    period = int(round(T_s / dt_s))
    if abs(period * dt_s - T_s) > 1e-9:
        raise ValueError(f"build_lanes: T = {T} must be a whole number of time steps ({dt})")
    escape = escape or Escape()
    n_lanes = len(lanes)
    n_ch = lanes[0].liquid.n_channels
    sizes = np.array([ln.n for ln in lanes])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    n_outs = np.array([ln.n_out for ln in lanes])
    out_offsets = np.concatenate([[0], np.cumsum(n_outs)[:-1]])
    lane_of_neuron = np.repeat(np.arange(n_lanes), sizes)
    lane_of_output = np.repeat(np.arange(n_lanes), n_outs)
    perturbed = np.tile([0.0, 1.0], n_trials // 2)
    pert = np.stack([perturbed * (ln.condition != "frozen") for ln in lanes], axis=1)  # (n_trials, n_lanes)
    stimuli = np.stack([ln.stimuli for ln in lanes], axis=1)

    # ---- input: lane l's channel c is input l * n_ch + c ------------------------------------
    idx, steps = [], []
    for l, ln in enumerate(lanes):
        for k, s in enumerate(ln.stimuli):
            i, t = ln.patterns[int(s)]
            st = k * period + int(round(off_s / dt_s)) + np.round(np.asarray(t / second) / dt_s).astype(np.int64)
            idx.append(l * n_ch + np.asarray(i))
            steps.append(st)
    idx, steps = np.concatenate(idx), np.concatenate(steps)
    key = np.unique(steps * (n_lanes * n_ch) + idx)  # one spike per input and step
    inputs = SpikeGeneratorGroup(n_lanes * n_ch, key % (n_lanes * n_ch), (key // (n_lanes * n_ch)) * dt, dt=dt,
                                 name=f"{name}_inputs")

    # ---- liquid ------------------------------------------------------------------------------
    ns = dict(tau_m=p0["tau_m"] * ms, tau_e=p0["tau_e"] * ms, tau_i=p0["tau_i"] * ms, tau_r=p0["tau_e_rec"] * ms,
              tau_noise=tau_noise)
    liquid = NeuronGroup(int(sizes.sum()), _LIQUID_EQS, threshold=f"v > {p0['v_thresh']}",
                         reset=f"v = {p0['v_reset']}", refractory="t_ref", method="euler", namespace=ns, dt=dt,
                         name=f"{name}_liquid")
    liquid.v_bg = np.concatenate([ln.liquid.v_bg for ln in lanes])
    liquid.v = liquid.v_bg[:]
    liquid.t_ref = np.concatenate([np.where(ln.liquid.inhibitory, p0["t_ref_i"], p0["t_ref_e"]) for ln in lanes]) * ms
    liquid.sigma_liq = np.repeat([sigma_liquid if ln.condition == "whole" else 0.0 for ln in lanes], sizes)
    liquid.z = "randn()"
    liquid.run_regularly("noise = sigma_liq * P * z", when="before_groups", name=f"{name}_liquid_noise")
    liquid.run_regularly("v = v_bg\nie = 0\nir = 0\nii = 0", dt=T, when="start", order=ORDER_REST,
                         name=f"{name}_liquid_rest")
    liquid.run_regularly("R_copy = R_lane\nRbar_copy = Rbar_lane", dt=T, when="start", order=ORDER_COPY_REWARD,
                         name=f"{name}_liquid_reward")

    s_in = Synapses(inputs, liquid, "w : 1 (constant)", on_pre="ie_post += w", dt=dt, name=f"{name}_input_syn")
    s_in.connect(i=np.concatenate([l * n_ch + ln.liquid.in_channel for l, ln in enumerate(lanes)]),
                 j=np.concatenate([offsets[l] + ln.liquid.in_target for l, ln in enumerate(lanes)]))
    s_in.w = np.concatenate([ln.liquid.in_weight for ln in lanes])

    # ---- recurrent synapses: node perturbation (eligibility is exactly 0 where sigma_liq = 0) ----
    blank = int(np.ceil(max(float(ln.liquid.delay.max(initial=0.0)) for ln in lanes) * 1e-3 / dt_s - 1e-9)) + 1
    gate = f"int(timestep(t, dt) % {name}_period >= {name}_blank)"
    gate_ns = {f"{name}_period": period, f"{name}_blank": blank}
    modulators = {"R": (liquid, "R_copy", "post"), "Rbar": (liquid, "Rbar_copy", "post")}
    rules, recurrent = {}, {}
    for kind, inh, current, tau_x, lo, hi in (("exc", False, "ir", p0["tau_e_rec"], 0.0, w_rec_bound),
                                              ("inh", True, "ii", p0["tau_i"], -w_rec_bound, 0.0)):
        pre, post, w, delay = [], [], [], []
        for l, ln in enumerate(lanes):
            sel = ln.liquid.inhibitory[ln.liquid.pre] == inh
            pre.append(offsets[l] + ln.liquid.pre[sel])
            post.append(offsets[l] + ln.liquid.post[sel])
            w.append(ln.liquid.weight[sel] * (-1.0 if inh else 1.0))
            delay.append(ln.liquid.delay[sel])
        w = np.concatenate(w)
        if w.size and (w.min() < lo or w.max() > hi):
            raise ValueError(f"build_lanes: a {kind} liquid weight lies outside the bounds [{lo}, {hi}] mV; "
                             f"raise w_rec_bound")
        rule = sl.rules.node_perturbation(eta=eta_rec, sigma=sigma_liquid if sigma_liquid > 0 else 1.0,
                                          tau_noise=tau_noise, tau_x=tau_x * ms, update_dt=T, wmin=lo, wmax=hi)
        S = sl.connect(liquid, liquid, rule, transmit=f"{current}_post += w * {gate}",
                       connect={"i": np.concatenate(pre), "j": np.concatenate(post)}, w=w,
                       delay=np.concatenate(delay) * ms, modulators=modulators, namespace=gate_ns, dt=dt,
                       variable_params=("eta",), name=f"{name}_rec_{kind}")
        S.run_regularly("x = 0", dt=T, when="start", order=ORDER_REST, name=f"{name}_rec_{kind}_rest")
        rules[f"liquid -> liquid ({kind})"] = rule
        recurrent[kind] = S

    # ---- outputs and readout ----------------------------------------------------------------
    outputs = escape_outputs(int(n_outs.sum()), escape, noise="ou", sigma=sigma_out, tau_noise=tau_noise,
                             name=f"{name}_outputs", dt=dt)
    outputs.run_regularly("u = 0", dt=T, when="start", order=ORDER_REST, name=f"{name}_outputs_rest")
    targets = np.concatenate([ln.targets[ln.stimuli] for ln in lanes], axis=1)  # (n_trials, n_outputs)
    rewards = LaneRewards(outputs, lane_of_output, stimuli, pert, targets, T, name=f"{name}_task")
    outputs.P = linked_var(rewards.task, "P", index=lane_of_output)
    liquid.P = linked_var(rewards.task, "P", index=lane_of_neuron)
    liquid.R_lane = linked_var(rewards.task, "R", index=lane_of_neuron)
    liquid.Rbar_lane = linked_var(rewards.task, "Rbar", index=lane_of_neuron)
    # per-output copy of the lane's reward, read by the readout synapses
    signal = NeuronGroup(int(n_outs.sum()), "R_lane : 1 (linked)\nRbar_lane : 1 (linked)\nR_copy : 1\nRbar_copy : 1", dt=dt,
                         name=f"{name}_out_reward")
    signal.R_lane = linked_var(rewards.task, "R", index=lane_of_output)
    signal.Rbar_lane = linked_var(rewards.task, "Rbar", index=lane_of_output)
    signal.run_regularly("R_copy = R_lane\nRbar_copy = Rbar_lane", dt=T, when="start", order=ORDER_COPY_REWARD,
                         name=f"{name}_out_reward_copy")
    rule_out = sl.rules.node_perturbation(eta=eta_out, sigma=sigma_out, tau_noise=tau_noise, tau_x=escape.tau_m,
                                          update_dt=T, wmin=-w_out_bound, wmax=w_out_bound)
    pre, post, w0, jump = [], [], [], []
    for l, ln in enumerate(lanes):
        if np.abs(ln.w_out).max() > w_out_bound:
            raise ValueError(f"build_lanes: lane {ln.label!r} has initial readout weights beyond w_out_bound")
        jj, ii = np.meshgrid(np.arange(ln.n_out), np.arange(ln.n), indexing="ij")  # (n_out, N)
        pre.append(offsets[l] + ii.ravel())
        post.append(out_offsets[l] + jj.ravel())
        w0.append(ln.w_out.ravel())
        jump.append(np.full(ln.n * ln.n_out, readout_gain / ln.n))
    readout = sl.connect(liquid, outputs, rule_out, transmit="u_post += jump * w",
                         connect={"i": np.concatenate(pre), "j": np.concatenate(post)}, w=np.concatenate(w0),
                         modulators={"R": (signal, "R_copy", "post"), "Rbar": (signal, "Rbar_copy", "post")},
                         extra_model="jump : 1 (constant)", variable_params=("eta",), dt=dt,
                         name=f"{name}_readout")
    readout.jump = np.concatenate(jump)
    readout.run_regularly("x = 0", dt=T, when="start", order=ORDER_REST, name=f"{name}_readout_rest")
    rules["liquid -> outputs (readout)"] = rule_out

    spikes = SpikeMonitor(liquid, record=False, name=f"{name}_liquid_count")
    objects = [inputs, liquid, s_in, *recurrent.values(), outputs, signal, readout, *rewards.objects, spikes]
    return {"objects": objects, "rewards": rewards, "readout": readout, "rec_exc": recurrent["exc"],
            "rec_inh": recurrent["inh"], "liquid": liquid, "outputs": outputs, "spikes": spikes, "rules": rules,
            "lane_of_neuron": lane_of_neuron, "lane_of_output": lane_of_output, "offsets": offsets,
            "out_offsets": out_offsets, "n_trials": n_trials, "run_time": n_trials * T + dt}


def lane_results(model, lanes, T):
    """Per-lane results after the run: a list of dicts with ``error`` (n_trials,) = mean over outputs of
    ``|Lambda - target|``, ``perturbed``, ``stimulus``, ``R``, ``Rbar``, ``expected`` (n_trials, n_out),
    ``w_out`` (n_out, N) final readout, ``rec_change`` (relative change of the recurrent weights, L2),
    ``rate_hz`` (mean liquid rate over the run)."""
    r = model["rewards"].results(model["n_trials"])
    w_read = np.array(model["readout"].w[:])
    i_read = np.array(model["readout"].i[:])
    j_read = np.array(model["readout"].j[:])
    counts = np.array(model["spikes"].count[:])
    rec = {}
    for kind in ("exc", "inh"):
        S = model[f"rec_{kind}"]
        rec[kind] = (np.array(S.i[:]), np.array(S.w[:]))
    out = []
    for l, ln in enumerate(lanes):
        o0, n0 = model["out_offsets"][l], model["offsets"][l]
        rows = slice(o0, o0 + ln.n_out)
        expected, target = r["expected"][rows].T, r["target"][rows].T
        sel = (j_read >= o0) & (j_read < o0 + ln.n_out)
        w_out = np.zeros((ln.n_out, ln.n))
        w_out[j_read[sel] - o0, i_read[sel] - n0] = w_read[sel]
        w_final = np.concatenate([rec[k][1][(rec[k][0] >= n0) & (rec[k][0] < n0 + ln.n)] for k in ("exc", "inh")])
        w_init = np.concatenate([ln.liquid.weight[ln.liquid.inhibitory[ln.liquid.pre] == inh] * (-1.0 if inh else 1.0)
                                 for inh in (False, True)])
        change = float(np.linalg.norm(w_final - w_init) / max(np.linalg.norm(w_init), 1e-12))
        out.append({"error": np.abs(expected - target).mean(axis=1), "perturbed": r["perturbed"][l],
                    "stimulus": r["stimulus"][l], "R": r["R"][l], "Rbar": r["Rbar"][l], "expected": expected,
                    "target": target, "w_out": w_out, "rec_change": change,
                    "rate_hz": float(counts[n0:n0 + ln.n].sum() / (ln.n * model["n_trials"] * float(T / second)))})
    return out
