"""Small spiking networks that learn from a scalar reward, trial by trial.

Inputs drive escape-noise output neurons (Gerstner & Kistler 2002, ch. 5.3): each output
neuron integrates its input spikes into a membrane potential

    u_i(t) = sum_j w_ij x_j(t),   dx_j/dt = -x_j/tau_m, x_j += jump at each spike of input j

(the synapse adds ``w*jump`` to ``u``, which decays with tau_m), plus an optional
perturbation ``noise`` (node perturbation), and fires at random with intensity

    rho_i(t) = rho0 * softplus((u_i + noise_i - theta)/delta)

(in each step of length dt it spikes with probability rho*dt; no reset, so given u the
spike train is an inhomogeneous Poisson process). Its expected spike count in a trial
is Lambda_i = integral of rho_i over the trial, a smooth function of the weights.

Two tasks:

* :func:`build_two_stimulus` -- the Frémaux, Sprekeler & Gerstner (2010) task of
  Check R2 (docs/validation.md): 100 inputs, two random binary patterns (50 % active, active inputs fire
  Poisson spikes), one output neuron per learning condition; target counts 10 (pattern
  A) and 2 (pattern B) in a 500-ms trial; reward R = exp(-(y - y*)^2/18) from the
  actual spike count y.
* :func:`build_pattern_task` -- frozen input spike patterns (each stimulus is one fixed
  spike pattern, after a silent gap) mapped to target spike counts of several output
  neurons; every trial starts from rest (potentials and presynaptic traces cleared), so
  that a trial's outcome depends only on the stimulus, the weights and the perturbation;
  used by the perturbation rules and REINFORCE.

Everything, including the reward and its baseline, is Brian2 code
(:class:`snnlearn.modulators.RewardCircuit`), so a training of thousands of trials
compiles into one ``cpp_standalone`` program.
"""

import numpy as np
from brian2 import Hz, NeuronGroup, SpikeGeneratorGroup, TimedArray, ms, second

import snnlearn as sl
from snnlearn.modulators import RewardCircuit, TrialSchedule

__all__ = ["Escape", "post_first", "escape_outputs", "frozen_patterns", "pattern_input", "build_pattern_task",
           "build_two_stimulus", "RULES"]

#: Learning rules of :func:`build_pattern_task`.
RULES = ("node_perturbation", "weight_perturbation", "serial_perturbation", "reinforce")


class Escape:
    """Escape-noise output neuron: PSP decay ``tau_m``, intensity rho0*softplus((u - theta)/delta)."""

    def __init__(self, tau_m=20 * ms, rho0=10 * Hz, theta=2.0, delta=1.0):
        if not float(tau_m) > 0 or not float(rho0) > 0 or not float(delta) > 0:
            raise ValueError(f"Escape: tau_m, rho0 and delta must be positive, got {tau_m!r}, {rho0!r}, {delta!r}")
        self.tau_m, self.rho0, self.theta, self.delta = tau_m, rho0, float(theta), float(delta)

    def __repr__(self):
        return f"Escape(tau_m={self.tau_m!r}, rho0={self.rho0!r}, theta={self.theta}, delta={self.delta})"


ESCAPE_EQS = """
du/dt = -u / tau_m : 1
uu = (u + noise - theta) / delta : 1
rho = rho0 * log(1 + exp(uu)) : Hz
gain = 1 / ((1 + exp(-uu)) * log(1 + exp(uu)) * delta) : 1
tau_m : second (shared, constant)
rho0 : Hz (shared, constant)
theta : 1 (shared, constant)
delta : 1 (shared, constant)
"""


