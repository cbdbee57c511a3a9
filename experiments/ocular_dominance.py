"""Spiking ocular-dominance columns (Miller, Keller & Stryker 1989): OD period follows the lateral interaction width σ_E.

Two eyes of Poisson-like LGN units on a ring (64 per eye) carry activity correlated within each
eye (Gaussian-smoothed Ornstein-Uhlenbeck fields, σ_C = 2, τ_c = 20 ms) and independent between
the eyes. They project through an arbor (R = 6) onto a ring of 64 LIF units coupled by a fixed
Mexican hat of width σ_E. The feedforward weights start unsegregated (w_max (0.5 ± 0.05), so
|ODI| < 0.1 everywhere) and learn by the acausal Hebbian pair rule with subtractive
normalisation and Miller-style freezing (``models.cortical_sheet.od_rule``). Cells become
monocular and arrange into alternating left/right columns whose period grows with σ_E.

Each σ_E of the sweep runs ``n_seeds`` independent replicas plus (optionally) an
identical-eyes control (both eyes read the same field: equal rates, independent spikes), all
side by side in one compiled network. Measured (docs/validation.md, checks O1-O3):
mean |ODI|, the fraction of monocular cells, the seed-pooled ODI power spectrum and its
centroid wavelength, against the linear-stability prediction Λ* for the effective lateral
interaction (1 - cW)⁻¹ (``snnlearn.metrics.maps.od_wavelength_theory``).
"""
import numpy as np
from brian2 import Hz, ms, second

from snnlearn.models.cortical_sheet import build_od_network, od_rule
from snnlearn.metrics.maps import (fraction_left, mean_abs_odi, od_index, od_wavelength, od_wavelength_theory,
                                   segregation)
from snnlearn.params import Param

PARAMS = {
    "sigma_E": Param([1.0, 1.5, 2.0], low=0.0, strict=True, min_len=1,
                     doc="widths of the lateral Mexican hat (cells), one condition each"),
    "n_seeds": Param(3, low=1, doc="independent replicas per sigma_E"),
    "identical_eyes_control": Param(True, doc="one identical-eyes replica per sigma_E (both eyes read one field)"),
    "n_cortex": Param(64, low=1, doc="cortical units = LGN positions per eye (ring)"),
    "arbor_radius": Param(6, low=0, doc="feedforward arbor |x - alpha| <= R, cells (2 R < n_cortex)"),
    "J0": Param(1.5, low=0.0, doc="lateral gain (largest eigenvalue of the lateral matrix)"),
    "sigma_C": Param(2.0, low=0.0, strict=True, doc="smoothing kernel of the retinal field (cells)"),
    "tau_c": Param(20 * ms, low=0 * ms, strict=True, doc="correlation time of the retinal activity"),
    "r0": Param(15 * Hz, low=0 * Hz, doc="LGN mean rate"),
    "gain": Param(0.8, low=0.0, doc="modulation depth a of the LGN rate by the field f: rate = r0 clip(1 + a f, 0, 4)"),
    "mu": Param(0.3, doc="cortical mean drive (units of the threshold, 1)"),
    "sigma_n": Param(0.3, low=0.0, doc="cortical membrane noise SD (units of the threshold)"),
    "tau_m": Param(20 * ms, low=0 * ms, strict=True, doc="cortical membrane time constant"),
    "refractory": Param(2 * ms, low=0 * ms, strict=True, doc="cortical refractory period"),
    "w_max": Param(0.2, low=0.0, strict=True, doc="feedforward weight bound (jump of v per spike)"),
    "w_init": Param(0.5, low=0.0, strict=True, high=1.0, strict_high=True,
                    doc="initial weights w_max * (w_init +- w_noise), fraction of w_max"),
    "w_noise": Param(0.05, low=0.0,
                     doc="spread of the initial weights, fraction of w_max (w_init +- w_noise in (0, 1))"),
    "eta": Param(0.002, low=0.0, runtime=True, doc="learning rate per pair count (Hebbian pair rule, models.cortical_sheet.od_rule)"),
    "tau_h": Param(20 * ms, low=0 * ms, strict=True, doc="Hebbian pairing window"),
    "update_interval": Param(100 * ms, low=0 * ms, strict=True, doc="a normalised weight update every ..."),
    "duration": Param(300 * second, low=0 * second, strict=True, doc="simulated development time"),
    "snapshot_interval": Param(30 * second, low=0 * second, strict=True,
                               doc="weight snapshots (ODI history) every ... (<= duration)"),
    "loop_gain": Param(0.5, low=0.0, doc="c of the effective interaction (1 - cW)^-1 for the predicted period Lambda*"),
    "dt": Param(0.5 * ms, low=0 * ms, strict=True, doc="simulation time step"),
}

