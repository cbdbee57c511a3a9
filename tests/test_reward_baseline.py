"""Frémaux, Sprekeler & Gerstner (2010): reward-modulated STDP needs a per-stimulus reward baseline
(docs/validation.md, check R2 "unsupervised bias", spiking version), through experiments/reward_baseline.py."""

import pytest

from snnlearn.params import resolve_params
from snnlearn.runs import execute


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
    m = execute(exp, p, ctx)
    r = m["error_ratio"]
    assert 6 < m["initial_error"] < 12, m["initial_error"]
    assert r["raw"] >= 1.0, r
    assert r["global_baseline"] >= 0.9, r
    assert r["per_stimulus_critic"] <= 0.5, r
    assert r["reinforce"] <= 0.15, r
    # the figures draw from the saved arrays alone
    figs = exp.plot(ctx.arrays, m, p)
    assert set(figs) == {"learning_curves", "expected_counts", "error_ratios"}


#: The balanced-window configuration: A- = A+, an escape neuron whose spikes follow its input's fluctuations
#: (soft threshold 5.25 at the mean drive w.x = 5, width 0.25; rho0 = 40 Hz), R-STDP eta = 4 x 0.0005.
BALANCED = {"Am": "1.0", "theta": "5.25", "delta": "0.25", "rho0": "40*Hz", "eta": "0.0005", "eta_rstdp_scale": "4"}


@pytest.mark.slow
@pytest.mark.standalone
def test_reward_baseline_balanced_window(standalone_dir, standalone_context):
    """Frémaux et al. (2010) with a balanced STDP window (A- = A+): the raw reward is biased by the unsupervised
    term and fails; the per-stimulus critic learns the discrimination; a global baseline does not.

    Why the neuron differs from the A- = 0 test's: with a balanced window the pre-before-post and post-before-pre
    pairings of an extra, noise-driven output spike cancel, so the eligibility only carries the *causal* part of
    the pre/post correlation. With the task's default neuron (each input spike moves u by 0.1 of the escape
    width) the count's fluctuations are escape noise, the eligibility is uncorrelated with the count and the
    critic cannot learn (measured: Cov(e, R) per trial +0.009, per-trial signal-to-noise 0.006, against -1.10
    and -0.21 for A- = 0). With a sharper escape neuron (width 0.25) the spikes follow the input and the
    balanced eligibility's covariance with the reward has the gradient's sign (theta = 5: -0.10, signal-to-noise
    -0.057).
    Measured (3000 trials; seeds 2 / 1 / 3): raw reward 1.69 / 5.53 / 1.15 x the initial error (runaway);
    per-stimulus critic 0.41 / 0.62 / 0.68 with counts 11.5-3.2 / 15.3-0.3 / 16.7-0.2 (targets 10-2): it learns the
    discrimination but overshoots, so R2's <= 0.5 holds at seed 2 only and is not asserted; global baseline
    0.80 / 0.85 / 0.95 with the stimuli the wrong way round (3.3-7.1 / 3.5-7.7 / 1.1-5.8).
    REINFORCE (eta 0.0005 here) is not asserted: 0.56 / 10.1 / 0.70."""
    import snnlearn.experiments.reward_baseline as exp

    p = resolve_params(exp.PARAMS, exp.QUICK, BALANCED, use_quick=False)
    ctx = standalone_context(2, standalone_dir)
    m = execute(exp, p, ctx)
    r, counts = m["error_ratio"], m["final_expected_count"]
    discrimination = {k: counts[k][0] - counts[k][1] for k in counts}
    assert r["raw"] >= 1.0, (r, counts)
    # the critic learns the two targets' order and spacing (10 and 2 spikes), not just silence: pattern A at least
    # 4 spikes above B, and an error below the initial one and below the global baseline's
    assert discrimination["per_stimulus_critic"] >= 4.0, counts
    assert r["per_stimulus_critic"] < min(1.0, r["global_baseline"]), r
    # a global baseline cannot tell the stimuli apart
    assert discrimination["global_baseline"] < 4.0, counts