def escape_outputs(n, params=None, noise=None, sigma=0.0, tau_noise=5 * ms, noise_table=None, uniform="rand()",
                   namespace=None, name="outputs", dt=None):
    """A group of ``n`` escape-noise neurons (see the module docstring).

    noise : None (no perturbation), ``"ou"`` (an Ornstein-Uhlenbeck process of standard
        deviation ``sigma`` and time constant ``tau_noise``, drawn with Brian2's random
        numbers) or ``"table"``: frozen noise, ``sigma`` times the unit-variance values of
        the 2-D ``TimedArray`` ``noise_table`` (time bin, neuron), piecewise constant in
        bins of ``noise_table``'s dt (the same numbers on every back-end). Either way
        the perturbation is multiplied by the gate ``P``, a linked variable: link it to
        the reward circuit's ``P`` with :meth:`RewardCircuit.link`, so that it is exactly
        0 on unperturbed passes. ``noise`` is a plain variable, refreshed from the process
        at the start of every step (for "ou") or of every bin (for "table").
    uniform : expression for the uniform random number of the spike draw
        (``"rand()"`` or a frozen ``TimedArray`` call such as ``"spike_u(t, i)"``, the
        table given in ``namespace``).

    The parameters are shared constants of the group (so that synapses can read the
    subexpressions ``rho`` and ``gain``). Variables: ``u``, ``noise``, ``rho`` (Hz),
    ``gain`` (rho'/rho, for :func:`snnlearn.rules.reinforce`).
    """
    params = params or Escape()
    eqs = ESCAPE_EQS
    # Euler everywhere, so that networks with and without noise integrate u identically
    # (the rules' presynaptic traces are Euler-integrated too)
    method = "euler"
    if noise is None:
        eqs += "noise : 1 (constant)\n"
    elif noise == "ou":
        # named tau_ou, not tau_noise: synapses see their target's variables unsuffixed, and the
        # node-perturbation rule has its own parameter tau_noise (same value; Brian2 would warn)
        eqs += "dz/dt = -z / tau_ou + sqrt(2 / tau_ou) * xi : 1\n"
        eqs += ("noise : 1\nP : 1 (linked)\nsigma_noise : 1 (shared, constant)\n"
                "tau_ou : second (shared, constant)\n")
    elif noise == "table":
        if not isinstance(noise_table, TimedArray):
            raise ValueError("escape_outputs: noise='table' needs noise_table, a 2-D TimedArray (time bin, neuron)")
        eqs += "noise : 1\nP : 1 (linked)\nsigma_noise : 1 (shared, constant)\n"
    else:
        raise ValueError(f"escape_outputs: noise must be None, 'ou' or 'table', got {noise!r}")
    kwargs = {} if dt is None else {"dt": dt}
    ns = dict(namespace or {})
    if noise == "table":
        ns[noise_table.name] = noise_table
    G = NeuronGroup(n, eqs, threshold=f"{uniform} < rho * dt", reset="", method=method, namespace=ns, name=name,
                    **kwargs)
    G.tau_m, G.rho0, G.theta, G.delta = params.tau_m, params.rho0, params.theta, params.delta
    if noise is not None:
        G.sigma_noise = sigma
    if noise == "ou":
        G.tau_ou = tau_noise
        G.z = "randn()"
        # a plain variable (not a subexpression), so that synapses can read it and rho
        G.run_regularly("noise = sigma_noise * P * z", when="before_groups", name=f"{name}_noise")
    if noise == "table":
        # after the reward circuit has set the trial's gate P (order -20)
        G.run_regularly(f"noise = sigma_noise * P * {noise_table.name}(t, i)", dt=noise_table.dt * second,
                        when="start", order=-15, name=f"{name}_noise")
    return G


def frozen_patterns(n_inputs, n_stimuli, window, rate, rng, dt=0.1 * ms):
    """One fixed Poisson spike pattern per stimulus: a list of (indices, times) within ``[0, window)``.

    Times are on the ``dt`` grid, at most one spike per input and step.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"frozen_patterns: rng must be a numpy.random.Generator, got {type(rng).__name__}")
    steps = int(round(float(window / dt)))
    p = float(rate * dt)
    out = []
    for _ in range(n_stimuli):
        spikes = rng.random((steps, n_inputs)) < p
        t_idx, i_idx = np.nonzero(spikes)
        out.append((i_idx.astype(np.int32), t_idx * dt))
    return out


def pattern_input(patterns, schedule, offset, n_inputs, dt=0.1 * ms, name="pattern_input"):
    """A ``SpikeGeneratorGroup`` replaying stimulus ``schedule.stimuli[k]``'s pattern in trial k, ``offset`` after its start."""
    T = float(schedule.duration / second)
    off = float(offset / second)
    idx, times = [], []
    for k, s in enumerate(schedule.stimuli):
        i, t = patterns[int(s)]
        idx.append(i)
        times.append(k * T + off + np.asarray(t / second))
    idx = np.concatenate(idx) if idx else np.array([], int)
    times = np.concatenate(times) if times else np.array([])
    return SpikeGeneratorGroup(n_inputs, idx, times * second, dt=dt, name=name)