QUICK = {"sigma_E": [1.0, 2.0], "n_seeds": 1, "duration": 100 * second, "snapshot_interval": 20 * second}


def validate(p):
    """Refuse a combination of values in one line (the runner calls this before the run directory exists)."""
    if p.snapshot_interval > p.duration:
        raise ValueError("snapshot_interval must not exceed duration")
    if not (0 < p.w_init - p.w_noise and p.w_init + p.w_noise < 1):
        raise ValueError(f"w_init +- w_noise must lie inside (0, 1), got {p.w_init} +- {p.w_noise}")
    if not 2 * int(p.arbor_radius) < int(p.n_cortex):
        raise ValueError(f"arbor_radius must be below n_cortex / 2 = {int(p.n_cortex) / 2}, got {p.arbor_radius}")


def conditions(p):
    """Replica list: (sigma_E, eye_correlation, seed index) for every replica, in network order."""
    out = [(float(s), 0.0, k) for s in p.sigma_E for k in range(int(p.n_seeds))]
    if p.identical_eyes_control:
        out += [(float(s), 1.0, 0) for s in p.sigma_E]
    return out


def simulate(p, ctx):
    """Build and run the network in one compiled program; returns the arrays the measures and figures need.
    The learning rate reaches the program as a value (``eta`` is a shared variable of the feedforward
    synapses), so a sweep over it at one seed compiles once; the seed draws the initial weights and the
    retina, which are compiled in."""
    validate(p)
    cond = conditions(p)
    sig = [c[0] for c in cond]
    rho = [c[1] for c in cond]
    rule = od_rule(eta=p.eta, tau_h=p.tau_h, wmax=p.w_max, interval=p.update_interval)
    ctx.record_rule(rule, "LGN -> cortex (feedforward)")
    T = float(p.duration / second)
    n, B = int(p.n_cortex), len(cond)

    def build(ctx):
        m = build_od_network(sig, ctx.rng, eye_correlation=rho, n=n, arbor_radius=int(p.arbor_radius),
                             J0=p.J0, w_max=p.w_max, w_init=p.w_init, w_noise=p.w_noise, rule=rule,
                             retina_kw={"sigma_C": p.sigma_C, "tau_c": p.tau_c, "r0": p.r0, "gain": p.gain},
                             cortex_kw={"mu": p.mu, "sigma_n": p.sigma_n, "tau_m": p.tau_m,
                                        "refractory": p.refractory},
                             record_dt=p.snapshot_interval, dt=p.dt, name="od", variable_params=("eta",))
        ctx.log(f"{len(cond)} replicas ({len(p.sigma_E)} sigma_E x {p.n_seeds} seeds"
                f"{' + identical-eyes controls' if p.identical_eyes_control else ''}), "
                f"{m.ff_pre.size} plastic synapses, {p.duration} of development")
        ctx.plan(p.duration)
        ctx.run(m.net, p.duration, namespace={})
        return m

    def collect(m):
        pre, post = np.array(m.ff.i[:]), np.array(m.ff.j[:])
        w_hist = np.array(m.w_monitor.w[:], dtype=float)          # (n_syn, n_snap)
        w_final = np.array(m.ff.w[:], dtype=float)
        act = np.array(m.ff.act[:], dtype=float)

        def odi(w):
            return np.stack([od_index(*[x[b] for x in m.eye_weights(w, pre, post)]) for b in range(B)])

        # the first snapshot is taken at t = 0, before any update: the initial weights
        wl, wr = m.eye_weights(w_final, pre, post)
        return {
            "odi_initial": odi(w_hist[:, 0]), "odi_final": odi(w_final),
            "odi_history": np.stack([odi(w_hist[:, k]) for k in range(w_hist.shape[1])] + [odi(w_final)]),
            "t_history_s": np.append(np.array(m.w_monitor.t[:] / second), T),
            "w_left_final": wl, "w_right_final": wr,
            "saturated_fraction": np.array([1 - act[post // n == b].mean() for b in range(B)]),
            "cortex_rate_hz": np.array(m.cortex_spikes.count[:], dtype=float).reshape(B, n).mean(axis=1) / T,
            "lgn_rate_hz": np.array(m.lgn_spikes.count[:], dtype=float).reshape(B, 2 * n).mean(axis=1) / T,
        }

    data = ctx.program(build, lambda m: {m.ff.eta: rule.params["eta"]}, collect, seed_is_structure=True)
    theory_grid = np.linspace(0.5 * min(p.sigma_E), 1.25 * max(p.sigma_E), 40)
    return {"theory_sigma_E": theory_grid, "theory_wavelength": theory(p, theory_grid),
            "sigma_E": np.asarray(sig), "eye_correlation": np.asarray(rho),
            "seed_index": np.asarray([c[2] for c in cond]), **data}


def theory(p, sigmas):
    """Lambda* (cells) for the effective interaction and the field's correlation width sqrt(2) sigma_C."""
    return np.array([od_wavelength_theory(float(s), np.sqrt(2) * float(p.sigma_C), int(p.arbor_radius),
                                          interaction="effective", n=256, loop_gain=float(p.loop_gain))
                     for s in sigmas])


def measure(data, p):
    """Metrics per sigma_E (lists in the order of ``p.sigma_E``) and of the identical-eyes controls."""
    sig, rho, odi = data["sigma_E"], data["eye_correlation"], data["odi_final"]
    out = {"sigma_E": [float(s) for s in p.sigma_E], "n_seeds": int(p.n_seeds)}
    keys = ("mean_abs_odi", "mean_abs_odi_per_seed", "segregation", "segregation_08", "fraction_left_per_seed",
            "od_wavelength", "od_wavelength_peak", "od_wavelength_per_seed", "od_wavelength_theory",
            "od_wavelength_error", "saturated_fraction", "cortex_rate_hz", "identical_eyes_mean_abs_odi")
    for k in keys:
        out[k] = []
    lam_star = theory(p, p.sigma_E)
    for s, ls in zip(p.sigma_E, lam_star):
        sel = (sig == float(s)) & (rho == 0)
        maps = [odi[b] for b in np.flatnonzero(sel)]
        per_seed = [mean_abs_odi(x) for x in maps]
        out["mean_abs_odi"].append(float(np.mean(per_seed)))
        out["mean_abs_odi_per_seed"].append([float(x) for x in per_seed])
        out["segregation"].append(float(np.mean([segregation(x, 0.5) for x in maps])))
        out["segregation_08"].append(float(np.mean([segregation(x, 0.8) for x in maps])))
        out["fraction_left_per_seed"].append([fraction_left(x) for x in maps])
        lam = od_wavelength(maps, "centroid")
        out["od_wavelength"].append(lam)
        out["od_wavelength_peak"].append(od_wavelength(maps, "peak"))
        out["od_wavelength_per_seed"].append([od_wavelength(x, "centroid") for x in maps])
        out["od_wavelength_theory"].append(float(ls))
        out["od_wavelength_error"].append(float((lam - ls) / ls))
        out["saturated_fraction"].append(float(data["saturated_fraction"][sel].mean()))
        out["cortex_rate_hz"].append(float(data["cortex_rate_hz"][sel].mean()))
        ctrl = (sig == float(s)) & (rho == 1)
        out["identical_eyes_mean_abs_odi"].append(float(mean_abs_odi(odi[ctrl][0])) if ctrl.any() else None)
    out["wavelength_ratio_last_first"] = float(out["od_wavelength"][-1] / out["od_wavelength"][0])
    out["initial_max_abs_odi"] = float(np.max(np.abs(data["odi_initial"])))
    out["lgn_rate_hz"] = float(data["lgn_rate_hz"].mean())
    out["duration_s"] = float(p.duration / second)
    return out


def summary(metrics, p):
    return [f"sigma_E = {s:g}: mean|ODI| = {a:.3f}, period {lam:.1f} cells (theory {ls:.1f})"
            + (f", identical eyes {c:.3f}" if c is not None else "")
            for s, a, lam, ls, c in zip(p.sigma_E, metrics["mean_abs_odi"], metrics["od_wavelength"],
                                        metrics["od_wavelength_theory"], metrics["identical_eyes_mean_abs_odi"])]


def plot(data, metrics, p):
    import matplotlib.pyplot as plt

    from snnlearn.plot.maps import map_snapshots, od_map, od_spectrum_plot

    figs = {}
    sig, rho, odi = data["sigma_E"], data["eye_correlation"], data["odi_final"]
    sigmas = [float(s) for s in p.sigma_E]

    # OD maps: one row per replica, grouped by sigma_E, controls at the bottom
    rows = [(f"σ_E = {s:g}, seed {k}", b) for s in sigmas
            for k, b in enumerate(np.flatnonzero((sig == s) & (rho == 0)))]
    rows += [(f"σ_E = {s:g}, identical eyes", int(np.flatnonzero((sig == s) & (rho == 1))[0]))
             for s in sigmas if np.any((sig == s) & (rho == 1))]
    fig, axes = plt.subplots(len(rows), 1, figsize=(8, 0.62 * len(rows) + 1.2), layout="constrained", squeeze=False)
    for ax, (label, b) in zip(axes[:, 0], rows):
        od_map(odi[b], ax=ax, colorbar=False, title="")
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize="small")
        ax.text(1.01, 0.5, f"|ODI| = {np.mean(np.abs(odi[b])):.2f}", transform=ax.transAxes, va="center",
                fontsize="small")
        if ax is not axes[-1, 0]:
            ax.set_xlabel("")
            ax.set_xticklabels([])
    cb = fig.colorbar(axes[0, 0].images[0], ax=axes[:, 0].tolist(), ticks=[-1, 0, 1], fraction=0.025, pad=0.09)
    cb.ax.set_yticklabels(["−1 right", "0", "+1 left"], fontsize="small")
    cb.set_label("ODI = (L − R)/(L + R)")
    fig.suptitle(f"Ocular-dominance maps after {float(p.duration / second):g} s (cortical ring of {int(p.n_cortex)} "
                 "cells)", fontsize="medium")
    figs["od_maps"] = fig

    # seed-pooled spectra with the linear-stability prediction
    fig, axes = plt.subplots(1, len(sigmas), figsize=(4.6 * len(sigmas), 3.6), layout="constrained", squeeze=False)
    for ax, s, ls in zip(axes[0], sigmas, metrics["od_wavelength_theory"]):
        maps = [odi[b] for b in np.flatnonzero((sig == s) & (rho == 0))]
        od_spectrum_plot(maps, ax=ax, theory=ls, title=f"σ_E = {s:g}: {len(maps)} seed(s) pooled")
    figs["od_spectra"] = fig

    # period against sigma_E
    fig, ax = plt.subplots(figsize=(5, 3.8), layout="constrained")
    ax.plot(data["theory_sigma_E"], data["theory_wavelength"], "-", color="C2",
            label="linear stability Λ* (effective interaction)")
    for k, s in enumerate(sigmas):
        per_seed = metrics["od_wavelength_per_seed"][k]
        ax.plot([s] * len(per_seed), per_seed, "o", color="0.6", ms=4,
                label="single seed (centroid)" if k == 0 else None)
    ax.plot(sigmas, metrics["od_wavelength"], "s", color="C3", ms=7, label="seed-pooled spectrum (centroid)")
    ax.plot(sigmas, metrics["od_wavelength_peak"], "x", color="C0", ms=7, label="seed-pooled spectrum (peak)")
    ax.set_xlabel("lateral interaction width σ_E (cells)")
    ax.set_ylabel("OD period Λ (cells)")
    ax.set_ylim(bottom=0)
    ax.set_title("OD column period follows σ_E", fontsize="medium")
    ax.legend(fontsize="small")
    figs["period_vs_sigma"] = fig

    # development: snapshots of the first seed of each sigma_E, and mean |ODI| over time
    t = data["t_history_s"]
    hist = data["odi_history"]
    pick = np.unique(np.linspace(0, t.size - 1, min(6, t.size)).round().astype(int))
    fig = plt.figure(figsize=(2.2 * pick.size + 1.5, 1.9 * len(sigmas) + 2.8), layout="constrained")
    sub = fig.subfigures(2, 1, height_ratios=[1.9 * len(sigmas), 2.8])
    snap_axes = sub[0].subplots(len(sigmas), pick.size, squeeze=False)
    for r, s in enumerate(sigmas):
        b = int(np.flatnonzero((sig == s) & (rho == 0))[0])
        map_snapshots([hist[k, b] for k in pick], [t[k] for k in pick], kind="od", time_unit="s",
                      axes=snap_axes[r])
        snap_axes[r, 0].set_ylabel(f"σ_E = {s:g}", rotation=0, ha="right", va="center")
    sub[0].suptitle("Development of the OD map (first seed)", fontsize="medium")
    ax = sub[1].subplots()
    for k, s in enumerate(sigmas):
        sel = np.flatnonzero((sig == s) & (rho == 0))
        curve = np.mean(np.abs(hist[:, sel, :]), axis=2)
        ax.plot(t, curve.mean(axis=1), "-o", ms=3, color=f"C{k}", label=f"σ_E = {s:g}")
        ctrl = np.flatnonzero((sig == s) & (rho == 1))
        if ctrl.size:
            ax.plot(t, np.mean(np.abs(hist[:, ctrl[0], :]), axis=1), ":", color=f"C{k}",
                    label=f"σ_E = {s:g}, identical eyes")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mean |ODI|")
    ax.set_ylim(0, 1)
    ax.set_title("Segregation over time (mean over seeds; dotted: identical-eyes control)", fontsize="medium")
    ax.legend(fontsize="small", ncol=2, loc="upper left")
    figs["od_development"] = fig
    return figs


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("ocular_dominance")
