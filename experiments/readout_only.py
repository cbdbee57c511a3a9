"""Is training only the readout simpler? Reward-driven readout-only against whole-network learning in a spiking liquid.

The question of Marblestone, Wayne & Kording (2016, section 2.1) about reservoirs, asked
with a reward: a spiking liquid-state machine (``models/lsm.py`` connectivity, LIF,
20 % inhibitory) receives one of ``n_stimuli`` frozen spike patterns (each on its own
random half of the input channels), and ``n_outputs`` escape-noise readout neurons must
produce target expected spike counts for each stimulus. The reward R = -MSE is computed
in the simulation after every trial, against the reward of a paired unperturbed pass.
The learning rule is the catalog's node perturbation (Fiete & Seung 2006; Hoerzer,
Legenstein & Maass 2014: exploratory noise x presynaptic activity x reward change), in
``models/reward_readout.py``:

* ``readout``: noise on the readout neurons only; only the readout weights learn;
* ``whole``: the same rule on every plastic weight: noise on the readout *and* every
  liquid neuron, and the recurrent liquid weights learn too (``eta_rec``);
* ``frozen``: no learning, the reference for the initial error of every pass.

All lanes (sizes x seeds x conditions) run side by side in one ``cpp_standalone``
program. Measured per size N: the error |Lambda - y*| of the unperturbed passes relative
to the frozen network on the same passes (learning curves, mean and spread over seeds),
the final error ratio (last ``final_window`` of the run), and the passes to criterion
(the running relative error first below ``criterion``).
"""

import numpy as np
from brian2 import Hz, Network, ms, second

from snnlearn.models.lsm import make_liquid
from snnlearn.models.reward_readout import CONDITIONS, Lane, build_lanes, lane_results, paired_schedule
from snnlearn.models.reward_tasks import Escape, frozen_patterns
from snnlearn.params import Param

PARAMS = {
    "grid_lengths": Param([5, 10, 20], low=1, min_len=1, doc="liquid grids (L, 3, 3), one size each: N = 9 L neurons"),
    "n_seeds": Param(3, low=1, doc="independent liquids, tasks and initial readouts per size"),
    "n_passes": Param(1000, low=20,
                      doc="forward passes per lane: (unperturbed, perturbed) pairs, one update per pair (even)"),
    "n_channels": Param(8, low=1, doc="input spike channels, each reaching 30 % of the liquid"),
    "active_channels": Param(4, low=1,
                             doc="channels carrying each stimulus's frozen pattern (the others are silent; "
                                 "<= n_channels)"),
    "input_rate": Param(40 * Hz, low=0 * Hz, doc="rate of the frozen Poisson patterns on active channels"),
    "n_stimuli": Param(4, low=1, doc="frozen input patterns (stimuli), each with its own targets"),
    "n_outputs": Param(2, low=1, doc="escape-noise readout neurons"),
    "gap": Param(20 * ms, low=0 * ms, strict=True, doc="silent start of each trial"),
    "stimulus_window": Param(200 * ms, low=0 * ms, strict=True, doc="frozen input pattern after the gap"),
    "target_min": Param(1.0, low=0.0, strict=True,
                        doc="targets uniform in [target_min, target_max] expected spikes per trial"),
    "target_max": Param(6.0, low=0.0, strict=True, doc="largest target, expected spikes per trial"),
    "w0_min": Param(-0.5, doc="initial readout weights uniform in [w0_min, w0_max] (within +-w_out_bound)"),
    "w0_max": Param(1.0, doc="largest initial readout weight"),
    "readout_gain": Param(8.0, low=0.0, strict=True, doc="u += (readout_gain / N) * w per liquid spike"),
    "rho0": Param(20 * Hz, low=0 * Hz, strict=True,
                  doc="escape rate scale of the readout: rho = rho0 * softplus(u - 2)"),
    # calibrated on N = 90, seeds 1-2, 400 passes (see the module docstring of models/reward_readout.py
    # and the README): eta_out 0.003 diverged in one of two seeds, 0.001 was stable; eta_rec in
    # {1e-4, 3e-4, 1e-3, 3e-3} made no difference to the error, 1e-2 drove the liquid to 60-80 Hz
    "eta_out": Param(0.001, low=0.0, runtime=True, doc="node perturbation learning rate of the readout weights"),
    "sigma_out": Param(0.5, low=0.0, strict=True, doc="readout perturbation SD (units of u; threshold 2)"),
    "eta_rec": Param(3e-4, low=0.0, runtime=True, doc="node perturbation learning rate of the liquid's recurrent weights (whole)"),
    "sigma_liquid": Param(0.5, low=0.0,
                          doc="liquid perturbation SD, mV added to the synaptic current sum (whole lanes)"),
    "tau_noise": Param(5 * ms, low=0 * ms, strict=True, doc="correlation time of the perturbation noise"),
    "w_out_bound": Param(5.0, low=0.0, strict=True, doc="readout weights are clipped to [-w_out_bound, w_out_bound]"),
    "criterion": Param(0.5, low=0.0, strict=True, high=1.0, strict_high=True,
                       doc="passes to criterion: running relative error <= criterion"),
    "final_window": Param(0.1, low=0.0, strict=True, high=0.5, strict_high=True,
                          doc="fraction of the run over which the final error is averaged"),
    "dt": Param(0.5 * ms, low=0 * ms, strict=True, doc="simulation time step"),
}

