"""Spiking topographic map (Willshaw & von der Malsburg 1976; Kohonen 1982; Song & Abbott 2001): maps that self-organise from scrambled weights.

Inputs on a ring of 100 units (``geometry="ring"``, check T2 of docs/validation.md) or on a 12 x 12
sheet (``geometry="sheet"``) fire at 2 Hz plus a Gaussian bump of 38 Hz (σ = 5 inputs on the
ring) whose centre is redrawn every 50-100 ms. They project all-to-all onto LIF units on a
ring of 50 (or an 8 x 8 sheet) coupled by local excitation and global inhibition. The
feedforward weights start flat with a coarse topographic bias ``b`` (a ±b modulation of the
mean weight, the "polarity marker") and 20 % noise, or with no bias (scrambled), and learn by
the symmetric Hebbian pair rule with subtractive normalisation and non-freezing bounds
(``models.cortical_sheet.map_rule``).

Developmental mechanism (``anneal``, on by default), coarse to fine in three places at once:

* Kohonen's (1982) shrinking neighbourhood: the width of the cortical lateral excitation shrinks
  exponentially from ``<geometry>_anneal_sigma_start`` to ``<geometry>_lateral_sigma`` over
  ``anneal_time``, then stays; its peak rises so that the summed excitation a unit receives stays
  constant (``gain_exponent = 1``; ``models.cortical_sheet.annealed_lateral_synapses``);
* shrinking input correlations (``input_anneal``): the stimulus bump starts
  ``<geometry>_input_width_start`` times wider (its peak lower, its summed rate the same) and
  narrows to ``<geometry>_bump_sigma`` over the same ``anneal_time``, like the spontaneous
  activity of the developing retina, correlated over a larger extent than the visual input
  that follows it (retinal waves: Meister, Wong, Baylor & Shatz 1991, Science 252:939);
* an annealed learning rate (Kohonen 1982 shrinks it with the neighbourhood): ``<geometry>_eta_boost``
  times ``<geometry>_eta`` at t = 0, shrinking exponentially to ``<geometry>_eta`` over the same
  ``anneal_time`` (``models.cortical_sheet.build_map_network``'s ``rate_factors``).

Widths, gains, input widths and learning-rate factors are TimedArrays read every ``anneal_step``
inside the compiled program. Why both: with narrow input correlations, receptive fields of 1, 2 or 3 cycles over the
input ring grow about equally fast, so shrinking only the lateral width (which fixes one cortical
cycle) still left twisted and kinked maps in about 4 of 10 seeds (docs/validation.md); wide
input bumps first favour the single-cycle receptive field, so that the map unfolds with winding
+-1 before it sharpens. Why the learning-rate boost: at the base rate the receptive fields stay
almost flat (selectivity < 0.1) while the interactions are wide, so the global order formed only
once the widths had narrowed, where twists and folds can freeze (about 1 ring in 10); learning
three times faster at first orders the map earlier, while the interactions are still wider
(order rising at 40-70 s, lateral width 8 -> 4 units, rather than at 60-80 s, 5 -> 3 units;
docs/validation.md, T2s).
Conditions: one per bias (the first, b = 0, is the headline: from scratch; b > 0 is the
polarity-marker comparison), and with ``fixed_width_control`` the same b = 0 network without
annealing (today's network). A map meets the criterion with order >= ``criterion_order`` (ring:
|rho_FL|; sheet: on each axis), topographic error <= ``criterion_error`` and RF selectivity
>= ``criterion_selectivity``; reported per condition: how many seeds meet it, and the simulated
time from which on they do.

Every condition runs ``n_seeds`` replicas; with ``frozen_control`` each replica of the
first condition has a twin with the same initial weights whose learning switch is off
(``plasticity = 0``). All replicas share one compiled network.

Measured (docs/validation.md, Topographic maps): on the ring, the RF centre θ_j (circular mean),
RF selectivity (resultant length), the Fisher-Lee circular correlation |ρ_FL| between unit
position and θ_j, the fraction of neighbouring units with |Δθ| < 3·2π/N, the winding number and
the topographic error; on the sheet, the RF centres (weight-weighted mean position), the
Spearman order of each axis, the orientation-free Spearman correlation of lattice and RF-centre
distances, the topographic error (Kiviluoto 1996) against the stimulus positions, and an RF
selectivity (1 − RF spread / spread of flat weights).
"""
import numpy as np
from brian2 import Hz, ms, second

from snnlearn.models.cortical_sheet import annealing_schedule, build_map_network, coarse_bias, map_rule
from snnlearn.inputs import bump_schedule, lattice_positions
from snnlearn.params import Param
from snnlearn.metrics.maps import (lattice_coordinates, rf_centres, ring_map_measures, topographic_error,
                                   topographic_order, topographic_spearman)

