"""Learning target spike counts from a scalar reward: node, weight and serial perturbation and REINFORCE in one spiking network.

A small spiking network (``models/reward_tasks.py``): ``n_inputs`` inputs replay one
frozen spike pattern per stimulus (after a silent gap, so that every trial starts from
rest) into ``n_outputs`` escape-noise output neurons; each output should fire a target
number of spikes for each stimulus. At the end of each trial the reward R = -MSE of the
outputs' activity against the targets is computed in the simulation, and one learner per
rule, side by side, updates its weights:

* ``node_perturbation`` (Fiete & Seung 2006): Ornstein-Uhlenbeck noise on each output's
  potential; eligibility = noise x presynaptic trace;
* ``weight_perturbation``: all weights perturbed at once (Gaussian, ``sigma_weight``);
* ``serial_perturbation``: one weight per trial, +-``sigma_weight``;
* ``reinforce``: no injected noise; the outputs' own spikes are the exploration
  (eligibility = (spike - rate) x PSP trace x escape gain).

The three perturbation rules compare a perturbed pass with an unperturbed baseline pass
of the same stimulus (Werfel et al.'s E(0)) and are rewarded for the expected spike
counts (the integral of the escape rate, a smooth function of the weights); REINFORCE is
rewarded for the actual spike counts, with a per-stimulus running-mean baseline, and
learns on every pass. All learners get the same number of forward passes (2 per update
for the perturbation rules, 1 for REINFORCE). A frozen copy gives the initial error.

The four learning rates are declared ``runtime=True``: they reach the compiled program as values
(each rule's ``eta`` is a shared variable of its synapses), so a sweep over them at one seed
reruns one compiled program. The seed draws the patterns, targets, initial weights and trial
order, which are compiled in: another seed builds its own program (in the same cached project).

Measured: the error |Lambda - y*| (expected count against target, averaged over outputs)
of the unperturbed network, learning curves against forward passes, and the final error
relative to the initial error (``error_ratio``), per rule.
"""

import numpy as np
from brian2 import Hz, Network, ms, second

from snnlearn.models.reward_tasks import RULES, Escape, build_pattern_task, frozen_patterns, task_rule
from snnlearn.modulators import TrialSchedule
from snnlearn.params import Param

PARAMS = {
    "n_inputs": Param(10, low=1, doc="input neurons, each replaying a frozen Poisson pattern per stimulus"),
    "n_outputs": Param(2, low=1, doc="escape-noise output neurons, each with its own target counts"),
    "n_stimuli": Param(2, low=1, doc="frozen input patterns (stimuli), drawn at random each trial"),
    "n_passes": Param(2000, low=20, doc="forward passes (trials) per learner (even: perturbation rules use pairs)"),
    "gap": Param(50 * ms, low=0 * ms, strict=True, doc="silent start of each trial (every trial starts from rest)"),
    "stimulus_window": Param(200 * ms, low=0 * ms, strict=True, doc="frozen input pattern after the gap"),
    "input_rate": Param(20 * Hz, low=0 * Hz, doc="rate of the frozen Poisson patterns"),
    "rho0": Param(20 * Hz, low=0 * Hz, strict=True, doc="escape rate scale: rho = rho0 * softplus(u - 2)"),
    "target_min": Param(1.0, low=0.0, strict=True,
                        doc="targets uniform in [target_min, target_max] expected spikes per trial"),
    "target_max": Param(6.0, low=0.0, strict=True, doc="largest target, expected spikes per trial"),
    "w0_min": Param(0.1, doc="initial weights uniform in [w0_min, w0_max] (units of u per input spike)"),
    "w0_max": Param(0.4, doc="largest initial weight"),
    "w_bound": Param(1.0, low=0.0, strict=True, doc="weights are clipped to [-w_bound, w_bound]"),
    # learning rates calibrated on seeds 1-3 (3000 passes; stable, error ratio <= 0.2 at the end)
    "eta_node": Param(0.01, low=0.0, runtime=True, doc="node perturbation (Fiete & Seung 2006): learning rate"),
    "eta_weight": Param(0.003, low=0.0, runtime=True, doc="weight perturbation: learning rate"),
    "eta_serial": Param(0.002, low=0.0, runtime=True, doc="serial perturbation: learning rate"),
    "eta_reinforce": Param(0.003, low=0.0, runtime=True, doc="REINFORCE (Williams 1992): learning rate"),
    "sigma_node": Param(0.5, low=0.0, strict=True,
                        doc="node perturbation: noise standard deviation (units of u; threshold 2)"),
    "tau_noise": Param(5 * ms, low=0 * ms, strict=True, doc="node perturbation: noise correlation time"),
    "sigma_weight": Param(0.02, low=0.0, strict=True, doc="weight / serial perturbation size (units of w)"),
    "final_window": Param(0.1, low=0.0, strict=True, high=0.5, strict_high=True,
                          doc="fraction of the run over which the final error is averaged"),
    "dt": Param(0.5 * ms, low=0 * ms, strict=True, doc="simulation time step"),
}

