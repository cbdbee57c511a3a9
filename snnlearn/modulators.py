r"""The third factor: neuromodulator signals and rewards computed inside the simulation.

Three-factor rules (:mod:`snnlearn.rules.neuromodulated`,
:mod:`snnlearn.rules.perturbation`) read a signal that they do not define, linked at
:func:`snnlearn.connect` with ``modulators={"d": (group, "d")}``. This module builds the
groups that compute those signals, entirely as Brian2 code (``NeuronGroup`` dynamics,
synaptic events, summed variables, ``run_regularly``, ``TimedArray``): no
``network_operation``, so a training of thousands of trials compiles into one
``cpp_standalone`` program with no Python between trials.

Continuous neuromodulators (Izhikevich 2007):

* :func:`neuromodulator` -- a concentration :math:`d` with its own decay,
  :math:`\dot d = -d/\tau_d`, global (one element) or one per target neuron.
* :func:`deliver` -- each spike of a source adds a fixed amount to the modulator,
  after an optional fixed delay.
* :func:`coincidence_detector` -- spikes when neuron *b* fires within a window after
  neuron *a* (the rewarded event of the distal-reward task).
* :func:`random_delay` -- re-emits each input event once after a random delay drawn
  uniformly in :math:`(D_{min}, D_{max}]` (the 1-3 s reward delay).

Trial-based rewards (Frémaux et al. 2010; Fiete & Seung 2006; Werfel et al. 2005):

* :class:`TrialSchedule` -- the stimulus shown in each trial, and whether the trial is a
  perturbed pass or an unperturbed baseline pass.
* :class:`RewardCircuit` -- at the end of each trial, the reward computed from the
  outputs' activity against the stimulus's targets, the reward baseline (none, global
  running mean, per-stimulus critic, or the reward of a paired unperturbed pass), and
  the trial's stimulus and perturbation gate; :meth:`RewardCircuit.to_modulator` also
  delivers the reward prediction error into a neuromodulator after a delay.

Scheduling. Trial boundaries are the steps at :math:`t = kT`. In the ``start`` slot of
that step, in this order: the recorders (order -30), the reward circuit's trial-end
code (order -20, computes ``R`` and ``Rbar`` of the trial that just ended and sets up
the next trial), the readout reset (order -19), then the rules' weight updates
(``connect`` puts them at order 0). So a rule whose ``update_dt`` is the trial duration
sees each trial's reward exactly once. Run for ``schedule.run_time`` (the trials plus
one time step) so that the last trial's reward is computed too.
"""

from dataclasses import dataclass, field

import numpy as np
from brian2 import (NeuronGroup, Quantity, StateMonitor, Synapses, TimedArray, defaultclock, linked_var, ms,
                    second)

__all__ = ["Circuit", "neuromodulator", "deliver", "coincidence_detector", "random_delay", "TrialSchedule",
           "RewardCircuit", "BASELINES", "REWARDS"]

#: Reward-baseline modes of :class:`RewardCircuit`.
BASELINES = ("none", "global", "per_stimulus", "paired")
#: Reward functions of :class:`RewardCircuit` (``err`` is the trial's summed squared error).
REWARDS = ("gaussian", "mse")

#: ``when``/``order`` of the trial-boundary operations (see the module docstring).
ORDER_RECORD = -30
ORDER_TRIAL_END = -20
ORDER_READOUT_RESET = -19
ORDER_RECORD_REWARD = -18


def _positive_time(what, value):
    if not (isinstance(value, Quantity) and value.dim == second.dim):
        raise ValueError(f"{what} must be a time (e.g. 200*ms), got {value!r}")
    if not float(value) > 0:
        raise ValueError(f"{what} must be positive, got {value!r}")


def _identifier(what, name):
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"{what} must be an identifier, got {name!r}")
    return name


def _steps(what, duration, dt):
    """Number of time steps of ``duration``; it must be a whole number."""
    n = float(duration / dt)
    if abs(n - round(n)) > 1e-6 or round(n) < 1:
        raise ValueError(f"{what} = {duration!r} must be a whole number of time steps (dt = {dt!r})")
    return int(round(n))


@dataclass
class Circuit:
    """A few Brian2 objects that compute one signal.

    ``output`` is the group whose spikes or variables are the result; ``objects`` lists
    every object to add to the ``Network`` (``Network(*circuit.objects, ...)``).
    """

    output: object
    objects: list = field(default_factory=list)