PARAMS = {
    "geometry": Param("ring", choices=("ring", "sheet"), doc="a ring of inputs (check T2) or a 2-D sheet"),
    "n_seeds": Param(3, low=1, doc="replicas per bias condition"),
    "frozen_control": Param(True, doc="a frozen-weights twin of every replica of the first bias"),
    "fixed_width_control": Param(True, doc="n_seeds more replicas of bias 0 without the developmental mechanism"),
    # developmental mechanism (Kohonen 1982), inside the compiled program
    "anneal": Param(True, doc="shrink the lateral width, the input bump width and the learning-rate boost"),
    "input_anneal": Param(True, doc="with anneal: the input bump starts <geometry>_input_width_start times wider"),
    "anneal_time": Param(100 * second, low=0 * second, strict=True, doc="widths and rate shrink over ..., then held"),
    "anneal_step": Param(1 * second, low=0 * second, strict=True, doc="the annealed values are updated every ..."),
    "gain_exponent": Param(1.0, low=0.0, doc="1: the summed lateral excitation stays constant as the width shrinks"),
    "criterion_order": Param(0.9, low=0.0, high=1.0, doc="a map meets the criterion with order >= ..."),
    "criterion_error": Param(0.05, low=0.0, high=1.0, doc="... and topographic error <= ..."),
    "criterion_selectivity": Param(0.5, low=0.0, high=1.0, doc="... and RF selectivity >= ..."),
    "duration": Param(150 * second, low=0 * second, strict=True, doc="simulated development"),
    "record_interval": Param(10 * second, low=0 * second, strict=True, doc="weight snapshots every ..."),
    "bin": Param(5 * ms, low=0 * ms, strict=True, doc="stimulus bin; a bump centre is held dwell_min..dwell_max bins"),
    "dwell_min": Param(10, low=1, doc="shortest hold of a bump centre (bins)"),
    "dwell_max": Param(20, low=1, doc="longest hold of a bump centre (bins)"),
    "peak_rate": Param(38 * Hz, low=0 * Hz, doc="input rate at the bump centre, above the baseline"),
    "baseline_rate": Param(2 * Hz, low=0 * Hz, doc="input rate everywhere"),
    "mu": Param(0.2, doc="cortical mean drive (units of the threshold, 1)"),
    "sigma_n": Param(0.3, low=0.0, doc="cortical membrane noise SD (units of the threshold)"),
    "tau_m": Param(20 * ms, low=0 * ms, strict=True, doc="cortical membrane time constant"),
    "refractory": Param(2 * ms, low=0 * ms, doc="cortical refractory period"),
    "tau_h": Param(20 * ms, low=0 * ms, strict=True, doc="Hebbian pairing window"),
    "update_interval": Param(100 * ms, low=0 * ms, strict=True, doc="a normalised weight update every ..."),
    "init_noise": Param(0.2, low=0.0, doc="w0 = w_max w_init (1 + b m + init_noise U(-1, 1)), clipped to [0, w_max]"),
    "dt": Param(0.5 * ms, low=0 * ms, strict=True, doc="simulation time step"),
    # ring (check T2, docs/validation.md)
    "ring_biases": Param([0.0, 0.1], low=0.0, min_len=1,
                         doc="coarse topographic biases b, one condition each; the first is the headline (0: scratch)"),
    "ring_n_inputs": Param(100, low=2, doc="inputs on the ring"),
    "ring_n_units": Param(50, low=2, doc="cortical units on the ring"),
    "ring_bump_sigma": Param(5.0, low=0.0, strict=True, doc="input bump width (inputs; final width when annealing)"),
    "ring_lateral_sigma": Param(2.0, low=0.0, strict=True, doc="lateral excitation width (units; final width)"),
    "ring_anneal_sigma_start": Param(20.0, low=0.0, strict=True,
                                     doc="lateral excitation width at t = 0 (units; calibrated with ring_eta_boost)"),
    "ring_input_width_start": Param(5.0, low=0.0, strict=True,
                                    doc="input bump width at t = 0 in multiples of ring_bump_sigma (peak / factor)"),
    "ring_Je": Param(0.6, low=0.0, doc="summed lateral excitation a unit receives (units of the threshold)"),
    "ring_Ji": Param(0.08, low=0.0, doc="global inhibition per cortical spike (units of the threshold)"),
    "ring_w_max": Param(0.08, low=0.0, strict=True, doc="feedforward weight bound (jump of v per spike)"),
    "ring_w_init": Param(0.5, low=0.0, strict=True, high=1.0, doc="mean initial weight in units of ring_w_max"),
    "ring_eta": Param(1e-3, low=0.0, strict=True, runtime=True, doc="learning rate per pair count (final rate when annealing)"),
    "ring_eta_boost": Param(3.0, low=0.0, strict=True,
                            doc="learning rate at t = 0 in multiples of ring_eta, shrinking to 1 over anneal_time"),
    # 2-D sheet (open boundaries), calibrated in tests/test_spiking_maps.py
    "sheet_biases": Param([0.0, 0.4], low=0.0, min_len=1,
                          doc="coarse topographic biases b, one condition each; the first is the headline"),
    "sheet_inputs_side": Param(12, low=2, doc="inputs per side of the input sheet"),
    "sheet_units_side": Param(8, low=2, doc="cortical units per side of the cortical sheet"),
    "sheet_bump_sigma": Param(1.5, low=0.0, strict=True, doc="input bump width (inputs; final width when annealing)"),
    "sheet_lateral_sigma": Param(1.0, low=0.0, strict=True, doc="lateral excitation width (units; final width)"),
    "sheet_anneal_sigma_start": Param(2.0, low=0.0, strict=True,
                                      doc="lateral width at t = 0 (units; 4 left maps contracted: 0/8 in 150 s)"),
    "sheet_input_width_start": Param(3.0, low=0.0, strict=True,
                                     doc="input bump width at t = 0 in multiples of sheet_bump_sigma (peak / factor^2)"),
    "sheet_Je": Param(0.5, low=0.0, doc="summed lateral excitation a unit receives (units of the threshold)"),
    "sheet_Ji": Param(0.06, low=0.0, doc="global inhibition per cortical spike (units of the threshold)"),
    "sheet_w_max": Param(0.13, low=0.0, strict=True, doc="feedforward weight bound (jump of v per spike)"),
    "sheet_w_init": Param(0.25, low=0.0, strict=True, high=1.0, doc="mean initial weight in units of sheet_w_max"),
    "sheet_eta": Param(2e-3, low=0.0, strict=True, runtime=True,
                       doc="learning rate per pair count (calibrated with the input annealing: 5/9 in 300-400 s)"),
    "sheet_eta_boost": Param(1.0, low=0.0, strict=True,
                             doc="learning rate at t = 0 in multiples of sheet_eta (3 did no better in 300 s)"),
}

