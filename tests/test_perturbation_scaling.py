"""Tests of experiments/perturbation_scaling.py (Werfel, Xie & Seung 2005 reproduction)."""
import json

import numpy as np
import pytest
from matplotlib.figure import Figure

from snnlearn.experiments import perturbation_scaling as ps
from snnlearn.params import plain_defaults
from snnlearn.runs import RunContext, execute

METHODS = ("gradient", "node_perturbation", "weight_perturbation", "serial_perturbation")


TINY = dict(plain_defaults(ps.PARAMS), sizes=["N6_M2", "N8_M2", "N8_M3"], n_seeds=4, n_variance_samples=200, budget_tau=1.0)


def test_parse_size():
    assert ps.parse_size("N20_M5") == (20, 5)
    assert ps.parse_size(" N100_M1 ") == (100, 1)
    for bad in ("N20M5", "n20_m5", "N0_M5", "N20_M", "20_5", "N20_M5_", "", None, 205):
        with pytest.raises(ValueError, match="does not parse"):
            ps.parse_size(bad)


def test_simulate_rejects_bad_parameters():
    for override in ({"sizes": ["N20_M5", "M5_N20"]}, {"sigma": 0.0}, {"sigma": -1.0}, {"n_seeds": 0},
                     {"eta_scale": 2.5}, {"sizes": []}):
        key = next(iter(override))
        with pytest.raises(ValueError, match="M5_N20" if key == "sizes" and override[key] else key):
            execute(ps, dict(TINY, **override), RunContext.in_memory(0, device="numpy"))


def test_run_quick_metrics_structure_and_plots():
    """simulate -> measure (``execute``) with an in-memory context and tiny parameters (3 sizes, 4 seeds,
    1 τ): metric keys, structure, plots.

    Also: the metrics are JSON-serialisable, the same seed reproduces them, and plot() returns a figure
    per name with labelled axes.
    """
    ctx = RunContext.in_memory(5, device="numpy")
    metrics = execute(ps, TINY, ctx)
    json.dumps(metrics)
    sizes = TINY["sizes"]
    for key in ("learning_time_trials", "learning_time_forward_passes", "learning_time_theory", "variance_ratio"):
        assert set(metrics[key]) == set(METHODS), key
        for method in METHODS:
            assert set(metrics[key][method]) == set(sizes), (key, method)
            assert all(np.isfinite(v) and v > 0 for v in metrics[key][method].values()), (key, method)
    for method in METHODS:
        for size in sizes:
            fpt = 1 if method == "gradient" else 2
            assert metrics["learning_time_forward_passes"][method][size] == pytest.approx(
                fpt * metrics["learning_time_trials"][method][size])
    assert metrics["learning_time_theory"]["weight_perturbation"]["N8_M3"] == (3 * 8 + 2) * (8 + 2)
    assert metrics["learning_time_theory"]["serial_perturbation"]["N8_M3"] == 3 * 8 * (8 + 2)
    assert metrics["learning_time_theory"]["node_perturbation"]["N8_M3"] == (3 + 2) * (8 + 2)
    assert metrics["learning_time_theory"]["gradient"]["N8_M3"] == 10
    assert all(v == 0.0 for v in metrics["relative_variance"]["gradient"].values())
    exps = metrics["exponents"]
    assert set(exps) >= {"learning_time_trials", "learning_time_forward_passes", "variance_ratio_vs_K"}
    assert set(exps["learning_time_trials"]) == {"vs_N", "vs_M", "vs_MN"}
    assert set(exps["learning_time_trials"]["vs_N"]) == set(METHODS)
    assert all(isinstance(v, float) for v in exps["learning_time_trials"]["vs_N"].values())
    assert all(isinstance(v, float) for v in exps["learning_time_trials"]["vs_M"].values())
    assert set(metrics["parallel_over_serial"]) == set(sizes)
    assert ctx.progress_calls > 0 and ctx.arrays
    assert any(k.startswith("error__") for k in ctx.arrays)

    again = execute(ps, TINY, RunContext.in_memory(5, device="numpy"))
    assert again["learning_time_trials"] == metrics["learning_time_trials"]
    assert again["variance_ratio"] == metrics["variance_ratio"]

    figures = ps.plot(ctx.arrays, metrics, TINY)
    assert set(figures) == {"learning_time", "variance_ratio", "learning_curves"}
    for name, fig in figures.items():
        assert isinstance(fig, Figure), name
        for ax in fig.axes:
            if ax.axison:
                assert ax.get_xlabel() and ax.get_ylabel(), name


def test_quick_preset_parses():
    for size in ps.QUICK["sizes"] + ps.PARAMS["sizes"].default:
        ps.parse_size(size)
    assert set(ps.QUICK) <= set(ps.PARAMS)


@pytest.mark.slow
def test_w1_w2_w3_through_the_experiment():
    """W1, W2, W3 (docs/validation.md) from the experiment at the reference sizes N20_M5 and N40_M5.

    32 seeds per method and size, budget 3 τ, σ = 1e-3, 10⁴ perturbations for the variance, run seed 2.
    W1: τ within ±15 % of the formulas; W2: τ_parallel/τ_serial in [0.8, 1.25];
    W3: E‖ĝ‖²/‖g‖² = K + 2 ± 10 % (K = M node, K = MN weight), serial K ± 10 %, backprop variance 0.
    """
    p = dict(plain_defaults(ps.PARAMS), sizes=["N20_M5", "N40_M5"], n_seeds=32, budget_tau=3.0, n_variance_samples=10_000)
    m = execute(ps, p, RunContext.in_memory(2, device="numpy"))
    for method in METHODS:
        for size in p["sizes"]:
            ratio = m["learning_time_trials"][method][size] / m["learning_time_theory"][method][size]
            assert abs(ratio - 1) <= 0.15, (method, size, ratio)
            if method != "gradient":
                v = m["variance_ratio"][method][size] / m["variance_ratio_theory"][method][size]
                assert abs(v - 1) <= 0.10, (method, size, v)
    for size in p["sizes"]:
        assert 0.8 <= m["parallel_over_serial"][size] <= 1.25, size
        assert m["relative_variance"]["gradient"][size] == 0.0
    # the learning time of weight perturbation grows about as N² at fixed M (theory slope 1.91 here)
    assert m["exponents"]["learning_time_trials"]["vs_N"]["weight_perturbation"] == pytest.approx(
        m["exponents_theory"]["learning_time_trials"]["vs_N"]["weight_perturbation"], abs=0.25)
