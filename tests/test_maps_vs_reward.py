"""Maps against reward (issue 5, part 4): a ring map learned by self-organisation and from reward only.

Fast tests: the building blocks of ``models.reward_map`` and the experiment's helpers, and
one-line errors on bad input. Slow test (``cpp_standalone``): the small map (n_out = 10,
40 inputs) learned both ways for 90 s of simulated time each, in one compiled program, 3 seeds
(issue 16: every seed; the self-organising route with its developmental mechanism, annealed
over 20 s: calibration at n_out = 10, 5 of 5 seeds reached order 0.9 after 25-52 s, 4 of 5
without the mechanism; at n_out = 20, 5 of 5 against 0 of 5 in 120 s); both routes must reach
topographic order >= 0.9 in every seed
(|rho_FL| of unit position against RF centre).
How many trials each took is a finding, not a requirement: it is printed and attached to the
test report (``record_property``), with no threshold on which route is faster.
"""
import json

import numpy as np
import pytest
from brian2 import Hz, ms, second

from snnlearn.experiments import maps_vs_reward as exp
from snnlearn.models.reward_map import bump_patterns, bump_rates, build_reward_map, map_targets, ring_distance
from snnlearn.modulators import TrialSchedule
from snnlearn.params import resolve_params


def params(**overrides):
    return resolve_params(exp.PARAMS, exp.QUICK, overrides, use_quick=True)


# --------------------------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------------------------

def test_ring_distance_wraps():
    assert ring_distance(0, 9, 10) == 1
    assert ring_distance(2, 7, 10) == 5
    np.testing.assert_allclose(ring_distance(np.arange(4), 0, 4), [0, 1, 2, 1])


def test_targets_peak_at_the_matching_output():
    t = map_targets(20, 10, 2.5, 1.0)
    assert t.shape == (20, 10)
    # stimulus s sits at input position s * n_in / 20, its target peak at output s * 10 / 20
    np.testing.assert_array_equal(np.argmax(t[::2], axis=1), np.arange(10))
    assert t.max() == pytest.approx(2.5)
    assert t[0, 5] < 1e-4 * t[0, 0]                       # the far side of the ring is silent


def test_bump_patterns_are_frozen_bumps():
    rng = np.random.default_rng(3)
    pats = bump_patterns(40, 4, 2 * second, 4.0, rng, dt=0.5 * ms)
    assert len(pats) == 4
    for s, (idx, times) in enumerate(pats):
        counts = np.bincount(idx, minlength=40) / 2.0          # rate in Hz over the 2-s window
        centre = s * 10
        near = counts[[(centre + d) % 40 for d in (-1, 0, 1)]].mean()
        far = counts[[(centre + 20 + d) % 40 for d in (-1, 0, 1)]].mean()
        assert near > 25 and far < 8, (s, near, far)
        assert float(times.max()) < 2.0
    again = bump_patterns(40, 4, 2 * second, 4.0, np.random.default_rng(3), dt=0.5 * ms)
    np.testing.assert_array_equal(again[2][0], pats[2][0])
    np.testing.assert_allclose(bump_rates(40, 0, 4.0)[0] / Hz, 40.0)


def test_same_initial_weights_and_measures_for_both_routes():
    p = params()
    w = exp.initial_weights(40, 10, p, np.random.default_rng(1))
    assert w.shape == (40, 10) and w.min() >= 0 and w.max() <= 1
    assert abs(w.mean() - float(p.w_init)) < 0.02
    assert exp.first_crossing([0.1, 0.95, 0.8, 0.97], np.array([0, 10, 20, 30]), 0.9) == 10
    assert exp.first_crossing([0.1, 0.5], np.array([0, 10]), 0.9) is None
    # median over seeds, "never" counting as infinitely slow
    assert exp._median_or_none([100, None, 300]) == 300
    assert exp._median_or_none([100, 200, 300]) == 200
    assert exp._median_or_none([100, None, None]) is None
    assert exp._median_or_none([100, 200]) == 150


