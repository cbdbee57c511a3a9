"""Tests of snnlearn.estimators: gradient estimators, REINFORCE and the Werfel et al. (2005) learning curves.

Thresholds W1–W4 and R1 come from docs/validation.md (Werfel, Xie & Seung 2005) and §8 (calibrated; do not loosen).
"""
import math

import numpy as np
import pytest

from snnlearn.estimators import (
    METHODS,
    BernoulliLogisticLayer,
    LinearNetwork,
    TwoLayerNetwork,
    exact_gradient,
    expected_reward,
    expected_reward_gradient,
    fit_learning_time,
    get_estimator,
    learning_time_theory,
    node_perturbation,
    optimal_learning_rate,
    reinforce,
    serial_perturbation,
    train,
    weight_perturbation,
)


def _teacher_pattern(n_inputs, n_outputs, seed):
    """A random weight error D = W − W* and one input pattern x ~ 𝒩(0, I_N)."""
    rng = np.random.default_rng(seed)
    w_star = rng.standard_normal((n_outputs, n_inputs)) / math.sqrt(n_inputs)
    w = rng.standard_normal((n_outputs, n_inputs)) / math.sqrt(n_inputs)
    x = rng.standard_normal(n_inputs)
    return w, x, w_star @ x


def _cos(a, b):
    a, b = np.ravel(a), np.ravel(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# ------------------------------------------------------------------------------ exact gradient


def test_exact_gradient_linear_formula_and_zero_variance():
    """Backprop on y = W x returns (W x − t) xᵀ, costs 1 forward pass, and has zero variance (W3).

    N = 12, M = 4, seed 3; 50 repeated calls on the same pattern with different rngs.
    """
    w, x, t = _teacher_pattern(12, 4, seed=3)
    net = LinearNetwork(w)
    g, n_forward = exact_gradient(net, x, t)
    assert n_forward == 1
    np.testing.assert_allclose(g, np.outer(w @ x - t, x), rtol=1e-13, atol=1e-14)
    repeats = np.array([exact_gradient(net, x, t, np.random.default_rng(s), 0.1).grad for s in range(50)])
    assert np.all(repeats == repeats[0])  # identical on every call: variance exactly 0


# ------------------------------------------------------------------------------ W3: variance


@pytest.mark.parametrize("n_inputs,n_outputs", [(10, 3), (20, 5)])
def test_w3_second_moment_is_k_plus_2(n_inputs, n_outputs):
    """W3 (docs/validation.md, Werfel, Xie & Seung 2005): for a fixed x and D, mean ‖ĝ‖²/‖g‖² over 10⁴ perturbations is K + 2 ± 10 %.

    K = M for node perturbation, K = MN for parallel weight perturbation; serial perturbation
    (one weight, ±σ, scaled by K to be unbiased) gives K ± 10 %. σ = 1e-3, sizes (N, M) = (10, 3)
    and (20, 5), seeds 11 (pattern) and 12 (perturbations). Also: each perturbation costs 2
    forward passes, and dropping the baseline E(0) breaks the check by orders of magnitude.
    """
    w, x, t = _teacher_pattern(n_inputs, n_outputs, seed=11)
    g = exact_gradient(LinearNetwork(w), x, t).grad
    g2 = np.sum(g**2)
    batch = LinearNetwork(np.broadcast_to(w, (10_000,) + w.shape))
    rng = np.random.default_rng(12)
    expected = {
        node_perturbation: n_outputs + 2,
        weight_perturbation: n_outputs * n_inputs + 2,
        serial_perturbation: n_outputs * n_inputs,
    }
    for estimator, k_plus in expected.items():
        est, n_forward = estimator(batch, x, t, rng, 1e-3)
        assert n_forward == 2
        ratio = np.mean(np.sum(est**2, axis=(1, 2))) / g2
        assert abs(ratio / k_plus - 1) <= 0.10, (estimator.__name__, ratio, k_plus)

    # the failure mode W3 exists to catch: E(ξ) instead of E(ξ) − E(0)
    xi = 1e-3 * rng.standard_normal((10_000, n_outputs))
    e_pert = 0.5 * np.sum((w @ x + xi - t) ** 2, axis=1)
    no_baseline = (e_pert / 1e-6)[:, None, None] * (xi[:, :, None] * x[None, None, :])
    assert np.mean(np.sum(no_baseline**2, axis=(1, 2))) / g2 > 100 * (n_outputs + 2)


def test_perturbation_estimates_are_unbiased_on_linear_network():
    """The mean of 2·10⁴ estimates approaches g: ‖mean − g‖² ≤ 2 (c − 1)‖g‖²/n (twice the predicted noise).

    N = 8, M = 3, σ = 1e-3, seeds 5 and 6; c = M+2, MN+2, MN as in W3.
    """
    n = 20_000
    w, x, t = _teacher_pattern(8, 3, seed=5)
    g = exact_gradient(LinearNetwork(w), x, t).grad
    batch = LinearNetwork(np.broadcast_to(w, (n,) + w.shape))
    rng = np.random.default_rng(6)
    for estimator, c in ((node_perturbation, 5), (weight_perturbation, 26), (serial_perturbation, 24)):
        mean = estimator(batch, x, t, rng, 1e-3).grad.mean(axis=0)
        assert np.sum((mean - g) ** 2) <= 2 * (c - 1) * np.sum(g**2) / n, estimator.__name__


# ------------------------------------------------------------------------------ W1, W2, W4: learning curves


def test_w1_w2_learning_times_match_werfel_formulas():
    """W1 and W2 (docs/validation.md, Werfel, Xie & Seung 2005): τ at the optimal η within ±15 % of N+2, (M+2)(N+2), (MN+2)(N+2), MN(N+2);
    τ_parallel/τ_serial in [0.8, 1.25].

    Sizes (N, M) = (10, 3) and (20, 4); 64 seeds run as a batch (generator seed = N); σ = 1e-3;
    3 theoretical τ per run; τ from a fit of the log of the seed-averaged expected error.
    """
    for n_inputs, n_outputs in ((10, 3), (20, 4)):
        taus = {}
        for method in METHODS:
            eta = optimal_learning_rate(method, n_inputs, n_outputs)
            theory = learning_time_theory(method, n_inputs, n_outputs)
            curve = train(method, n_inputs, n_outputs, eta, int(3 * theory), np.random.default_rng(n_inputs),
                          n_seeds=64)
            taus[method] = curve.learning_time()
            assert abs(taus[method] / theory - 1) <= 0.15, (n_inputs, n_outputs, method, taus[method], theory)
            assert curve.forward_passes_per_trial == (1 if method == "gradient" else 2)
        ratio = taus["weight_perturbation"] / taus["serial_perturbation"]
        assert 0.8 <= ratio <= 1.25, (n_inputs, n_outputs, ratio)


def test_w4_small_learning_rate_all_methods_coincide():
    """W4 (docs/validation.md, Werfel, Xie & Seung 2005): at η = 0.1/((MN+2)(N+2)) the τ of gradient, node and weight perturbation agree within 10 %.

    N = 10, M = 3 (η = 0.1/384, τ ≈ 1/(2η) = 1920 trials); 16 seeds, the same teachers and inputs
    for every method (generator seed 7); 2 τ per run. Each τ is also within 10 % of 1/(2η).
    """
    n_inputs, n_outputs = 10, 3
    eta = 0.1 / ((n_outputs * n_inputs + 2) * (n_inputs + 2))
    n_trials = int(2 / (2 * eta))
    taus = {
        m: train(m, n_inputs, n_outputs, eta, n_trials, np.random.default_rng(7), n_seeds=16).learning_time()
        for m in ("gradient", "node_perturbation", "weight_perturbation")
    }
    assert max(taus.values()) / min(taus.values()) <= 1.10, taus
    for tau in taus.values():
        assert abs(tau * 2 * eta - 1) <= 0.10, taus


def test_train_reproducible_and_records_expected_error():
    """Same generator seed → identical curve; Ē(0) = ½‖W*‖²_F with W(0) = 0; record_every subsamples."""
    a = train("node_perturbation", 6, 2, 0.02, 50, np.random.default_rng(1), n_seeds=3, record_every=10)
    b = train("node_perturbation", 6, 2, 0.02, 50, np.random.default_rng(1), n_seeds=3, record_every=10)
    np.testing.assert_array_equal(a.errors, b.errors)
    np.testing.assert_array_equal(a.trials, [0, 10, 20, 30, 40, 50])
    np.testing.assert_array_equal(a.forward_passes, 2 * a.trials)
    assert a.errors.shape == (6, 3)
    c = train("node_perturbation", 6, 2, 0.02, 50, np.random.default_rng(2), n_seeds=3, record_every=10)
    assert not np.array_equal(a.errors, c.errors)


def test_fit_learning_time_recovers_exponential():
    t = np.arange(0, 500)
    assert fit_learning_time(t, 3.0 * np.exp(-t / 123.0)) == pytest.approx(123.0, rel=1e-9)
    assert fit_learning_time(t, np.ones_like(t, dtype=float)) == math.inf


# ------------------------------------------------------------------------------ two-layer rate network


def _two_layer(seed, n_inputs=8, n_hidden=6, n_outputs=3):
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((n_hidden, n_inputs)) / math.sqrt(n_inputs) * 1.5
    w2 = rng.standard_normal((n_outputs, n_hidden)) / math.sqrt(n_hidden)
    x = rng.standard_normal(n_inputs)
    t = rng.standard_normal(n_outputs)
    return w1, w2, x, t


def test_two_layer_backprop_matches_finite_differences():
    """Backprop through y = W2 tanh(W1 x) equals central finite differences (h = 1e-6) to 1e-6 relative.

    N = 8, H = 6, M = 3, seeds 0–2.
    """
    for seed in range(3):
        w1, w2, x, t = _two_layer(seed)
        net = TwoLayerNetwork(w1, w2)
        (g1, g2), n_forward = exact_gradient(net, x, t)
        assert n_forward == 1
        fd = []
        for layer in (0, 1):
            w = [w1.copy(), w2.copy()]
            grad = np.zeros_like(w[layer])
            for idx in np.ndindex(grad.shape):
                w_plus = [a.copy() for a in w]
                w_minus = [a.copy() for a in w]
                w_plus[layer][idx] += 1e-6
                w_minus[layer][idx] -= 1e-6
                grad[idx] = (net.with_weights(w_plus).loss(x, t) - net.with_weights(w_minus).loss(x, t)) / 2e-6
            fd.append(grad)
        exact = np.concatenate([g1.ravel(), g2.ravel()])
        numeric = np.concatenate([f.ravel() for f in fd])
        assert np.linalg.norm(exact - numeric) / np.linalg.norm(exact) <= 1e-6


def test_two_layer_perturbation_estimates_align_with_backprop():
    """Averaged node / weight / serial perturbation estimates on the tanh network align with backprop.

    N = 8, H = 6, M = 3 (K = 66 weights, 9 nodes), σ = 1e-3, n = 4000 estimates, seed 21 (network)
    and 22 (perturbations). For an unbiased estimator with E‖ĝ‖² = c‖g‖², the mean of n estimates
    has E‖ḡ − g‖² = (c − 1)‖g‖²/n, so cos²(ḡ, g) ≈ n/(n + c − 1) (the K/(K + d) statistics of
    docs/validation.md (Fiete & Seung 2006) with K → n samples, d → c − 1). c = K + 2 = 68 (weight), K = 66 (serial) and for
    node perturbation c = Σ_l ‖h_{l−1}‖²(K_l‖δ‖² + 2‖δ_l‖²) / Σ_l ‖h_{l−1}‖²‖δ_l‖² (K_l units in
    layer l). Threshold: cos ≥ √(n/(n + 2(c − 1))), i.e. at most twice the predicted noise
    (≈ 0.98 for weight perturbation). The measured mean ‖ĝ‖²/‖g‖² must be within 10 % of c.
    """
    n = 4000
    w1, w2, x, t = _two_layer(21)
    net = TwoLayerNetwork(w1, w2)
    g = exact_gradient(net, x, t).grad
    g_flat = np.concatenate([a.ravel() for a in g])
    # predicted c for node perturbation from the backprop quantities
    h1 = np.tanh(w1 @ x)
    delta2 = w2 @ h1 - t
    delta1 = (w2.T @ delta2) * (1 - h1**2)
    d2 = np.sum(delta1**2) + np.sum(delta2**2)
    num = x @ x * (6 * d2 + 2 * np.sum(delta1**2)) + h1 @ h1 * (3 * d2 + 2 * np.sum(delta2**2))
    c_node = num / (x @ x * np.sum(delta1**2) + h1 @ h1 * np.sum(delta2**2))
    batch = TwoLayerNetwork(np.broadcast_to(w1, (n,) + w1.shape), np.broadcast_to(w2, (n,) + w2.shape))
    rng = np.random.default_rng(22)
    for estimator, c in ((node_perturbation, c_node), (weight_perturbation, 68.0), (serial_perturbation, 66.0)):
        (e1, e2), n_forward = estimator(batch, x, t, rng, 1e-3)
        assert n_forward == 2
        est = np.concatenate([e1.reshape(n, -1), e2.reshape(n, -1)], axis=1)
        ratio = np.mean(np.sum(est**2, axis=1)) / np.sum(g_flat**2)
        assert abs(ratio / c - 1) <= 0.10, (estimator.__name__, ratio, c)
        threshold = math.sqrt(n / (n + 2 * (c - 1)))
        assert _cos(est.mean(axis=0), g_flat) >= threshold, (estimator.__name__, threshold)


# ------------------------------------------------------------------------------ R1: REINFORCE


def _reward(y):
    """r(y) = 1 + y0 − 0.5 y1 + y0 y2 for binary y (rows of y)."""
    return 1.0 + y[..., 0] - 0.5 * y[..., 1] + y[..., 0] * y[..., 2]


def test_r1_reinforce_unbiased_and_baseline_cuts_variance():
    """R1 (docs/validation.md, REINFORCE and reward-modulated STDP): Bernoulli-logistic layer, 10 inputs, 3 units, r = 1 + y0 − 0.5 y1 + y0 y2.

    Analytic gradient: E[r] = 1 + p0 − 0.5 p1 + p0 p2, so ∂E[r]/∂W_ij = ∂E[r]/∂p_i · p_i(1 − p_i) x_j
    (checked against enumeration of the 8 outputs). Over 10⁵ single-sample updates (seed 31):
    cos(mean update, analytic gradient) ≥ 0.99 for b = 0 and b = E[r]; the total variance of single
    updates with b = E[r] is at least 2× lower than with b = 0.
    """
    rng = np.random.default_rng(30)
    layer = BernoulliLogisticLayer(rng.standard_normal((3, 10)) * 0.4)
    x = rng.standard_normal(10)
    p = layer.probabilities(x)
    d_expected = np.array([1 + p[2], -0.5, p[0]])
    analytic = np.outer(d_expected * p * (1 - p), x)
    np.testing.assert_allclose(expected_reward_gradient(layer, x, _reward), analytic, rtol=1e-12, atol=1e-14)
    mean_r = 1 + p[0] - 0.5 * p[1] + p[0] * p[2]
    assert expected_reward(layer, x, _reward) == pytest.approx(mean_r, rel=1e-12)

    xs = np.broadcast_to(x, (100_000, 10))
    variances = {}
    for b in (0.0, mean_r):
        est, n_forward = reinforce(layer, xs, _reward, np.random.default_rng(31), baseline=b)
        assert n_forward == 1
        assert _cos(est.mean(axis=0), analytic) >= 0.99, b
        variances[b] = np.sum(est.var(axis=0))
    assert variances[0.0] >= 2 * variances[mean_r], variances


# ------------------------------------------------------------------------------ bad input


def test_bad_input_raises_value_error_naming_the_problem():
    w, x, t = _teacher_pattern(5, 2, seed=0)
    net = LinearNetwork(w)
    rng = np.random.default_rng(0)
    for estimator in (node_perturbation, weight_perturbation, serial_perturbation):
        for sigma in (0.0, -1e-3, float("nan")):
            with pytest.raises(ValueError, match="sigma"):
                estimator(net, x, t, rng, sigma)
    with pytest.raises(ValueError, match="input x must have 5"):
        node_perturbation(net, np.ones(4), t, rng, 1e-3)
    with pytest.raises(ValueError, match="target must have 2"):
        exact_gradient(net, x, np.ones(3))
    with pytest.raises(ValueError, match="do not broadcast"):
        exact_gradient(net, np.ones((3, 5)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="layer 2 expects 4 inputs"):
        TwoLayerNetwork(np.ones((6, 5)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        LinearNetwork(np.ones(5))
    with pytest.raises(ValueError, match="NaN"):
        LinearNetwork(np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match="rng"):
        weight_perturbation(net, x, t, 42, 1e-3)
    with pytest.raises(ValueError, match="unknown method 'hebb'"):
        get_estimator("hebb")
    with pytest.raises(ValueError, match="eta"):
        train("gradient", 5, 2, -0.1, 10, rng)
    with pytest.raises(ValueError, match="n_inputs"):
        train("gradient", 0, 2, 0.1, 10, rng)
    layer = BernoulliLogisticLayer(np.ones((3, 4)))
    with pytest.raises(ValueError, match="input x must have 4"):
        reinforce(layer, np.ones(5), _reward, rng)
    with pytest.raises(ValueError, match="one value per sample"):
        reinforce(layer, np.ones(4), lambda y: np.ones(7), rng)
