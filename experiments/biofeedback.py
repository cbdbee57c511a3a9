"""Biofeedback (Legenstein, Pecevski & Maass 2008, fig. 3): reward-modulated STDP raises one chosen neuron's rate.

The Fetz-Baker operant-conditioning experiment (docs/validation.md, check R3) in a
recurrent network of 400 excitatory and 100 inhibitory LIF neurons
(``models/biofeedback.py``): the reward is the firing of one arbitrarily chosen
excitatory neuron, filtered by a 0.2-s dopamine kernel and delayed by 200 ms, minus its
running mean, and it modulates dopamine-gated STDP (``snnlearn.rules.da_stdp``,
eligibility tau_c = 1 s) on all 16,000 excitatory -> excitatory synapses. Several
copies run side by side in one compiled program: ``n_rewarded`` independent networks,
each with its own connectivity and chosen neuron, and a yoked control, a copy of the
first network (same connectivity, same chosen neuron) that receives the first copy's
dopamine pulses, so that its reward has the same statistics but does not depend on its
own chosen neuron.

Measured, from spike counts: each chosen neuron's rate in the last ``final_window``
against its rate in the ``baseline_duration`` warm-up (plasticity off), and the same
for the mean rate of the other excitatory neurons. Legenstein et al.: the chosen
neuron's rate rises while the network's mean rate stays about constant; here: at least
twofold, the population mean within 30 %, and not in the yoked control.
"""

import numpy as np
from brian2 import mV, ms, second

from snnlearn.models.biofeedback import (N_EXC, N_INH, BiofeedbackParams, Copy, build_biofeedback, feedback_rule,
                                        read_results, run_phases, run_time_values)
from snnlearn.params import Param

PARAMS = {
    "duration": Param(800 * second, low=10 * second, doc="learning time (after the baseline)"),
    "baseline_duration": Param(50 * second, low=10 * second, doc="warm-up with plasticity off: the baseline rates"),
    "final_window": Param(100 * second, low=10 * second, doc="window at the end over which the final rates are taken"),
    "n_rewarded": Param(3, low=1, high=20, doc="independent rewarded networks (connectivity seeds)"),
    "yoked_control": Param(True, doc="add a copy of the first network that receives its dopamine pulses"),
    "record_dt": Param(10 * second, low=1 * second, doc="bin of the recorded spike counts"),
    "J": Param(0.5, low=0.0, strict=True, doc="initial excitatory weight (mV)"),
    "g": Param(8.0, low=0.0, doc="inhibitory weight, in units of J"),
    "wmax": Param(1.5, low=0.0, strict=True, doc="upper bound of the excitatory weights (mV)"),
    "mu": Param(17 * mV, doc="mean background drive (threshold 20 mV above rest)"),
    "sigma": Param(3.5 * mV, low=0 * mV, doc="standard deviation of the background noise"),
    "Ap": Param(1.3e-4, low=0.0, runtime=True, doc="eligibility per pre-before-post pair (mV)"),
    "Am": Param(6.5e-5, low=0.0, runtime=True, doc="eligibility removed per post-before-pre pair (mV)"),
    "tau_c": Param(1 * second, low=0 * ms, strict=True, doc="eligibility time constant"),
    "tau_d": Param(0.2 * second, low=0 * ms, strict=True, doc="dopamine time constant (the reward kernel)"),
    "reward_delay": Param(200 * ms, low=0 * ms, doc="delay of the reward after the chosen neuron's spike"),
    "reward_amount": Param(1.0, low=0.0, runtime=True, doc="dopamine per spike of the chosen neuron"),
    "tau_baseline": Param(1 * second, low=0 * ms, strict=True, doc="running mean of the dopamine (expected reward)"),
}

QUICK = {"duration": 60 * second, "baseline_duration": 20 * second, "final_window": 20 * second, "n_rewarded": 1}

HEADLINE = ("rewarded.*.rate_ratio", "rewarded.*.population_change", "yoked.rate_ratio")


def model_params(p):
    """The :class:`BiofeedbackParams` of resolved experiment parameters."""
    return BiofeedbackParams(J=float(p.J), g=float(p.g), wmax=float(p.wmax), mu=p.mu, sigma=p.sigma, Ap=float(p.Ap),
                             Am=float(p.Am), tau_c=p.tau_c, tau_d=p.tau_d, reward_delay=p.reward_delay,
                             reward_amount=float(p.reward_amount), tau_baseline=p.tau_baseline)