QUICK = {"n_seeds": 1, "duration": 40 * second, "record_interval": 5 * second}


def geometry_config(p):
    """The geometry-specific settings of ``p`` as a dict (shapes, widths, gains, rule); PARAMS bounds them."""
    g = "ring_" if p.geometry == "ring" else "sheet_"
    if p.geometry == "ring":
        in_shape, out_shape = (int(p.ring_n_inputs),), (int(p.ring_n_units),)
    else:
        in_shape = (int(p.sheet_inputs_side),) * 2
        out_shape = (int(p.sheet_units_side),) * 2
    cfg = {k: p[g + k] for k in ("biases", "bump_sigma", "lateral_sigma", "anneal_sigma_start", "input_width_start",
                                 "Je", "Ji", "w_max", "w_init", "eta", "eta_boost")}
    cfg.update(in_shape=in_shape, out_shape=out_shape, periodic=p.geometry == "ring")
    return cfg


def validate(p):
    """Combinations of parameters (each one's bounds are in PARAMS); the runner calls this before the run exists."""
    if p.record_interval > p.duration:
        raise ValueError("record_interval must not exceed duration")
    if not 1 <= int(p.dwell_min) <= int(p.dwell_max):
        raise ValueError(f"need 1 <= dwell_min <= dwell_max, got {p.dwell_min}, {p.dwell_max}")


def initial_weights(cfg, bias, init_noise, rng):
    """``clip(w_max w_init (1 + b m(i, j) + init_noise U(-1, 1)), 0, w_max)``, m = :func:`coarse_bias`.

    On the ring with w_init = 0.5, init_noise = 0.2 this is docs/validation.md's
    ``w_max (0.5 + 0.5 b cos(2 pi (i/100 - j/50)) + 0.1 U(-1, 1))``."""
    m = coarse_bias(cfg["in_shape"], cfg["out_shape"], cfg["periodic"])
    u = rng.uniform(-1, 1, m.shape)
    return np.clip(cfg["w_max"] * cfg["w_init"] * (1 + bias * m + init_noise * u), 0, cfg["w_max"])


# --------------------------------------------------------------------------------------------
# measures
# --------------------------------------------------------------------------------------------

def ring_measures(w, stimulus_angles):
    """T2 measures of one ring map ``w`` (n_in, n_out), plus the topographic error of the RF
    centres embedded on the unit circle against the stimulus angles."""
    r = ring_map_measures(w)
    codebook = np.stack([np.cos(r["theta"]), np.sin(r["theta"])], axis=1)
    data = np.stack([np.cos(stimulus_angles), np.sin(stimulus_angles)], axis=1)
    return {"theta": r["theta"], "topographic_order": abs(r["rho_fl"]), "rho_fl": r["rho_fl"],
            "association": r["association"], "neighbour_fraction": r["neighbour_fraction"],
            "winding": r["winding"], "rf_selectivity": r["mean_selectivity"],
            "topographic_error": topographic_error(codebook, data, (w.shape[1],), periodic=True)}


def sheet_selectivity(w, positions):
    """RF selectivity on a sheet: ``1 - sqrt(sum_i w_i |x_i - c|^2 / sum_i w_i) / s_flat`` with
    ``c`` the RF centre and ``s_flat`` the same spread for flat weights: 0 for flat weights,
    1 for a single input. Mean over units."""
    c = rf_centres(w, positions)
    d2 = np.sum((positions[:, None, :] - c[None, :, :]) ** 2, axis=-1)
    spread = np.sqrt(np.sum(w * d2, axis=0) / w.sum(axis=0))
    flat = np.sqrt(np.mean(np.sum((positions - positions.mean(axis=0)) ** 2, axis=1)))
    return float(np.mean(1 - spread / flat))