# ------------------------------------------------------------------------------------ modulators
def neuromodulator(tau, n=1, variable="d", name="dopamine", dt=None):
    r"""A neuromodulator concentration with its own decay: :math:`\dot d = -d/\tau`.

    Returns a ``NeuronGroup`` of ``n`` elements (``n = 1``: a global signal, linked to
    every synapse with ``modulators={"d": (group, "d")}``; ``n`` = the number of
    postsynaptic neurons: a local signal, ``(group, "d", "post")``). Integrated exactly,
    so with ``dt`` = 1 ms and ``tau = -1 ms/ln 0.995`` it decays by exactly 0.995 per step
    as in Izhikevich's ``daspnet.m``. Raise it with :func:`deliver`.

    Parameters: ``tau`` (time, > 0), ``n`` (int >= 1), ``variable`` (name of the
    concentration, default ``d``), ``name`` (Brian2 name), ``dt`` (the group's time step).
    """
    _positive_time("neuromodulator: tau", tau)
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"neuromodulator: n must be a positive integer, got {n!r}")
    var = _identifier("neuromodulator: variable", variable)
    kwargs = {} if dt is None else {"dt": dt}
    return NeuronGroup(int(n), f"d{var}/dt = -{var} / tau_mod : 1", method="exact",
                       namespace={"tau_mod": tau}, name=name, **kwargs)


def deliver(source, modulator, amount, variable="d", delay=None, connect=True, name=None):
    """Each spike of ``source`` adds ``amount`` to ``modulator.variable`` (after ``delay``).

    ``connect`` is passed to ``Synapses.connect`` (``True``: every source neuron to every
    modulator element; a dict such as ``{"j": "i"}`` for one-to-one). Returns the
    ``Synapses``. A negative ``amount`` gives a dip (punishment).
    """
    var = _identifier("deliver: variable", variable)
    if var not in modulator.variables:
        raise ValueError(f"deliver: group '{modulator.name}' has no variable '{var}'")
    if not np.isfinite(float(np.asarray(amount))):
        raise ValueError(f"deliver: amount must be a finite number, got {amount!r}")
    kwargs = {} if name is None else {"name": name}
    S = Synapses(source, modulator, on_pre=f"{var}_post += amount_mod", namespace={"amount_mod": amount},
                 **kwargs)
    if connect is True:
        S.connect()
    elif isinstance(connect, dict):
        S.connect(**connect)
    else:
        raise ValueError(f"deliver: connect must be True or a dict of Synapses.connect arguments, got {connect!r}")
    if delay is not None:
        if not (isinstance(delay, Quantity) and delay.dim == second.dim) or float(delay) < 0:
            raise ValueError(f"deliver: delay must be a non-negative time, got {delay!r}")
        S.delay = delay
    return S


def coincidence_detector(pre_group, pre_index, post_group, post_index, window=20 * ms, name="coincidence"):
    r"""A one-element group that spikes when ``post_index`` fires within ``window`` after ``pre_index``.

    The pairing counts when :math:`0 < t_{post} - t_{pre} < \text{window}`, with
    :math:`t_{pre}` the last spike of the presynaptic neuron (a simultaneous pre spike
    does not count: the pre spike is registered first). The detector fires one time step
    after the postsynaptic spike. This is the rewarded event of Izhikevich (2007):
    neuron n2 firing within 20 ms after n1.

    Returns a :class:`Circuit` whose ``output`` is the detector group.
    """
    _positive_time("coincidence_detector: window", window)
    for label, group, idx in (("pre", pre_group, pre_index), ("post", post_group, post_index)):
        if not isinstance(idx, (int, np.integer)) or not 0 <= idx < group.N:
            raise ValueError(f"coincidence_detector: {label}_index must be an index of '{group.name}' "
                             f"(0..{group.N - 1}), got {idx!r}")
    det = NeuronGroup(1, "t_first : second\nhit : 1", threshold="hit > 0.5", reset="hit = 0",
                      name=name, dt=post_group.clock.dt)
    det.t_first = -1e6 * second
    s_pre = Synapses(pre_group, det, on_pre="t_first_post = t", name=f"{name}_pre")
    s_pre.connect(i=int(pre_index), j=0)
    s_post = Synapses(post_group, det, on_pre="hit_post = int(t - t_first_post < window_cd and t > t_first_post)",
                      namespace={"window_cd": window}, name=f"{name}_post")
    s_post.connect(i=int(post_index), j=0)
    # register the pre spike before testing a post spike of the same step
    s_pre.pre.order = -2
    s_post.pre.order = -1
    return Circuit(det, [det, s_pre, s_post])


