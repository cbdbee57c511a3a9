"""Reward-modulated STDP needs the expected reward subtracted, per stimulus (Frémaux, Sprekeler & Gerstner 2010).

The two-stimulus task of check R2 in docs/validation.md, spiking version
(``models/reward_tasks.py``): 100 inputs, two random binary patterns (50 % active;
active inputs fire 50-Hz Poisson spikes during a 500-ms trial), one escape-noise output
neuron whose spike count should be 10 for pattern A and 2 for pattern B. The reward at
the end of each trial is R = exp(-(y - y*)^2 / 18) for the actual count y, computed in
the simulation (``snnlearn.modulators.RewardCircuit``). Five output neurons learn side
by side from the same input spikes:

* ``raw``: reward-modulated STDP (``reward_stdp``, causal pairs, eligibility summed over
  the trial) with the raw reward R;
* ``global_baseline``: the same rule with R - <R>, <R> one running mean over all trials;
* ``per_stimulus_critic``: R - <R>_s, a running mean per stimulus (a critic);
* ``reinforce``: the policy-gradient rule (``reinforce``: (spike - rate) x PSP trace,
  with the escape-noise gain) with R - <R>;
* ``frozen``: no learning; its error is the initial error.

Measured: the error |Lambda - y*| (Lambda the expected spike count, the integral of the
neuron's escape rate over the trial) over the last trials, divided by the frozen
network's error. Frémaux et al.: without a stimulus-specific baseline the unsupervised
STDP term dominates (raw reward: runaway; global baseline: no learning); with a critic,
or with a rule whose eligibility has zero mean (REINFORCE), the network learns.
"""

import numpy as np
from brian2 import Hz, ms, second

import snnlearn as sl
from snnlearn.models.reward_tasks import Escape, build_two_stimulus
from snnlearn.modulators import TrialSchedule
from snnlearn.params import Param

PARAMS = {
    "n_trials": Param(3000, low=1, doc="training trials (each trial_duration long, one of the two patterns)"),
    "trial_duration": Param(500 * ms, low=0 * ms, strict=True,
                            doc="length of one trial (Frémaux et al. 2010: 500 ms)"),
    "eta": Param(0.002, low=0.0, runtime=True,
                 doc="learning rate of every learning condition (per trial, per unit eligibility and reward)"),
    "eta_rstdp_scale": Param(1.0, low=0.0, runtime=True, doc="the R-STDP conditions learn with eta_rstdp_scale x eta "
                                                "(REINFORCE with eta)"),
    "Ap": Param(1.0, low=0.0, doc="R-STDP: eligibility per pre-before-post pair at zero lag"),
    "Am": Param(0.0, low=0.0, doc="R-STDP: eligibility removed per post-before-pre pair"),
    "tau_e": Param(5 * second, low=0 * ms, strict=True,
                   doc="R-STDP eligibility time constant (cleared after each trial's update)"),
    "alpha": Param(0.05, low=0.0, high=1.0, doc="rate of the running-mean reward baselines (per trial)"),
    "rate_on": Param(50 * Hz, low=0 * Hz, doc="Poisson rate of the active inputs (half of the 100 inputs per pattern)"),
    "w0": Param(0.1, low=-1.0, high=1.0, doc="initial weights (the rules keep weights in [-1, 1])"),
    "targets": Param([10.0, 2.0], low=0.0, min_len=2, max_len=2, doc="target spike counts for patterns A and B"),
    "sigma_reward": Param(3.0, low=0.0, strict=True,
                          doc="width of the reward R = exp(-(y - y*)^2 / (2 sigma_reward^2)), in spikes"),
    "final_window": Param(500, low=1, doc="trials over which the final error is averaged"),
    "curve_block": Param(50, low=1, doc="trials per point of the learning curves"),
    "rho0": Param(10 * Hz, low=0 * Hz, strict=True,
                  doc="escape neuron: rate scale, rho = rho0 softplus((u - theta)/delta)"),
    "theta": Param(2.0, doc="escape neuron: soft threshold (the mean of u is w.x)"),
    "delta": Param(1.0, low=0.0, strict=True,
                   doc="escape neuron: width of the soft threshold (smaller: spikes follow the input's fluctuations)"),
    "dt": Param(1 * ms, low=0 * ms, strict=True, doc="simulation time step"),
}