def sheet_measures(w, in_shape, out_shape, stimulus_centres):
    """Measures of one sheet map ``w`` (n_in, n_out): RF centres, Spearman order per axis
    (``topographic_order``: orientation-free, |rho| per lattice axis with the RF axes matched to the
    lattice axes or swapped, since a map from scratch has an arbitrary orientation;
    ``signed_order``: signed, as the coarse bias fixes the orientation), the orientation-free Spearman correlation of lattice
    and RF-centre distances over all unit pairs, the topographic error against the stimulus
    centres (open lattice, 8-neighbourhood) and the RF selectivity."""
    pos = lattice_positions(in_shape).astype(float)
    c = rf_centres(w, pos)
    lat = lattice_coordinates(out_shape)
    order = topographic_order(lat, c)
    swapped = topographic_order(lat, c[:, ::-1])
    # orientation-free: |Spearman| per lattice axis, the RF axes matched to the lattice axes (or swapped)
    free = np.abs(order) if np.min(np.abs(order)) >= np.min(np.abs(swapped)) else np.abs(swapped)
    return {"centres": c, "topographic_order": [float(x) for x in free], "signed_order": [float(x) for x in order],
            "distance_order": topographic_spearman(c, out_shape, periodic=False),
            "topographic_error": topographic_error(c, stimulus_centres, out_shape, periodic=False),
            "rf_selectivity": sheet_selectivity(w, pos)}


def _stimulus(centres, on, cfg, copy):
    """The stimulus positions that copy ``copy`` saw (``centres``, ``on``: the bump schedule's arrays), as
    ring angles or sheet positions."""
    c = centres[on[:, copy] > 0, copy, :]
    if cfg["periodic"]:
        return 2 * np.pi * c[:, 0] / cfg["in_shape"][0]
    return c


def measure_map(w, cfg, stimulus):
    if cfg["periodic"]:
        return ring_measures(w, stimulus)
    return sheet_measures(w, cfg["in_shape"], cfg["out_shape"], stimulus)


# --------------------------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------------------------

def conditions(p, cfg):
    """The learning conditions, in order: one per bias (annealed when ``p.anneal``), then, with
    ``fixed_width_control`` and annealing on, bias 0 at the fixed final width. Returns a list of
    ``(name, bias, annealed)``."""
    anneal = bool(p.anneal)
    out = [(f"{'annealed' if anneal else 'fixed width'}, b = {float(b):g}", float(b), anneal) for b in cfg["biases"]]
    if anneal and p.fixed_width_control:
        out.append(("fixed width, b = 0", 0.0, False))
    return out


def lateral_widths(p, cfg, annealed):
    """Excitation width per ``anneal_step`` (rows) and replica (columns): Kohonen's shrinking
    schedule (:func:`models.cortical_sheet.annealing_schedule`) for annealed replicas, the
    constant final width otherwise."""
    shrink = annealing_schedule(cfg["anneal_sigma_start"], cfg["lateral_sigma"], p.anneal_time, p.duration,
                                step=p.anneal_step)
    flat = np.full(shrink.shape, float(cfg["lateral_sigma"]))
    return np.stack([shrink if a else flat for a in annealed], axis=1)


def input_widths(p, cfg, annealed):
    """Input bump width factor per ``anneal_step`` (rows) and replica (columns): for annealed
    replicas (with ``input_anneal``) it shrinks exponentially from ``<geometry>_input_width_start``
    to 1 over ``anneal_time`` (the bump's peak divided by the factor per dimension, so that its
    summed rate stays constant), otherwise 1."""
    shrink = annealing_schedule(cfg["input_width_start"], 1.0, p.anneal_time, p.duration, step=p.anneal_step)
    flat = np.ones(shrink.shape)
    use = bool(p.input_anneal)
    return np.stack([shrink if (a and use) else flat for a in annealed], axis=1)


def rate_factors(p, cfg, annealed):
    """Learning-rate factor per ``anneal_step`` (rows) and replica (columns): for annealed replicas
    it shrinks exponentially from ``<geometry>_eta_boost`` to 1 over ``anneal_time`` (Kohonen 1982
    anneals the learning rate together with the neighbourhood: fast, coarse learning while the
    interactions are wide, so that the global order forms before the receptive fields sharpen),
    otherwise 1."""
    shrink = annealing_schedule(cfg["eta_boost"], 1.0, p.anneal_time, p.duration, step=p.anneal_step)
    flat = np.ones(shrink.shape)
    return np.stack([shrink if a else flat for a in annealed], axis=1)


