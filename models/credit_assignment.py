"""Many independent copies of the spiking pattern task in one Brian2 network.

The credit-assignment comparison (``experiments/spiking_credit_assignment.py``) trains
every rule at several network sizes, seeds and learning rates. Built one learner at a time
(``models/reward_tasks.build_pattern_task``), that is hundreds of Brian2 objects, and
``cpp_standalone`` compiles each object's code separately (about 0.5 s of CPU each). Here
every learning rule gets ONE output group, ONE synapse object and ONE reward circuit that
hold all its *copies* side by side:

* a *task instance* is one network size and seed: ``N`` inputs replaying one frozen spike
  pattern per stimulus into ``M`` escape-noise outputs (:class:`models.reward_tasks.Escape`),
  with target counts ``y*`` (n_stimuli, M) and initial weights ``w0`` (M, N);
* a *copy* is one instance with its own weights and its own reward: output neurons
  ``out_off[c] .. out_off[c] + M``, synapses only from that instance's inputs. Copies never
  interact: the reward of a copy is computed from its own outputs only.

Each copy's reward is multiplied by a constant ``scale`` (per copy). Every rule here moves the
weights by ``eta * (R - Rbar) * (eligibility)`` with a baseline linear in R, so ``scale``
multiplies the copy's learning rate exactly: one synapse object runs a whole grid of
learning rates.

The input of all copies is one ``SpikeGeneratorGroup`` that repeats with the period of the
trial schedule (stimuli alternate in pairs: an unperturbed baseline pass, then a perturbed
pass of the same stimulus), so the input costs one period of spikes however long the run.
Each synapse transmits ``u_post += jump * w`` with ``jump = n_ref / N``: the summed drive of
an output has the same scale at every ``N`` (weights are fractions of ``n_ref`` inputs' drive).

Per output neuron the reward circuit (:class:`CopyCircuit`) keeps the copy's reward ``R``,
baseline ``Rbar`` and the trial's gate ``P`` (1 perturbed, 0 baseline pass), so the rules read
them as per-postsynaptic-neuron modulators (``(task, "R", "post")``). Scheduling follows
:mod:`snnlearn.modulators` (recorders at order -30, trial end -20, readout reset -19, rest -25,
rule updates 0 of the ``start`` slot at each trial boundary).
"""

from dataclasses import dataclass

import numpy as np
from brian2 import NeuronGroup, SpikeGeneratorGroup, StateMonitor, Synapses, TimedArray, ms, second

import snnlearn as sl
from snnlearn.models.reward_tasks import Escape, post_first, escape_outputs, frozen_patterns
from snnlearn.modulators import ORDER_READOUT_RESET, ORDER_RECORD, ORDER_TRIAL_END, TrialSchedule

__all__ = ["KINDS", "Instance", "Layout", "make_instance", "alternating_schedule", "stacked_input", "CopyCircuit",
           "serial_perturbation_copies", "reward_hebbian", "build_group", "attach_probe", "accumulator",
           "static_counts", "set_teacher_targets"]

#: Learning rules that :func:`build_group` builds (``"static"``: no plasticity, for finite differences).
KINDS = ("node_perturbation", "weight_perturbation", "serial_perturbation", "reinforce", "reward_stdp", "static")
#: Rules rewarded for their actual spike counts (their exploration is their own spiking noise).
SPIKE_REWARDED = ("reinforce", "reward_stdp")
ORDER_REST = -25
ORDER_ACCUMULATE = -5  # after the trial end (R, Rbar known), before the rules' updates (order 0)


@dataclass
class Instance:
    """One task: ``n_in`` inputs -> ``n_out`` outputs; ``patterns`` (one (indices, times) per stimulus),
    ``targets`` (n_stimuli, n_out) in spikes per trial, ``w0`` (n_out, n_in)."""

    n_in: int
    n_out: int
    patterns: list
    targets: np.ndarray
    w0: np.ndarray
    label: str = ""
    seed: int = 0
    teacher: np.ndarray = None

    @property
    def n_syn(self):
        return self.n_in * self.n_out