# --------------------------------------------------------------------------------------------
# bad input: one-line errors naming the problem
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, match", [
    ({"sizes": [2]}, "sizes"),
    ({"sizes": [10, 10]}, "repeat"),
    ({"n_seeds": 0}, "n_seeds"),
    ({"criterion": 1.2}, "criterion"),
    ({"reward_rule": "hebbian"}, "reward_rule"),
    ({"record_interval": 30 * second}, "record_interval"),
    ({"reward_eta": 0.0}, "reward_eta"),
    ({"dwell_min": 5, "dwell_max": 2}, "dwell"),
    ({"reward_rule": "reinforce", "sizes": [40]}, "at most 64"),
])
def test_experiment_rejects_bad_parameters(overrides, match):
    with pytest.raises(ValueError, match=match) as info:
        exp.validate(params(**overrides))
    assert "\n" not in str(info.value)


def test_model_rejects_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="rng") as info:
        bump_patterns(10, 2, 100 * ms, 2.0, rng=1)
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="sigma"):
        map_targets(4, 4, 1.0, 0.0)
    with pytest.raises(ValueError, match="sigma"):
        bump_rates(10, 0, -1.0)
    pats = bump_patterns(8, 4, 50 * ms, 1.0, rng)
    tg = map_targets(4, 4, 2.0, 1.0)
    paired = TrialSchedule.random(8, 4, 60 * ms, rng, paired=True)
    with pytest.raises(ValueError, match="rule must be one of"):
        build_reward_map(np.full((8, 4), 0.3), pats, paired, tg, rule="stdp")
    with pytest.raises(ValueError, match=r"shape \(n_in, n_out\)"):
        build_reward_map(np.full(8, 0.3), pats, paired, tg)
    with pytest.raises(ValueError, match="w_max"):
        build_reward_map(np.full((8, 4), 2.0), pats, paired, tg, w_max=1.0)
    unpaired = TrialSchedule.random(8, 4, 60 * ms, rng, paired=False)
    with pytest.raises(ValueError, match="paired") as info:
        build_reward_map(np.full((8, 4), 0.3), pats, unpaired, tg)
    assert "\n" not in str(info.value)


def test_cli_reports_a_bad_size(tmp_path):
    from snnlearn.runs import run_experiment

    with pytest.raises(ValueError, match="sizes") as info:
        run_experiment("maps_vs_reward", out=str(tmp_path / "bad"), quick=True, sizes=[3])
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------------------------
# the comparison on the small map (slow, compiled)
# --------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.standalone
def test_both_routes_reach_an_ordered_small_map(tmp_path, record_property):
    from snnlearn.runs import run_experiment

    n_seeds = 3
    res = run_experiment("maps_vs_reward", seed=1, out=str(tmp_path / "run"), quick=True, sizes=[10],
                         duration=90 * second, n_seeds=n_seeds)
    assert res.status == "complete"
    routes = res.metrics["routes"]
    found = {}
    for route in exp.ROUTES:
        m = routes[route]["N10"]
        found[route] = (m["trials_to_criterion"], m["time_to_criterion_s"])
        record_property(f"{route}_trials_to_criterion", m["trials_to_criterion"])
        record_property(f"{route}_time_to_criterion_s", m["time_to_criterion_s"])
        record_property(f"{route}_final_order", round(m["final_order"], 3))
    print(f"\nmaps vs reward, n_out = 10, seed 1: trials (simulated s) to order >= 0.9: {found}")
    for route in exp.ROUTES:
        m = routes[route]["N10"]
        # both start without order (flat weights plus noise, no topographic bias) ...
        assert m["initial_order"] < 0.5, (route, m)
        # ... and reach an ordered map in every seed (docs/validation.md check T2's measure; issue 16's criterion)
        assert m["seeds_reaching_criterion"] == n_seeds, (f"{route}: {m['seeds_reaching_criterion']} of {n_seeds} "
                                                          f"seeds reached order 0.9 in 90 s; found {found}", m)
        assert min(m["final_order_per_seed"]) >= 0.85, (route, m, found)
    # the self-organised map is selective (T2 without bias: s >= 0.5) and has no topographic errors left
    so = routes["self_organising"]["N10"]
    assert so["final_rf_selectivity"] >= 0.5, so
    # rules.json holds each size's rules (their rates may differ by size)
    rules = json.loads((tmp_path / "run" / "rules.json").read_text())
    assert {f"inputs -> map units, n_out = 10 ({r} route)" for r in ("self-organising", "reward")} <= set(rules)


