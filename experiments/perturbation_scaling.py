"""Werfel, Xie & Seung 2005: learning time and gradient-estimate variance of backprop, node, weight and serial perturbation.

A linear student ``y = W x`` (N inputs, M outputs) learns a random linear teacher online, one
Gaussian input per trial, with four gradient estimators from ``snnlearn.estimators``: the exact
gradient (backprop), node perturbation (M perturbed outputs), parallel weight perturbation (all MN
weights) and serial weight perturbation (one weight per trial). Each runs at its theoretical
optimal learning rate ``η* = 1/(c(N+2))`` over a grid of sizes ``N{n}_M{m}``.

Measured, per method and size:

* the learning time τ in trials (trials per e-fold of the expected error ``Ē = ½‖W − W*‖²_F``),
  from a least-squares fit of the log of the *seed-averaged* ``Ē`` against trial over the whole
  budget of ``budget_tau`` theoretical learning times (fitting the mean of log E instead would bias τ down by about 4 %);
* τ in forward passes: τ times the forward passes per trial counted by the estimator. Backprop
  counts 1 (its backward pass is not a forward pass); every perturbation method counts 2, because
  it measures its baseline error ``E(0)`` on the same input in a separate unperturbed pass each
  trial (no baseline is reused across trials);
* the ratio ``E‖ĝ‖²/‖g‖²`` for one fixed pattern and weight error, over ``n_variance_samples``
  perturbations, against the perturbation dimension K (M for node, MN for weight perturbation),
  and the relative variance ``E‖ĝ − g‖²/‖g‖²`` (0 for backprop);
* the cost of each perturbation method relative to backprop, τ in forward passes divided by
  backprop's (theory ``2(K+2)``, serial ``2K``);
* log–log slopes of τ against N (at the most common M), against M (at the most common N) and
  against MN, and of the variance ratio against K, beside the same slopes of the theory values.

Theory (docs/validation.md, W1-W4): ``τ = N+2`` (gradient), ``(M+2)(N+2)`` (node), ``(MN+2)(N+2)`` (parallel
weight), ``MN(N+2)`` (serial); ``E‖ĝ‖²/‖g‖² = 1, M+2, MN+2, MN``. Parallel and serial weight
perturbation learn at the same rate per trial (ratio ``1 + 2/MN``), independent of size.

Reference: Werfel J, Xie X, Seung HS (2005) Learning curves for stochastic gradient descent in
linear feedforward networks. Neural Comput 17(12):2699–2718.
"""
from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FormatStrFormatter, LogLocator, NullFormatter

from snnlearn.estimators import (
    METHODS,
    LinearNetwork,
    exact_gradient,
    fit_learning_time,
    get_estimator,
    learning_time_theory,
    optimal_learning_rate,
    perturbation_dimension,
    second_moment_factor,
    train,
)
from snnlearn.params import Param, check_value

PARAMS = {
    "sizes": Param(["N10_M5", "N20_M5", "N40_M5", "N80_M5", "N20_M2", "N20_M10"], min_len=1,
                   doc="network sizes N{inputs}_M{outputs} (distinct)"),
    "n_seeds": Param(32, low=1, doc="independent teacher–student pairs per method and size (run in parallel)"),
    "sigma": Param(1e-3, low=0.0, strict=True,
                   doc="perturbation size (dimensionless: units of summed input / weight)"),
    "n_variance_samples": Param(10000, low=1, doc="perturbations of one fixed pattern for E‖ĝ‖²/‖g‖²"),
    "budget_tau": Param(3.0, low=0.0, strict=True,
                        doc="trials per run, in multiples of the theoretical learning time τ"),
    "eta_scale": Param(1.0, low=0.0, strict=True, high=2.0, strict_high=True,
                       doc="learning rate in multiples of each method's optimal η* = 1/(c(N+2)) (the error "
                           "diverges at 2 η*)"),
    "n_record": Param(300, low=1, doc="points drawn per learning curve (the fit uses every trial)"),
}
#: Why ``--checkpoint-every`` does not apply (the runner says so in one line before starting).
NO_CHECKPOINTS = "a numpy model with no Brian2 simulation, seconds per size"

