"""Tests of snnlearn.metrics.maps, models.kohonen (check T1) and snnlearn.plot.maps.

Metric tests use synthetic maps whose answers are known analytically. Thresholds of T1 and the
linear-stability reference values come from docs/validation.md (ocular dominance and topographic maps).
"""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from snnlearn.models.kohonen import (grid_codebook, random_codebook, train_kmeans_online,  # noqa: E402
                            train_som)
from snnlearn.metrics.maps import (circular_association, circular_correlation,  # noqa: E402
                                   effective_interaction, fraction_left, lattice_coordinates,
                                   lattice_distances, mean_abs_odi, mexican_hat,
                                   neighbour_fraction, od_growth_rate, od_index, od_spectrum,
                                   od_wavelength, od_wavelength_theory, quantisation_error,
                                   rf_centres, ring_map_measures, ring_rf_centres,
                                   ring_selectivity, segregation, som_measures,
                                   topographic_error, topographic_order, topographic_product,
                                   topographic_spearman, winding_number)
from snnlearn.plot.maps import (map_mesh, map_snapshots, od_map, od_spectrum_plot,  # noqa: E402
                                odi_histogram, ring_map)


# ------------------------------------------------------------------------------------------
# ocular dominance index and segregation
# ------------------------------------------------------------------------------------------

def test_od_index_sums_over_inputs_and_handles_monocular_cells():
    w_left = np.array([[1.0, 0.0, 2.0], [1.0, 0.0, 2.0]])     # (n_inputs=2, n_cells=3)
    w_right = np.array([[0.0, 3.0, 1.0], [0.0, 1.0, 0.0]])
    odi = od_index(w_left, w_right)
    np.testing.assert_allclose(odi, [1.0, -1.0, (4 - 1) / 5])
    # already-summed responses of a 2-D sheet
    odi2 = od_index(np.full((3, 4), 3.0), np.full((3, 4), 1.0), axis=None)
    assert odi2.shape == (3, 4)
    np.testing.assert_allclose(odi2, 0.5)
    # a cell without input has an undefined ODI
    assert np.isnan(od_index([0.0, 1.0], [0.0, 1.0], axis=None)[0])


def test_segregation_measures():
    odi = np.array([1.0, -1.0, 0.9, -0.6, 0.1, 0.0, -0.2, 0.45])
    assert mean_abs_odi(odi) == pytest.approx(np.mean(np.abs(odi)))
    assert segregation(odi, 0.5) == pytest.approx(4 / 8)
    assert segregation(odi, 0.8) == pytest.approx(3 / 8)
    assert fraction_left(odi) == pytest.approx(4 / 8)


# ------------------------------------------------------------------------------------------
# OD spectrum and wavelength on synthetic stripes
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("period", [8, 16, 32])
def test_wavelength_of_sinusoidal_stripes_is_exact(period):
    n = 256
    x = np.arange(n)
    odi = 0.9 * np.sin(2 * np.pi * x / period + 0.3)
    assert od_wavelength(odi, "peak") == pytest.approx(period, rel=1e-12)
    assert od_wavelength(odi, "centroid") == pytest.approx(period, rel=1e-9)


def test_square_stripes_peak_exact_centroid_shifted_by_harmonics():
    """Square-wave (fully monocular) stripes: the peak is exact; the centroid is pulled to a
    shorter period by the odd harmonics, which is why docs/validation.md records both."""
    n, period = 240, 24
    odi = np.where(np.sin(2 * np.pi * (np.arange(n) + 0.5) / period) > 0, 1.0, -1.0)
    assert od_wavelength(odi, "peak") == pytest.approx(period)
    assert 0.55 * period < od_wavelength(odi, "centroid") < period


def test_spectrum_normalisation_and_seed_pooling():
    rng = np.random.default_rng(5)
    n, period = 128, 16
    maps = [np.sin(2 * np.pi * np.arange(n) / period + ph) for ph in rng.uniform(0, 2 * np.pi, 5)]
    freq, power = od_spectrum(maps)
    assert freq[0] == 0 and power[0] == pytest.approx(0, abs=1e-15)
    # Parseval: the powers sum to the mean spatial variance (1/2 for a unit sine)
    assert power.sum() == pytest.approx(0.5)
    assert freq[np.argmax(power)] == pytest.approx(1 / period)
    assert od_wavelength(maps, "peak") == pytest.approx(period)