def random_delay(source, delay_min, delay_max, n_slots=16, name="delay_line"):
    r"""Re-emit every event of ``source`` once, after a random delay uniform in :math:`(D_{min}, D_{max}]`.

    The delay is quantised to the time step: :math:`D = D_{min} + \lceil (D_{max} -
    D_{min})\,U/dt\rceil\,dt` with :math:`U \sim \mathcal U(0, 1)`, i.e. Izhikevich's
    ``1000 + ceil(2000*rand)`` ms for 1-3 s at dt = 1 ms. Up to ``n_slots`` events can be
    pending at once (a ring buffer: a further event replaces the oldest pending one);
    events of the same time step are merged into one. Built from a one-element scheduler
    (which hands the event to the next slot) and ``n_slots`` timer neurons that spike when
    their time comes; the output spikes exactly :math:`D` after the input spike.

    Returns a :class:`Circuit` whose ``output`` is the group of timers: connect its
    spikes onward, e.g. ``deliver(circuit.output, dopamine, 0.5)``.
    """
    _positive_time("random_delay: delay_max", delay_max)
    if not (isinstance(delay_min, Quantity) and delay_min.dim == second.dim) or float(delay_min) < 0:
        raise ValueError(f"random_delay: delay_min must be a non-negative time, got {delay_min!r}")
    if not float(delay_max) > float(delay_min):
        raise ValueError(f"random_delay: need delay_min < delay_max, got {delay_min!r} and {delay_max!r}")
    if not isinstance(n_slots, (int, np.integer)) or n_slots < 1:
        raise ValueError(f"random_delay: n_slots must be a positive integer, got {n_slots!r}")
    dt = source.clock.dt
    if float(delay_min) < float(dt):
        raise ValueError(f"random_delay: delay_min must be at least one time step ({dt!r})")
    sched = NeuronGroup(1, "go : 1\nnext_slot : integer", threshold="go > 0.5",
                        reset="go = 0\nnext_slot = (next_slot + 1) % n_slots_rd",
                        namespace={"n_slots_rd": int(n_slots)}, name=f"{name}_scheduler", dt=dt)
    into = Synapses(source, sched, on_pre="go_post = 1", name=f"{name}_in")
    into.connect()
    timers = NeuronGroup(int(n_slots), "t_fire : second", threshold="t >= t_fire", reset="t_fire = 1e9*second",
                         name=f"{name}_timers", dt=dt)
    timers.t_fire = 1e9 * second
    # the scheduler fires one step after the source: start the delay one step earlier
    assign = Synapses(sched, timers,
                      on_pre="t_fire_post = int(j == next_slot_pre) * (t - dt + dmin_rd + "
                             "ceil((dmax_rd - dmin_rd) * rand() / dt) * dt) + int(j != next_slot_pre) * t_fire_post",
                      namespace={"dmin_rd": delay_min, "dmax_rd": delay_max}, name=f"{name}_assign")
    assign.connect()
    return Circuit(timers, [sched, into, timers, assign])


