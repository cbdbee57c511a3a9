"""Pairing-frequency dependence of the triplet STDP rule (Pfister & Gerstner 2006; data of Sjöström et al. 2001).

Protocol (Sjöström, Turrigiano & Nelson 2001): ``n_pairings`` pre/post pairs with a
lag Δt = ±10 ms, repeated at frequency f ∈ ``frequencies``. Every (f, Δt, rule)
condition is one synapse between its own pre and post spike generators, all in one
network. Weights start at 1 (so Δw is the relative change) with the upper bound far
away, as in the paper's normalised data.

The triplet rule depresses at low frequency (post-pre pairs, and pre-post pairs give
almost nothing) and potentiates at 40-50 Hz for both orders, because the slow
postsynaptic trace o₂ builds up between pairings. The pair-based additive rule,
for contrast, has no such frequency dependence of the sign at +10 ms.
"""

import numpy as np
from brian2 import Hz, Network, SpikeGeneratorGroup, ms, second

import snnlearn as sl
from snnlearn.params import Param
from snnlearn.rules import TRIPLET_PARAMETER_SETS

PARAMS = {
    "frequencies": Param([0.1 * Hz, 10 * Hz, 20 * Hz, 40 * Hz, 50 * Hz], low=0 * Hz, strict=True, min_len=1,
                         doc="pairing frequencies"),
    "lag": Param(10 * ms, low=0 * ms, strict=True, doc="|post - pre| lag of each pair"),
    "n_pairings": Param(60, low=1, high=100000, doc="pairs per protocol"),
    "parameter_sets": Param(["visual_all_to_all", "visual_nearest_minimal"], choices=sorted(TRIPLET_PARAMETER_SETS),
                            min_len=1, doc="triplet-rule parameter sets of Pfister & Gerstner 2006, Table 4"),
    "include_pair_rule": Param(True, doc="add the pair-based additive rule for contrast"),
    "dt": Param(0.5 * ms, low=0 * ms, strict=True, doc="simulation time step"),
}

QUICK = {"n_pairings": 15, "frequencies": [1 * Hz, 20 * Hz, 50 * Hz]}


def _conditions(p):
    rules = [(name, sl.rules.triplet_stdp(name, wmax=100.0)) for name in p.parameter_sets]
    if p.include_pair_rule:
        # Bi & Poo-like pair rule of the same size as the triplet rule's pair term (A2- = 7e-3)
        rules.append(("pair_additive", sl.rules.stdp_additive(Ap=5e-3, Am=7e-3, taupre=16.8 * ms,
                                                               taupost=33.7 * ms, wmax=100.0)))
    conditions = []
    for rule_name, rule in rules:
        for sign in (+1, -1):
            for f in p.frequencies:
                conditions.append((rule_name, rule, sign, f))
    return rules, conditions


def pairing_spikes(freq, lag_signed, n_pairings, offset):
    """Pre and post spike times (s) of one pairing protocol starting at ``offset``."""
    period = 1.0 / float(freq / Hz)
    starts = offset + np.arange(n_pairings) * period
    lag = float(lag_signed / second)
    pre = starts + max(0.0, -lag)
    post = starts + max(0.0, lag)
    return pre, post


def validate(p):
    """Refuse a combination of values in one line (the runner calls this before the run directory exists)."""
    if float(p.lag) <= 0:
        raise ValueError(f"lag must be positive (both orders are simulated), got {p.lag}")
    for f in p.frequencies:
        if float(1 / f) <= float(p.lag):
            raise ValueError(f"frequency {f} is too high for a lag of {p.lag}: pairs would overlap")