def test_wavelength_of_oblique_2d_stripes_is_exact():
    h = w = 64
    y, x = np.mgrid[0:h, 0:w]
    odi = np.cos(2 * np.pi * (3 * x + 4 * y) / w)           # |k| index 5 -> period 64/5
    assert od_wavelength(odi, "peak") == pytest.approx(w / 5)
    assert od_wavelength(odi, "centroid") == pytest.approx(w / 5)
    stack = np.stack([odi, np.roll(odi, 7, axis=1)])         # 3-D array: a stack of 2-D maps
    assert od_wavelength(stack, "peak") == pytest.approx(w / 5)


# ------------------------------------------------------------------------------------------
# linear-stability prediction
# ------------------------------------------------------------------------------------------

def test_mexican_hat_has_zero_dc():
    d = np.arange(-200, 201)
    assert np.sum(mexican_hat(d, 2.0)) == pytest.approx(0, abs=1e-9)
    assert mexican_hat(0, 1.0) == pytest.approx(2 / 3)


@pytest.mark.parametrize("sigma_E, expected", [(1, 7.97), (2, 14.8), (3, 21.3)])
def test_linear_stability_wavelength_matches_science_appendix(sigma_E, expected):
    """docs/validation.md: sigma_C = 2, R = 6, unnormalised Gaussians, continuous k:
    7.97 (sigma_E = 1), 14.8 (2), 21.3 (3)."""
    lam = od_wavelength_theory(sigma_E, 2.0, 6)
    assert lam == pytest.approx(expected, abs=0.05)


@pytest.mark.parametrize("sigma_E, expected", [(1, 8.0), (2, 15.1), (3, 21.3)])
def test_linear_stability_on_ring_wavenumbers_matches_section_3(sigma_E, expected):
    """docs/validation.md (Miller, Keller & Stryker 1989) table (N = 256 ring, k = 2 pi m / 256): 8.0, 15.1, 21.3."""
    lam = od_wavelength_theory(sigma_E, 2.0, 6, n=256, discrete=True)
    assert lam == pytest.approx(expected, abs=0.05)
    assert (256 / lam) == pytest.approx(round(256 / lam))


def test_effective_interaction_wavelengths_match_appendix():
    """docs/validation.md: I_eff = (1 - cW)^-1, W normalised to max W^ = 1, c = 0.5:
    about 8.06 (sigma_E = 1) and 15.06 (sigma_E = 2) on N = 64 and N = 128 rings; and
    7.97-8.23 / 14.4-16.1 over c in [0.1, 0.85]."""
    for n in (64, 128):
        assert od_wavelength_theory(1, 2, 6, interaction="effective", n=n, loop_gain=0.5) == \
            pytest.approx(8.06, abs=0.1)
        assert od_wavelength_theory(2, 2, 6, interaction="effective", n=n, loop_gain=0.5) == \
            pytest.approx(15.06, abs=0.1)
    for c in (0.1, 0.85):
        assert 7.9 <= od_wavelength_theory(1, 2, 6, "effective", 128, c) <= 8.3
        assert 14.3 <= od_wavelength_theory(2, 2, 6, "effective", 128, c) <= 16.2
    i_eff = effective_interaction(2.0, 128, 0.0)              # c = 0: the identity
    np.testing.assert_allclose(i_eff, np.eye(128)[0], atol=1e-12)