def task_rule(kind, update_dt, params, tau_x):
    """The catalog rule ``kind`` of a pattern-task learner (one update per trial of length ``update_dt``;
    ``tau_x``: the presynaptic trace's time constant, the outputs' membrane time constant)."""
    p = dict(params)
    if kind == "node_perturbation":
        return sl.rules.node_perturbation(update_dt=update_dt, tau_x=tau_x, **p)
    if kind == "weight_perturbation":
        return sl.rules.weight_perturbation(update_dt=update_dt, **p)
    if kind == "serial_perturbation":
        return sl.rules.serial_perturbation(update_dt=update_dt, **p)
    if kind == "reinforce":
        return sl.rules.reinforce(update_dt=update_dt, tau_x=tau_x, gain="gain", **p)
    raise ValueError(f"unknown rule {kind!r}; choose one of {RULES}")


def build_pattern_task(kind, patterns, schedule, targets, w0, rule_params, offset=50 * ms, escape=None,
                       jump=1.0, noise="ou", sigma_noise=0.0, tau_noise=5 * ms, noise_table=None,
                       uniform="rand()", uniform_namespace=None, activity=None, baseline=None, alpha=0.05, name="learner",
                       dt=0.1 * ms, variable_params=()):
    """One learner of the pattern task: inputs -> escape outputs, trained by ``kind`` (one of :data:`RULES`).

    ``w0`` has shape (n_outputs, n_inputs). The reward is ``R = -MSE`` of the outputs'
    activity against ``targets`` (n_stimuli, n_outputs): the expected counts (``"rho"``)
    for the perturbation rules, which then see a smooth, noise-free objective, and the
    actual spike counts (``"spikes"``) for REINFORCE, whose exploration is its own
    spiking noise. Baselines default to the paired unperturbed pass for the
    perturbation rules and to a per-stimulus running mean for REINFORCE.
    ``variable_params``: rule parameters made shared variables of the synapses (e.g.
    ``("eta",)``), so that a compiled program can be rerun with other values (``run_args``).

    Returns a dict with ``objects`` (add them all to the Network), ``inputs``,
    ``outputs``, ``synapses`` (weight k = (input i, output j) has index i*n_out + j),
    ``circuit`` and ``rule``.
    """
    n_out, n_in = np.shape(w0)
    escape = escape or Escape()
    activity = activity or ("spikes" if kind == "reinforce" else "rho")
    baseline = baseline or ("per_stimulus" if kind == "reinforce" else "paired")
    inputs = pattern_input(patterns, schedule, offset, n_in, dt=dt, name=f"{name}_inputs")
    use_noise = noise if kind == "node_perturbation" else None
    outputs = escape_outputs(n_out, escape, noise=use_noise, sigma=sigma_noise, tau_noise=tau_noise,
                             noise_table=noise_table, uniform=uniform, namespace=uniform_namespace,
                             name=f"{name}_outputs", dt=dt)
    circuit = RewardCircuit(outputs, schedule, targets, activity=activity, reward="mse", baseline=baseline,
                            alpha=alpha, record_rate="rho", name=f"{name}_task")
    if use_noise is not None:
        circuit.link(outputs, "P")
    rule = task_rule(kind, schedule.duration, rule_params, escape.tau_m)
    signals = ("R", "Rbar", "P") if "P" in rule.modulators else ("R", "Rbar")
    transmit = f"u_post += {jump} * (w + psi)" if kind in ("weight_perturbation", "serial_perturbation") \
        else f"u_post += {jump} * w"
    pre = np.repeat(np.arange(n_in), n_out)
    post = np.tile(np.arange(n_out), n_in)
    S = sl.connect(inputs, outputs, rule, transmit=transmit, connect={"i": pre, "j": post},
                   w=np.asarray(w0, dtype=float).T.ravel(), modulators=circuit.modulators(*signals), dt=dt,
                   name=f"{name}_synapses", variable_params=variable_params)
    post_first(S)
    # every trial starts from rest: potentials and the rules' presynaptic traces are cleared at the
    # trial boundary (before the readout and the rules act, order -25), so that a pass does not depend on
    # the previous one and the paired baseline pass sees exactly the same input as the perturbed pass
    outputs.run_regularly("u = 0", dt=schedule.duration, when="start", order=-25, name=f"{name}_rest")
    if "x" in rule.variables:
        S.run_regularly("x = 0", dt=schedule.duration, when="start", order=-25, name=f"{name}_trace_rest")
    return {"objects": [inputs, outputs, S, *circuit.objects], "inputs": inputs, "outputs": outputs, "synapses": S,
            "circuit": circuit, "rule": rule}