# --------------------------------------------------------------------------------------------
# per-size learning rates and the figure of both maps at each size (fast, fake data)
# --------------------------------------------------------------------------------------------

def test_learning_rates_one_for_all_sizes_or_one_per_size():
    p = params(sizes=[10, 20, 40], reward_eta=[0.1, 0.05, 0.025], som_eta=0.004)
    assert exp.validate(p) == [10, 20, 40]
    assert exp.per_size(p, "reward_eta", [10, 20, 40]) == {10: 0.1, 20: 0.05, 40: 0.025}
    assert exp.per_size(p, "som_eta", [10, 20, 40]) == {10: 0.004, 20: 0.004, 40: 0.004}
    with pytest.raises(ValueError, match="reward_eta takes one value") as info:
        exp.validate(params(sizes=[10, 20, 40], reward_eta=[0.1, 0.05]))
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="som_eta"):
        exp.validate(params(som_eta=[0.01, -0.01]))
    with pytest.raises(ValueError, match="sigma_noise takes one value"):
        exp.validate(params(sizes=[10, 20], sigma_noise=[0.5, 1.0, 2.0]))


def test_maps_by_size_shows_both_routes_at_every_size():
    import matplotlib

    matplotlib.use("Agg")
    sizes, n_seeds, n_t = [4, 6], 2, 5
    rng = np.random.default_rng(0)
    data, routes = {"sizes": np.asarray(sizes)}, {r: {} for r in exp.ROUTES}
    for n in sizes:
        data[f"w0_N{n}"] = rng.uniform(0.1, 1, (4 * n, n))
        for r in exp.ROUTES:
            tag = f"{r}_N{n}"
            data[f"w_final_{tag}"] = rng.uniform(0, 1, (4 * n, n))
            for key in ("order", "error", "selectivity"):
                data[f"{key}_{tag}"] = rng.uniform(0, 1, (n_seeds, n_t))
            data[f"t_{tag}"] = np.tile(np.linspace(0, 10, n_t), (n_seeds, 1))
            data[f"trials_{tag}"] = np.tile(np.arange(n_t) * 20.0, (n_seeds, 1))
            routes[r][f"N{n}"] = {"eta": 0.1, "final_order": 0.5, "final_order_per_seed": [0.4, 0.6],
                                  "final_topographic_error": 0.2, "trials_to_criterion": None,
                                  "trials_to_criterion_per_seed": [None, 40], "time_to_criterion_s": None,
                                  "time_to_criterion_s_per_seed": [None, 5.0], "trials": 80}
    metrics = {"sizes": sizes, "criterion": 0.9, "n_seeds": n_seeds, "duration_s": 10.0,
               "reward_rule": "node_perturbation", "routes": routes}
    figs = exp.plot(data, metrics, params())
    fig = figs["maps_by_size"]
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == len(sizes) * len(exp.ROUTES)              # one panel per route and size ...
    assert len(fig.axes) == len(images) + 1                          # ... and one shared colour bar
    titles = [ax.get_title() for ax in images]
    for n in sizes:
        assert sum(f"n_out = {n}" in t for t in titles) == len(exp.ROUTES), titles
    # the matrix is shown as map unit (rows) against input index (columns), square tiles
    for ax, n in zip(images[::2], sizes):
        assert ax.images[0].get_array().shape == (n, 4 * n)
        assert ax.get_xlabel().startswith("input index") and ax.get_ylabel() == "map unit j"
    assert any("w_max" in ax.get_ylabel() for ax in fig.axes if not ax.images)