def simulate(p, ctx):
    validate(p)
    cfg = geometry_config(p)
    n_seeds = int(p.n_seeds)
    conds = conditions(p, cfg)
    biases = [c[1] for c in conds]
    rng = ctx.rng
    w0p = np.stack([initial_weights(cfg, b, p.init_noise, rng) for b in biases for _ in range(n_seeds)])
    w0f = w0p[:n_seeds].copy() if p.frozen_control else None
    n_rep = w0p.shape[0] + (0 if w0f is None else w0f.shape[0])
    annealed = [c[2] for c in conds for _ in range(n_seeds)] + ([conds[0][2]] * n_seeds if w0f is not None else [])
    widths = lateral_widths(p, cfg, annealed)
    in_widths = input_widths(p, cfg, annealed)
    eta_factors = rate_factors(p, cfg, annealed)
    schedule = bump_schedule(rng, p.duration, cfg["in_shape"], copies=n_rep, bin_dt=p.bin,
                             dwell_bins=(int(p.dwell_min), int(p.dwell_max)), periodic=cfg["periodic"])
    rule = map_rule(eta=cfg["eta"], tau_h=p.tau_h, wmax=cfg["w_max"], interval=p.update_interval, rate_factor=True)
    ctx.record_rule(rule, "inputs -> cortex (feedforward)")

    def build(ctx):
        m = build_map_network(cfg["in_shape"], cfg["out_shape"], schedule, w0p, w0f, rng, sigma=cfg["bump_sigma"],
                              peak=p.peak_rate, baseline=p.baseline_rate, periodic=cfg["periodic"], Je=cfg["Je"],
                              sigma_lat=cfg["lateral_sigma"], Ji=cfg["Ji"], rule=rule, w_max=cfg["w_max"],
                              cortex_kw={"mu": p.mu, "sigma_n": p.sigma_n, "tau_m": p.tau_m,
                                         "refractory": p.refractory},
                              record_dt=p.record_interval, dt=p.dt, lateral_widths=widths, anneal_step=p.anneal_step,
                              input_widths=in_widths, rate_factors=eta_factors,
                              gain_exponent=float(p.gain_exponent), name="topo", variable_params=("eta",))
        ctx.log(f"{p.geometry}: {cfg['in_shape']} inputs -> {cfg['out_shape']} units, {w0p.shape[0]} learning "
                f"replicas ({[c[0] for c in conds]} x {n_seeds} seeds)"
                f"{f' + {w0f.shape[0]} frozen twins' if w0f is not None else ''}, {p.duration}")
        ctx.plan(p.duration)
        ctx.run(m.net, p.duration, namespace={})
        return m

    def collect(m):
        mon = m.w_monitors["plastic"]
        return {"w_hist": m.dense(np.array(mon.w[:], dtype=float), "plastic"),       # (P, n_in, n_out, n_t)
                "t_hist": np.array(mon.t[:] / second),
                "w_final": m.dense(np.array(m.ff["plastic"].w[:], dtype=float), "plastic"),
                "w_frozen": m.dense(np.array(m.ff["frozen"].w[:], dtype=float), "frozen") if w0f is not None else None,
                "counts": np.array(m.cortex_spikes.count[:], dtype=float)}

    # the learning rate reaches the program as a value (eta: a shared variable of each feedforward projection);
    # the seed draws the initial weights and the stimulus schedule, compiled in
    res = ctx.program(build, lambda m: {S.eta: rule.params["eta"] for S in m.ff.values()}, collect,
                      seed_is_structure=True)
    w_hist, t_hist, w_final, w_frozen, counts = (res[k] for k in ("w_hist", "t_hist", "w_final", "w_frozen",
                                                                  "counts"))
    n_out = int(np.prod(cfg["out_shape"]))
    data = {
        "bias": np.repeat(biases, n_seeds), "w0": w0p, "w_final": w_final,
        "t_history_s": np.append(t_hist, float(p.duration / second)),
        "cortex_rate_hz": counts.reshape(n_rep, n_out).mean(axis=1) / float(p.duration / second),
        "stimulus_centres": schedule.centres, "stimulus_on": schedule.on,
        "lateral_width": widths, "input_width": in_widths * float(cfg["bump_sigma"]), "rate_factor": eta_factors,
        "lateral_width_t_s": np.arange(widths.shape[0]) * float(p.anneal_step / second),
    }
    if w0f is not None:
        data["w_frozen_final"] = w_frozen
        data["w0_frozen"] = w0f
    # time course of the learning replicas (snapshots plus the final weights)
    series = {"order": [], "axis_order": [], "error": [], "selectivity": [], "neighbour": [], "centres": []}
    for b in range(w0p.shape[0]):
        stim = _stimulus(schedule.centres, schedule.on, cfg, b)
        per_t = [measure_map(w_hist[b, :, :, k], cfg, stim) for k in range(w_hist.shape[-1])]
        per_t.append(measure_map(w_final[b], cfg, stim))
        series["order"].append([r["topographic_order"] if cfg["periodic"] else r["distance_order"] for r in per_t])
        series["axis_order"].append([np.atleast_1d(r["topographic_order"]) for r in per_t])
        series["error"].append([r["topographic_error"] for r in per_t])
        series["selectivity"].append([r["rf_selectivity"] for r in per_t])
        series["neighbour"].append([r.get("neighbour_fraction", np.nan) for r in per_t])
        series["centres"].append([r["theta"] if cfg["periodic"] else r["centres"] for r in per_t])
    for k, v in series.items():
        data[f"{k}_t"] = np.asarray(v, dtype=float)
    return data


def _summary(maps, cfg, stimuli):
    keys = ["topographic_order", "topographic_error", "rf_selectivity"]
    if cfg["periodic"]:
        keys += ["rho_fl", "association", "neighbour_fraction", "winding"]
    else:
        keys += ["distance_order", "signed_order"]
    out = {k: [] for k in keys}
    for w, stim in zip(maps, stimuli):
        r = measure_map(w, cfg, stim)
        for k in keys:
            v = r[k]
            out[k].append(int(v) if k == "winding" else (list(v) if isinstance(v, list) else float(v)))
    return out


def meets_criterion(order, error, selectivity, p):
    """A map meets the criterion (issue 16) with order >= ``criterion_order`` (on the sheet: on
    every axis) and topographic error <= ``criterion_error``; on the ring also RF selectivity
    >= ``criterion_selectivity`` (the sheet's selectivity measure is another quantity, 0.45 for
    well-ordered maps, and the sheet criterion does not use it)."""
    ok = np.min(order) >= p.criterion_order and error <= p.criterion_error
    if p.geometry == "ring":
        ok = ok and selectivity >= p.criterion_selectivity
    return bool(ok)