QUICK = {"n_trials": 400, "final_window": 100, "curve_block": 20}

CONDITIONS = ("raw", "global_baseline", "per_stimulus_critic", "reinforce", "frozen")
BASELINE_OF = {"raw": "none", "global_baseline": "global", "per_stimulus_critic": "per_stimulus",
               "reinforce": "global", "frozen": "none"}


def rules(p):
    """The rule of each condition (label -> Rule)."""
    common = dict(eta=p.eta, update_dt=p.trial_duration, wmin=-1.0, wmax=1.0)
    rstdp = dict(common, eta=p.eta * p.eta_rstdp_scale, Ap=p.Ap, Am=p.Am, tau_e=p.tau_e, reset=True)
    return {
        "raw": sl.rules.reward_stdp(baseline=False, **rstdp),
        "global_baseline": sl.rules.reward_stdp(baseline=True, **rstdp),
        "per_stimulus_critic": sl.rules.reward_stdp(baseline=True, **rstdp),
        "reinforce": sl.rules.reinforce(tau_x=Escape().tau_m, gain="gain", **common),
        "frozen": sl.rules.reward_stdp(baseline=True, **rstdp),
    }


def validate(p):
    """Refuse a combination of values in one line (the runner calls this before the run directory exists)."""
    if int(p.n_trials) < 2 * int(p.final_window):
        raise ValueError(f"n_trials ({p.n_trials}) must be at least twice final_window ({p.final_window})")
    if float(p.trial_duration / p.dt) % 1 > 1e-9:
        raise ValueError("trial_duration must be a multiple of dt")


def simulate(p, ctx):
    validate(p)
    rng = np.random.default_rng(ctx.seed)
    schedule = TrialSchedule.random(int(p.n_trials), 2, p.trial_duration, rng)
    rs = rules(p)
    for label in CONDITIONS[:-1]:
        ctx.record_rule(rs[label], f"inputs -> output ({label})")
    conds = [(label, rs[label], BASELINE_OF[label], 0.0 if label == "frozen" else 1.0) for label in CONDITIONS]
    escape = Escape(rho0=p.rho0, theta=p.theta, delta=p.delta)

    def build(ctx):
        from brian2 import Network

        m = build_two_stimulus(conds, schedule, rate_on=p.rate_on, rng=rng, w0=p.w0, escape=escape, targets=p.targets,
                               sigma_reward=p.sigma_reward, alpha=p.alpha, dt=p.dt, variable_params=("eta",))
        monitors = []
        for c in m["circuits"]:
            monitors += c.record()
        ctx.log(f"{len(conds)} output neurons x 100 synapses, {p.n_trials} trials of {p.trial_duration}")
        ctx.plan(schedule.run_time(p.dt))
        ctx.run(Network(*m["objects"], *monitors), schedule.run_time(p.dt), report_period=10 * second)
        return m

    def collect(m):
        data = {"stimulus": schedule.stimuli.copy(), "patterns": m["patterns"]}
        for label, c, S in zip(CONDITIONS, m["circuits"], m["synapses"]):
            r = c.results()
            data[f"expected_{label}"] = r["expected"][:, 0]
            data[f"count_{label}"] = r["count"][:, 0]
            data[f"reward_{label}"] = r["R"]
            data[f"w_{label}"] = np.array(S.w[:])
        data["target"] = m["circuits"][0].results()["target"][:, 0]
        return data

    # the learning rates reach the program as values (eta: a shared variable of each condition's synapses); the
    # seed draws the stimulus order and the input patterns, compiled in
    data = ctx.program(build, lambda m: {S.eta: rs[label].params["eta"] for label, S in zip(CONDITIONS, m["synapses"])},
                       collect, seed_is_structure=True)
    return data