# ------------------------------------------------------------------------------------ trials
@dataclass
class TrialSchedule:
    """Which stimulus each trial shows, and whether it is a perturbed pass.

    Parameters
    ----------
    duration : Quantity
        Trial duration :math:`T`; trial :math:`k` covers :math:`[kT, (k+1)T)`.
    stimuli : array of int
        Stimulus index of each trial (0 .. n_stimuli - 1).
    perturbed : array of 0/1, optional
        1 for a perturbed pass, 0 for an unperturbed baseline pass (default: all 1).
    n_stimuli : int, optional
        Number of stimuli (default: ``max(stimuli) + 1``).
    """

    duration: Quantity
    stimuli: np.ndarray
    perturbed: np.ndarray = None
    n_stimuli: int = None

    def __post_init__(self):
        _positive_time("TrialSchedule: duration", self.duration)
        s = np.asarray(self.stimuli)
        if s.ndim != 1 or s.size == 0:
            raise ValueError(f"TrialSchedule: stimuli must be a non-empty 1-D array, got shape {s.shape}")
        if not np.issubdtype(s.dtype, np.integer) or s.min() < 0:
            raise ValueError("TrialSchedule: stimuli must be non-negative integers (stimulus indices)")
        self.stimuli = s.astype(np.int32)
        if self.n_stimuli is None:
            self.n_stimuli = int(s.max()) + 1
        if s.max() >= self.n_stimuli:
            raise ValueError(f"TrialSchedule: stimulus index {int(s.max())} >= n_stimuli = {self.n_stimuli}")
        if self.perturbed is None:
            self.perturbed = np.ones(s.size)
        p = np.asarray(self.perturbed, dtype=float)
        if p.shape != s.shape or not np.all((p == 0) | (p == 1)):
            raise ValueError("TrialSchedule: perturbed must be 0/1, one value per trial")
        self.perturbed = p

    @classmethod
    def random(cls, n_trials, n_stimuli, duration, rng, paired=False):
        """Stimuli drawn uniformly by ``rng`` (a numpy Generator).

        ``paired=True``: trials come in pairs showing the same stimulus, first an
        unperturbed baseline pass (P = 0), then a perturbed pass (P = 1); ``n_trials``
        counts passes and must be even.
        """
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"TrialSchedule.random: rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if not isinstance(n_trials, (int, np.integer)) or n_trials < 1:
            raise ValueError(f"TrialSchedule.random: n_trials must be a positive integer, got {n_trials!r}")
        if paired:
            if n_trials % 2:
                raise ValueError(f"TrialSchedule.random: paired passes need an even n_trials, got {n_trials}")
            s = np.repeat(rng.integers(0, n_stimuli, n_trials // 2), 2)
            p = np.tile([0.0, 1.0], n_trials // 2)
        else:
            s = rng.integers(0, n_stimuli, n_trials)
            p = np.ones(n_trials)
        return cls(duration, s, p, n_stimuli=int(n_stimuli))

    @property
    def n_trials(self):
        return int(self.stimuli.size)

    @property
    def total(self):
        """Duration of all trials."""
        return self.n_trials * self.duration

    def run_time(self, dt=None):
        """How long to run: all trials plus one step, so that the last trial's reward is computed."""
        return self.total + (defaultclock.dt if dt is None else dt)


class RewardCircuit:
    r"""Trial structure, reward from the outputs' activity, and a reward baseline, in Brian2 code.

    At the end of each trial (the step at :math:`t = kT`) the circuit computes, from the
    activity :math:`a_i` of each output neuron during the trial and the targets
    :math:`a_i^*` of the trial's stimulus, the summed squared error
    :math:`\mathrm{err} = \sum_i (a_i - a_i^*)^2` and the reward

    * ``reward="gaussian"``: :math:`R = \exp(-\mathrm{err}/2\sigma^2)` (Frémaux et al. 2010
      use :math:`\sigma = 3` spikes for one output);
    * ``reward="mse"``: :math:`R = -\mathrm{err}/n_{out}`.

    Activity is the spike count in the trial (``activity="spikes"``; the squared error
    is accumulated exactly, one spike at a time) or the integral over the trial of a
    rate variable of the outputs (``activity="rho"``, in Hz: an expected spike count).

    The baseline :math:`\bar R` that comes with each reward (the prediction the reward
    is compared with) is

    * ``"none"``: 0 (raw reward);
    * ``"global"``: a running mean of all rewards, :math:`\bar R \leftarrow \bar R +
      \alpha (R - \bar R)` after each trial (initialised with the first reward);
    * ``"per_stimulus"``: one running mean per stimulus (a critic);
    * ``"paired"``: the reward of the most recent unperturbed pass (``P = 0``) -- the
      ``E(0)`` of Werfel et al.; an unperturbed pass gets :math:`\bar R = R`.

    Variables of the task group (``circuit.task``, one element), each valid from the
    trial-end step until the next one: ``R`` (reward of the trial that just ended),
    ``Rbar`` (its baseline), ``err``, ``last_stim`` and ``last_P`` (that trial's
    stimulus and gate), and, for the trial now running, ``stim``, ``P`` (1 perturbed,
    0 baseline pass) and ``trial`` (its number). Use :meth:`modulators` to link ``R``,
    ``Rbar`` and ``P`` to a rule at :func:`snnlearn.connect`, :meth:`link` to give the
    output neurons the gate ``P`` (to switch node-perturbation noise off on baseline
    passes), and :meth:`to_modulator` to deliver the prediction error into a
    neuromodulator.

    Parameters
    ----------
    outputs : NeuronGroup
        The neurons whose activity is rewarded.
    schedule : TrialSchedule
    targets : array (n_stimuli, n_outputs)
        Target activity of each output for each stimulus (spike counts, or expected
        counts with a rate activity).
    activity : str
        ``"spikes"`` or the name of a rate variable (Hz) of ``outputs``.
    reward, sigma : see above (``sigma`` in units of the activity).
    baseline : one of :data:`BASELINES`; ``alpha`` the running-mean rate (0 < alpha <= 1).
    record_rate : str, optional
        Name of a rate variable (Hz) of ``outputs`` whose trial integral is recorded as
        ``expected`` (for an error measure free of spike-count noise).
    name : str
        Prefix of the Brian2 object names (several circuits can share a network).
    """

    def __init__(self, outputs, schedule, targets, activity="spikes", reward="gaussian", sigma=3.0,
                 baseline="none", alpha=0.05, record_rate=None, name="task"):
        if not isinstance(schedule, TrialSchedule):
            raise ValueError(f"RewardCircuit: schedule must be a TrialSchedule, got {type(schedule).__name__}")
        name = _identifier("RewardCircuit: name", name)
        n_out = int(outputs.N)
        targets = np.asarray(targets, dtype=float)
        if targets.ndim != 2 or targets.shape != (schedule.n_stimuli, n_out):
            raise ValueError(f"RewardCircuit: targets must have shape (n_stimuli, n_outputs) = "
                             f"({schedule.n_stimuli}, {n_out}), got {targets.shape}")
        if not np.all(np.isfinite(targets)):
            raise ValueError("RewardCircuit: targets contain NaN or infinite values")
        if reward not in REWARDS:
            raise ValueError(f"RewardCircuit: reward must be one of {REWARDS}, got {reward!r}")
        if baseline not in BASELINES:
            raise ValueError(f"RewardCircuit: baseline must be one of {BASELINES}, got {baseline!r}")
        if not 0 < float(alpha) <= 1:
            raise ValueError(f"RewardCircuit: alpha must lie in (0, 1], got {alpha!r}")
        if not float(sigma) > 0:
            raise ValueError(f"RewardCircuit: sigma must be positive, got {sigma!r}")
        if baseline == "per_stimulus" and schedule.n_stimuli > 64:
            raise ValueError(f"RewardCircuit: the per-stimulus critic supports up to 64 stimuli, "
                             f"got {schedule.n_stimuli}")
        rate_vars = [v for v in (None if activity == "spikes" else activity, record_rate) if v is not None]
        for v in rate_vars:
            _identifier("RewardCircuit: rate variable", v)
            if v not in outputs.variables:
                raise ValueError(f"RewardCircuit: output group '{outputs.name}' has no variable '{v}'")
            if outputs.variables[v].dim != (1 * second ** -1).dim:
                raise ValueError(f"RewardCircuit: '{v}' of '{outputs.name}' must be a rate in Hz")
        dt = outputs.clock.dt
        _steps("RewardCircuit: the trial duration", schedule.duration, dt)
        self.schedule, self.targets, self.outputs = schedule, targets, outputs
        self.activity, self.reward, self.baseline, self.name = activity, reward, baseline, name
        self.n_outputs = n_out
        self.dt = dt

        per_trial_targets = targets[schedule.stimuli]  # (n_trials, n_out)
        T = schedule.duration
        ns = {
            f"{name}_stim_ta": TimedArray(schedule.stimuli.astype(float), dt=T, name=f"{name}_stim_ta"),
            f"{name}_pert_ta": TimedArray(schedule.perturbed, dt=T, name=f"{name}_pert_ta"),
            f"{name}_tsq_ta": TimedArray((per_trial_targets ** 2).sum(axis=1), dt=T, name=f"{name}_tsq_ta"),
            "sigma_rw": float(sigma), "alpha_rw": float(alpha), "n_out_rw": float(n_out),
        }
        target_ta = TimedArray(per_trial_targets, dt=T, name=f"{name}_target_ta")

        # ---- the task group: reward, baseline, trial bookkeeping -------------------------
        model = ["R : 1", "Rbar : 1", "err : 1", "P : 1", "stim : integer", "trial : integer",
                 "last_stim : integer", "last_P : 1", "E : 1", "tsq : 1", "fire : 1"]
        spikes = activity == "spikes"
        if not spikes:
            model.append("Esum : 1")
        K = schedule.n_stimuli
        if baseline == "global":
            model += ["V : 1", "seen : 1"]
        elif baseline == "per_stimulus":
            model += [f"V_{k} : 1" for k in range(K)] + [f"seen_{k} : 1" for k in range(K)]
        elif baseline == "paired":
            model.append("R0 : 1")
        self.task = NeuronGroup(1, "\n".join(model), threshold="fire > 0.5", reset="fire = 0", namespace=ns,
                                name=name, dt=dt)

        err = "E + tsq" if spikes else "Esum"
        value = "exp(-err / (2 * sigma_rw**2))" if reward == "gaussian" else "-err / n_out_rw"
        code = [
            "done = int(trial > 0)",
            f"err = done * ({err})",
            f"R = done * {value}",
        ]
        if baseline == "none":
            code.append("Rbar = 0")
        elif baseline == "global":
            code += ["Rbar = done * (seen * V + (1 - seen) * R)",
                     "V = V + done * (seen * alpha_rw + (1 - seen)) * (R - V)",
                     "seen = seen + done * (1 - seen)"]
        elif baseline == "per_stimulus":
            code.append("Rbar = done * (" + " + ".join(
                f"int(stim == {k}) * (seen_{k} * V_{k} + (1 - seen_{k}) * R)" for k in range(K)) + ")")
            for k in range(K):
                code += [f"V_{k} = V_{k} + done * int(stim == {k}) * (seen_{k} * alpha_rw + (1 - seen_{k})) * (R - V_{k})",
                         f"seen_{k} = seen_{k} + done * int(stim == {k}) * (1 - seen_{k})"]
        elif baseline == "paired":
            code += ["Rbar = done * (P * R0 + (1 - P) * R)",
                     "R0 = done * ((1 - P) * R + P * R0)"]
        code += [
            "last_stim = stim",
            "last_P = P",
            f"stim = int({name}_stim_ta(t) + 0.5)",
            f"P = {name}_pert_ta(t)",
            f"tsq = {name}_tsq_ta(t)",
            "E = 0",
            "trial = trial + 1",
            "fire = done",
        ]
        self.trial_end_code = "\n".join(code)
        self.task.run_regularly(self.trial_end_code, dt=T, when="start", order=ORDER_TRIAL_END,
                                name=f"{name}_trial_end")

        # ---- the readout: one synapse per output neuron ---------------------------------
        rmodel = ["count : 1", "target : 1"]
        rate_for_reward = None if spikes else activity
        if rate_for_reward:
            rmodel.append(f"dLam/dt = {rate_for_reward}_pre : 1 (clock-driven)")
            rmodel.append("Esum_post = (Lam - target)**2 : 1 (summed)")
        if record_rate and record_rate != rate_for_reward:
            rmodel.append(f"dexpected/dt = {record_rate}_pre : 1 (clock-driven)")
        on_pre = "E_post += 2 * (count - target) + 1\ncount += 1" if spikes else "count += 1"
        # order -10: integrate the activity before the summed variable (order -1) reads it
        self.readout = Synapses(outputs, self.task, model="\n".join(rmodel), on_pre=on_pre,
                                namespace={f"{name}_target_ta": target_ta}, method="euler", order=-10,
                                name=f"{name}_readout")
        self.readout.connect(i=np.arange(n_out), j=np.zeros(n_out, dtype=int))
        reset = ["count = 0", f"target = {name}_target_ta(t, i)"]
        if rate_for_reward:
            reset.insert(1, "Lam = 0")
        if record_rate and record_rate != rate_for_reward:
            reset.insert(1, "expected = 0")
        self.readout.run_regularly("\n".join(reset), dt=T, when="start", order=ORDER_READOUT_RESET,
                                   name=f"{name}_readout_reset")
        self._record_rate = record_rate
        self._rate_var = "Lam" if record_rate and record_rate == rate_for_reward else (
            "expected" if record_rate else None)
        self.objects = [self.task, self.readout]
        self._monitors = None

    # ------------------------------------------------------------------ wiring helpers
    def modulators(self, *signals):
        """``{"R": (task, "R"), ...}`` for ``connect(..., modulators=...)``; default ``R`` and ``Rbar``."""
        signals = signals or ("R", "Rbar")
        for s in signals:
            if s not in ("R", "Rbar", "P"):
                raise ValueError(f"RewardCircuit.modulators: unknown signal {s!r}; choose among 'R', 'Rbar', 'P'")
        return {s: (self.task, s) for s in signals}

    def link(self, group, variable="P", as_name=None):
        """Link ``group.as_name`` (declared ``as_name : 1 (linked)``) to the task variable ``variable``."""
        as_name = as_name or variable
        eqs = getattr(group, "equations", None)
        if eqs is None or as_name not in eqs.names:
            raise ValueError(f"RewardCircuit.link: group '{group.name}' must declare '{as_name} : 1 (linked)'")
        setattr(group, as_name, linked_var(self.task, variable, index=np.zeros(group.N, dtype=int)))

    def to_modulator(self, modulator, variable="d", gain=1.0, delay=None, signal="rpe", name=None):
        """Deliver the trial's reward prediction error into a neuromodulator at trial end (after ``delay``).

        ``signal="rpe"`` adds ``gain*(R - Rbar)``, ``"reward"`` adds ``gain*R``. Returns the
        ``Synapses`` (add it to the network). Use it to drive :func:`da_stdp` from a trial task.
        """
        var = _identifier("to_modulator: variable", variable)
        if var not in modulator.variables:
            raise ValueError(f"to_modulator: group '{modulator.name}' has no variable '{var}'")
        if signal not in ("rpe", "reward"):
            raise ValueError(f"to_modulator: signal must be 'rpe' or 'reward', got {signal!r}")
        expr = "(R_pre - Rbar_pre)" if signal == "rpe" else "R_pre"
        S = Synapses(self.task, modulator, on_pre=f"{var}_post += gain_rw * {expr}", namespace={"gain_rw": gain},
                     name=name or f"{self.name}_to_{modulator.name}")
        S.connect()
        if delay is not None:
            S.delay = delay
        return S

    def record(self):
        """Monitors of every trial: the task's reward variables and the readout's per-output activity.

        Returns the list of monitors (add them to the network); read the results with
        :meth:`results` after the run.
        """
        T = self.schedule.duration
        task_mon = StateMonitor(self.task, ["R", "Rbar", "err", "last_stim", "last_P"], record=True, dt=T,
                                when="start", order=ORDER_RECORD_REWARD, name=f"{self.name}_rec_task")
        rvars = ["count", "target"] + ([self._rate_var] if self._rate_var else [])
        readout_mon = StateMonitor(self.readout, rvars, record=True, dt=T, when="start", order=ORDER_RECORD,
                                   name=f"{self.name}_rec_readout")
        self._monitors = (task_mon, readout_mon)
        return [task_mon, readout_mon]

    def results(self):
        """Per-trial arrays (one row per completed trial) from the monitors of :meth:`record`.

        Keys: ``R``, ``Rbar``, ``err``, ``stimulus``, ``perturbed`` (n_trials,), ``count``,
        ``target`` and, with a rate, ``expected`` (n_trials, n_outputs).
        """
        if self._monitors is None:
            raise ValueError("RewardCircuit.results: call record() and add its monitors to the network first")
        task_mon, readout_mon = self._monitors
        # sample k is taken at t = kT: it describes trial k-1; sample 0 is the initial state
        n = min(len(task_mon.t), self.schedule.n_trials + 1)
        out = {
            "R": np.array(task_mon.R[0][1:n]),
            "Rbar": np.array(task_mon.Rbar[0][1:n]),
            "err": np.array(task_mon.err[0][1:n]),
            "stimulus": np.array(task_mon.last_stim[0][1:n]).astype(int),
            "perturbed": np.array(task_mon.last_P[0][1:n]),
            "count": np.array(readout_mon.count[:, 1:n]).T,
            "target": np.array(readout_mon.target[:, 1:n]).T,
        }
        if self._rate_var:
            out["expected"] = np.array(getattr(readout_mon, self._rate_var)[:, 1:n]).T
        return out