def simulate(p, ctx):
    """Every rule, order and frequency as its own synapse, in one program; the final weights per condition."""
    rules, conditions = _conditions(p)
    for name, rule in rules:
        ctx.record_rule(rule, name)
    offset = 0.05
    groups = {}
    for k, (rule_name, rule, sign, f) in enumerate(conditions):
        pre, post = pairing_spikes(f, sign * p.lag, int(p.n_pairings), offset)
        g = groups.setdefault(rule_name, {"rule": rule, "pre_i": [], "pre_t": [], "post_i": [], "post_t": [], "n": 0})
        idx = g["n"]
        g["pre_i"] += [idx] * pre.size
        g["pre_t"] += list(pre)
        g["post_i"] += [idx] * post.size
        g["post_t"] += list(post)
        g["n"] += 1
    duration = max(offset + int(p.n_pairings) / float(f / Hz) for f in p.frequencies) * second + 0.2 * second
    ctx.log(f"{len(conditions)} conditions, {duration} of simulated time")
    with ctx.use_device(cache_key=("triplet_frequency", len(conditions))) as sim:
        objects, synapses = [], {}
        for rule_name, g in groups.items():
            pre = SpikeGeneratorGroup(g["n"], g["pre_i"], g["pre_t"] * second, dt=p.dt, name=f"pre_{rule_name}")
            post = SpikeGeneratorGroup(g["n"], g["post_i"], g["post_t"] * second, dt=p.dt, name=f"post_{rule_name}")
            S = sl.connect(pre, post, g["rule"], connect="i == j", w=1.0, dt=p.dt, name=f"syn_{rule_name}")
            objects += [pre, post, S]
            synapses[rule_name] = S
        ctx.plan(duration)
        ctx.run(Network(*objects), duration)
        sim.build()
        final = {name: np.array(S.w[:], dtype=float) for name, S in synapses.items()}
    n_f = len(p.frequencies)
    data = {"frequencies_hz": np.array([float(f / Hz) for f in p.frequencies])}
    for rule_name, _ in rules:  # weight change in percent of the initial weight 1, pre-before-post then post-before-pre
        values = (final[rule_name] - 1.0) * 100.0
        data[f"dw_{rule_name}_pos"], data[f"dw_{rule_name}_neg"] = values[:n_f], values[n_f:2 * n_f]
    return data


def measure(data, p):
    rules, _ = _conditions(p)
    return {"frequencies_hz": [float(f) for f in data["frequencies_hz"]], "lag_ms": float(p.lag / ms),
            "n_pairings": int(p.n_pairings),
            "dw_percent": {name: {"+": [float(v) for v in data[f"dw_{name}_pos"]],
                                  "-": [float(v) for v in data[f"dw_{name}_neg"]]} for name, _ in rules}}


TITLES = {
    "visual_all_to_all": "triplet, all-to-all (visual cortex)",
    "visual_all_to_all_minimal": "triplet, all-to-all minimal",
    "visual_nearest_minimal": "triplet, nearest-spike minimal",
    "pair_additive": "pair-based STDP (control)",
}


def plot(data, metrics, p):
    import matplotlib.pyplot as plt

    names = list(metrics["dw_percent"])
    fig, axes = plt.subplots(1, len(names), figsize=(3.8 * len(names), 3.3), sharey=False, squeeze=False)
    f = data["frequencies_hz"]
    for ax, name in zip(axes[0], names):
        ax.plot(f, data[f"dw_{name}_pos"], "o-", color="tab:blue", label=f"pre→post (+{metrics['lag_ms']:g} ms)")
        ax.plot(f, data[f"dw_{name}_neg"], "s-", color="tab:red", label=f"post→pre (−{metrics['lag_ms']:g} ms)")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xlabel("pairing frequency (Hz)")
        ax.set_ylabel(r"$\Delta w$ (% of initial)")
        ax.set_title(TITLES.get(name, name.replace("_", " ")), fontsize="medium")
        ax.legend(fontsize="x-small")
    fig.suptitle(f"Weight change after {metrics['n_pairings']} pairings (Sjöström et al. 2001 protocol)",
                 fontsize="medium")
    fig.tight_layout()
    return {"frequency_dependence": fig}


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("triplet_frequency")