QUICK = {"n_passes": 400}

LEARNERS = RULES + ("frozen",)
ESCAPE_TAU_M = 20 * ms  # the outputs' membrane time constant (and the presynaptic traces')


def _rule_params(p, kind):
    bounds = {"wmin": -float(p.w_bound), "wmax": float(p.w_bound)}
    if kind == "node_perturbation":
        return dict(bounds, eta=p.eta_node, sigma=p.sigma_node, tau_noise=p.tau_noise)
    if kind == "weight_perturbation":
        return dict(bounds, eta=p.eta_weight, sigma=p.sigma_weight)
    if kind == "serial_perturbation":
        return dict(bounds, eta=p.eta_serial, sigma=p.sigma_weight)
    return dict(bounds, eta=p.eta_reinforce)


def task(p, rng):
    """Patterns, targets (n_stimuli, n_outputs) and initial weights (n_outputs, n_inputs) drawn by ``rng``."""
    patterns = frozen_patterns(int(p.n_inputs), int(p.n_stimuli), p.stimulus_window, p.input_rate, rng, dt=p.dt)
    targets = rng.uniform(p.target_min, p.target_max, size=(int(p.n_stimuli), int(p.n_outputs)))
    w0 = rng.uniform(p.w0_min, p.w0_max, size=(int(p.n_outputs), int(p.n_inputs)))
    return patterns, targets, w0


def validate(p):
    """Refuse a combination of values in one line (the runner calls this before the run directory exists)."""
    if int(p.n_passes) % 2:
        raise ValueError(f"n_passes must be even (perturbation rules use baseline + perturbed pairs), got {p.n_passes}")
    if not p.target_max > p.target_min:
        raise ValueError(f"need target_min < target_max, got {p.target_min}, {p.target_max}")


def learning_rule(p, name):
    """The catalog rule of learner ``name`` at the parameters ``p`` (one update per trial)."""
    kind = "reinforce" if name == "frozen" else name
    return task_rule(kind, p.gap + p.stimulus_window, _rule_params(p, kind), ESCAPE_TAU_M)


def simulate(p, ctx):
    """Every learner side by side in one compiled program; the learning rates reach it as values, so a sweep
    over them at one seed compiles once (the seed draws the patterns, targets and trial order, compiled in)."""
    validate(p)
    rng = np.random.default_rng(ctx.seed)
    patterns, targets, w0 = task(p, rng)
    escape = Escape(tau_m=ESCAPE_TAU_M, rho0=p.rho0, theta=2.0, delta=1.0)
    T = p.gap + p.stimulus_window
    n = int(p.n_passes)
    for name in RULES:
        ctx.record_rule(learning_rule(p, name), f"inputs -> outputs ({name})")

    def build(ctx):
        learners, objects = {}, []
        for k, name in enumerate(LEARNERS):
            kind = "reinforce" if name == "frozen" else name
            schedule = TrialSchedule.random(n, int(p.n_stimuli), T, np.random.default_rng([ctx.seed, k]),
                                            paired=kind != "reinforce")
            m = build_pattern_task(kind, patterns, schedule, targets, w0, _rule_params(p, kind), offset=p.gap,
                                   escape=escape, noise="ou", sigma_noise=p.sigma_node, tau_noise=p.tau_noise,
                                   name=f"{name[:6]}{k}", dt=p.dt, variable_params=("eta",))
            if name == "frozen":
                m["synapses"].plasticity = 0
            objects += m["objects"] + m["circuit"].record()
            learners[name] = m
        ctx.log(f"{len(LEARNERS)} learners, {p.n_inputs} inputs x {p.n_outputs} outputs, {n} passes of {T}")
        ctx.plan(n * T + p.dt)
        ctx.run(Network(*objects), n * T + p.dt, report_period=10 * second)
        return learners

    def run_args(learners):
        return {learners[name]["synapses"].eta: learning_rule(p, name).params["eta"] for name in RULES}

    def collect(learners):
        data = {"targets": targets, "w0": w0}
        for name, m in learners.items():
            r = m["circuit"].results()
            data[f"error_{name}"] = np.abs(r["expected"] - r["target"]).mean(axis=1)
            data[f"perturbed_{name}"] = r["perturbed"]
            data[f"stimulus_{name}"] = r["stimulus"]
            data[f"expected_{name}"] = r["expected"]
            data[f"w_{name}"] = np.array(m["synapses"].w[:]).reshape(int(p.n_inputs), int(p.n_outputs)).T
        return data

    return ctx.program(build, run_args, collect, seed_is_structure=True)