def copies_for(seed, n_rewarded, yoked):
    """Rewarded copies (connectivity seeds seed*100 + k, chosen neuron drawn from the seed) and the yoked copy."""
    out = []
    for k in range(int(n_rewarded)):
        s = int(seed) * 100 + k
        out.append(Copy(s, "own", chosen=int(np.random.default_rng(s).integers(N_EXC))))
    if yoked:
        out.append(Copy(out[0].seed, ("yoked", 0), chosen=out[0].chosen))
    return out


def validate(p):
    """Refuse a combination of values in one line (the runner calls this before the run directory exists)."""
    for name in ("baseline_duration", "final_window", "duration"):
        if float(p[name] / p.record_dt) % 1 > 1e-9:
            raise ValueError(f"{name} ({p[name]}) must be a multiple of record_dt ({p.record_dt})")
    if p.final_window > p.duration:
        raise ValueError(f"final_window ({p.final_window}) must not exceed duration ({p.duration})")


def rates(counts, record_dt_s):
    """Rates (Hz) per bin from cumulative counts (..., n_samples) sampled every record_dt (first sample at t = 0)."""
    return np.diff(counts, axis=-1) / record_dt_s


def measure(data, p):
    """Metrics from the saved arrays."""
    dt = float(p.record_dt / second)
    r = rates(data["counts"], dt)  # (copies, neurons, bins)
    nb = int(round(float(p.baseline_duration / p.record_dt)))
    nf = int(round(float(p.final_window / p.record_dt)))
    out = {"rewarded": {}, "duration_s": float(p.duration / second)}
    for k, (reward, chosen, seed) in enumerate(zip(data["reward"], data["chosen"], data["seed"])):
        exc = np.arange(N_EXC) != chosen
        base, final = r[k, :, :nb].mean(axis=1), r[k, :, -nf:].mean(axis=1)
        pop_b, pop_f = float(base[:N_EXC][exc].mean()), float(final[:N_EXC][exc].mean())
        m = {"seed": int(seed), "chosen": int(chosen), "baseline_rate_hz": float(base[chosen]),
             "final_rate_hz": float(final[chosen]), "rate_ratio": float(final[chosen] / max(base[chosen], 1e-9)),
             "population_baseline_hz": pop_b, "population_final_hz": pop_f,
             "population_change": pop_f / pop_b - 1.0,
             "inhibitory_change": float(final[N_EXC:].mean() / base[N_EXC:].mean() - 1.0)}
        w = data["w_final"][k]
        into = data["ee_post"][k] == chosen
        m["mean_weight_into_chosen"] = float(w[into].mean())
        m["mean_weight_others"] = float(w[~into].mean())
        if str(reward) == "own":
            out["rewarded"][f"seed{int(seed)}"] = m
        else:
            out["yoked"] = m
    ok = [v["rate_ratio"] >= 2.0 and abs(v["population_change"]) < 0.3 for v in out["rewarded"].values()]
    out["rewarded_passing"] = int(sum(ok))
    out["n_rewarded"] = len(ok)
    return out


def simulate(p, ctx):
    """Simulate every copy of the network (baseline, then learning) in one program; the arrays to measure."""
    validate(p)
    copies = copies_for(ctx.seed, p.n_rewarded, p.yoked_control)
    mp = model_params(p)
    ctx.record_rule(feedback_rule(mp), "excitatory -> excitatory (16,000 synapses per copy)")
    ctx.log(f"{len(copies)} copies of the {N_EXC} + {N_INH} neuron network; chosen neurons "
            f"{[c.chosen for c in copies]}; {p.baseline_duration} baseline + {p.duration} learning")

    def build(ctx):
        m = build_biofeedback(copies, mp, record_dt=p.record_dt)
        ctx.plan(p.baseline_duration + p.duration)
        run_phases(m, p.baseline_duration, p.duration,
                   run=lambda net, T, values: ctx.run(net, T, set=values, namespace={}))
        return m

    # the seed draws the connectivity, which is compiled into the program: seeds are structure here
    res = ctx.program(build, lambda m: run_time_values(m, mp), read_results, seed_is_structure=True)
    n_syn = res["w_final"].size // len(copies)
    data = {
        "counts": res["counts"].astype(np.int32),
        "count_time_s": res["count_time_s"],
        "w_final": res["w_final"].reshape(len(copies), n_syn).astype(np.float32),
        # postsynaptic neuron of each E -> E synapse, local to its copy
        "ee_post": (res["ee"][:, 1].reshape(len(copies), n_syn) % (N_EXC + N_INH)).astype(np.int32),
        "chosen": np.array([c.chosen for c in copies]),
        "seed": np.array([c.seed for c in copies]),
        "reward": np.array(["own" if c.reward == "own" else "yoked" for c in copies]),
        "d": res["d"].astype(np.float32),
    }
    return data


