"""Handwritten digits (experiments/digits.py, models/diehl_cook.py): the read-out functions on hand-computed
cases, and, at reduced size through cpp_standalone, the Diehl & Cook STDP route and the reward-modulated
route against the same network with plasticity off."""

import numpy as np
import pytest

from snnlearn.models import diehl_cook as dc
from snnlearn.params import resolve_params


# ------------------------------------------------------------------ read-out functions
def test_old_import_path_reexports_the_library_read_outs():
    from snnlearn.metrics import classification as cl

    for name in ("assign_labels", "predict_vote", "predict_winner", "accuracy", "confusion", "online_accuracy"):
        assert getattr(dc, name) is getattr(cl, name)
    # (hand-computed cases: tests/test_metrics.py)


def test_split_is_fixed_and_stratified():
    a = dc.load_split()
    b = dc.load_split()
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    x_tr, y_tr, x_te, y_te = a
    assert len(y_tr) == 1257 and len(y_te) == 540 and x_tr.shape[1] == 64 and x_tr.max() == 1.0
    share_tr = np.bincount(y_tr) / len(y_tr)
    share_te = np.bincount(y_te) / len(y_te)
    assert np.abs(share_tr - share_te).max() < 0.01


# ------------------------------------------------------------------ the spiking routes (cpp_standalone)
# Reduced size: N = 100 excitatory neurons, one epoch (1257 presentations), labels from a class-balanced 200 of
# the training images, 200 of the 540 test images; the protocol (350 ms + 150 ms, dt 0.5 ms) unchanged.
# (N = 25 with 400 presentations was cheaper, but there the reward route did not learn: 0.26-0.27 against
# 0.26-0.35 plasticity-off, seeds 3 and 4, and STDP's margin over plasticity-off was 0.27-0.30.)
SEED = 3
#: STDP route at this reduced size (threshold increment 0.1 mV at N = 100, labels from 200 images). Calibration
#: (python experiments/digits.py --seed 3 with these overrides and n_seeds=2): 0.835 and 0.845 (plasticity off
#: 0.335 and 0.425, k-means 0.86 and 0.90, logistic 0.965); the full split gives 0.872 / 0.898 / 0.878
#: (seeds 0-2): the issue's 0.85 is for the full split (met there, README), not this subset (200 labelling
#: images and 200 test images cost ~0.04; the full split does not fit the test budget). 0.78 leaves
#: 2 binomial SDs of the 200 test images (SD 0.026) below the lowest measurement; it was 0.75 with the
#: previous 0.2 mV increment (0.82 / 0.79 measured).
THRESHOLD_STDP = 0.78
OVERRIDES = {"sizes": [100], "n_seeds": 1, "routes": ["stdp", "reward_stdp", "frozen"], "n_train": 0,
             "n_label": 200, "n_test": 200, "online_window": 200, "online_block": 200}


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory, standalone_context):
    import snnlearn.experiments.digits as exp

    p = resolve_params(exp.PARAMS, exp.QUICK, OVERRIDES, use_quick=False)
    ctx = standalone_context(SEED, tmp_path_factory.mktemp("digits_standalone"))
    metrics = exp.run(p, ctx)
    return p, metrics, ctx


def _acc(m, route):
    return m["accuracy"][route]["N100"][0]


@pytest.mark.slow
@pytest.mark.standalone
def test_stdp_route_learns_digits_far_above_plasticity_off(digits_run):
    """STDP (stdp_additive + multiplicative normalisation + adaptive thresholds), N = 100, one epoch:
    held-out accuracy >= THRESHOLD_STDP and >= 0.25 above the same network with plasticity off (same initial
    weights). Calibration: the comment above THRESHOLD_STDP."""
    p, m, _ = digits_run
    stdp, frozen = _acc(m, "stdp"), _acc(m, "frozen")
    assert stdp >= THRESHOLD_STDP, (stdp, frozen)
    assert stdp - frozen >= 0.25, (stdp, frozen)
    assert _acc(m, "kmeans") > stdp - 0.05  # the unsupervised ceiling of this architecture stays above


@pytest.mark.slow
@pytest.mark.standalone
def test_reward_route_learns_above_plasticity_off(digits_run):
    """Reward-modulated STDP with the in-simulation reward (R = 1 when the most active neuron's given class,
    k mod 10, is the presented digit) and a per-class critic, N = 100, one epoch. Control: the same network
    with plasticity off, read out the same way (class of the most active neuron, given labels). The reward
    counted inside the simulation equals its definition evaluated on the recorded spike counts.

    Calibration (seed 3, n_seeds=2, these overrides): 0.515 and 0.485 with the given labels, plasticity off read
    out the same way 0.08 and 0.08 (chance 0.1); rewarded in 315 of 1257 training presentations. Against the
    plasticity-off network with labels ASSIGNED after the fact (the STDP read-out, 0.335 and 0.425) the reward
    route gains only +0.18 and +0.06 at this size, so that comparison is reported by the experiment (README),
    not asserted here."""
    p, m, ctx = digits_run
    given = m["accuracy_given_labels"]
    reward, frozen = given["reward_stdp"]["N100"][0], given["frozen"]["N100"][0]
    assert reward - frozen >= 0.15, (reward, frozen)
    check = m["rewarded_check"]["reward_stdp"]["N100"]
    assert check["simulated"] == check["from_counts"]
    # rewarded in at least 1.5x the chance fraction (0.1) of the training presentations (measured: 0.25)
    assert check["simulated"] >= 0.15 * (int(p.n_train) or 1257)