QUICK = {"sizes": ["N10_M2", "N20_M2"], "n_seeds": 16, "n_variance_samples": 2000, "budget_tau": 2.0}

LABELS = {
    "gradient": "gradient (backprop)",
    "node_perturbation": "node perturbation",
    "weight_perturbation": "weight perturbation (parallel)",
    "serial_perturbation": "weight perturbation (serial)",
}
COLORS = {
    "gradient": "#000000",
    "node_perturbation": "#0072B2",
    "weight_perturbation": "#D55E00",
    "serial_perturbation": "#009E73",
}
MARKERS = {"gradient": "o", "node_perturbation": "s", "weight_perturbation": "^", "serial_perturbation": "v"}

_SIZE_RE = re.compile(r"^N([1-9][0-9]*)_M([1-9][0-9]*)$")


def parse_size(size: str) -> tuple[int, int]:
    """``"N20_M5"`` → ``(20, 5)`` (inputs N, outputs M)."""
    m = _SIZE_RE.match(size.strip()) if isinstance(size, str) else None
    if m is None:
        raise ValueError(f"network size {size!r} does not parse: write N{{inputs}}_M{{outputs}}, e.g. 'N20_M5'")
    return int(m.group(1)), int(m.group(2))


def _get(p, key):
    return p[key] if hasattr(p, "__getitem__") else getattr(p, key)


def _sizes(p) -> list[str]:
    sizes = _get(p, "sizes")
    if isinstance(sizes, str):
        sizes = [s for s in sizes.split(",") if s.strip()]
    sizes = [s.strip() for s in sizes]
    if not sizes:
        raise ValueError("sizes is empty: give at least one size such as 'N20_M5'")
    for s in sizes:
        parse_size(s)
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"sizes contains duplicates: {sizes}")
    return sizes


def validate(p):
    """Refuse a combination of values in one line (the runner calls this before the run directory exists):
    every size parses as N{inputs}_M{outputs}, and none repeats."""
    _sizes(p)


def variance_sums(method, n_inputs, n_outputs, rng, sigma, n_samples, chunk=2000):
    """``‖g‖²``, ``Σ‖ĝ‖²`` and ``Σ‖ĝ − g‖²`` over ``n_samples`` estimates ``ĝ`` for one fixed pattern ``x``
    and weight error (``E‖ĝ‖²/‖g‖²`` is the second sum / n_samples / ‖g‖², see :func:`measure`).

    The teacher has ``𝒩(0, 1/N)`` entries, the student starts at 0 and ``x ~ 𝒩(0, I_N)``; the
    ``n_samples`` estimates differ only in their perturbation.
    """
    w_star = rng.standard_normal((n_outputs, n_inputs)) / math.sqrt(n_inputs)
    w = np.zeros_like(w_star)
    x = rng.standard_normal(n_inputs)
    target = w_star @ x
    g = exact_gradient(LinearNetwork(w), x, target).grad
    g2 = float(np.sum(g**2))
    estimator = get_estimator(method)
    second, dev = 0.0, 0.0
    done = 0
    while done < n_samples:
        n = min(chunk, n_samples - done)
        net = LinearNetwork(np.broadcast_to(w, (n,) + w.shape))
        est = estimator(net, x, target, rng, sigma).grad
        second += float(np.sum(est**2))
        dev += float(np.sum((est - g) ** 2))
        done += n
    return g2, second, dev


