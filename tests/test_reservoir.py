"""Reservoir computing: readout metrics, ESN memory capacity and NARMA-10, FORCE, spiking LSM.

Scientific checks E1-E4 of SCIENCE.md section 9 (thresholds calibrated there; never loosen them).
"""
import numpy as np
import pytest
from brian2 import Hz, mV, ms

from models.esn import make_esn
from models.force import make_force_network, run_force, sum_of_sines
from models.lsm import (
    filtered_input_states,
    jitter_trials,
    make_liquid,
    make_template_pair,
    simulate_liquid,
    template_task,
)
from snnlearn.metrics.reservoir import (
    classification_accuracy,
    delay_embedding,
    fit_ridge,
    loo_ridge,
    memory_capacity,
    narma10,
    narma10_input,
    nrmse,
    squared_correlation,
)


# ----------------------------------------------------------------------------- metrics, known answers


def test_nrmse_of_mean_predictor_is_one_and_of_truth_is_zero():
    y = np.random.default_rng(0).normal(3.0, 2.0, 500)
    assert nrmse(y, np.full_like(y, y.mean())) == pytest.approx(1.0, abs=1e-12)
    assert nrmse(y, y) == 0.0
    # a constant offset of one standard deviation costs as much as knowing nothing
    assert nrmse(y, y + y.std()) == pytest.approx(1.0, abs=1e-12)


def test_fit_ridge_recovers_an_exact_linear_map():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 5))
    W = rng.standard_normal((5, 2))
    Y = X @ W + np.array([0.5, -2.0])
    ro = fit_ridge(X, Y, ridge=0.0)
    np.testing.assert_allclose(ro.weights, W, atol=1e-10)
    np.testing.assert_allclose(ro.intercept, [0.5, -2.0], atol=1e-10)
    # a strong ridge shrinks the weights towards zero but never the intercept
    shrunk = fit_ridge(X, Y[:, 0], ridge=100.0)
    assert np.linalg.norm(shrunk.weights) < 0.05 * np.linalg.norm(W[:, 0])
    assert shrunk.predict(X).mean() == pytest.approx(Y[:, 0].mean(), abs=1e-10)


def test_loo_ridge_equals_brute_force_leave_one_out():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 4))
    y = X @ rng.standard_normal(4) + 0.5 * rng.standard_normal(30)
    ridges = (1e-3, 1e-1, 10.0)
    _, mse = loo_ridge(X, y, ridges)
    for j, r in enumerate(ridges):
        errs = []
        for i in range(30):
            keep = np.arange(30) != i
            # the LOO shortcut keeps the full-data centring and ridge scale, so compare like with like:
            Xc, yc = X - X.mean(0), y - y.mean()
            lam = r * np.var(X, axis=0).mean()
            A = Xc[keep].T @ Xc[keep] + 30 * lam * np.eye(4)
            # intercept: fitted jointly (unpenalised) on the kept samples via an augmented system
            Xa = np.hstack([Xc[keep], np.ones((29, 1))])
            Aa = Xa.T @ Xa
            Aa[:4, :4] = A
            coef = np.linalg.solve(Aa, Xa.T @ yc[keep])
            errs.append(yc[i] - (Xc[i] @ coef[:4] + coef[4]))
        assert mse[j] == pytest.approx(np.mean(np.square(errs)), rel=1e-8)


def test_delay_line_memory_capacity_equals_number_of_taps():
    """A pure tapped delay line x_i(t) = u(t - i), i < 10, recalls delays 0..9 perfectly: MC = 10."""
    rng = np.random.default_rng(3)
    u = rng.uniform(-0.5, 0.5, 4000)
    mc = memory_capacity(delay_embedding(u, 10), u, k_max=30, washout=30)
    assert mc.total == pytest.approx(10.0, abs=0.1)
    assert np.all(mc.r2[:10] > 0.999)
    assert np.all(mc.r2[10:] < 0.01)