def post_first(S):
    """A step's output spike was drawn before that step's input arrived: process the post pathway
    (when the rule has one) before the pre pathway."""
    for pathway in S._pathways:
        if pathway.prepost == "post":
            pathway.order = -2


def build_two_stimulus(conditions, schedule, n_inputs=100, rate_on=50 * Hz, rng=None, w0=0.1, escape=None,
                       targets=(10.0, 2.0), sigma_reward=3.0, alpha=0.05, dt=1 * ms, variable_params=()):
    """The Frémaux et al. (2010) two-stimulus task; one output neuron per learning condition.

    conditions : list of (label, rule, baseline[, plasticity]): ``rule`` a
        :class:`snnlearn.Rule` reading ``R`` (and ``Rbar`` when it subtracts a baseline),
        ``baseline`` the :class:`RewardCircuit` mode that computes ``Rbar`` (``"none"``,
        ``"global"``, ``"per_stimulus"``), ``plasticity`` the learning switch (default 1;
        0 gives a frozen reference with the initial weights). ``label`` names the Brian2
        objects, so it must be an identifier.

    The inputs are shared by all conditions: 100 neurons; in a trial showing stimulus s
    the inputs of pattern s fire Poisson spikes at ``rate_on``, the others are silent.
    Each spike adds ``w/(rate_on*tau_m)`` to u, so that the mean of u is w.x as in the
    rate toy (lambda = 5 softplus(w.x - 2) for a 500-ms trial with rho0 = 10 Hz).

    ``variable_params``: rule parameters made shared variables of every condition's synapses (e.g.
    ``("eta",)``), so that a compiled program can be rerun with other values (``run_args``).

    Returns a dict: ``objects``, ``inputs``, ``patterns`` (2, n_inputs) 0/1,
    ``outputs``, ``synapses`` and ``circuits`` (lists, one per condition).
    """
    rng = rng or np.random.default_rng(0)
    escape = escape or Escape()
    patterns = np.zeros((2, n_inputs))
    for s in range(2):
        patterns[s, rng.choice(n_inputs, n_inputs // 2, replace=False)] = 1.0
    active = patterns[schedule.stimuli]  # (n_trials, n_inputs)
    act_ta = TimedArray(active, dt=schedule.duration, name="stim_active")
    inputs = NeuronGroup(n_inputs, "rate = rate_on * stim_active(t, i) : Hz", threshold="rand() < rate * dt",
                         reset="", namespace={"rate_on": rate_on, "stim_active": act_ta}, name="inputs", dt=dt)
    jump = float(1 / (rate_on * escape.tau_m))
    objects = [inputs]
    outputs, synapses, circuits = [], [], []
    tg = np.asarray(targets, dtype=float).reshape(2, 1)
    for k, cond in enumerate(conditions):
        label, rule, baseline = cond[:3]
        plasticity = float(cond[3]) if len(cond) > 3 else 1.0
        out = escape_outputs(1, escape, name=f"out_{label}", dt=dt)
        circuit = RewardCircuit(out, schedule, tg, activity="spikes", reward="gaussian", sigma=sigma_reward,
                                baseline=baseline, alpha=alpha, record_rate="rho", name=f"task_{label}")
        S = sl.connect(inputs, out, rule, transmit=f"u_post += {jump} * w", connect=True, w=w0,
                       modulators=circuit.modulators(*[m for m in ("R", "Rbar") if m in rule.modulators]), dt=dt,
                       name=f"syn_{label}", plasticity=plasticity, variable_params=variable_params)
        post_first(S)
        objects += [out, S, *circuit.objects]
        outputs.append(out)
        synapses.append(S)
        circuits.append(circuit)
    return {"objects": objects, "inputs": inputs, "patterns": patterns, "outputs": outputs, "synapses": synapses,
            "circuits": circuits}