def time_to_criterion(data, replica, p):
    """Simulated seconds to the first weight snapshot (every ``record_interval``, and the final
    weights) from which on the map meets the criterion (:func:`meets_criterion`; ring: |rho_FL|,
    sheet: the per-axis order) at every later snapshot; None if the final map does not."""
    order, err, sel = data["axis_order_t"][replica], data["error_t"][replica], data["selectivity_t"][replica]
    ok = np.array([meets_criterion(o, e, s_, p) for o, e, s_ in zip(order, err, sel)])
    if not ok[-1]:
        return None
    k = 0 if ok.all() else int(ok.size - np.argmin(ok[::-1]))
    return float(data["t_history_s"][k])


def measure(data, p):
    """Per condition (lists over seeds): learned maps, their initial state, frozen twins, time to
    the criterion and the number of seeds that meet it."""
    cfg = geometry_config(p)
    centres, on = data["stimulus_centres"], data["stimulus_on"]
    n_seeds = int(p.n_seeds)
    conds = conditions(p, cfg)
    metrics = {"geometry": p.geometry, "condition": [c[0] for c in conds], "bias": [c[1] for c in conds],
               "annealed": [c[2] for c in conds], "n_seeds": n_seeds, "learned": [], "initial": []}
    for k in range(len(conds)):
        idx = range(k * n_seeds, (k + 1) * n_seeds)
        stim = [_stimulus(centres, on, cfg, i) for i in idx]
        metrics["learned"].append(_summary([data["w_final"][i] for i in idx], cfg, stim))
        metrics["initial"].append(_summary([data["w0"][i] for i in idx], cfg, stim))
    # flat per-condition lists of the headline measures (learned maps)
    for key in metrics["learned"][0]:
        metrics[key] = [c[key] for c in metrics["learned"]]
    metrics["meets_criterion"] = [[meets_criterion(o, e, s_, p) for o, e, s_ in
                                   zip(c["topographic_order"], c["topographic_error"], c["rf_selectivity"])]
                                  for c in metrics["learned"]]
    metrics["seeds_meeting_criterion"] = [int(sum(x)) for x in metrics["meets_criterion"]]
    metrics["time_to_criterion_s"] = [[time_to_criterion(data, k * n_seeds + i, p) for i in range(n_seeds)]
                                      for k in range(len(conds))]
    metrics["criterion"] = {"order": float(p.criterion_order), "error": float(p.criterion_error),
                            "selectivity": float(p.criterion_selectivity)}
    if "w_frozen_final" in data:
        off = len(data["w0"])
        stim = [_stimulus(centres, on, cfg, off + i) for i in range(n_seeds)]
        metrics["frozen"] = _summary(list(data["w_frozen_final"]), cfg, stim)
        metrics["frozen"]["bias"] = metrics["bias"][0]
        metrics["frozen"]["condition"] = metrics["condition"][0]
        metrics["frozen_weights_unchanged"] = bool(np.array_equal(data["w_frozen_final"], data["w0_frozen"]))
    metrics["cortex_rate_hz"] = float(np.mean(data["cortex_rate_hz"]))
    metrics["duration_s"] = float(p.duration / second)
    return metrics


def summary(metrics, p):
    lines = []
    for k, name in enumerate(metrics["condition"]):
        sel = np.mean(metrics["rf_selectivity"][k])
        order = np.mean(metrics["topographic_order"][k])
        te = np.mean(metrics["topographic_error"][k])
        extra = "" if p.geometry == "ring" else f", distance order {np.mean(metrics['distance_order'][k]):.3f}"
        lines.append(f"{name}: {metrics['seeds_meeting_criterion'][k]}/{int(p.n_seeds)} seeds meet the criterion; "
                     f"mean order {order:.3f}{extra}, topographic error {te:.3f}, RF selectivity {sel:.2f}; time to "
                     f"criterion {metrics['time_to_criterion_s'][k]} s")
    if "frozen" in metrics:
        lines.append(f"frozen twins: order {np.mean(metrics['frozen']['topographic_order']):.3f}, RF selectivity "
                     f"{np.mean(metrics['frozen']['rf_selectivity']):.3f}, weights unchanged: "
                     f"{metrics['frozen_weights_unchanged']}")
    return lines


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------