def make_instance(n_in, n_out, n_stimuli, window, rate, w0_range, rng, dt, teacher_amplitude=None, target_range=None,
                  w_bound=None, label="", seed=0):
    """Frozen Poisson patterns (``rate`` within ``window``) and initial weights uniform in ``w0_range``, drawn by
    ``rng`` (a numpy Generator).

    Targets: with ``teacher_amplitude`` a, a teacher network ``W* = W0 + D`` whose expected counts are the targets
    (set by the caller: :func:`set_teacher_targets`); ``D`` is uniform in ``[-a, a]``, minus its mean over each
    output's inputs (so the initial error has no common-mode part that a single scalar per neuron could fix), and
    ``W*`` is clipped to ``[-w_bound, w_bound]``. Otherwise targets uniform in ``target_range``.
    """
    patterns = frozen_patterns(int(n_in), int(n_stimuli), window, rate, rng, dt=dt)
    w0 = rng.uniform(*w0_range, size=(int(n_out), int(n_in)))
    teacher, targets = None, np.zeros((int(n_stimuli), int(n_out)))
    if teacher_amplitude is not None:
        d = rng.uniform(-1.0, 1.0, size=(int(n_out), int(n_in))) * float(teacher_amplitude)
        teacher = w0 + d - d.mean(axis=1, keepdims=True)
        if w_bound is not None:
            teacher = np.clip(teacher, -float(w_bound), float(w_bound))
    elif target_range is not None:
        targets = rng.uniform(*target_range, size=(int(n_stimuli), int(n_out)))
    else:
        raise ValueError("make_instance: give teacher_amplitude or target_range")
    return Instance(int(n_in), int(n_out), patterns, targets, w0, label, seed, teacher)


class Layout:
    """Copies of task instances stacked into one network.

    ``copies`` is a list of ``(instance index, scale, w0)``; ``w0`` None takes the instance's.
    Synapse ``s`` of copy ``c`` with input ``j`` and output ``i`` has the local index
    ``k = j * M + i`` (input-major, as in :func:`models.reward_tasks.build_pattern_task`).

    Arrays (one entry per synapse): ``pre``, ``post``, ``syn_copy``, ``k_local``, ``n_syn``,
    ``jump``, ``w0``; per output neuron: ``out_copy``, ``out_local``; per copy: ``copy_instance``,
    ``scale``, ``out_off``, ``syn_off``, ``n_out``.
    """

    def __init__(self, instances, copies, n_ref=10):
        if not instances or not copies:
            raise ValueError("Layout: need at least one instance and one copy")
        self.instances = list(instances)
        n_stim = {len(ins.patterns) for ins in self.instances}
        if len(n_stim) != 1:
            raise ValueError(f"Layout: every instance must have the same number of stimuli, got {sorted(n_stim)}")
        self.n_stimuli = n_stim.pop()
        self.in_off = np.concatenate([[0], np.cumsum([ins.n_in for ins in self.instances])]).astype(int)
        self.n_inputs = int(self.in_off[-1])
        pre, post, syn_copy, k_local, n_syn, jump, w0 = [], [], [], [], [], [], []
        out_copy, out_local, copy_instance, scale, out_off, syn_off = [], [], [], [], [], []
        n_out = 0
        n_s = 0
        for c, (q, sc, w) in enumerate(copies):
            ins = self.instances[q]
            w = ins.w0 if w is None else np.asarray(w, dtype=float)
            if w.shape != (ins.n_out, ins.n_in):
                raise ValueError(f"Layout: copy {c} weights have shape {w.shape}, instance {q} needs "
                                 f"{(ins.n_out, ins.n_in)}")
            if not float(sc) >= 0:
                raise ValueError(f"Layout: copy {c} scale must be >= 0, got {sc!r}")
            copy_instance.append(q)
            scale.append(float(sc))
            out_off.append(n_out)
            syn_off.append(n_s)
            jj = np.repeat(np.arange(ins.n_in), ins.n_out)
            ii = np.tile(np.arange(ins.n_out), ins.n_in)
            pre.append(self.in_off[q] + jj)
            post.append(n_out + ii)
            syn_copy.append(np.full(ins.n_syn, c))
            k_local.append(jj * ins.n_out + ii)
            n_syn.append(np.full(ins.n_syn, float(ins.n_syn)))
            jump.append(np.full(ins.n_syn, float(n_ref) / ins.n_in))
            w0.append(w.T.ravel())
            out_copy.append(np.full(ins.n_out, c))
            out_local.append(np.arange(ins.n_out))
            n_out += ins.n_out
            n_s += ins.n_syn
        cat = np.concatenate
        self.pre, self.post = cat(pre).astype(np.int32), cat(post).astype(np.int32)
        self.syn_copy, self.k_local = cat(syn_copy), cat(k_local).astype(float)
        self.n_syn, self.jump, self.w0 = cat(n_syn), cat(jump), cat(w0)
        self.out_copy, self.out_local = cat(out_copy).astype(int), cat(out_local).astype(int)
        self.copy_instance = np.array(copy_instance, dtype=int)
        self.scale = np.array(scale)
        self.out_off = np.array(out_off, dtype=int)
        self.syn_off = np.array(syn_off + [n_s], dtype=int)
        self.n_outputs = n_out
        self.n_synapses = n_s
        self.n_copies = len(copies)
        self.n_ref = n_ref

    def copy_n_out(self):
        return np.array([self.instances[q].n_out for q in self.copy_instance])