def test_growth_rate_is_hermitian_eigenvalue_and_array_interaction_matches():
    """Top eigenvalue equals a brute-force computation of K_k, and passing I(z) as an array
    gives the same result as the named interaction."""
    n, r, k = 64, 3, 2 * np.pi / 9
    z = np.where(np.arange(n) < n // 2, np.arange(n), np.arange(n) - n)
    i_z = mexican_hat(z, 1.5)
    a = np.arange(-r, r + 1)
    kk = np.zeros((a.size, a.size), complex)
    for ia, aa in enumerate(a):
        for ib, bb in enumerate(a):
            d = (bb - aa - z + n // 2) % n - n // 2
            kk[ia, ib] = np.sum(i_z * np.exp(-1j * k * z) * np.exp(-d ** 2 / 8.0))
    np.testing.assert_allclose(kk, kk.conj().T, atol=1e-12)
    lam = np.linalg.eigvalsh(kk)[-1]
    assert od_growth_rate(k, 1.5, 2.0, r, n=n)[0] == pytest.approx(lam, rel=1e-10)
    assert od_growth_rate(k, 1.5, 2.0, r, interaction=i_z, n=n)[0] == pytest.approx(lam, rel=1e-10)


# ------------------------------------------------------------------------------------------
# topographic order on synthetic lattice maps
# ------------------------------------------------------------------------------------------

@pytest.fixture
def uniform_samples():
    return np.random.default_rng(11).uniform(size=(3000, 2))


def test_perfect_grid_has_zero_te_and_unit_order(uniform_samples):
    shape = (8, 8)
    cb = grid_codebook(shape)
    assert topographic_error(cb, uniform_samples, shape) == 0.0
    assert topographic_spearman(cb, shape) == pytest.approx(1.0)
    assert topographic_product(cb, shape) == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(topographic_order(lattice_coordinates(shape), cb), [1.0, 1.0])
    # quantisation error of the 8 x 8 cell centres: 0.3826 * cell side (mean distance to the
    # centre of a square, (sqrt(2) + asinh(1)) / 6)
    assert quantisation_error(cb, uniform_samples) == pytest.approx(0.38260 / 8, rel=0.03)


def test_flipped_grid_has_negative_order_on_the_flipped_axis(uniform_samples):
    shape = (8, 8)
    cb = grid_codebook(shape)
    flipped = cb.copy()
    flipped[:, 1] = 1.0 - flipped[:, 1]
    order = topographic_order(lattice_coordinates(shape), flipped)
    np.testing.assert_allclose(order, [1.0, -1.0])
    # distances, neighbourhoods and TE do not see a reflection
    assert topographic_error(flipped, uniform_samples, shape) == 0.0
    assert topographic_spearman(flipped, shape) == pytest.approx(1.0)


def test_scrambled_map_has_high_te_and_no_order(uniform_samples):
    shape = (10, 10)
    rng = np.random.default_rng(3)
    scrambled = grid_codebook(shape)[rng.permutation(100)]
    assert topographic_error(scrambled, uniform_samples, shape) > 0.5
    assert abs(topographic_spearman(scrambled, shape)) < 0.3
    assert np.all(np.abs(topographic_order(lattice_coordinates(shape), scrambled)) < 0.3)


def test_rf_centres_and_topographic_order_from_weights():
    n_in, n_units = 40, 20
    pos = np.arange(n_in, dtype=float)
    centre = np.linspace(8, 31, n_units)          # >= 4 sigma from the ends
    w = np.exp(-(pos[:, None] - centre[None, :]) ** 2 / 8.0)
    c = rf_centres(w, pos)
    assert c.shape == (n_units, 1)
    np.testing.assert_allclose(c[:, 0], centre, atol=0.05)
    assert topographic_order(np.arange(n_units), c)[0] == pytest.approx(1.0)
    assert topographic_order(np.arange(n_units), c[::-1])[0] == pytest.approx(-1.0)


def test_one_dimensional_ring_adjacency_in_te():
    """On a 1-D lattice TE uses ring adjacency: the first and last units are neighbours."""
    shape = (10,)
    cb = np.stack([np.cos(2 * np.pi * np.arange(10) / 10), np.sin(2 * np.pi * np.arange(10) / 10)], 1)
    ang = np.random.default_rng(0).uniform(0, 2 * np.pi, 500)
    data = np.stack([np.cos(ang), np.sin(ang)], 1)
    assert topographic_error(cb, data, shape) == 0.0
    assert topographic_error(cb, data, shape, periodic=False) > 0.05     # 9-0 pair counted
    assert lattice_distances(shape)[0, 9] == 1.0


# ------------------------------------------------------------------------------------------
# T1: Kohonen SOM vs k-means and random maps
# ------------------------------------------------------------------------------------------

def test_T1_kohonen_som_is_topographic_and_controls_are_not():
    """Check T1 (docs/validation.md, Topographic maps). 10 x 10 SOM on U[0,1]^2, 20 000 training samples,
    sigma 5 -> 0.5 and eta 0.5 -> 0.01 (exponential), Gaussian neighbourhood, 2 000 held-out
    test points; seed 2024. Pass: TE <= 0.05, rho >= 0.9, QE <= 1.25 x ideal-lattice QE,
    |P| <= 0.01. Online k-means (no neighbourhood) and random weights must fail TE (> 0.5)
    and rho (< 0.3). Reference [V-sim]: SOM TE 0.000, rho 0.998, P 0.0013, QE 0.0416."""
    rng = np.random.default_rng(2024)
    train, test = rng.uniform(size=(20000, 2)), rng.uniform(size=(2000, 2))
    shape = (10, 10)
    som = train_som(train, shape, sigma=(5.0, 0.5), eta=(0.5, 0.01), rng=rng)
    kmeans = train_kmeans_online(train, 100, eta=(0.5, 0.01), rng=rng)
    random_map = random_codebook(100, 2, rng)
    ideal_qe = quantisation_error(grid_codebook(shape), test)

    m = som_measures(som.codebook, test, shape)
    assert m["te"] <= 0.05
    assert m["rho"] >= 0.9
    assert m["qe"] <= 1.25 * ideal_qe
    assert abs(m["p"]) <= 0.01
    for control in (kmeans.codebook, random_map):
        c = som_measures(control, test, shape)
        assert c["te"] > 0.5
        assert c["rho"] < 0.3
    # QE does not discriminate: k-means quantises at least as well as the SOM
    assert quantisation_error(kmeans.codebook, test) <= m["qe"]


def test_som_is_reproducible_and_records_history():
    data = np.random.default_rng(1).uniform(size=(500, 2))
    a = train_som(data, (4, 4), rng=np.random.default_rng(9), record_every=100)
    b = train_som(data, (4, 4), rng=np.random.default_rng(9))
    np.testing.assert_array_equal(a.codebook, b.codebook)
    assert a.history_steps == [100, 200, 300, 400, 500]
    np.testing.assert_array_equal(a.history_codebooks[-1], a.codebook)


# ------------------------------------------------------------------------------------------
# ring maps (T2 measures)
# ------------------------------------------------------------------------------------------

def _cosine_ring_weights(n_in, n_units, amp, direction=1):
    i = np.arange(n_in)[:, None]
    j = np.arange(n_units)[None, :]
    return 1.0 + amp * np.cos(2 * np.pi * (i / n_in - direction * j / n_units))


def test_perfect_ring_map():
    """w_ij = 1 + a cos(2 pi (i/n_in - j/N)): theta_j = 2 pi j/N, selectivity a/2 exactly,
    winding +1, neighbour fraction 1, Fisher-Lee rho 1."""
    n_in, n_units, amp = 100, 50, 0.8
    w = _cosine_ring_weights(n_in, n_units, amp)
    theta = ring_rf_centres(w)
    phi = 2 * np.pi * np.arange(n_units) / n_units
    np.testing.assert_allclose(np.angle(np.exp(1j * (theta - phi))), 0, atol=1e-10)
    np.testing.assert_allclose(ring_selectivity(w), amp / 2, rtol=1e-10)
    assert winding_number(theta) == 1
    assert neighbour_fraction(theta) == 1.0
    assert circular_correlation(phi, theta) == pytest.approx(1.0)
    assert circular_correlation(phi, theta + 1.3) == pytest.approx(1.0)        # rotation
    assert circular_association(phi, theta) == pytest.approx(1.0)
    m = ring_map_measures(w)
    assert m["winding"] == 1 and m["mean_selectivity"] == pytest.approx(amp / 2)
    # a single-input RF has selectivity 1; flat weights 0
    assert ring_selectivity(np.eye(8)[:, :3]) == pytest.approx(1.0)
    assert ring_selectivity(np.ones((8, 2))) == pytest.approx(0.0, abs=1e-12)


def test_reversed_ring_map():
    n_in, n_units = 100, 50
    w = _cosine_ring_weights(n_in, n_units, 0.5, direction=-1)
    theta = ring_rf_centres(w)
    phi = 2 * np.pi * np.arange(n_units) / n_units
    assert winding_number(theta) == -1
    assert neighbour_fraction(theta) == 1.0
    assert circular_correlation(phi, theta) == pytest.approx(-1.0)
    assert circular_association(phi, theta) == pytest.approx(1.0)


def test_random_ring_map_is_unordered():
    rng = np.random.default_rng(4)
    theta = rng.uniform(0, 2 * np.pi, 50)
    phi = 2 * np.pi * np.arange(50) / 50
    assert neighbour_fraction(theta) < 0.35
    assert abs(circular_correlation(phi, theta)) < 0.3
    # a defect (a map that doubles back) has winding 0
    back = np.concatenate([np.linspace(0, np.pi, 25, endpoint=False),
                           np.linspace(np.pi, 0, 25, endpoint=False)])
    assert winding_number(back) == 0


# ------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: od_index(np.ones((3, 2)), np.ones((3, 3))), "shape"),
    (lambda: od_index(-np.ones(3), np.ones(3)), ">= 0"),
    (lambda: od_index(np.ones(3), [1.0, np.nan, 1.0]), "NaN"),
    (lambda: mean_abs_odi([0.1, np.nan]), "NaN"),
    (lambda: segregation([0.1, 0.9], threshold=1.5), "threshold"),
    (lambda: od_wavelength(np.ones(32)), "constant"),
    (lambda: od_wavelength(np.sin(np.arange(32)), method="mode"), "method"),
    (lambda: od_spectrum([np.ones(16), np.ones(20)]), "same shape"),
    (lambda: od_spectrum(np.ones((2, 2, 2, 2))), "1-D"),
    (lambda: od_wavelength_theory(-1.0, 2.0, 6), "sigma_E"),
    (lambda: od_wavelength_theory(1.0, 0.0, 6), "sigma_C"),
    (lambda: od_wavelength_theory(1.0, 2.0, 6, n=12), "arbor_radius"),
    (lambda: od_wavelength_theory(1.0, 2.0, -1), "arbor_radius"),
    (lambda: od_wavelength_theory(1.0, 2.0, 6, interaction="gauss"), "interaction"),
    (lambda: od_wavelength_theory(1.0, 2.0, 6, interaction="effective", loop_gain=1.2), "loop_gain"),
    (lambda: topographic_error(np.zeros((9, 2)), np.zeros((5, 2)), (4, 4)), "units"),
    (lambda: topographic_error(np.zeros((16, 2)), np.zeros((5, 3)), (4, 4)), "dimension"),
    (lambda: topographic_product(np.zeros((16, 2)), (4, 4)), "identical"),
    (lambda: rf_centres(np.ones((5, 3)), np.arange(4)), "inputs"),
    (lambda: ring_rf_centres(np.zeros((10, 3))), "zero total weight"),
    (lambda: circular_correlation(np.zeros(5), np.zeros(6)), "shape"),
    (lambda: neighbour_fraction(np.zeros(5), factor=-1), "factor"),
    (lambda: lattice_coordinates((3, 0)), "shape"),
])
def test_bad_input_raises_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------------------------------------
# plots (data in, labelled axes out; no simulation)
# ------------------------------------------------------------------------------------------