def test_memory_capacity_counts_only_the_delays_the_states_hold():
    """States holding u(t-2), u(t-3), u(t-4) only: r^2 = 1 at those delays, ~0 elsewhere, MC = 3
    (checks the time alignment of targets and states: an off-by-one would move or lose the peaks)."""
    rng = np.random.default_rng(4)
    u = rng.uniform(-0.5, 0.5, 3000)
    X = delay_embedding(u, 5)[:, 2:]  # holds u(t-2), u(t-3), u(t-4) only
    mc = memory_capacity(X, u, k_max=10, washout=10)
    assert mc.r2[0] < 0.01 and mc.r2[1] < 0.01 and mc.r2[5] < 0.01
    assert np.all(mc.r2[2:5] > 0.999)
    assert mc.total == pytest.approx(3.0, abs=0.05)


def test_narma10_first_steps_and_recursion():
    u = np.random.default_rng(5).uniform(0, 0.5, 300)
    y = narma10(u)
    assert y[0] == 0.0
    assert y[1] == pytest.approx(0.1)  # 1.5 u(-9) u(0) = 0
    assert y[2] == pytest.approx(0.3 * 0.1 + 0.05 * 0.1 * 0.1 + 0.1)
    t = np.arange(20, 299)
    hist = np.array([y[k - 9 : k + 1].sum() for k in t])
    np.testing.assert_allclose(y[t + 1], 0.3 * y[t] + 0.05 * y[t] * hist + 1.5 * u[t - 9] * u[t] + 0.1)