QUICK = {"grid_lengths": [2, 4, 6], "n_seeds": 1, "n_passes": 200}


def validate(p):
    """Refuse a combination of values in one line (the runner calls this before the run directory exists)."""
    if int(p.n_passes) % 2:
        raise ValueError(f"n_passes must be even ((unperturbed, perturbed) pairs), got {p.n_passes}")
    if int(p.active_channels) > int(p.n_channels):
        raise ValueError(f"active_channels must lie in 1..n_channels={p.n_channels}, got {p.active_channels}")
    if not p.target_max > p.target_min:
        raise ValueError(f"need target_min < target_max, got {p.target_min}, {p.target_max}")
    if max(abs(float(p.w0_min)), abs(float(p.w0_max))) > float(p.w_out_bound):
        raise ValueError(f"initial readout weights [{p.w0_min}, {p.w0_max}] must lie within +-w_out_bound "
                         f"= {p.w_out_bound}")


def make_task(p, grid_length, rng):
    """Liquid, patterns (each on ``active_channels`` random channels), targets and initial readout, drawn by ``rng``."""
    liquid = make_liquid(rng, grid=(int(grid_length), 3, 3), n_channels=int(p.n_channels))
    raw = frozen_patterns(int(p.n_channels), int(p.n_stimuli), p.stimulus_window, p.input_rate, rng, dt=p.dt)
    patterns = []
    for i, t in raw:
        keep = np.isin(i, rng.choice(int(p.n_channels), int(p.active_channels), replace=False))
        patterns.append((i[keep], t[keep]))
    targets = rng.uniform(p.target_min, p.target_max, size=(int(p.n_stimuli), int(p.n_outputs)))
    w0 = rng.uniform(p.w0_min, p.w0_max, size=(int(p.n_outputs), liquid.n))
    return liquid, patterns, targets, w0


def make_lanes(p, seed):
    """Lanes for every size x seed x condition; the conditions of one (size, seed) share task and stimuli."""
    lanes, meta = [], []
    for g in p.grid_lengths:
        for s in range(int(p.n_seeds)):
            task = make_task(p, g, np.random.default_rng([seed, int(g), s]))
            stimuli, _ = paired_schedule(int(p.n_passes), int(p.n_stimuli), np.random.default_rng([seed, int(g), s, 1]))
            for c in CONDITIONS:
                lanes.append(Lane(*task, stimuli, c, label=f"N{task[0].n}_s{s}_{c}"))
                meta.append((task[0].n, s, c))
    return lanes, meta