@pytest.fixture
def close_figures():
    yield
    plt.close("all")


def test_od_map_plots_label_axes(close_figures):
    ring = np.sin(2 * np.pi * np.arange(64) / 8)
    ax, hax = od_map(ring, hist=True)
    assert ax.get_xlabel() == "cortical position (cells)"
    assert ax.images[0].get_clim() == (-1, 1)
    assert ax.images[0].colorbar is not None
    assert hax.get_xlabel().startswith("ODI") and hax.get_ylabel() == "cells"
    y, x = np.mgrid[0:16, 0:16]
    ax2 = od_map(np.cos(2 * np.pi * x / 8), cmap="PuOr")
    assert "x (cells)" in ax2.get_xlabel() and "y (cells)" in ax2.get_ylabel()
    assert ax2.images[0].get_cmap().name == "PuOr"
    assert odi_histogram(ring).get_ylabel() == "cells"
    ax3 = od_spectrum_plot([ring, np.roll(ring, 3)], theory=8.0)
    assert ax3.get_xlabel() == "spatial frequency (cycles/cell)" and ax3.get_ylabel() == "ODI power"
    assert any("peak: Λ = 8.0" in t.get_text() for t in ax3.get_legend().get_texts())


def test_map_mesh_and_ring_map_and_snapshots(close_figures):
    shape = (5, 6)
    cb = grid_codebook(shape)
    ax = map_mesh(cb, shape, data=np.random.default_rng(0).uniform(size=(50, 2)), linewidth=2)
    lc = ax.collections[-1]
    assert len(lc.get_segments()) == 5 * 5 + 4 * 6              # horizontal + vertical links
    assert "(a.u.)" in ax.get_xlabel() and "(a.u.)" in ax.get_ylabel()
    theta = ring_rf_centres(_cosine_ring_weights(60, 30, 0.5))
    ax = ring_map(theta, n_inputs=60)
    assert ax.get_xlabel() == "unit index j" and "input index" in ax.get_ylabel()
    assert "winding +1" in ax.get_title()
    axes = map_snapshots([np.zeros((8, 8)), np.ones((8, 8))], [0, 100], kind="od")
    assert len(axes) == 2 and "100 steps" in axes[1].get_title()
    axes = map_snapshots([cb, cb], [0, 5], kind="mesh", shape=shape, time_unit="samples")
    assert "5 samples" in axes[1].get_title()
    with pytest.raises(ValueError, match="shape"):
        map_snapshots([cb], [0], kind="mesh")
    with pytest.raises(ValueError, match="units"):
        map_mesh(cb, (4, 4))
