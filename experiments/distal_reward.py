"""Distal reward (Izhikevich 2007, fig. 1): dopamine-modulated STDP finds the one synapse whose pairings are rewarded 1-3 s later.

The author's ``daspnet.m`` network in Brian2 (``models/izhikevich2007.py``): 1000
Izhikevich neurons (800 excitatory, 200 inhibitory), 100 random targets each, 1-ms
delays, 80,000 plastic excitatory synapses under dopamine-modulated STDP
(``snnlearn.rules.da_stdp``: eligibility trace tau_c = 1 s, weight change = eligibility x
(dopamine + tonic 0.002) every 10 ms, weights in [0, 4]). The synapse from neuron 0 to
its first target starts at 0; whenever its target fires within 20 ms after neuron 0, a
dopamine pulse follows after a random delay of 1-3 s. Everything, including the reward
detection and the random delay, is Brian2 code compiled into one program.

Conditions, side by side in one network (each an independent copy with its own
connectivity): the rewarded network, and optionally a no-reward control (tonic dopamine
only) and a yoked control that receives the same dopamine pulses as the rewarded copy,
at times unrelated to its own pairings.

Measured (docs/validation.md, check I2): the rewarded synapse's final weight (fraction
of wmax), its percentile among the copy's excitatory weights, the time it first reaches
0.9 wmax, and the controls' rewarded-synapse weights.
"""

import time

import numpy as np
from brian2 import second

from snnlearn.models.izhikevich2007 import (M_SYN, N_EXC, N_INH, Condition, build_distal_reward, daspnet_rule,
                                            raster_from, read_results)
from snnlearn.params import Param

PARAMS = {
    "duration": Param(3600 * second, low=0 * second, strict=True, doc="simulated time"),
    "no_reward_control": Param(True, doc="add a copy without phasic dopamine"),
    "yoked_control": Param(True, doc="add a copy that receives the rewarded copy's dopamine pulses"),
    "record_dt": Param(10 * second, low=0 * second, strict=True, doc="sampling interval of the weights"),
    "sample_weights": Param(1000, low=0, high=N_EXC * M_SYN,
                            doc="excitatory synapses per copy sampled for the mean-weight curve"),
    "raster_window": Param(2 * second, low=0 * second, runtime=True,
                           doc="raster of the rewarded copy over the end of the run"),
}

QUICK = {"duration": 120 * second, "no_reward_control": False, "yoked_control": False, "record_dt": 5 * second,
         "sample_weights": 200}

WMAX = 4.0


def validate(p):
    """Refuse a combination of values in one line (the runner calls this before the run directory exists)."""
    if p.raster_window > p.duration:
        raise ValueError(f"raster_window ({p.raster_window}) must not exceed duration ({p.duration})")


def _conditions(p, seed):
    conds = [Condition(seed=seed, reward="pairing")]
    if p.no_reward_control:
        conds.append(Condition(seed=seed + 100003, reward="none"))
    if p.yoked_control:
        conds.append(Condition(seed=seed + 200003, reward=("yoked", 0)))
    return conds


def _labels(conds):
    out = []
    for c in conds:
        out.append("rewarded" if c.reward == "pairing" else "no reward" if c.reward == "none" else "yoked control")
    return out


def measure(data, p):
    """Metrics from the saved arrays (also used by tests)."""
    t = data["w_time_s"]
    w_rew = data["rewarded_w"]
    final = data["w_final"]
    labels = [str(x) for x in data["labels"]]
    out = {"conditions": labels, "duration_s": float(p.duration / second), "wmax": WMAX}

    def first_time(x, level):
        hit = np.flatnonzero(x >= level)
        return float(t[hit[0]]) if hit.size else None

    w0 = final[0]
    r = float(w0[0])
    out["rewarded_weight_final"] = r / WMAX
    out["rewarded_weight_percentile"] = float(100.0 * np.mean(w0 <= r))
    out["time_to_90pct_s"] = first_time(w_rew[0], 0.9 * WMAX)
    out["time_to_50pct_s"] = first_time(w_rew[0], 0.5 * WMAX)
    others = w0[1:] / WMAX
    out["other_weights"] = {"median": float(np.median(others)), "p95": float(np.percentile(others, 95)),
                            "fraction_at_least_0.9": float(np.mean(others >= 0.9))}
    out["n_rewards"] = int(data["n_rewards"][0])
    out["n_pairings"] = int(data["n_pairings"][0])
    out["controls"] = {}
    for k, label in enumerate(labels[1:], start=1):
        out["controls"][label] = {"rewarded_weight_final": float(final[k][0] / WMAX),
                                  "rewarded_weight_max": float(w_rew[k].max() / WMAX),
                                  "n_rewards": int(data["n_rewards"][k])}
    return out