def simulate(p, ctx):
    validate(p)
    lanes, meta = make_lanes(p, ctx.seed)
    T = p.gap + p.stimulus_window
    def build(ctx):
        model = build_lanes(lanes, T, p.gap, escape=Escape(tau_m=20 * ms, rho0=p.rho0, theta=2.0, delta=1.0),
                            readout_gain=p.readout_gain, eta_out=p.eta_out, sigma_out=p.sigma_out, eta_rec=p.eta_rec,
                            sigma_liquid=p.sigma_liquid, tau_noise=p.tau_noise, w_out_bound=p.w_out_bound, dt=p.dt)
        ctx.log(f"{len(lanes)} lanes (N = {sorted({m[0] for m in meta})}, {p.n_seeds} seeds, {CONDITIONS}), "
                f"{p.n_passes} passes of {T}, {int(model['liquid'].N)} liquid neurons in all")
        ctx.plan(model["run_time"])
        ctx.run(Network(*model["objects"], *model["rewards"].record()), model["run_time"], report_period=10 * second)
        return model

    def run_args(model):
        # the learning rates reach the program as values: eta is a shared variable of each plastic projection
        return {model["readout"].eta: p.eta_out, model["rec_exc"].eta: p.eta_rec, model["rec_inh"].eta: p.eta_rec}

    # the seed draws the lanes' liquids, tasks and initial weights, compiled in
    def collect(model):
        # the rules as this run used them (a reused program ran with this run's learning rates)
        for projection, rule in model["rules"].items():
            ctx.record_rule(rule.with_params(eta=p.eta_out if "readout" in projection else p.eta_rec), projection)
        return lane_results(model, lanes, T)

    res = ctx.program(build, run_args, collect, seed_is_structure=True)
    clean = res[0]["perturbed"] == 0
    return {
        "error": np.array([r["error"][clean] for r in res]),  # (n_lanes, n_pairs): unperturbed passes
        "stimulus": np.array([r["stimulus"][clean] for r in res]),
        "lane_n": np.array([m[0] for m in meta]),
        "lane_seed": np.array([m[1] for m in meta]),
        "lane_condition": np.array([CONDITIONS.index(m[2]) for m in meta]),
        "rate_hz": np.array([r["rate_hz"] for r in res]),
        "rec_change": np.array([r["rec_change"] for r in res]),
        "pass_index": np.flatnonzero(clean) + 1,
    }


def relative_curves(data, n_bins=20):
    """Per lane: the error of its unperturbed passes over the frozen lane's error on the same passes, in bins.

    Returns (passes at the bin ends, relative error (n_lanes, n_bins)).
    """
    err = np.asarray(data["error"])
    frozen = {}
    for k in range(err.shape[0]):
        if CONDITIONS[data["lane_condition"][k]] == "frozen":
            frozen[(int(data["lane_n"][k]), int(data["lane_seed"][k]))] = err[k]
    n = err.shape[1] // n_bins * n_bins
    rel = np.empty((err.shape[0], n_bins))
    for k in range(err.shape[0]):
        ref = frozen[(int(data["lane_n"][k]), int(data["lane_seed"][k]))]
        rel[k] = err[k, :n].reshape(n_bins, -1).sum(1) / ref[:n].reshape(n_bins, -1).sum(1)
    ends = np.asarray(data["pass_index"])[:n].reshape(n_bins, -1)[:, -1] + 1
    return ends, rel