def measure(data, p):
    initial = float(data["error_frozen"].mean())
    frac = float(p.final_window)
    out = {"initial_error": initial, "final_error": {}, "error_ratio": {}, "passes_to_half": {},
           "n_passes": int(p.n_passes)}
    for name in RULES:
        err = data[f"error_{name}"]
        passes = np.arange(1, err.size + 1)
        # the unperturbed network: baseline passes of the perturbation rules, every pass of REINFORCE
        clean = data[f"perturbed_{name}"] == 0 if name != "reinforce" else np.ones(err.size, bool)
        e, x = err[clean], passes[clean]
        k = max(1, int(round(frac * e.size)))
        out["final_error"][name] = float(e[-k:].mean())
        out["error_ratio"][name] = float(e[-k:].mean() / initial)
        # first pass after which a running mean over 5 % of the run stays below half the initial error
        w = max(1, e.size // 20)
        smooth = np.convolve(e, np.ones(w) / w, mode="valid")
        below = np.flatnonzero(smooth <= 0.5 * initial)
        out["passes_to_half"][name] = int(x[below[0] + w - 1]) if below.size else None
    return out


def summary(metrics, p):
    return "final/initial error: " + ", ".join(f"{k} {v:.2f}" for k, v in metrics["error_ratio"].items())


def plot(data, metrics, p):
    import matplotlib.pyplot as plt

    figs = {}
    colours = {"node_perturbation": "tab:green", "weight_perturbation": "tab:orange",
               "serial_perturbation": "tab:purple", "reinforce": "tab:blue", "frozen": "0.5"}
    fig, ax = plt.subplots(figsize=(6.6, 4))
    for name in LEARNERS:
        err = data[f"error_{name}"]
        passes = np.arange(1, err.size + 1)
        clean = data[f"perturbed_{name}"] == 0 if name not in ("reinforce", "frozen") else np.ones(err.size, bool)
        e, x = err[clean], passes[clean]
        w = max(1, e.size // 50)
        nb = e.size // w
        ax.plot(x[: nb * w].reshape(nb, w).mean(axis=1), e[: nb * w].reshape(nb, w).mean(axis=1),
                color=colours[name], label=name.replace("_", " "))
    ax.axhline(0.5 * metrics["initial_error"], color="0.4", lw=0.8, ls=":", label="half the initial error")
    ax.set_yscale("log")
    ax.set_xlabel("forward passes (trials)")
    ax.set_ylabel(r"error $|\Lambda - y^*|$ (spikes per output)")
    ax.set_title(f"{p.n_inputs} inputs -> {p.n_outputs} spiking outputs, {p.n_stimuli} stimuli", fontsize="medium")
    ax.legend(fontsize="small")
    fig.tight_layout()
    figs["learning_curves"] = fig

    fig, ax = plt.subplots(figsize=(4.6, 4))
    tg = np.asarray(data["targets"]).ravel()
    lim = [0, max(tg.max(), 1) * 1.4]
    ax.plot(lim, lim, color="0.6", lw=0.8, ls="--")
    for name in LEARNERS:
        ex, st = data[f"expected_{name}"], data[f"stimulus_{name}"]
        clean = data[f"perturbed_{name}"] == 0 if name not in ("reinforce", "frozen") else np.ones(len(st), bool)
        k = max(1, int(0.1 * clean.sum()))
        idx = np.flatnonzero(clean)[-k:]
        final = np.array([[ex[idx][st[idx] == s].mean(axis=0)] for s in range(int(p.n_stimuli))]).reshape(-1)
        ax.plot(tg, final, "o", color=colours[name], label=name.replace("_", " "), ms=5, alpha=0.8)
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_xlabel("target count (spikes)")
    ax.set_ylabel(r"learned expected count $\Lambda$")
    ax.set_title("Outputs x stimuli at the end of learning", fontsize="medium")
    ax.legend(fontsize="x-small")
    fig.tight_layout()
    figs["targets_vs_learned"] = fig
    return figs


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("perturbation_learning")