def summary(metrics, p):
    lines = [f"{name}: chosen neuron {m['chosen']} {m['baseline_rate_hz']:.1f} -> {m['final_rate_hz']:.1f} Hz "
             f"(x{m['rate_ratio']:.2f}); other excitatory neurons {m['population_baseline_hz']:.2f} -> "
             f"{m['population_final_hz']:.2f} Hz ({100 * m['population_change']:+.0f} %)"
             for name, m in metrics["rewarded"].items()]
    if "yoked" in metrics:
        m = metrics["yoked"]
        lines.append(f"yoked control: chosen neuron x{m['rate_ratio']:.2f}, "
                     f"population {100 * m['population_change']:+.0f} %")
    return lines


def plot(data, metrics, p):
    import matplotlib.pyplot as plt

    figs = {}
    dt = float(p.record_dt / second)
    r = rates(data["counts"], dt)
    t = data["count_time_s"][1:] - float(p.baseline_duration / second)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=False)
    ax = axes[0]
    for k, (reward, chosen, seed) in enumerate(zip(data["reward"], data["chosen"], data["seed"])):
        colour = "0.45" if str(reward) == "yoked" else f"C{k}"
        label = f"yoked control (copy of seed {int(seed)})" if str(reward) == "yoked" else f"seed {int(seed)}"
        ax.plot(t, r[k, chosen], color=colour, lw=1.4, ls="--" if str(reward) == "yoked" else "-", label=label)
    ax.axvline(0, color="0.6", lw=0.8, ls=":")
    ax.set_xlabel("time since learning started (s)")
    ax.set_ylabel("rate of the chosen neuron (Hz)")
    ax.set_title("Reinforced neuron", fontsize="medium")
    ax.legend(fontsize="x-small")
    ax = axes[1]
    for k, (reward, chosen) in enumerate(zip(data["reward"], data["chosen"])):
        exc = np.arange(N_EXC) != chosen
        colour = "0.45" if str(reward) == "yoked" else f"C{k}"
        ax.plot(t, r[k, :N_EXC][exc].mean(axis=0), color=colour, lw=1.2, ls="--" if str(reward) == "yoked" else "-")
    ax.axvline(0, color="0.6", lw=0.8, ls=":")
    ax.set_xlabel("time since learning started (s)")
    ax.set_ylabel("mean rate, other E neurons (Hz)")
    ax.set_ylim(bottom=0)
    ax.set_title("Rest of the network", fontsize="medium")
    fig.suptitle("Biofeedback (Legenstein et al. 2008): reward = the chosen neuron's delayed, filtered rate",
                 fontsize="medium")
    fig.tight_layout()
    figs["rates"] = fig

    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    bins = np.linspace(0, float(p.wmax), 41)
    k = 0
    into = data["ee_post"][k] == data["chosen"][k]
    w = data["w_final"][k]
    ax.hist(w[~into], bins=bins, density=True, color="0.6", label="all other E -> E synapses")
    ax.hist(w[into], bins=bins, density=True, histtype="step", lw=2, color="C0",
            label=f"the {int(into.sum())} inputs of the chosen neuron")
    ax.axvline(float(p.J), color="k", lw=0.8, ls=":", label="initial weight")
    ax.set_xlabel("final weight (mV)")
    ax.set_ylabel("probability density (1/mV)")
    ax.set_title(f"Final excitatory weights, seed {int(data['seed'][0])}", fontsize="medium")
    ax.legend(fontsize="x-small")
    fig.tight_layout()
    figs["weights"] = fig
    return figs


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("biofeedback")