def measure(data, p):
    err = np.asarray(data["error"])
    n_pairs = err.shape[1]
    k_final = max(1, int(round(float(p.final_window) * n_pairs)))
    w = max(1, n_pairs // 20)  # running window of the criterion (5 % of the run)
    passes = np.asarray(data["pass_index"])
    frozen = {}
    for k in range(err.shape[0]):
        if CONDITIONS[data["lane_condition"][k]] == "frozen":
            frozen[(int(data["lane_n"][k]), int(data["lane_seed"][k]))] = err[k]
    sizes = sorted({int(n) for n in data["lane_n"]})
    out = {"n_passes": int(p.n_passes), "sizes": sizes, "n_seeds": int(p.n_seeds), "criterion": float(p.criterion),
           "initial_error": {}, "final_error_ratio": {}, "final_error_ratio_sd": {}, "final_error_ratios": {},
           "passes_to_criterion": {}, "reached_criterion": {}, "whole_over_readout": {}, "liquid_rate_hz": {},
           "recurrent_weight_change": {}}
    for n in sizes:
        key = f"N{n}"
        init = [float(frozen[(n, s)].mean()) for s in range(int(p.n_seeds))]
        out["initial_error"][key] = float(np.mean(init))
        for c in ("readout", "whole", "frozen"):
            ratios, hits, rates, changes = [], [], [], []
            for k in np.flatnonzero((data["lane_n"] == n) & (data["lane_condition"] == CONDITIONS.index(c))):
                ref = frozen[(n, int(data["lane_seed"][k]))]
                ratios.append(float(err[k, -k_final:].sum() / ref[-k_final:].sum()))
                run_rel = np.convolve(err[k], np.ones(w), "valid") / np.convolve(ref, np.ones(w), "valid")
                below = np.flatnonzero(run_rel <= float(p.criterion))
                hits.append(int(passes[below[0] + w - 1]) if below.size else None)
                rates.append(float(data["rate_hz"][k]))
                changes.append(float(data["rec_change"][k]))
            out["final_error_ratios"].setdefault(c, {})[key] = ratios
            out["final_error_ratio"].setdefault(c, {})[key] = float(np.mean(ratios))
            out["final_error_ratio_sd"].setdefault(c, {})[key] = float(np.std(ratios))
            out["passes_to_criterion"].setdefault(c, {})[key] = hits
            out["reached_criterion"].setdefault(c, {})[key] = float(np.mean([h is not None for h in hits]))
            out["liquid_rate_hz"].setdefault(c, {})[key] = float(np.mean(rates))
            out["recurrent_weight_change"].setdefault(c, {})[key] = float(np.mean(changes))
        out["whole_over_readout"][key] = out["final_error_ratio"]["whole"][key] / out["final_error_ratio"]["readout"][key]
    return out


def summary(metrics, p):
    return [f"{key}: final/initial error readout {metrics['final_error_ratio']['readout'][key]:.2f}, "
            f"whole {metrics['final_error_ratio']['whole'][key]:.2f}, frozen "
            f"{metrics['final_error_ratio']['frozen'][key]:.2f}; passes to criterion readout "
            f"{metrics['passes_to_criterion']['readout'][key]}, whole {metrics['passes_to_criterion']['whole'][key]}"
            for key in metrics["initial_error"]]


COLOURS = {"readout": "tab:blue", "whole": "tab:red", "frozen": "0.5"}
LABELS = {"readout": "readout only", "whole": "whole network", "frozen": "no learning"}


def plot(data, metrics, p):
    import matplotlib.pyplot as plt

    ends, rel = relative_curves(data)
    sizes = sorted({int(n) for n in data["lane_n"]})
    fig, axes = plt.subplots(1, len(sizes) + 1, figsize=(3.4 * (len(sizes) + 1), 3.6), constrained_layout=True)
    top = max(1.2, float(np.nanmax(rel)) * 1.05)
    for ax, n in zip(axes[:-1], sizes):
        for c in CONDITIONS:
            sel = (data["lane_n"] == n) & (data["lane_condition"] == CONDITIONS.index(c))
            m, lo, hi = rel[sel].mean(0), rel[sel].min(0), rel[sel].max(0)
            ax.plot(ends, m, color=COLOURS[c], label=LABELS[c])
            if sel.sum() > 1:
                ax.fill_between(ends, lo, hi, color=COLOURS[c], alpha=0.2, lw=0)
        ax.axhline(float(p.criterion), color="0.3", lw=0.8, ls=":")
        ax.set_ylim(0, top)
        ax.set_xlim(0, ends[-1])
        ax.set_title(f"liquid N = {n}", fontsize="medium")
        ax.set_xlabel("forward passes (trials)")
    axes[0].set_ylabel("error / error without learning")
    axes[0].legend(fontsize="small", loc="lower left")
    ax = axes[-1]
    for c in ("readout", "whole"):
        keys = [f"N{n}" for n in sizes]
        m = [metrics["final_error_ratio"][c][k] for k in keys]
        sd = [metrics["final_error_ratio_sd"][c][k] for k in keys]
        ax.errorbar(sizes, m, yerr=sd, color=COLOURS[c], marker="o", capsize=3, label=LABELS[c])
    ax.axhline(float(p.criterion), color="0.3", lw=0.8, ls=":", label="criterion")
    ax.axhline(1.0, color=COLOURS["frozen"], lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([str(n) for n in sizes])
    ax.minorticks_off()
    ax.set_ylim(0, top)
    ax.set_xlabel("liquid size N (neurons)")
    ax.set_ylabel("final error / initial error")
    ax.set_title(f"last {int(round(100 * float(p.final_window)))} % of {p.n_passes} passes", fontsize="medium")
    ax.legend(fontsize="small")
    n_seeds = int(metrics.get("n_seeds", 1))
    fig.suptitle(f"Node perturbation in a spiking liquid: readout only vs whole network "
                 f"(mean{' and range over ' + str(n_seeds) + ' seeds' if n_seeds > 1 else ''})", fontsize="medium")
    return {"readout_only": fig}


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("readout_only")
