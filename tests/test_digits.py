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
    from snnlearn.runs import execute

    p = resolve_params(exp.PARAMS, exp.QUICK, OVERRIDES, use_quick=False)
    ctx = standalone_context(SEED, tmp_path_factory.mktemp("digits_standalone"))
    metrics = execute(exp, p, ctx)
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
    k mod 10, is the presented digit), a per-class critic and an exploratory conductance perturbation per
    training image, N = 100, one epoch, read out by the class of the most active neuron (given labels).
    Control: the same network with plasticity off, labels assigned afterwards (``accuracy.frozen``, the STDP
    read-out, which beats the given-label read-out of random weights: 0.335 against 0.08). The issue's margin:
    >= 0.15 above it (docs/validation.md, D2). The reward counted inside the simulation equals its definition
    evaluated on the recorded spike counts.

    Calibration (``snnlearn run digits --seed 3`` with OVERRIDES, n_seeds=2, routes reward_stdp,frozen):
    0.645 and 0.755 against plasticity off 0.335 and 0.425 (+0.31, +0.33); rewarded in 227 of the 1257
    training presentations (replica 1). Full split, N = 100 (seeds 0-2, 7): see docs/validation.md, D2."""
    p, m, ctx = digits_run
    reward, frozen = _acc(m, "reward_stdp"), _acc(m, "frozen")
    assert reward - frozen >= 0.15, (reward, frozen)
    check = m["rewarded_check"]["reward_stdp"]["N100"]
    assert check["simulated"] == check["from_counts"]
    # rewarded above chance (0.1 of the training presentations; 2.4 binomial SDs above it). The exploring
    # network is rewarded in 0.16-0.21 of them (calibration runs, seeds 0-5, 7); 0.3 without exploration
    assert check["simulated"] >= 0.12 * (int(p.n_train) or 1257)


# ------------------------------------------------------------------ node perturbation: the cost in presentations
#: Node perturbation (no threshold increment, eta 0.01, sigma 0.1) after four epochs (5028 presentations, 4x the
#: STDP route's), the rest as OVERRIDES. Calibration: test_node_perturbation_meets_the_margin_in_more_epochs.
OVERRIDES_NP = {**OVERRIDES, "routes": ["perturbation", "frozen"], "epochs": 4}


@pytest.fixture(scope="module")
def digits_np_run(tmp_path_factory, standalone_context):
    import snnlearn.experiments.digits as exp
    from snnlearn.runs import execute

    p = resolve_params(exp.PARAMS, exp.QUICK, OVERRIDES_NP, use_quick=False)
    ctx = standalone_context(SEED, tmp_path_factory.mktemp("digits_np"))
    return p, execute(exp, p, ctx)


@pytest.mark.slow
@pytest.mark.standalone
def test_node_perturbation_meets_the_margin_in_more_epochs(digits_np_run):
    """Node perturbation (catalog ``node_perturbation``: a conductance perturbation per neuron and training image,
    weights following (R - Rbar) x perturbation x presynaptic activity), N = 100, given labels, after four epochs:
    >= 0.15 above the plasticity-off network with labels assigned afterwards (the issue's margin for the reward
    routes), which it does not reach in one epoch (docs/validation.md, D3: the cost in presentations). The reward
    counted in the simulation equals its definition on the spike counts.

    Calibration (``snnlearn run digits --seed S`` with OVERRIDES_NP and epochs 3 or 4), node perturbation against
    plasticity off: four epochs, seeds 3 / 4 / 5 / 7: 0.675 / 0.625 / 0.685 / 0.670 against 0.335 / 0.435 / 0.490 /
    0.440 (+0.34 / +0.19 / +0.20 / +0.23); three epochs, seeds 3-7: +0.33 / +0.155 / +0.155 / +0.31 / +0.28 (too
    close to 0.15 for a test with 200 test images, binomial SD 0.035). On the full split three epochs suffice
    (+0.24 to +0.36, seeds 0-2; README)."""
    p, m = digits_np_run
    assert m["presentations"] == 4 * 1257
    np_acc, frozen = _acc(m, "perturbation"), _acc(m, "frozen")
    assert np_acc - frozen >= 0.15, (np_acc, frozen)
    check = m["rewarded_check"]["perturbation"]["N100"]
    assert check["simulated"] == check["from_counts"]


# ------------------------------------------------------------------ REINFORCE route: its circuit (numpy target)
def test_reinforce_route_learns_only_in_training_and_counts_its_reward():
    """The REINFORCE route (escape-noise excitatory neurons, catalog ``reinforce``) on the numpy target, 10
    neurons, 6 images (4 training, 2 evaluation): every image is answered, the weights move during training and
    keep each neuron's sum (normalisation), they stay put during evaluation, and the reward counted in the
    simulation equals its definition on the spike counts."""
    from brian2 import mV, second, seed

    seed(11)  # the numpy target (tests/conftest.py)
    x_tr, y_tr, _, _ = dc.load_split()
    images, labels = x_tr[:6], y_tr[:6]
    learn = np.array([1, 1, 1, 1, 0, 0], dtype=float)
    w0 = dc.random_weights(64, 10, 8.0, np.random.default_rng(0))
    m = dc.build_network(images, learn, 10, "reinforce", w0, {"eta_rf": 0.002, "du": 2 * mV, "theta_plus": 0 * mV},
                         labels=labels)
    T = float(m["T"] / second)
    m["net"].run(4.5 * T * second)  # the fourth image's update happens at the start of the fifth presentation
    w_trained = np.array(m["synapses"].w[:]).reshape(64, 10)
    m["net"].run(1.5 * T * second)
    w_end = np.array(m["synapses"].w[:]).reshape(64, 10)
    assert np.abs(w_trained - w0).max() > 1e-3
    np.testing.assert_allclose(w_trained.sum(axis=0), 8.0, rtol=1e-9)
    np.testing.assert_array_equal(w_end, w_trained)
    counts = dc.responses_by_presentation(np.array(m["spikes"].i[:]), np.array(m["spikes"].t[:] / second), 6, 10, T)
    assert counts.sum(axis=1).min() >= 1
    rewarded = dc.reward_from_counts(counts[:4], labels[:4], np.arange(10) % 10, 10.0).sum()
    assert float(m["task"]["group"].n_rewarded[0]) == rewarded


@pytest.mark.parametrize("route", ["reward_stdp", "perturbation", "reinforce"])
def test_reward_routes_refuse_missing_or_short_labels(route):
    """A reward route without one label per presentation is refused in one line that names the route."""
    x_tr, y_tr, _, _ = dc.load_split()
    w0 = dc.random_weights(64, 10, 8.0, np.random.default_rng(0))
    for labels in (None, y_tr[:2]):
        with pytest.raises(ValueError, match=f"the {route} route needs one label per presentation"):
            dc.build_network(x_tr[:3], np.ones(3), 10, route, w0, {}, labels=labels)
