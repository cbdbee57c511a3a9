"""Frémaux, Sprekeler & Gerstner (2010): reward-modulated STDP needs a per-stimulus reward baseline
(docs/validation.md, check R2 "unsupervised bias", spiking version), through experiments/reward_baseline.py."""

import pytest

from snnlearn.params import resolve_params


@pytest.mark.slow
@pytest.mark.standalone
def test_reward_baseline_two_stimulus_task_spiking(standalone_dir, standalone_context):
    """Spiking two-stimulus task (100 Poisson inputs at 50 Hz, 2 patterns, escape-noise output, 500-ms trials,
    R = exp(-(y - y*)^2/18), targets 10 and 2 spikes), 3000 trials, eta = 0.002, seed 2; error = |Lambda - y*|
    over the last 500 trials, relative to a frozen copy's error (the initial error, about 9).
    Thresholds of check R2 (docs/validation.md; calibrated on the rate toy): raw reward >= 1 x initial, global
    running-mean baseline >= 0.9 x initial, per-stimulus critic <= 0.5 x initial, REINFORCE <= 0.15 x initial.
    Measured with the current code (seed 2, initial error 9.27, rerun 2026-12-03): raw 2.68, global 1.06,
    critic 0.25, REINFORCE 0.07. (The range once noted here, critic 0.31-0.41 over seeds 1-3, came from an
    earlier version of the task and was not re-measured.) cpp_standalone, about 1-2 min including the build."""
    import snnlearn.experiments.reward_baseline as exp

    p = resolve_params(exp.PARAMS, exp.QUICK, {}, use_quick=False)
    ctx = standalone_context(2, standalone_dir)
    m = exp.run(p, ctx)
    r = m["error_ratio"]
    assert 6 < m["initial_error"] < 12, m["initial_error"]
    assert r["raw"] >= 1.0, r
    assert r["global_baseline"] >= 0.9, r
    assert r["per_stimulus_critic"] <= 0.5, r
    assert r["reinforce"] <= 0.15, r
    # the figures draw from the saved arrays alone
    figs = exp.plot(ctx.arrays, m, p)
    assert set(figs) == {"learning_curves", "expected_counts", "error_ratios"}