def test_classification_accuracy_and_squared_correlation():
    assert classification_accuracy([1, -1, 1, -1], [0.3, -2.0, -0.1, -0.5]) == 0.75
    assert classification_accuracy([1, 0, 1], [0.9, 0.1, 0.8], threshold=0.5) == 1.0
    assert classification_accuracy([0, 2, 1], np.eye(3)[[0, 2, 0]]) == pytest.approx(2 / 3)
    assert squared_correlation([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert squared_correlation([1, 2, 3], [1, 1, 1]) == 0.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: memory_capacity(np.zeros((50, 3)), np.zeros(50), k_max=10, washout=40), "washout"),
        (lambda: memory_capacity(np.zeros((50, 3)), np.zeros(40)), "time steps"),
        (lambda: nrmse(np.ones(10), np.ones(10)), "constant"),
        (lambda: nrmse(np.arange(3.0), np.arange(4.0)), "shape"),
        (lambda: fit_ridge(np.ones((5, 2)), np.ones(5), ridge=-1), "ridge"),
        (lambda: fit_ridge(np.ones((5, 2)), np.ones(4)), "samples"),
        (lambda: narma10(np.full(100, 5.0)), "diverged"),
        (lambda: classification_accuracy([2, 3], [0.1, 0.2]), "labels"),
        (lambda: make_esn(10, np.random.default_rng(0), spectral_radius=-0.5), "spectral_radius"),
        (lambda: make_esn(10, np.random.default_rng(0), activation="relu"), "activation"),
        (lambda: make_esn(0, np.random.default_rng(0)), "n"),
        (lambda: make_esn(10, 3), "Generator"),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------- ESN


def test_esn_spectral_radius_and_reproducibility():
    esn = make_esn(40, np.random.default_rng(6), spectral_radius=0.8)
    assert np.max(np.abs(np.linalg.eigvals(esn.W))) == pytest.approx(0.8, rel=1e-9)
    assert not np.any(make_esn(40, np.random.default_rng(6), spectral_radius=0.0).W)
    u = np.random.default_rng(7).uniform(-0.5, 0.5, 100)
    again = make_esn(40, np.random.default_rng(6), spectral_radius=0.8)
    np.testing.assert_array_equal(esn.run(u), again.run(u))
    lin = make_esn(40, np.random.default_rng(6), spectral_radius=0.8, activation="linear")
    # linear reservoir: superposition holds
    np.testing.assert_allclose(lin.run(2 * u), 2 * lin.run(u), atol=1e-12)


def _mc(n, activation, input_scale, seed, rho=0.95):
    """MC of an ESN as in SCIENCE.md section 9: u ~ U[-0.5, 0.5], 3000 train + 3000 test, k <= 100."""
    rng = np.random.default_rng(seed)
    esn = make_esn(n, rng, spectral_radius=rho, input_scale=input_scale, activation=activation)
    u = rng.uniform(-0.5, 0.5, 6100)
    return memory_capacity(esn.run(u), u, k_max=100, washout=100, train_fraction=0.5).total


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_E1_memory_capacity_bounds(seed):
    """E1 (SCIENCE.md section 9, calibrated): held-out MC <= N + 0.5 always; linear N = 50 reservoir
    MC >= 0.6 N; tanh reservoir with input scale 0.1 MC >= 0.4 N.  Spectral radius 0.95, dense
    Gaussian W, 3000 training and 3000 test samples, delays k = 0..100, seeds 11-13.
    Measured here: linear 46-49, tanh (0.1) 25-27, tanh (1.0) 14-16, N = 20 linear 19.6-19.9."""
    n = 50
    lin = _mc(n, "linear", 0.1, seed)
    tanh = _mc(n, "tanh", 0.1, seed)
    tanh_big = _mc(n, "tanh", 1.0, seed)
    small = _mc(20, "linear", 0.1, seed, rho=0.99)
    for value, bound in ((lin, n), (tanh, n), (tanh_big, n), (small, 20)):
        assert value <= bound + 0.5
    assert lin >= 0.6 * n
    assert tanh >= 0.4 * n
    assert tanh_big < tanh  # saturation costs memory (Ballarin et al.: MC depends on input scale)


def _narma_case(seed):
    """ESN N = 100 (rho 0.95, input scale 0.1, bias 0.2), NARMA-10, 200 washout, 3000 train, 2000 test."""
    rng = np.random.default_rng(seed)
    u = narma10_input(5200, rng)
    y = narma10(u)
    tr, te = slice(200, 3200), slice(3200, 5200)

    def score(F):
        return nrmse(y[te], fit_ridge(F[tr], y[tr], ridge=0.0).predict(F[te]))

    X = make_esn(100, rng, spectral_radius=0.95, input_scale=0.1, bias=0.2).run(u)
    X0 = make_esn(100, rng, spectral_radius=0.0, input_scale=0.1, bias=0.2).run(u)
    return dict(
        quadratic=score(np.hstack([X, X**2, u[:, None]])),
        linear=score(np.hstack([X, u[:, None]])),
        delay=score(delay_embedding(u, 20)),
        memoryless=score(np.hstack([X0, u[:, None]])),
    )


@pytest.mark.parametrize("seed", [21, 22])
def test_E2_narma10(seed):
    """E2 (SCIENCE.md section 9, calibrated): N = 100 tanh ESN, NRMSE <= 0.30 with the [x, x^2, u]
    readout, <= 0.45 with the linear [x, u] readout, at least 0.05 below a 20-tap linear delay line,
    and >= 0.95 for the memoryless (rho = 0) control.  Seeds 21, 22.
    Measured over 12 other seeds: 0.13-0.22 / 0.25-0.32 / delay line 0.38-0.43 / rho = 0 about 1.0.
    (NARMA-10 with u ~ U[0, 0.5] has rare large excursions; a test set containing one gave 0.37.)"""
    r = _narma_case(seed)
    assert r["quadratic"] <= 0.30
    assert r["linear"] <= 0.45
    assert r["quadratic"] <= r["delay"] - 0.05
    assert r["memoryless"] >= 0.95


# ----------------------------------------------------------------------------- FORCE


def _naive_force(net, f, h, alpha, every):
    """Textbook RLS with numpy.outer, for checking the BLAS-triangle implementation."""
    x, z = net.x0.copy(), net.z0
    r = np.tanh(x)
    w = np.zeros(net.n)
    P = np.eye(net.n) / alpha
    zs = []
    for step in range(f.size):
        x += h * (-x + net.J @ r + net.w_f * z)
        r = np.tanh(x)
        z = w @ r
        if (step + 1) % every == 0:
            k = P @ r
            c = 1 / (1 + r @ k)
            P -= c * np.outer(k, k)
            w -= c * (z - f[step]) * k
        zs.append(z)
    return np.array(zs), w


def test_force_rls_matches_textbook_update():
    net = make_force_network(np.random.default_rng(8), n=60, p=0.2, g=1.5)
    f = sum_of_sines(np.arange(400) * ms, period=120 * ms)
    res = run_force(net, f, 50, alpha=1.0, learn_every=2)
    z_ref, w_ref = _naive_force(net, f, 0.1, 1.0, 2)
    np.testing.assert_allclose(res.z_train, z_ref, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.w, w_ref, rtol=1e-8, atol=1e-10)
    assert res.z_test.shape == (50,) and res.w_norm.shape == (200,)
    # no learning: readout stays zero, output is zero
    off = run_force(net, f, 10, learn=False)
    assert not np.any(off.w) and not np.any(off.z_test)


def test_force_network_statistics_and_bad_input():
    rng = np.random.default_rng(9)
    net = make_force_network(rng, n=400, p=0.1, g=1.5)
    assert net.J.nnz / 400**2 == pytest.approx(0.1, rel=0.05)
    assert np.std(net.J.data) * np.sqrt(0.1 * 400) == pytest.approx(1.5, rel=0.05)
    assert np.all(np.abs(net.w_f) <= 1)
    with pytest.raises(ValueError, match="alpha"):
        run_force(net, np.zeros(10), 0, alpha=0)
    with pytest.raises(ValueError, match="dt/tau"):
        run_force(net, np.zeros(10), 0, dt=20 * ms, tau=10 * ms)
    with pytest.raises(ValueError, match="target_train"):
        run_force(net, np.zeros((3, 3)), 0)
    with pytest.raises(ValueError, match="p "):
        make_force_network(rng, n=10, p=1.5)


@pytest.mark.slow
def test_E3_force_learns_the_four_sine_pattern():
    """E3 (SCIENCE.md section 9, calibrated): Sussillo & Abbott 2009 parameters, N = 1000, p = 0.1,
    g = 1.5, alpha = 1, tau = 10 ms, dt = 1 ms (0.1 tau), RLS every 2 steps; target the Fig. 2 four-sine
    wave of period 1.2 s (120 tau); full protocol: train 12 periods (1440 tau), then 12 periods with
    learning off.  Test NRMSE <= 0.3 in at least 2 of 3 seeds (31, 32, 33); the no-learning control
    gives >= 0.9.  Measured (seeds 0-2): test NRMSE 0.007-0.019, no learning 1.00; about 6-8 s per
    seed on a loaded 2-core machine (single-threaded BLAS, symmetric rank-1 updates)."""
    period_steps = 1200
    f = sum_of_sines(np.arange(24 * period_steps) * ms, period=1200 * ms)
    n_train = 12 * period_steps
    errors = []
    for seed in (31, 32, 33):
        net = make_force_network(np.random.default_rng(seed), n=1000, p=0.1, g=1.5)
        res = run_force(net, f[:n_train], f.size - n_train, tau=10 * ms, dt=1 * ms, alpha=1.0, learn_every=2)
        errors.append(nrmse(f[n_train:], res.z_test))
    assert sum(e <= 0.3 for e in errors) >= 2, errors
    control = run_force(net, f[:n_train], 4 * period_steps, learn=False)
    assert nrmse(f[n_train : n_train + 4 * period_steps], control.z_test) >= 0.9
