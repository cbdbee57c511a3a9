"""Tests of models.miller_rate: the Miller, Keller & Stryker (1989) correlation-based rate model.

Mechanics (drive, normalisation, freezing) are checked against direct dense computations;
the science checks O1 and O2 use the calibrated thresholds of docs/validation.md (ocular dominance).
"""
import numpy as np
import pytest

from snnlearn.models.miller_rate import MillerModel, MillerParams, MillerResult, arbor_offsets, simulate
from snnlearn.metrics.maps import mean_abs_odi, mexican_hat, od_wavelength, od_wavelength_theory


def _dense_drive(model, s_left, s_right):
    """H^L(alpha, x) = A(alpha, x) sum_{beta, y} C(alpha - beta) [S^L + c S^R](beta, y) I(y - x),
    written out with full N x N matrices on the periodic lattice."""
    p = model.params
    res = MillerResult(p, model.offsets, s_left, s_right, None, 0, 0.0, False)
    w_l, w_r = res.full_weights()                                  # (n_inputs, n_cells)
    coords = np.stack(np.unravel_index(np.arange(model.n_cells), p.shape), axis=1)
    d = coords[:, None, :] - coords[None, :, :]
    n = np.asarray(p.shape)
    d = (d + n // 2) % n - n // 2
    dist = np.sqrt(np.sum(d.astype(float) ** 2, axis=-1))
    i_mat = mexican_hat(dist, p.sigma_E)
    c_mat = np.exp(-dist ** 2 / (2 * p.sigma_C ** 2))
    mask = _mask(model)
    h_l = mask * (c_mat @ (w_l + p.opp_corr * w_r) @ i_mat)
    h_r = mask * (c_mat @ (w_r + p.opp_corr * w_l) @ i_mat)
    return h_l, h_r


def _mask(model):
    ones = np.ones((model.n_cells, model.n_a))
    res = MillerResult(model.params, model.offsets, ones, ones, None, 0, 0.0, False)
    return res.full_weights()[0] > 0


@pytest.mark.parametrize("kwargs", [
    dict(shape=(32,), arbor_radius=3, sigma_E=1.5, sigma_C=2.0, opp_corr=-0.3),
    dict(shape=(12, 10), arbor_radius=2.5, sigma_E=1.0, sigma_C=1.5, opp_corr=0.4),
])
def test_fourier_arbor_drive_equals_dense_matrix_drive(kwargs):
    model = MillerModel(**kwargs)
    rng = np.random.default_rng(1)
    s_l = rng.uniform(size=(model.n_cells, model.n_a))
    s_r = rng.uniform(size=(model.n_cells, model.n_a))
    h_l, h_r = model.drive(s_l, s_r)
    d_l, d_r = _dense_drive(model, s_l, s_r)
    full = MillerResult(model.params, model.offsets, h_l, h_r, None, 0, 0.0, False).full_weights()
    np.testing.assert_allclose(full[0], d_l, atol=1e-10)
    np.testing.assert_allclose(full[1], d_r, atol=1e-10)


def test_arbor_offsets_and_full_weights_mask():
    assert arbor_offsets(6, 1).shape == (13, 1)
    assert arbor_offsets(2, 2).shape == (13, 2)                  # disc of radius 2
    model = MillerModel(shape=(20,), arbor_radius=3)
    mask = _mask(model)
    assert mask.sum(axis=0).tolist() == [7] * 20                 # 2R + 1 inputs per cell
    assert mask[18, 0] and mask[3, 0] and not mask[4, 0]         # ring wrap-around


def test_step_conserves_total_weight_per_cell_and_freezes_saturated_synapses():
    """Subtractive normalisation keeps sum_{alpha, mu} S per cell while no synapse is clipped;
    synapses at a bound are frozen and never change again."""
    model = MillerModel(shape=(64,), arbor_radius=4, sigma_E=1.0, eta=1e-4)
    state = model.initial_state(np.random.default_rng(0))
    total0 = state["s"].sum(axis=(0, 2))
    model.step(state)
    np.testing.assert_allclose(state["s"].sum(axis=(0, 2)), total0, rtol=1e-12)
    assert not np.array_equal(state["s"].sum(axis=2)[0], state["s"].sum(axis=2)[1])

    state["s"][0, 5, 2] = 0.0
    state["s"][1, 9, 0] = model.params.s_max
    state["active"][0, 5, 2] = state["active"][1, 9, 0] = False
    total1 = state["s"].sum(axis=(0, 2))
    for _ in range(20):
        model.step(state)
    assert state["s"][0, 5, 2] == 0.0 and state["s"][1, 9, 0] == model.params.s_max
    # cells with a frozen synapse still conserve their total: only active synapses share the change
    np.testing.assert_allclose(state["s"].sum(axis=(0, 2)), total1, rtol=1e-12)
    assert state["active"].sum() == state["active"].size - 2


def test_run_reaches_saturation_and_is_reproducible():
    a = simulate(shape=(64,), arbor_radius=4, sigma_E=1.0, seed=3, record_every=50)
    b = simulate(MillerParams(shape=(64,), arbor_radius=4, sigma_E=1.0), rng=np.random.default_rng(3))
    c = simulate(shape=(64,), arbor_radius=4, sigma_E=1.0, seed=4)
    assert a.converged and a.frozen_fraction >= 0.9
    np.testing.assert_array_equal(a.odi, b.odi)
    assert not np.array_equal(a.odi, c.odi)
    assert a.history_steps[0] == 0 and a.history_steps[-1] == a.steps
    assert len(a.history_odi) == len(a.history_steps)
    assert mean_abs_odi(a.history_odi[0]) < 0.05 < mean_abs_odi(a.odi)
    assert np.all((a.s_left >= 0) & (a.s_left <= 4.0))
    s = a.summary()
    assert s["converged"] and s["params"]["shape"] == [64]


def test_2d_sheet_segregates_only_with_eye_specific_correlations():
    """2-D periodic sheet (24 x 24, R = 2, sigma_E = 1, sigma_C = 2), seed 7: independent eyes
    give a monocular cortex (mean|ODI| >= 0.5), identical eyes a binocular one (< 0.05).
    The O2 criteria carried over to 2-D (measured 0.99 and 0.003)."""
    kw = dict(shape=(24, 24), arbor_radius=2, sigma_E=1.0, sigma_C=2.0)
    assert mean_abs_odi(simulate(seed=7, **kw).odi) >= 0.5
    assert mean_abs_odi(simulate(seed=7, opp_corr=1.0, **kw).odi) < 0.05


def test_O2_segregation_needs_same_eye_correlation_above_other_eye():
    """Check O2 (docs/validation.md), calibrated: 128-cell ring, sigma_E = 2, R = 6,
    sigma_C = 2, s_max = 4, eta = 0.002, seeds 0-3. Identical eyes (C_opp = C_same):
    mean|ODI| < 0.05; baseline (C_opp = 0) >= 0.5; anticorrelated eyes (C_opp = -0.5 C_same)
    and broad within-eye correlations (sigma_C = 6) each >= baseline + 0.2 (checked per seed).
    Reference [V-sim]: 0.003, 0.54, 0.92, 0.99."""
    base = dict(shape=(128,), arbor_radius=6, sigma_E=2.0, sigma_C=2.0, s_max=4.0, eta=0.002)
    for seed in range(4):
        baseline = mean_abs_odi(simulate(seed=seed, **base).odi)
        identical = mean_abs_odi(simulate(seed=seed, **{**base, "opp_corr": 1.0}).odi)
        anti = mean_abs_odi(simulate(seed=seed, **{**base, "opp_corr": -0.5}).odi)
        broad = mean_abs_odi(simulate(seed=seed, **{**base, "sigma_C": 6.0}).odi)
        assert identical < 0.05
        assert baseline >= 0.5
        assert anti >= baseline + 0.2
        assert broad >= baseline + 0.2


@pytest.mark.slow
def test_O1_od_wavelength_follows_linear_stability_prediction():
    """Check O1 (docs/validation.md), calibrated: N = 256 ring, R = 6, sigma_C = 2,
    s_max = 4, eta = 0.002, sigma_E in {1, 2}, seeds 0-31 for each (32 rather than the minimum 4:
    the pooled spectra are flat-topped and the 4-seed peak is too noisy, see the report).
    The seed-pooled spectrum's peak wavelength and its centroid are each within ±25 % of
    Lambda* = 2 pi / k* (7.97 and 14.8), with >= 10 periods on the ring, and
    Lambda(sigma_E = 2)/Lambda(sigma_E = 1) is in [1.5, 2.5] for both estimators.
    Reference [V-sim] (4 seeds): peak 7.8 / 16.0, centroid 6.6 / 13.8. About 20 s."""
    lam = {}
    for sigma_e in (1.0, 2.0):
        results = [simulate(shape=(256,), arbor_radius=6, sigma_E=sigma_e, sigma_C=2.0,
                            s_max=4.0, eta=0.002, seed=seed) for seed in range(32)]
        assert all(r.converged for r in results)
        maps = [r.odi for r in results]
        theory = od_wavelength_theory(sigma_e, 2.0, 6)
        peak, centroid = od_wavelength(maps, "peak"), od_wavelength(maps, "centroid")
        assert 256 / peak >= 10 and 256 / centroid >= 10
        assert abs(peak - theory) / theory <= 0.25, (sigma_e, peak, theory)
        assert abs(centroid - theory) / theory <= 0.25, (sigma_e, centroid, theory)
        lam[sigma_e] = (peak, centroid)
    # the wavelength scales with sigma_E: doubling it doubles the wavelength (ratio 2, within 0.5)
    for k, how in enumerate(("peak", "centroid")):
        assert abs(lam[2.0][k] / lam[1.0][k] - 2.0) <= 0.5, (how, lam)


@pytest.mark.parametrize("kwargs, match", [
    (dict(shape=(32,), arbor_radius=16), "arbor_radius"),
    (dict(shape=(32,), arbor_radius=-1), "arbor_radius"),
    (dict(sigma_E=-1.0), "sigma_E"),
    (dict(sigma_C=0.0), "sigma_C"),
    (dict(shape=(3,)), "shape"),
    (dict(shape=(8, 8, 8)), "shape"),
    (dict(s_init=5.0), "s_init"),
    (dict(init_noise=1.5), "init_noise"),
    (dict(eta=0.0), "eta"),
    (dict(stop_fraction=0.0), "stop_fraction"),
    (dict(max_steps=0), "max_steps"),
])
def test_bad_parameters_raise_clear_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MillerParams(**kwargs)


def test_simulate_needs_exactly_one_source_of_randomness():
    with pytest.raises(ValueError, match="rng"):
        simulate(shape=(32,), arbor_radius=3)
    with pytest.raises(ValueError, match="rng"):
        simulate(shape=(32,), arbor_radius=3, seed=1, rng=np.random.default_rng(1))