def simulate(p, ctx):
    """Simulate every copy of the network in one program; the arrays to measure."""
    conds = _conditions(p, ctx.seed)
    ctx.record_rule(daspnet_rule(), "excitatory -> all (80,000 synapses per copy)")
    ctx.log(f"{len(conds)} copies of the 1000-neuron network: {', '.join(_labels(conds))}; {p.duration}")

    def build(ctx):
        m = build_distal_reward(conds, record_dt=p.record_dt, sample_weights=int(p.sample_weights),
                                raster_copies=(0,), raster_from=raster_from(p.duration, p.raster_window))
        ctx.plan(p.duration)
        ctx.run(m["net"], p.duration, namespace={})
        return m

    def run_args(m):
        return {m["neurons"].raster_from: raster_from(p.duration, p.raster_window)}

    # the seed draws the connectivity, which is compiled into the program: seeds are structure here
    started = time.perf_counter()
    res = ctx.program(build, run_args, lambda m: read_results(m, conds), seed_is_structure=True)
    ctx.log(f"simulation {time.perf_counter() - started:.0f} s")
    data = {
        "labels": np.array(_labels(conds)),
        "w_final": res["w_final"],
        "rewarded_w": res["rewarded_w"],
        "w_time_s": res["w_time_s"],
        "w_sample_mean": res["w_sample"].mean(axis=1) if "w_sample" in res else np.zeros((len(conds), 0)),
        "da": res["da"].astype(np.float32),
        "da_time_s": res["da_time_s"],
        "reward_times_s": np.concatenate([r for r in res["reward_times_s"]]) if conds else np.array([]),
        "reward_copy": np.concatenate([np.full(len(r), k) for k, r in enumerate(res["reward_times_s"])]),
        "n_rewards": np.array([len(r) for r in res["reward_times_s"]]),
        "n_pairings": np.array([len(r) for r in res["pairing_times_s"]]),
        "raster_i": res.get("raster_i", np.array([], int)),
        "raster_t_s": res.get("raster_t_s", np.array([])),
    }
    return data


def summary(metrics, p):
    return (f"rewarded synapse: {metrics['rewarded_weight_final']:.2f} wmax at the end "
            f"(percentile {metrics['rewarded_weight_percentile']:.1f}), 0.9 wmax at {metrics['time_to_90pct_s']} s, "
            f"{metrics['n_rewards']} rewards")


def plot(data, metrics, p):
    import matplotlib.pyplot as plt

    import snnlearn as sl

    figs = {}
    labels = [str(x) for x in data["labels"]]
    t = data["w_time_s"]
    colours = {"rewarded": "tab:red", "no reward": "tab:gray", "yoked control": "tab:blue"}

    fig, ax = plt.subplots(figsize=(7, 3.6))
    for k, label in enumerate(labels):
        c = colours.get(label, f"C{k}")
        ax.plot(t, data["rewarded_w"][k] / WMAX, color=c, lw=1.6, label=f"rewarded synapse ({label})")
        if data["w_sample_mean"].shape[1]:
            ax.plot(t, data["w_sample_mean"][k] / WMAX, color=c, lw=1, ls="--", label=f"mean weight ({label})")
    ax.axhline(0.9, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(r"weight / $w_{max}$")
    ax.set_ylim(-0.03, 1.05)
    ax.set_title("Distal reward: the rewarded synapse and the mean excitatory weight", fontsize="medium")
    ax.legend(fontsize="x-small", ncol=2, loc="upper left")
    fig.tight_layout()
    figs["weights_over_time"] = fig

    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    w = data["w_final"][0] / WMAX
    ax.hist(w[1:], bins=np.linspace(0, 1, 41), color="0.55", log=True, label="other excitatory synapses")
    ax.axvline(w[0], color="tab:red", lw=2,
               label=f"rewarded synapse ({metrics['rewarded_weight_percentile']:.1f}th percentile)")
    ax.set_xlabel(r"final weight / $w_{max}$")
    ax.set_ylabel("synapses (log scale)")
    ax.set_title(f"Final weights of the rewarded network (t = {float(p.duration / second):.0f} s)",
                 fontsize="medium")
    ax.legend(fontsize="small")
    fig.tight_layout()
    figs["final_weight_distribution"] = fig

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 4.6))
    td = data["da_time_s"]
    da = data["da"][0]
    rew = data["reward_times_s"][data["reward_copy"] == 0]
    sl.plot.modulator_trace(td, da, ax=ax1, events_s=rew, label="dopamine (rewarded copy)",
                            ylabel="dopamine (a.u.)", lw=0.5)
    ax1.set_title(f"Dopamine over the whole run ({len(rew)} rewards)", fontsize="medium")
    # zoom on the first 60 s that contain rewards
    start = float(rew[0]) - 5 if rew.size else 0.0
    sel = (td >= start) & (td <= start + 60)
    sel_r = (rew >= start) & (rew <= start + 60)
    sl.plot.modulator_trace(td[sel], da[sel], ax=ax2, events_s=rew[sel_r], label="dopamine", ylabel="dopamine (a.u.)")
    ax2.set_title("Zoom: each reward is a pulse of +0.5 decaying with 0.2 s", fontsize="medium")
    fig.tight_layout()
    figs["dopamine"] = fig

    fig, ax = plt.subplots(figsize=(7, 3.6))
    if data["raster_t_s"].size:
        tt = data["raster_t_s"]
        t0 = float(tt.min())
        sl.plot.raster((data["raster_i"], tt - t0), ax=ax, n_neurons=N_EXC + N_INH, marker_size=1.5,
                       groups=[("excitatory", 0, N_EXC, "tab:red"), ("inhibitory", N_EXC, N_EXC + N_INH, "tab:blue")])
        ax.set_title(f"Raster of the rewarded network, from t = {t0:.0f} s", fontsize="medium")
    else:
        ax.text(0.5, 0.5, "no raster recorded", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    fig.tight_layout()
    figs["raster"] = fig
    return figs



if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("distal_reward")