def measure(data, p):
    win = int(p.final_window)
    err = {label: np.abs(data[f"expected_{label}"] - data["target"]) for label in CONDITIONS}
    initial = float(err["frozen"].mean())
    final = {label: float(e[-win:].mean()) for label, e in err.items()}
    out = {
        "initial_error": initial,
        "final_error": {k: final[k] for k in CONDITIONS[:-1]},
        "error_ratio": {k: final[k] / initial for k in CONDITIONS[:-1]},
        "final_expected_count": {},
        "targets": [float(x) for x in p.targets],
        "n_trials": int(p.n_trials),
    }
    stim = data["stimulus"]
    for label in CONDITIONS:
        lam = data[f"expected_{label}"][-win:]
        s = stim[-win:]
        out["final_expected_count"][label] = [float(lam[s == k].mean()) if np.any(s == k) else None for k in (0, 1)]
    return out


def summary(metrics, p):
    ratios = ", ".join(f"{k} {v:.2f}" for k, v in metrics["error_ratio"].items())
    return f"initial error {metrics['initial_error']:.2f}; final/initial: {ratios}"


def plot(data, metrics, p):
    import matplotlib.pyplot as plt

    import snnlearn as sl

    figs = {}
    block = int(p.curve_block)
    n = len(data["target"])
    nb = n // block
    x = (np.arange(nb) + 0.5) * block
    colours = {"raw": "tab:red", "global_baseline": "tab:orange", "per_stimulus_critic": "tab:green",
               "reinforce": "tab:blue", "frozen": "0.5"}
    names = {"raw": "R-STDP, raw reward", "global_baseline": "R-STDP, R - global mean",
             "per_stimulus_critic": "R-STDP, R - critic(stimulus)", "reinforce": "REINFORCE, R - global mean",
             "frozen": "no learning"}

    fig, ax = plt.subplots(figsize=(6.4, 4))
    for label in CONDITIONS:
        e = np.abs(data[f"expected_{label}"] - data["target"])[: nb * block].reshape(nb, block).mean(axis=1)
        sl.plot.learning_curve(e, ax=ax, x=x, label=names[label], color=colours[label], logy=True,
                               xlabel="trial", ylabel=r"error $|\Lambda - y^*|$ (spikes)")
    ax.set_title("Two-stimulus task (Frémaux et al. 2010): error per block of %d trials" % block, fontsize="medium")
    fig.tight_layout()
    figs["learning_curves"] = fig

    fig, axes = plt.subplots(1, len(CONDITIONS), figsize=(3.0 * len(CONDITIONS), 3.0), sharey=True)
    stim = data["stimulus"]
    for ax, label in zip(axes, CONDITIONS):
        lam = data[f"expected_{label}"]
        for k, (c, name) in enumerate((("tab:purple", "A"), ("tab:cyan", "B"))):
            sel = np.flatnonzero(stim == k)
            ax.plot(sel, lam[sel], ".", ms=1.5, color=c, label=f"pattern {name}")
            ax.axhline(p.targets[k], color=c, lw=1, ls="--")
        ax.set_yscale("log")
        ax.set_xlabel("trial")
        ax.set_title(names[label], fontsize="small")
    axes[0].set_ylabel(r"expected count $\Lambda$ (spikes)")
    axes[0].legend(fontsize="x-small", markerscale=5)
    fig.suptitle("Expected spike count per trial (dashed: targets 10 and 2)", fontsize="medium")
    fig.tight_layout()
    figs["expected_counts"] = fig

    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    labels = list(metrics["error_ratio"])
    vals = [metrics["error_ratio"][k] for k in labels]
    ax.bar(range(len(labels)), vals, color=[colours[k] for k in labels])
    for thr, txt in ((1.0, "initial error"), (0.5, "0.5"), (0.15, "0.15")):
        ax.axhline(thr, color="0.4", lw=0.8, ls=":")
        ax.text(len(labels) - 0.5, thr, txt, fontsize="x-small", va="bottom", ha="right")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels([names[k].replace(", ", ",\n") for k in labels], fontsize="x-small")
    ax.set_yscale("log")
    ax.set_ylabel("final error / initial error")
    ax.set_title(f"Final error / initial error (last {int(p.final_window)} trials)", fontsize="medium")
    fig.tight_layout()
    figs["error_ratios"] = fig
    return figs


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("reward_baseline")