def plot(data, metrics, p):
    import matplotlib.pyplot as plt

    from snnlearn.plot.learning import learning_curve
    from snnlearn.plot.maps import map_mesh, map_snapshots, ring_map
    from snnlearn.plot.weights import weight_map

    cfg = geometry_config(p)
    ring = cfg["periodic"]
    n_seeds = int(p.n_seeds)
    biases = metrics["bias"]
    cond_names = metrics.get("condition", [f"b = {b:g}" for b in biases])
    figs = {}
    t = data["t_history_s"]
    in_shape, out_shape = cfg["in_shape"], cfg["out_shape"]
    n_in = int(np.prod(in_shape))

    def draw_map(ax, w, title):
        if ring:
            ring_map(ring_map_measures(w)["theta"], ax=ax, n_inputs=n_in, title=title)
        else:
            c = rf_centres(w, lattice_positions(in_shape).astype(float))
            map_mesh(sheet_xy(c), out_shape, ax=ax, units="input cells", title=title)
            sheet_limits(ax)

    def sheet_limits(ax):
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlim(-0.5, in_shape[1] - 0.5)
        ax.set_ylim(-0.5, in_shape[0] - 0.5)

    def sheet_xy(c):
        return c[:, ::-1]          # (row, col) -> (x = col, y = row) for the mesh

    # maps before and after, first seed of each bias
    fig, axes = plt.subplots(len(biases), 2, figsize=(10, 4.2 * len(biases)), layout="constrained", squeeze=False)
    for k, b in enumerate(biases):
        i = k * n_seeds
        for ax, w, when in ((axes[k, 0], data["w0"][i], "initial"), (axes[k, 1], data["w_final"][i], "learned")):
            draw_map(ax, w, f"{cond_names[k]}, {when}")
    fig.suptitle(f"{'Ring' if ring else 'Sheet'} map before and after {float(p.duration / second):g} s of learning",
                 fontsize="medium")
    figs["map_before_after"] = fig

    # order, error and selectivity over time (mean +- s.d. over seeds)
    panels = [("order_t", "|ρ_FL| (unit vs RF centre)" if ring else "Spearman ρ (lattice vs RF-centre distances)"),
              ("error_t", "topographic error"), ("selectivity_t", "RF selectivity")]
    if ring:
        panels.append(("neighbour_t", "neighbour fraction (|Δθ| < 3·2π/N)"))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.5), layout="constrained", squeeze=False)
    frozen = metrics.get("frozen")
    key_of = {"order_t": "topographic_order" if ring else "distance_order", "error_t": "topographic_error",
              "selectivity_t": "rf_selectivity", "neighbour_t": "neighbour_fraction"}
    for ax, (key, label) in zip(axes[0], panels):
        for k, b in enumerate(biases):
            curves = data[key][k * n_seeds:(k + 1) * n_seeds]
            learning_curve(curves, ax=ax, x=t, label=cond_names[k], xlabel="time (s)", ylabel=label,
                           color=f"C{k}")
        if frozen is not None and key_of[key] in frozen:
            val = np.mean(frozen[key_of[key]])
            ax.axhline(val, color="0.4", ls="--", lw=1, label=f"frozen weights ({cond_names[0]})")
        ax.legend(fontsize="x-small")
    fig.suptitle(f"Map development over time (mean ± s.d. over {n_seeds} seeds)", fontsize="medium")
    figs["order_vs_time"] = fig

    # the developmental mechanism over time: width of the lateral excitation, its kernel, and what it does
    if "lateral_width" in data and np.any(metrics.get("annealed", [False])):
        from snnlearn.models.cortical_sheet import lateral_gain

        ka = metrics["annealed"].index(True)
        col = ka * n_seeds
        tw = data["lateral_width_t_s"]
        width = data["lateral_width"][:, col]
        gain = lateral_gain(out_shape, width, cfg["lateral_sigma"], cfg["Je"], ring, float(p.gain_exponent))
        fig, axes = plt.subplots(2, 2, figsize=(12, 8), layout="constrained")
        axes = axes.ravel()
        ax = axes[0]
        ax.step(tw, width, where="post", color="C0", lw=2, label="lateral excitation width σ(t) (left axis)")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("excitation width σ (cortical units)", color="C0")
        ax2 = ax.twinx()
        if "input_width" in data:
            ax2.step(tw, data["input_width"][:, col], where="post", color="C3", ls="--", lw=2,
                     label="input bump width (right axis)")
            ax.legend(handles=ax.get_lines() + ax2.get_lines(), fontsize="x-small", loc="upper right")
            ax2.set_ylabel("input bump width (input cells)", color="C3")
            ax2.set_ylim(bottom=0)
        ax.set_ylim(bottom=0)
        ax.set_title("shrinking lateral excitation (Kohonen 1982)\nand shrinking input correlations", fontsize="medium")
        ax = axes[1]
        if "rate_factor" in data:
            rate = np.asarray(data["rate_factor"])[:, col] * float(cfg["eta"])
            ax.step(tw, rate, where="post", color="C2", lw=2, label=f"{cond_names[ka]}")
            if not all(metrics["annealed"]):
                kf = metrics["annealed"].index(False)
                ax.step(tw, np.asarray(data["rate_factor"])[:, kf * n_seeds] * float(cfg["eta"]), where="post",
                        color="0.4", ls=":", lw=2, label=cond_names[kf])
            ax.set_ylim(bottom=0)
            ax.legend(fontsize="x-small")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("learning rate η(t) (weight per pair count)")
        ax.set_title("annealed learning rate (Kohonen 1982)", fontsize="medium")
        ax = axes[2]
        d = np.arange(0, (out_shape[0] // 2 if ring else out_shape[0]) + 1)
        picks = np.unique(np.linspace(0, tw.size - 1, 5).round().astype(int))
        cmap = plt.get_cmap("viridis")
        for n_, k in enumerate(picks):
            ax.plot(d, gain[k] * np.exp(-d ** 2 / (2 * width[k] ** 2)) - cfg["Ji"], "o-", ms=3,
                    color=cmap(n_ / max(1, picks.size - 1)), label=f"t = {tw[k]:.0f} s (σ = {width[k]:.1f})")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlabel("distance between cortical units (units)")
        ax.set_ylabel("lateral weight (jump of v)")
        ax.set_title("lateral interaction at five times", fontsize="medium")
        ax.legend(fontsize="x-small")
        ax = axes[3]
        for k in range(len(cond_names)):
            o = np.asarray(data["axis_order_t"][k * n_seeds:(k + 1) * n_seeds])
            e = np.asarray(data["error_t"][k * n_seeds:(k + 1) * n_seeds])
            sl_ = np.asarray(data["selectivity_t"][k * n_seeds:(k + 1) * n_seeds])
            ok = (o.min(axis=-1) >= p.criterion_order) & (e <= p.criterion_error)
            if ring:
                ok &= sl_ >= p.criterion_selectivity
            ax.plot(t, ok.mean(axis=0), color=f"C{k}", label=cond_names[k], drawstyle="steps-post")
        ax.set_xlabel("time (s)")
        ax.set_ylabel(f"fraction of {n_seeds} seeds meeting the criterion")
        ax.set_ylim(-0.03, 1.03)
        ax.set_title(f"criterion: order ≥ {p.criterion_order:g}, error ≤ {p.criterion_error:g}"
                     + (f", selectivity ≥ {p.criterion_selectivity:g}" if ring else ""), fontsize="medium")
        ax.legend(fontsize="x-small")
        fig.suptitle("The developmental mechanism over time", fontsize="medium")
        figs["mechanism"] = fig

    # receptive fields of the first learning replica
    W = data["w_final"][0]
    if ring:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
        for ax, w, title in ((axes[0], data["w0"][0], "initial"), (axes[1], W, "learned")):
            im = ax.imshow(w, aspect="auto", origin="lower", cmap="viridis", vmin=0, vmax=cfg["w_max"],
                           interpolation="nearest", extent=(-0.5, w.shape[1] - 0.5, -0.5, w.shape[0] - 0.5))
            ax.set_xlabel("cortical unit j")
            ax.set_ylabel("input i")
            ax.set_title(f"feedforward weights, {title} ({cond_names[0]})", fontsize="medium")
        fig.colorbar(im, ax=axes.tolist(), label="weight (jump of v per spike, threshold 1)")
        figs["weight_matrix"] = fig
        units = np.linspace(0, W.shape[1] - 1, 10).round().astype(int)
        fig, _ = weight_map(W, (1, n_in), targets=units, ncols=1, vmin=0, vmax=cfg["w_max"],
                            label="weight (threshold 1)", tile_size=0.9)
        fig.set_size_inches(8, 7.5)
        fig.suptitle(f"Learned receptive fields of {units.size} units (tile: weights from inputs 0-{n_in - 1}, "
                     "left to right; title: unit index)", fontsize="medium")
    else:
        fig, _ = weight_map(W, in_shape, vmin=0, vmax=cfg["w_max"], ncols=out_shape[1],
                            label="weight (threshold 1)", tile_size=1.0)
        fig.suptitle(f"Receptive fields on the {in_shape[0]}×{in_shape[1]} input sheet, one tile per unit "
                     f"(row-major {out_shape[0]}×{out_shape[1]})", fontsize="medium")
    figs["receptive_fields"] = fig

    # frozen-weights control
    if "w_frozen_final" in data:
        fig, axes = plt.subplots(1, 3, figsize=(14, 4), layout="constrained")
        for ax, w, title in ((axes[0], data["w_frozen_final"][0], "frozen weights (plasticity = 0)"),
                             (axes[1], data["w_final"][0], "learned")):
            draw_map(ax, w, title)
        bars = ["rf_selectivity", "topographic_error"] + (["neighbour_fraction", "topographic_order"] if ring else [])
        labels = {"rf_selectivity": "RF\nselectivity", "topographic_error": "topographic\nerror",
                  "neighbour_fraction": "neighbour\nfraction", "topographic_order": "|ρ_FL|"}
        x = np.arange(len(bars))
        learned = [np.mean(metrics["learned"][0][k]) for k in bars]
        frz = [np.mean(metrics["frozen"][k]) for k in bars]
        axes[2].bar(x - 0.2, learned, 0.4, label=f"learned ({cond_names[0]})", color="C0")
        axes[2].bar(x + 0.2, frz, 0.4, label="frozen weights", color="0.6")
        axes[2].set_xticks(x, [labels[k] for k in bars])
        axes[2].set_ylabel("value (mean over seeds)")
        axes[2].set_ylim(0, 1.05)
        axes[2].legend(fontsize="small")
        axes[2].set_title("learning versus the frozen-weights control", fontsize="medium")
        figs["frozen_control"] = fig

    # development snapshots of the first replica
    cent = data["centres_t"][0]
    pick = np.unique(np.linspace(0, t.size - 1, min(5, t.size)).round().astype(int))
    if ring:
        axes = map_snapshots([cent[k] for k in pick], [t[k] for k in pick], kind="ring", time_unit="s",
                             n_inputs=n_in, suptitle=f"Development of the ring map ({cond_names[0]}, first seed)")
    else:
        axes = map_snapshots([sheet_xy(cent[k]) for k in pick], [t[k] for k in pick], kind="mesh", shape=out_shape,
                             time_unit="s", units="input cells",
                             suptitle=f"Development of the sheet map ({cond_names[0]}, first seed)")
        for k, ax in enumerate(axes):
            sheet_limits(ax)
            ax.set_xlabel("RF centre x (input cells)" if k == len(axes) // 2 else "")
        axes[0].set_ylabel("RF centre y (input cells)")
    figs["map_development"] = axes[0].figure
    return figs


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("topographic_map")