def copy_weights(flat, start, n_in, n_out):
    """Weights (n_out, n_in) of one copy from a per-synapse array in :class:`Layout` order: the copy's
    ``n_in * n_out`` synapses from index ``start`` (``Layout.syn_off``), input-major (k = j * n_out + i)."""
    return np.asarray(flat[start:start + n_in * n_out]).reshape(n_in, n_out).T


def alternating_schedule(n_passes, n_stimuli, duration):
    """Passes in pairs (unperturbed baseline, then perturbed) of the same stimulus; stimuli in turn.

    The schedule repeats with period ``2 * n_stimuli`` passes, so that the input replays one period.
    """
    if int(n_passes) < 2 or int(n_passes) % 2:
        raise ValueError(f"alternating_schedule: n_passes must be an even number >= 2, got {n_passes}")
    k = np.arange(int(n_passes))
    return TrialSchedule(duration, (k // 2) % int(n_stimuli), (k % 2).astype(float), n_stimuli=int(n_stimuli))


def stacked_input(layout, schedule, offset, dt, period=None, name="inputs"):
    """One ``SpikeGeneratorGroup`` for the inputs of every instance, replaying the first ``period`` passes of
    ``schedule`` (default ``2 * n_stimuli``, one period of :func:`alternating_schedule`) periodically.

    In pass ``k`` showing stimulus ``s``, instance ``q``'s input ``j`` replays its pattern ``s``
    ``offset`` after the start of the pass.
    """
    duration = schedule.duration
    T = float(duration / second)
    off = float(offset / second)
    period = int(period or 2 * layout.n_stimuli)
    if period > schedule.n_trials:
        raise ValueError(f"stacked_input: period {period} is longer than the schedule ({schedule.n_trials} passes)")
    idx, times = [], []
    for k in range(period):
        s = int(schedule.stimuli[k])
        for q, ins in enumerate(layout.instances):
            i, t = ins.patterns[s]
            idx.append(layout.in_off[q] + np.asarray(i))
            times.append(k * T + off + np.asarray(t / second))
    idx = np.concatenate(idx).astype(np.int32)
    times = np.concatenate(times)
    # whole time steps, so that the replay is exact in every period
    steps = np.round(times / float(dt / second)).astype(np.int64)
    return SpikeGeneratorGroup(layout.n_inputs, idx, steps * dt, period=period * duration, dt=dt, name=name)


class CopyCircuit:
    r"""Reward, baseline and trial gate of every copy, computed in Brian2 code (one element per output neuron).

    At the end of each trial the copy's squared error :math:`\mathrm{err}_c = \sum_{i\in c}(a_i - y_i^*)^2`
    (``a`` the expected count :math:`\Lambda_i = \int\rho_i\,dt` for ``activity="rho"``, the spike
    count for ``"spikes"``) gives :math:`R_c = -\mathrm{scale}_c\,\mathrm{err}_c / M_c`. The baseline:
    ``"paired"`` (reward of the last unperturbed pass, Werfel et al.'s E(0)), ``"per_stimulus"``
    (running mean per stimulus, rate ``alpha``: a critic, Frémaux et al. 2010) or ``"none"``.
    ``serial=True`` adds the per-copy choice of the perturbed synapse (``ksel``, uniform among the
    copy's synapses) and its sign (``sgn``), drawn in advance by ``rng``.

    The error recorded per copy and trial (:meth:`results`) is the squared error of the *expected*
    counts (``Esum`` or, with spike rewards, ``Elam``); ``lsum=True`` also sums :math:`\Lambda` per copy.
    """

    def __init__(self, outputs, layout, schedule, activity="rho", baseline="paired", alpha=0.05, serial=False,
                 rng=None, lsum=False, name="task"):
        if activity not in ("rho", "spikes"):
            raise ValueError(f"CopyCircuit: activity must be 'rho' or 'spikes', got {activity!r}")
        if baseline not in ("paired", "per_stimulus", "none"):
            raise ValueError(f"CopyCircuit: baseline must be 'paired', 'per_stimulus' or 'none', got {baseline!r}")
        if int(outputs.N) != layout.n_outputs:
            raise ValueError(f"CopyCircuit: '{outputs.name}' has {outputs.N} neurons, the layout {layout.n_outputs}")
        if not 0 < float(alpha) <= 1:
            raise ValueError(f"CopyCircuit: alpha must lie in (0, 1], got {alpha!r}")
        T = schedule.duration
        K = layout.n_stimuli
        spikes = activity == "spikes"
        self.layout, self.schedule, self.name, self.spikes = layout, schedule, name, spikes
        ns = {f"{name}_stim_ta": TimedArray(schedule.stimuli.astype(float), dt=T, name=f"{name}_stim_ta"),
              f"{name}_pert_ta": TimedArray(schedule.perturbed, dt=T, name=f"{name}_pert_ta"),
              "alpha_cc": float(alpha)}
        model = ["R : 1", "Rbar : 1", "Esum : 1", "P : 1", "stim : integer", "trial : integer",
                 "copy : integer (constant)", "scale : 1 (constant)", "n_outc : 1 (constant)"]
        if spikes:
            model.append("Elam : 1")
        if lsum:
            model.append("Lsum : 1")
        code = ["done = int(trial > 0)", "R = done * (-scale * Esum / n_outc)"]
        if baseline == "paired":
            model.append("R0 : 1")
            code += ["Rbar = done * (P * R0 + (1 - P) * R)", "R0 = done * ((1 - P) * R + P * R0)"]
        elif baseline == "per_stimulus":
            model += [f"V_{k} : 1" for k in range(K)] + [f"seen_{k} : 1" for k in range(K)]
            code.append("Rbar = done * (" + " + ".join(
                f"int(stim == {k}) * (seen_{k} * V_{k} + (1 - seen_{k}) * R)" for k in range(K)) + ")")
            for k in range(K):
                code += [f"V_{k} = V_{k} + done * int(stim == {k}) * (seen_{k} * alpha_cc + (1 - seen_{k}))"
                         f" * (R - V_{k})",
                         f"seen_{k} = seen_{k} + done * int(stim == {k}) * (1 - seen_{k})"]
        else:
            code.append("Rbar = 0")
        code += [f"stim = int({name}_stim_ta(t) + 0.5)", f"P = {name}_pert_ta(t)"]
        if serial:
            if not isinstance(rng, np.random.Generator):
                raise ValueError("CopyCircuit: serial=True needs rng, a numpy Generator")
            n = schedule.n_trials + 1
            n_syn = np.array([layout.instances[q].n_syn for q in layout.copy_instance])
            ksel = np.floor(rng.random((n, layout.n_copies)) * n_syn).astype(float)
            sgn = np.where(rng.random((n, layout.n_copies)) < 0.5, -1.0, 1.0)
            ns[f"{name}_ksel_ta"] = TimedArray(ksel, dt=T, name=f"{name}_ksel_ta")
            ns[f"{name}_sgn_ta"] = TimedArray(sgn, dt=T, name=f"{name}_sgn_ta")
            model += ["ksel : 1", "sgn : 1"]
            code += [f"ksel = {name}_ksel_ta(t, copy)", f"sgn = {name}_sgn_ta(t, copy)"]
        code += ["trial = trial + 1"]
        self.task = NeuronGroup(layout.n_outputs, "\n".join(model), namespace=ns, name=name, dt=outputs.clock.dt)
        self.task.copy = layout.out_copy
        self.task.scale = layout.scale[layout.out_copy]
        self.task.n_outc = layout.copy_n_out()[layout.out_copy]
        self.task.run_regularly("\n".join(code), dt=T, when="start", order=ORDER_TRIAL_END, name=f"{name}_trial_end")

        # readout: output i of copy c -> every task element of copy c (the copy's error summed into each).
        # Targets: a table (stimulus, output neuron), read as a TimedArray whose "time" is the stimulus index.
        tg = np.zeros((K, layout.n_outputs))
        for c in range(layout.n_copies):
            ins = layout.instances[layout.copy_instance[c]]
            tg[:, layout.out_off[c]:layout.out_off[c] + ins.n_out] = ins.targets
        tg_ta = TimedArray(tg, dt=1 * second, name=f"{name}_targets")
        act = "count" if spikes else "Lam"
        rmodel = ["dLam/dt = rho_pre : 1 (clock-driven)", "count : 1",
                  f"tgt = {name}_targets(stim_post * second, i) : 1"]
        rmodel.append(f"Esum_post = ({act} - tgt)**2 : 1 (summed)")
        if spikes:
            rmodel.append("Elam_post = (Lam - tgt)**2 : 1 (summed)")
        if lsum:
            rmodel.append("Lsum_post = Lam : 1 (summed)")
        self.readout = Synapses(outputs, self.task, model="\n".join(rmodel), on_pre="count += 1" if spikes else None,
                                method="euler", order=-10, dt=outputs.clock.dt, namespace={f"{name}_targets": tg_ta},
                                name=f"{name}_readout")
        pre_r, post_r = [], []
        for c in range(layout.n_copies):
            m = layout.instances[layout.copy_instance[c]].n_out
            o = layout.out_off[c] + np.arange(m)
            pre_r.append(np.repeat(o, m))
            post_r.append(np.tile(o, m))
        pre_r, post_r = np.concatenate(pre_r), np.concatenate(post_r)
        self.readout.connect(i=pre_r, j=post_r)
        self.readout.run_regularly("Lam = 0\ncount = 0", dt=T, when="start", order=ORDER_READOUT_RESET,
                                   name=f"{name}_readout_reset")
        self.objects = [self.task, self.readout]
        self.metric = "Elam" if spikes else "Esum"
        self._monitor = None
        self._lsum = lsum

    def modulators(self, *signals):
        """``{"R": (task, "R", "post"), ...}`` for :func:`snnlearn.connect` onto the circuit's outputs."""
        return {s: (self.task, s, "post") for s in signals}

    def record(self):
        """A monitor of every copy's squared error (and summed Lambda) per trial; add it to the network."""
        vars_ = [self.metric] + (["Lsum"] if self._lsum else [])
        self._monitor = StateMonitor(self.task, vars_, record=self.layout.out_off, dt=self.schedule.duration,
                                     when="start", order=ORDER_RECORD, name=f"{self.name}_rec")
        return [self._monitor]

    def results(self):
        """``sq_error`` (n_trials, n_copies): squared error of the expected counts summed over the copy's
        outputs, per completed trial (and ``lambda_sum`` with ``lsum``)."""
        if self._monitor is None:
            raise ValueError("CopyCircuit.results: call record() and add the monitor to the network first")
        n = min(len(self._monitor.t), self.schedule.n_trials + 1)
        out = {"sq_error": np.array(getattr(self._monitor, self.metric)[:, 1:n]).T}
        if self._lsum:
            out["lambda_sum"] = np.array(self._monitor.Lsum[:, 1:n]).T
        return out


def serial_perturbation_copies(eta=0.01, sigma=0.01, update_dt=500 * ms, wmin=-10.0, wmax=10.0):
    r"""Serial weight perturbation for stacked copies: one synapse *per copy* per trial.

    The catalog's :func:`snnlearn.rules.serial_perturbation` draws one synapse among all
    ``N_pre * N_post`` pairs of a ``Synapses`` object; with many copies in one object each copy
    needs its own draw. The copy's circuit provides the chosen local index ``ksel`` and the
    sign ``sgn`` (per postsynaptic neuron, identical within a copy); each synapse knows its
    local index ``k_local`` and its copy's number of synapses ``n_syn``. Otherwise it is the
    catalog rule (Werfel, Xie & Seung 2005):

    .. math::
        \Delta w_k = \eta\,K\,\frac{R(W + \psi e_k) - \bar R}{\sigma^2}\,\psi, \qquad \psi = \pm\sigma

    ==========  ============  ============================================================
    parameter   unit          meaning
    ==========  ============  ============================================================
    eta         (unit of w)²  learning rate
    sigma       unit of w     size of the perturbation (the sign is random)
    update_dt   second        interval of the update (the trial duration)
    wmin, wmax  unit of w     hard bounds
    ==========  ============  ============================================================
    """
    return sl.Rule(
        "serial_perturbation",
        model="""
            psi : 1
            k_local : 1 (constant)
            n_syn : 1 (constant)
        """,
        regular="w = clip(w + eta * n_syn * (R - Rbar) * psi / sigma**2, wmin, wmax)\n"
                "psi = sigma * sgn * P * int(abs(k_local - ksel) < 0.5)",
        regular_dt=update_dt,
        modulators=("R", "Rbar", "P", "ksel", "sgn"),
        params={"eta": eta, "sigma": sigma, "wmin": wmin, "wmax": wmax},
        doc=serial_perturbation_copies.__doc__,
        reference="Werfel, Xie & Seung (2005) Neural Comput 17:2699",
    )


def reward_hebbian(eta=0.01, tau_x=20 * ms, update_dt=500 * ms, wmin=-10.0, wmax=10.0):
    r"""Reward-modulated Hebbian control: no perturbation factor in the eligibility.

    The eligibility pairs the presynaptic trace with the postsynaptic *spikes* (the causal
    half of STDP with the PSP kernel), and the reward prediction error gates it:

    .. math::
        e_{ij} = \sum_{f} x_j(t_i^f), \qquad \Delta w_{ij} = \eta\,(R - \bar R)\,e_{ij}

    Attached (with ``transmit=""``, so that it does not act on the network) to the outputs of the
    node-perturbation learner, it sees the same trials, noise and rewards as node perturbation;
    only its eligibility lacks the factor :math:`\xi_i` that tells a synapse how its neuron was
    perturbed.
    """
    return sl.Rule(
        "reward_hebbian",
        model="""
            dx/dt = -x / tau_x : 1 (clock-driven)
            elig : 1
        """,
        on_pre="x += 1",
        on_post="elig += x",
        regular="w = clip(w + eta * (R - Rbar) * elig, wmin, wmax)\nelig = 0",
        regular_dt=update_dt,
        modulators=("R", "Rbar"),
        params={"eta": eta, "tau_x": tau_x, "wmin": wmin, "wmax": wmax},
        method="euler",
        doc=reward_hebbian.__doc__,
        reference="control for Fiete & Seung (2006)",
    )


#: The weight change of each rule per unit learning rate, as code of its synapses (read at the trial end,
#: before the rule acts): the quantity whose trial average is compared with the gradient.
UPDATE_DIRECTION = {
    "node_perturbation": "(R - Rbar) * elig",
    "weight_perturbation": "(R - Rbar) * psi / sigma**2",
    "serial_perturbation": "n_syn * (R - Rbar) * psi / sigma**2",
    "reinforce": "(R - Rbar) * elig",
    "reward_stdp": "(R - Rbar) * elig",
    "reward_hebbian": "(R - Rbar) * elig",
}


def _rule(kind, T, rp, escape):
    bounds = {"wmin": -float(rp["w_bound"]), "wmax": float(rp["w_bound"])}
    if kind == "node_perturbation":
        return sl.rules.node_perturbation(eta=rp["eta"], sigma=rp["sigma_node"], tau_noise=rp["tau_noise"],
                                          tau_x=escape.tau_m, update_dt=T, **bounds)
    if kind == "weight_perturbation":
        return sl.rules.weight_perturbation(eta=rp["eta"], sigma=rp["sigma_weight"], update_dt=T, **bounds)
    if kind == "serial_perturbation":
        return serial_perturbation_copies(eta=rp["eta"], sigma=rp["sigma_weight"], update_dt=T, **bounds)
    if kind == "reinforce":
        return sl.rules.reinforce(eta=rp["eta"], tau_x=escape.tau_m, update_dt=T, gain="gain", **bounds)
    if kind == "reward_stdp":
        return sl.rules.reward_stdp(eta=rp["eta"], Ap=1.0, Am=float(rp.get("stdp_ratio", 1.05)), taupre=escape.tau_m,
                                    taupost=escape.tau_m, tau_e=rp.get("tau_e", 500 * ms), update_dt=T, baseline=True,
                                    reset=True, **bounds)
    raise ValueError(f"unknown rule {kind!r}; choose one of {KINDS}")


#: Synaptic variables of :func:`accumulator` (give them to ``connect(extra_model=...)``).
ACCUMULATOR_MODEL = "gsum : 1\ngsq : 1"


def accumulator(S, kind, until, T):
    """At every trial end up to time ``until``, add the rule's weight change per unit learning rate to
    ``gsum`` and its square to ``gsq`` (declared with :data:`ACCUMULATOR_MODEL`): the sum and the second
    moment of the per-trial updates."""
    S.namespace["t_acc_end"] = until
    code = (f"dw_acc = int(t < t_acc_end) * {UPDATE_DIRECTION[kind]}\n"
            "gsum += dw_acc\n"
            "gsq += dw_acc**2")
    return S.run_regularly(code, dt=T, when="start", order=ORDER_ACCUMULATE, name=f"{S.name}_accumulate")


def build_group(kind, inputs, layout, schedule, rule_params, escape=None, offset_reset=True, accumulate_until=None,
                serial_rng=None, lsum=False, name="g", dt=0.5 * ms):
    """All copies of ``layout`` learning by ``kind`` (one of :data:`KINDS`), fed by ``inputs``.

    ``rule_params``: ``eta``, ``w_bound`` and, per rule, ``sigma_node``, ``tau_noise`` (node perturbation),
    ``sigma_weight`` (weight and serial perturbation), ``stdp_ratio``, ``tau_e`` (reward_stdp); ``alpha``
    (critic rate), ``spike_baseline``. Perturbation rules are rewarded for the expected counts, REINFORCE and
    reward_stdp for their spike counts; the baseline is the reward of the paired unperturbed pass of the same
    stimulus (for the spike-rewarded rules: an independent pass of the same stimulus, so the baseline is
    independent of the pass's own spikes and Frémaux et al.'s per-stimulus requirement holds), or, for the
    spike-rewarded rules, ``spike_baseline="per_stimulus"`` (a running-mean critic). With
    ``accumulate_until`` (a time), the synapses sum their update directions until then (``gsum``).

    Returns a dict: ``objects`` (add them all to the Network), ``outputs``, ``synapses``, ``circuit``,
    ``rule`` (None for ``"static"``).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown rule {kind!r}; choose one of {KINDS}")
    escape = escape or Escape()
    T = schedule.duration
    noise = "ou" if kind == "node_perturbation" else None
    outputs = escape_outputs(layout.n_outputs, escape, noise=noise, sigma=rule_params.get("sigma_node", 0.0),
                             tau_noise=rule_params.get("tau_noise", 5 * ms), name=f"{name}_out", dt=dt)
    spikes = kind in SPIKE_REWARDED
    baseline = "none" if kind == "static" else (rule_params.get("spike_baseline", "paired") if spikes else "paired")
    circuit = CopyCircuit(outputs, layout, schedule, activity="spikes" if spikes else "rho", baseline=baseline,
                          alpha=rule_params.get("alpha", 0.05), serial=kind == "serial_perturbation", rng=serial_rng,
                          lsum=lsum, name=f"{name}_task")
    if noise:
        from brian2 import linked_var

        outputs.P = linked_var(circuit.task, "P")
    extra = "jump : 1 (constant)" + ("\n" + ACCUMULATOR_MODEL if accumulate_until is not None else "")
    if kind == "static":
        rule = None
        S = Synapses(inputs, outputs, "w : 1\n" + extra, on_pre="u_post += jump * w", dt=dt, name=f"{name}_syn")
        S.connect(i=layout.pre, j=layout.post)
        S.w = layout.w0
    else:
        rule = _rule(kind, T, rule_params, escape)
        perturbs_w = kind in ("weight_perturbation", "serial_perturbation")
        transmit = "u_post += jump * (w + psi)" if perturbs_w else "u_post += jump * w"
        S = sl.connect(inputs, outputs, rule, transmit=transmit, connect={"i": layout.pre, "j": layout.post},
                       w=layout.w0, modulators=circuit.modulators(*rule.modulators), extra_model=extra, dt=dt,
                       name=f"{name}_syn")
        post_first(S)
        if kind == "serial_perturbation":
            S.k_local = layout.k_local
            S.n_syn = layout.n_syn
    S.jump = layout.jump
    objects = [outputs, S, *circuit.objects]
    if offset_reset:
        outputs.run_regularly("u = 0", dt=T, when="start", order=ORDER_REST, name=f"{name}_rest")
        resets = [v for v in ("x", "apre", "apost") if rule is not None and v in rule.variables]
        if resets:
            S.run_regularly("\n".join(f"{v} = 0" for v in resets), dt=T, when="start", order=ORDER_REST,
                            name=f"{name}_trace_rest")
    if accumulate_until is not None and rule is not None:
        accumulator(S, kind, accumulate_until, T)
    return {"objects": objects, "outputs": outputs, "synapses": S, "circuit": circuit, "rule": rule}


def attach_probe(group, inputs, layout, T, rule_params, escape=None, accumulate_until=None, name="probe", dt=0.5 * ms):
    """The reward-modulated Hebbian control (:func:`reward_hebbian`) on the outputs and reward of ``group``.

    It does not transmit (the network is unchanged) and never learns (plasticity 0): it only sums its
    update directions (``gsum``) until ``accumulate_until``. Returns the ``Synapses``.
    """
    escape = escape or Escape()
    rule = reward_hebbian(eta=rule_params["eta"], tau_x=escape.tau_m, update_dt=T, wmin=-float(rule_params["w_bound"]),
                          wmax=float(rule_params["w_bound"]))
    S = sl.connect(inputs, group["outputs"], rule, transmit="", connect={"i": layout.pre, "j": layout.post},
                   w=layout.w0, modulators=group["circuit"].modulators("R", "Rbar"), extra_model=ACCUMULATOR_MODEL,
                   dt=dt, name=f"{name}_syn", plasticity=0.0)
    post_first(S)
    S.run_regularly("x = 0", dt=T, when="start", order=ORDER_REST, name=f"{name}_trace_rest")
    if accumulate_until is not None:
        accumulator(S, "reward_hebbian", accumulate_until, T)
    return S


def static_counts(layout, duration, offset, escape=None, dt=0.5 * ms, device="numpy"):
    """Expected counts Lambda (n_stimuli, n_outputs) of every copy of ``layout`` for every stimulus, with frozen
    weights and no perturbation: one pass per stimulus, simulated on the Brian2 runtime ``device``."""
    from brian2 import Network

    from snnlearn.devices import use_device

    K = layout.n_stimuli
    sched = TrialSchedule(duration, np.arange(K), np.zeros(K), n_stimuli=K)
    with use_device(device) as sim:
        inputs = stacked_input(layout, sched, offset, dt, period=K, name="static_inputs")
        g = build_group("static", inputs, layout, sched, {"eta": 0.0, "w_bound": 1.0}, escape=escape, name="static",
                        dt=dt)
        ro = g["circuit"].readout
        # the readout synapse from each output to itself holds that output's Lambda
        diag = np.flatnonzero(np.array(ro.i[:]) == np.array(ro.j[:]))
        order = np.argsort(np.array(ro.i[:])[diag])
        mon = StateMonitor(ro, "Lam", record=diag[order], dt=duration, when="start", order=ORDER_RECORD,
                           name="static_rec")
        Network(inputs, *g["objects"], mon).run(sched.run_time(dt))
        sim.build()
        return np.array(mon.Lam[:, 1:K + 1]).T


def set_teacher_targets(instances, duration, offset, escape=None, dt=0.5 * ms, n_ref=10):
    """Targets of every instance = the expected counts of its teacher network (same inputs, weights ``teacher``)."""
    layout = Layout(instances, [(q, 0.0, ins.teacher) for q, ins in enumerate(instances)], n_ref=n_ref)
    lam = static_counts(layout, duration, offset, escape=escape, dt=dt)
    for c, ins in enumerate(instances):
        ins.targets = lam[:, layout.out_off[c]:layout.out_off[c] + ins.n_out].copy()
    return instances