def _slope(x, y):
    """Least-squares slope of log y against log x; None when x does not vary or y is not positive."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or np.ptp(np.log(x)) == 0 or not np.all(np.isfinite(y)) or np.any(y <= 0):
        return None
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def _series(sizes):
    """Sizes along N at the most common M, and along M at the most common N (sorted)."""
    parsed = {s: parse_size(s) for s in sizes}
    m0 = Counter(m for _, m in parsed.values()).most_common(1)[0][0]
    n0 = Counter(n for n, _ in parsed.values()).most_common(1)[0][0]
    along_n = sorted((s for s in sizes if parsed[s][1] == m0), key=lambda s: parsed[s][0])
    along_m = sorted((s for s in sizes if parsed[s][0] == n0), key=lambda s: parsed[s][1])
    return along_n, m0, along_m, n0


def _exponents(values, sizes):
    """Log–log slopes of ``values[method][size]`` against N, M and MN."""
    along_n, _, along_m, _ = _series(sizes)
    out = {"vs_N": {}, "vs_M": {}, "vs_MN": {}}
    for method, by_size in values.items():
        n_of = {s: parse_size(s) for s in sizes}
        out["vs_N"][method] = _slope([n_of[s][0] for s in along_n], [by_size[s] for s in along_n])
        out["vs_M"][method] = _slope([n_of[s][1] for s in along_m], [by_size[s] for s in along_m])
        out["vs_MN"][method] = _slope([n_of[s][0] * n_of[s][1] for s in sizes], [by_size[s] for s in sizes])
    return out


def simulate(p, ctx):
    """Every method at every size: the learning curves and the Monte Carlo sums of the estimator variance.

    Returns, per method and size (``{method}__{size}``): ``error__``, the seed-averaged expected error
    ``⟨Ē⟩`` after each of trials 0 … n_trials (float64: the fit of τ uses every trial),
    ``forward_passes__``, the forward passes one network used over those trials, and for the variance
    (one fixed pattern, ``n_variance_samples`` perturbations) ``variance_g2__`` (‖g‖²),
    ``variance_second__`` (Σ‖ĝ‖²) and ``variance_dev__`` (Σ‖ĝ − g‖²).
    """
    for key, entry in PARAMS.items():  # the runner's checks, for direct calls too
        check_value(key, _get(p, key), entry)
    sizes = _sizes(p)
    n_seeds, n_var = (int(_get(p, k)) for k in ("n_seeds", "n_variance_samples"))
    sigma, budget, eta_scale = (float(_get(p, k)) for k in ("sigma", "budget_tau", "eta_scale"))

    # one seed per size, shared by all methods: same teachers and inputs (common random numbers)
    size_seeds = {s: int(v) for s, v in zip(sizes, ctx.rng.integers(0, 2**63 - 1, size=len(sizes)))}
    jobs = [(m, s) for s in sizes for m in METHODS]
    data = {}
    for method, size in ctx.progress(jobs, total=len(jobs), desc="learning curves"):
        n, m = parse_size(size)
        eta = eta_scale * optimal_learning_rate(method, n, m)
        tau_theory = learning_time_theory(method, n, m)
        n_trials = max(3, int(math.ceil(budget * tau_theory)))
        curve = train(
            method, n, m, eta, n_trials, np.random.default_rng(size_seeds[size]), sigma=sigma, n_seeds=n_seeds
        )
        data[f"error__{method}__{size}"] = curve.mean_error
        data[f"forward_passes__{method}__{size}"] = np.array(curve.forward_passes[-1])
        ctx.log(f"{size} {method}: tau = {curve.learning_time():.1f} trials (theory {tau_theory:.0f}), eta = {eta:.3g}")

    var_jobs = [(m, s) for s in sizes for m in METHODS]
    var_rng = np.random.default_rng(ctx.rng.integers(0, 2**63 - 1))
    for method, size in ctx.progress(var_jobs, total=len(var_jobs), desc="estimator variance"):
        n, m = parse_size(size)
        g2, second, dev = variance_sums(method, n, m, var_rng, sigma, n_var)
        data[f"variance_g2__{method}__{size}"] = np.array(g2)
        data[f"variance_second__{method}__{size}"] = np.array(second)
        data[f"variance_dev__{method}__{size}"] = np.array(dev)
    return data


def measure(data, p):
    """Per method and size: τ (trials and forward passes) against theory, the variance ratios, the
    parallel/serial ratio, the cost relative to backprop and the log–log exponents (module docstring)."""
    sizes = _sizes(p)
    n_var = int(_get(p, "n_variance_samples"))
    eta_scale = float(_get(p, "eta_scale"))
    metrics = {
        "learning_time_trials": {m: {} for m in METHODS},
        "learning_time_forward_passes": {m: {} for m in METHODS},
        "learning_time_theory": {m: {} for m in METHODS},
        "learning_time_theory_forward_passes": {m: {} for m in METHODS},
        "learning_time_theory_exact": {m: {} for m in METHODS},
        "forward_passes_per_trial": {m: {} for m in METHODS},
        "eta": {m: {} for m in METHODS},
        "variance_ratio": {m: {} for m in METHODS},
        "variance_ratio_theory": {m: {} for m in METHODS},
        "relative_variance": {m: {} for m in METHODS},
        "perturbation_dimension": {m: {} for m in METHODS},
        "parallel_over_serial": {},
        "sizes": sizes,
        "fit": "least squares of log(seed-averaged expected error) against trial, over all trials of the budget",
        "forward_pass_counting": (
            "gradient: 1 forward pass per trial (backward pass not counted); perturbation methods: 2 per trial "
            "(baseline E(0) on the same input + perturbed pass)"
        ),
    }
    for size in sizes:
        n, m = parse_size(size)
        for method in METHODS:
            key = f"{method}__{size}"
            eta = eta_scale * optimal_learning_rate(method, n, m)
            tau_theory = learning_time_theory(method, n, m)
            error = data[f"error__{key}"]
            tau = fit_learning_time(np.arange(len(error)), error)
            fpt = float(data[f"forward_passes__{key}"] / (len(error) - 1))
            metrics["learning_time_trials"][method][size] = tau
            metrics["learning_time_forward_passes"][method][size] = tau * fpt
            metrics["learning_time_theory"][method][size] = tau_theory
            metrics["learning_time_theory_forward_passes"][method][size] = tau_theory * fpt
            metrics["learning_time_theory_exact"][method][size] = learning_time_theory(method, n, m, eta)
            metrics["forward_passes_per_trial"][method][size] = fpt
            metrics["eta"][method][size] = eta
            g2 = float(data[f"variance_g2__{key}"])
            metrics["variance_ratio"][method][size] = float(data[f"variance_second__{key}"]) / n_var / g2
            metrics["relative_variance"][method][size] = float(data[f"variance_dev__{key}"]) / n_var / g2
            metrics["variance_ratio_theory"][method][size] = float(second_moment_factor(method, n, m))
            metrics["perturbation_dimension"][method][size] = perturbation_dimension(method, n, m)

    for size in sizes:
        lt = metrics["learning_time_trials"]
        metrics["parallel_over_serial"][size] = lt["weight_perturbation"][size] / lt["serial_perturbation"][size]

    perturbing = [m for m in METHODS if m != "gradient"]
    k_of = metrics["perturbation_dimension"]
    lfp = metrics["learning_time_forward_passes"]
    lfp_th = metrics["learning_time_theory_forward_passes"]
    metrics["cost_relative_to_gradient"] = {
        mt: {s: lfp[mt][s] / lfp["gradient"][s] for s in sizes} for mt in perturbing
    }
    metrics["cost_relative_to_gradient_theory"] = {
        mt: {s: lfp_th[mt][s] / lfp_th["gradient"][s] for s in sizes} for mt in perturbing
    }
    metrics["exponents"] = {
        "learning_time_trials": _exponents(metrics["learning_time_trials"], sizes),
        "learning_time_forward_passes": _exponents(metrics["learning_time_forward_passes"], sizes),
        "variance_ratio_vs_K": {
            mt: _slope([k_of[mt][s] for s in sizes], [metrics["variance_ratio"][mt][s] for s in sizes])
            for mt in perturbing
        },
        "cost_relative_to_gradient_vs_K": {
            mt: _slope([k_of[mt][s] for s in sizes], [metrics["cost_relative_to_gradient"][mt][s] for s in sizes])
            for mt in perturbing
        },
    }
    metrics["exponents_theory"] = {
        "learning_time_trials": _exponents(metrics["learning_time_theory"], sizes),
        "learning_time_forward_passes": _exponents(metrics["learning_time_theory_forward_passes"], sizes),
        "variance_ratio_vs_K": {
            mt: _slope([k_of[mt][s] for s in sizes], [metrics["variance_ratio_theory"][mt][s] for s in sizes])
            for mt in perturbing
        },
        "cost_relative_to_gradient_vs_K": {
            mt: _slope([k_of[mt][s] for s in sizes], [metrics["cost_relative_to_gradient_theory"][mt][s] for s in sizes])
            for mt in perturbing
        },
    }
    return metrics


# ----------------------------------------------------------------------------------------
# figures
# ----------------------------------------------------------------------------------------


def _plain_log_ticks(axis, values):
    """Put major ticks of a log axis at the data values, labelled as plain numbers."""
    axis.set_major_locator(FixedLocator(sorted(set(float(v) for v in values))))
    axis.set_major_formatter(FormatStrFormatter("%g"))
    axis.set_minor_formatter(NullFormatter())


def _log_ticks_125(axis):
    """Log axis ticks at 1, 2, 5 × 10^k, labelled as plain numbers."""
    axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FormatStrFormatter("%g"))
    axis.set_minor_formatter(NullFormatter())


def _fmt_slope(v):
    return "n/a" if v is None else f"{v:.2f}"


def _scaling_panel(ax, metrics, series, var_index, fixed_name, fixed_value, key, theory_key, ylabel):
    exps = metrics["exponents"][key]["vs_N" if var_index == 0 else "vs_M"]
    exps_th = metrics["exponents_theory"][key]["vs_N" if var_index == 0 else "vs_M"]
    xname = "N" if var_index == 0 else "M"
    if len(series) < 2:
        ax.text(0.5, 0.5, f"learning time against {xname}:\nneeds ≥ 2 sizes that differ only in {xname}",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    xs = np.array([parse_size(s)[var_index] for s in series], float)
    dense = np.geomspace(xs.min(), xs.max(), 60)
    for method in METHODS:
        meas = [metrics[key][method][s] for s in series]
        ax.plot(
            xs, meas, MARKERS[method], color=COLORS[method], ms=7,
            label=f"{LABELS[method]}: slope {_fmt_slope(exps[method])} (theory {_fmt_slope(exps_th[method])})",
        )
        fpt = 1.0 if key == "learning_time_trials" else metrics["forward_passes_per_trial"][method][series[0]]
        if var_index == 0:
            th = [fpt * _theory_real(method, v, fixed_value) for v in dense]
        else:
            th = [fpt * _theory_real(method, fixed_value, v) for v in dense]
        ax.plot(dense, th, "--", color=COLORS[method], lw=1.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_ticks(ax.xaxis, xs)
    ax.set_xlabel(f"{'inputs N' if var_index == 0 else 'outputs M'} ({fixed_name} = {fixed_value})")
    ax.set_ylabel(ylabel)
    ax.set_title(f"learning time against {xname} (dashed: theory)")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(True, which="major", alpha=0.3)


def _theory_real(method, n, m):
    """Theoretical τ = c(N+2) with real-valued N and M (for smooth theory lines)."""
    c = {"gradient": 1.0, "node_perturbation": m + 2, "weight_perturbation": m * n + 2, "serial_perturbation": m * n}
    return c[method] * (n + 2)


def _learning_time_figure(metrics, sizes):
    along_n, m0, along_m, n0 = _series(sizes)
    fig = Figure(figsize=(13, 10), layout="constrained")
    axes = fig.subplots(2, 2)
    _scaling_panel(axes[0, 0], metrics, along_n, 0, "M", m0, "learning_time_trials", "learning_time_theory",
                   "learning time τ (trials per e-fold of Ē)")
    _scaling_panel(axes[0, 1], metrics, along_m, 1, "N", n0, "learning_time_trials", "learning_time_theory",
                   "learning time τ (trials per e-fold of Ē)")

    ax = axes[1, 0]
    mn = np.array([np.prod(parse_size(s)) for s in sizes], float)
    order = np.argsort(mn, kind="stable")
    exps = metrics["exponents"]["cost_relative_to_gradient_vs_K"]
    exps_th = metrics["exponents_theory"]["cost_relative_to_gradient_vs_K"]
    k_all = []
    for method in METHODS[1:]:
        k = np.array([metrics["perturbation_dimension"][method][s] for s in sizes], float)
        cost = np.array([metrics["cost_relative_to_gradient"][method][s] for s in sizes])
        k_all.extend(k)
        ax.plot(k, cost, MARKERS[method], color=COLORS[method], ms=7,
                mfc="none" if method == "serial_perturbation" else None,
                label=f"{LABELS[method]} (K = {'M' if method == 'node_perturbation' else 'MN'}): "
                      f"slope {_fmt_slope(exps[method])} (theory {_fmt_slope(exps_th[method])})")
    dense = np.geomspace(max(1.0, min(k_all) / 1.3), max(k_all) * 1.3, 80)
    ax.plot(dense, 2 * (dense + 2), "--", color="0.3", label="theory 2(K + 2)")
    ax.plot(dense, 2 * dense, ":", color=COLORS["serial_perturbation"], label="theory 2K (serial)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _log_ticks_125(ax.xaxis)
    ax.set_xlabel("perturbation dimension K")
    ax.set_ylabel("τ (forward passes) / τ of backprop (forward passes)")
    ax.set_title("cost in forward passes relative to backprop\n(perturbation: baseline + perturbed pass per trial; backprop: 1 pass)")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(True, which="major", alpha=0.3)

    ax = axes[1, 1]
    ratio = np.array([metrics["parallel_over_serial"][s] for s in sizes])
    ax.axhspan(0.8, 1.25, color="0.9", label="W2 acceptance band [0.8, 1.25]")
    ax.plot(mn[order], ratio[order], "D", color=COLORS["weight_perturbation"], ms=7, label="measured")
    dense = np.geomspace(max(1.0, mn.min() / 1.5), mn.max() * 1.5, 60)
    ax.plot(dense, (dense + 2) / dense, "--", color="0.3", label="theory (MN + 2)/MN")
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis, mn)
    ax.set_ylim(0.5, 1.6)
    ax.set_xlabel("number of weights MN")
    ax.set_ylabel("τ parallel / τ serial (trials)")
    ax.set_title("parallel vs serial weight perturbation")
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    fig.suptitle("Werfel, Xie & Seung 2005: learning time at the optimal learning rate")
    return fig


def _variance_figure(metrics, sizes, n_samples):
    fig = Figure(figsize=(7.5, 5.5), layout="constrained")
    ax = fig.subplots()
    ks_all = []
    exps = metrics["exponents"]["variance_ratio_vs_K"]
    exps_th = metrics["exponents_theory"]["variance_ratio_vs_K"]
    for method in METHODS[1:]:
        k = np.array([metrics["perturbation_dimension"][method][s] for s in sizes], float)
        r = np.array([metrics["variance_ratio"][method][s] for s in sizes])
        ks_all.extend(k)
        ax.plot(k, r, MARKERS[method], color=COLORS[method], ms=7, mfc="none" if method == "serial_perturbation" else None,
                label=f"{LABELS[method]} (K = {'M' if method == 'node_perturbation' else 'MN'}): "
                      f"slope {_fmt_slope(exps[method])} (theory {_fmt_slope(exps_th[method])})")
    dense = np.geomspace(max(1.0, min(ks_all) / 1.5), max(ks_all) * 1.5, 80)
    ax.plot(dense, dense + 2, "--", color="0.3", label="theory K + 2 (Gaussian perturbation)")
    ax.plot(dense, dense, ":", color=COLORS["serial_perturbation"], label="theory K (serial)")
    grad = [metrics["variance_ratio"]["gradient"][s] for s in sizes]
    ax.axhline(float(np.mean(grad)), color=COLORS["gradient"], lw=1.5,
               label=f"backprop: ratio {np.mean(grad):.3g}, relative variance "
                     f"{max(metrics['relative_variance']['gradient'].values()):.1g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _log_ticks_125(ax.xaxis)
    ax.set_xlabel("perturbation dimension K")
    ax.set_ylabel("E‖ĝ‖² / ‖g‖² (fixed pattern)")
    ax.set_title(f"gradient-estimate second moment vs perturbation dimension\n(one fixed pattern per size, {n_samples} perturbations)")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(True, which="major", alpha=0.3)
    return fig


def _recorded(data, method, size, n_record):
    """About ``n_record`` points of a learning curve: trials and seed-averaged error."""
    error = data[f"error__{method}__{size}"]
    step = max(1, len(error) // n_record)
    return np.arange(len(error))[::step], error[::step]


def _curves_figure(data, metrics, sizes, n_record):
    fig = Figure(figsize=(13, 5), layout="constrained")
    ax_raw, ax_col = fig.subplots(1, 2)
    biggest = max(sizes, key=lambda s: np.prod(parse_size(s)))
    for method in METHODS:
        t, e = _recorded(data, method, biggest, n_record)
        fpt = metrics["forward_passes_per_trial"][method][biggest]
        ax_raw.plot(np.maximum(t * fpt, 1), e / e[0], color=COLORS[method], label=LABELS[method])
    ax_raw.set_xscale("log")
    ax_raw.set_yscale("log")
    ax_raw.set_xlabel("forward passes")
    ax_raw.set_ylabel("seed-averaged expected error ⟨Ē⟩ / Ē(0)")
    ax_raw.set_title(f"learning curves, {biggest.replace('_', ', ')}")
    ax_raw.legend(fontsize=8)
    ax_raw.grid(True, which="major", alpha=0.3)

    styles = ["-", "--", "-.", ":", (0, (3, 1, 1, 1, 1, 1)), (0, (5, 2))]
    xmax = 0.0
    for i, size in enumerate(sizes):
        for method in METHODS:
            t, e = _recorded(data, method, size, n_record)
            t = t / metrics["learning_time_theory"][method][size]
            ax_col.plot(t, e / e[0], color=COLORS[method], ls=styles[i % len(styles)], lw=1,
                        label=LABELS[method] if i == 0 else None)
            xmax = max(xmax, t[-1])
        ax_col.plot([], [], color="0.5", ls=styles[i % len(styles)], label=size.replace("_", ", "))
    xs = np.linspace(0, xmax, 100)
    ax_col.plot(xs, np.exp(-xs), color="red", lw=2.5, alpha=0.5, label="theory exp(−t/τ)")
    ax_col.set_yscale("log")
    ax_col.set_xlabel("trials / theoretical τ")
    ax_col.set_ylabel("⟨Ē⟩ / Ē(0)")
    ax_col.set_title("all methods and sizes collapse onto exp(−t/τ)")
    ax_col.legend(fontsize=7, ncol=2)
    ax_col.grid(True, which="major", alpha=0.3)
    return fig


def plot(data, metrics, p):
    sizes = metrics["sizes"]
    return {
        "learning_time": _learning_time_figure(metrics, sizes),
        "variance_ratio": _variance_figure(metrics, sizes, _get(p, "n_variance_samples")),
        "learning_curves": _curves_figure(data, metrics, sizes, int(_get(p, "n_record"))),
    }


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("perturbation_scaling")
