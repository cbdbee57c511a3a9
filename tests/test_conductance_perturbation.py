"""Fiete & Seung (2006) conductance perturbation on a song task (experiments/conductance_perturbation.py;
docs/validation.md, check F1).

One module fixture runs the experiment once (three compiled programs: the tutor's song, a batch of
frozen-weight trials with the finite-difference copies, the learning run with yoked controls) at
seed 11 with 20 HVC x 8 RA (the model was calibrated at seeds 1-3 with 25 HVC x 10 RA; this
configuration was also run while setting the control's bound below).

* F1a: the mean of K single-trial updates of the rule (weights frozen) aligns with the
  finite-difference gradient as sqrt(K/(K + d_eff + 1)) predicts, and reaches cos >= 0.8 at
  K = 4 d_eff, d_eff measured from the trials (E|u|² = (d_eff + 2)|g|²); the rule's mean update
  has the gradient's magnitude (the eligibility normalisation for the conductance noise);
  shuffling the rewards across trials destroys the alignment.
* F1b: the error falls to <= 30 % of its initial value within 2000 trials; a yoked control
  (another network's reward, unrelated to its own perturbation) does not learn: its weights
  only diffuse. Calibration of the control's bound: over 21 control networks (seeds 2, 3, 11;
  initial weights 2.0-3.2 nS; eta 8e-4 and 1.5e-3 nS) its error ended at 0.84-1.19 of the
  initial (diffusion moves the error either way), so the proposed ">= 0.9" is replaced by
  ">= 0.75 and at least 3 times the learner's ratio".

The doubled network (F1c) runs in the experiment only (its cost does not fit this test's budget).
"""

import numpy as np
import pytest

from snnlearn.params import resolve_params

SEED = 11
OVERRIDES = {
    "n_hvc": 20,
    "n_ra": 8,
    "k_per_synapse": 12.0,  # 1920 trials: d_eff was 1.6-2.3 per synapse in the calibration
    "fd_samples": 60,  # the finite-difference reference: 30 samples left it at cos ~0.95 with the true gradient
    "n_trials": 2000,
    "n_seeds": 1,
    "size_factor": 1,
    "eta_factors": [1.0],
}


@pytest.fixture(scope="module")
def f1(standalone_context):
    import snnlearn.experiments.conductance_perturbation as exp

    p = resolve_params(exp.PARAMS, exp.QUICK, OVERRIDES, use_quick=False)
    ctx = standalone_context(SEED)
    metrics = exp.run(p, ctx)
    return metrics, ctx.arrays


@pytest.mark.slow
@pytest.mark.standalone
def test_f1a_mean_update_aligns_with_the_finite_difference_gradient(f1):
    m = f1[0]["F1a"]
    assert m["K_check"] <= m["trials"], f"K = 4 d_eff = {m['K_check']} needs more frozen trials than {m['trials']}"
    assert m["cos_at_K_check"] >= 0.8, m
    cos, predicted = np.array(m["cos"]), np.array(m["cos_predicted"])
    # the alignment grows with K as the estimator's variance predicts (within 20 %)
    assert np.all(np.diff(cos) > -0.03), m
    assert cos[-1] - cos[0] >= 0.3, m
    assert np.all(np.abs(cos - predicted) <= 0.2 * predicted), m
    # the eligibility is normalised by the conductance noise's statistics: the mean update IS the gradient
    assert 0.75 <= m["norm_ratio"] <= 1.25, m


@pytest.mark.slow
@pytest.mark.standalone
def test_f1a_shuffled_reward_does_not_align(f1):
    m = f1[0]["F1a"]
    assert abs(m["cos_shuffled_at_K_check"]) <= 0.2, m
    assert np.max(np.abs(m["cos_shuffled"])) <= 0.25, m


@pytest.mark.slow
@pytest.mark.standalone
def test_f1b_error_falls_to_30_percent_and_yoked_control_does_not_learn(f1):
    m = f1[0]["F1b"]
    for ratio, t30 in zip(m["final_over_initial"], m["trials_to_30pct"]):
        assert ratio <= 0.3, m
        assert t30 is not None and t30 <= 2000, m
    for ratio in m["control_final_over_initial"]:
        assert ratio >= 0.75, m
        assert ratio >= 3 * max(m["final_over_initial"]), m
