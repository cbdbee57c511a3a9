"""Spiking ocular dominance (check O3) and spiking topographic maps (check T2 and a 2-D sheet).

Fast tests: the input generators of ``snnlearn.inputs`` (numpy target, seconds of simulated
time) and the building blocks of ``models.cortical_sheet``. Slow tests (``@pytest.mark.slow``,
``cpp_standalone``): the experiments ``ocular_dominance`` and ``topographic_map`` run through
their ``run(p, ctx)`` with a stand-in run context, one compiled build per experiment with all
seeds and conditions side by side, against the calibrated thresholds of docs/validation.md.
"""
import numpy as np
import pytest
from brian2 import Hz, Network, SpikeMonitor, StateMonitor, ms, second

import brian2

from snnlearn.models.cortical_sheet import (arbor_pairs, build_od_network, coarse_bias, local_global_lateral,
                                   map_rule, mexican_hat_lateral, normalised_hebbian, od_rule)
from snnlearn.inputs import (bump_inputs, bump_schedule, field_correlation, lattice_positions, smoothing_kernel,
                             two_eye_retina)
from snnlearn.params import resolve_params
from snnlearn.runs import RunContext, execute
from snnlearn.rules.base import Rule


# --------------------------------------------------------------------------------------------
# a stand-in for the run context of snnlearn.runs
# --------------------------------------------------------------------------------------------

def _spatial_corr(a, b, d):
    """Mean over positions p of corr_t(a[p], b[p + d]) for (n_pos, n_t) arrays on a ring."""
    n = a.shape[0]
    return float(np.mean([np.corrcoef(a[p], b[(p + d) % n])[0, 1] for p in range(n)]))


# --------------------------------------------------------------------------------------------
# input generators (numpy target, fast)
# --------------------------------------------------------------------------------------------

def test_smoothing_kernel_unit_energy_and_field_correlation_formula():
    off, g = smoothing_kernel(2.0, ndim=1)
    assert off.shape == (21, 1) and abs(np.sum(g ** 2) - 1) < 1e-12          # radius round(5 sigma) = 10
    # the autocorrelation of the kernel is the field correlation exp(-d^2 / (4 sigma^2))
    full = np.zeros(64)
    full[off[:, 0] % 64] = g
    auto = np.real(np.fft.ifft(np.abs(np.fft.fft(full)) ** 2))
    assert np.allclose(auto[:7], field_correlation(np.arange(7), 2.0), atol=2e-3)
    off2, g2 = smoothing_kernel(1.5, ndim=2, radius=4)
    assert np.all(np.sum(off2 ** 2, axis=1) <= 16) and abs(np.sum(g2 ** 2) - 1) < 1e-12


def test_retina_correlations_have_the_intended_sign_and_length():
    """Two retinas side by side (numpy, dt = 1 ms, 4 s, seed 3): sigma_C = 1.5 with independent
    (rho = 0) and anticorrelated (rho = -0.5) eyes, sigma_C = 3 with identical eyes (rho = 1).
    Within an eye the field correlation at distance d follows exp(-d^2/4 sigma_C^2) (within 0.1),
    so the correlation length is set by sigma_C; between the eyes it is rho times that; identical
    eyes get equal rates at every instant (independent spikes)."""
    brian2.seed(3)
    rng = np.random.default_rng(3)
    dt = 1 * ms
    a = two_eye_retina((32,), rng, copies=2, sigma_C=1.5, tau_c=10 * ms, eye_correlation=[0.0, -0.5],
                       name="ra", dt=dt)
    b = two_eye_retina((32,), rng, copies=1, sigma_C=3.0, tau_c=10 * ms, eye_correlation=1.0, kernel_radius=10,
                       name="rb", dt=dt)
    mon_a = StateMonitor(a.lgn, ["field", "rate"], record=True, dt=4 * ms, name="mon_a")
    mon_b = StateMonitor(b.lgn, ["field", "rate"], record=True, dt=4 * ms, name="mon_b")
    spikes = SpikeMonitor(a.lgn, record=False, name="spk_a")
    net = Network(*a.objects, *b.objects, mon_a, mon_b, spikes)
    assert len(net.objects) == 9
    net.run(4 * second, namespace={})
    fa, fb = mon_a.field[:], mon_b.field[:]
    for d in range(0, 7):
        assert abs(_spatial_corr(fa[a.index(0, 0)], fa[a.index(0, 0)], d) - field_correlation(d, 1.5)) < 0.1
        assert abs(_spatial_corr(fb[b.index(0, 0)], fb[b.index(0, 0)], d) - field_correlation(d, 3.0)) < 0.1
    # longer sigma_C, longer correlations (both eyes of copy 0, d = 4)
    assert _spatial_corr(fb[b.index(0, 0)], fb[b.index(0, 0)], 4) > _spatial_corr(fa[a.index(0, 0)],
                                                                                   fa[a.index(0, 0)], 4) + 0.3
    # between the eyes: about 0 (independent), about -0.5 (anticorrelated), identical (equal rates)
    assert abs(_spatial_corr(fa[a.index(0, 0)], fa[a.index(0, 1)], 0)) < 0.1
    assert abs(_spatial_corr(fa[a.index(1, 0)], fa[a.index(1, 1)], 0) + 0.5) < 0.1
    assert _spatial_corr(fa[a.index(1, 0)], fa[a.index(1, 1)], 0) < -0.3
    rb = mon_b.rate[:]
    assert np.array_equal(rb[b.index(0, 0)], rb[b.index(0, 1)])
    # mean rate r0 E[clip(1 + 0.8 f, 0, 4)] = 15.6 Hz for a unit-variance Gaussian field
    rate = spikes.count[:].mean() / 4.0
    assert 14.0 < rate < 17.2


def test_retina_on_a_sheet_is_isotropic_and_correlated_over_sigma_C():
    """2-D retina (numpy, 10 x 10 torus per eye, sigma_C = 1, kernel radius 3, dt = 1 ms, 3 s,
    seed 8): the field correlation at displacements (0, 1), (1, 0), (1, 1), (0, 2) follows
    exp(-d^2 / 4 sigma_C^2) within 0.12, and the two independent eyes are uncorrelated."""
    brian2.seed(8)
    r = two_eye_retina((10, 10), np.random.default_rng(8), sigma_C=1.0, tau_c=10 * ms, kernel_radius=3,
                       name="r2d", dt=1 * ms)
    mon = StateMonitor(r.lgn, "field", record=True, dt=4 * ms, name="mon_2d")
    Network(*r.objects, mon).run(3 * second, namespace={})
    f = mon.field[:]
    left = f[r.index(0, 0)].reshape(10, 10, -1)
    right = f[r.index(0, 1)].reshape(10, 10, -1)
    for dy, dx in ((0, 1), (1, 0), (1, 1), (0, 2)):
        shifted = np.roll(np.roll(left, -dy, axis=0), -dx, axis=1)
        c = np.mean([np.corrcoef(left[y, x], shifted[y, x])[0, 1] for y in range(10) for x in range(10)])
        assert abs(c - field_correlation(np.hypot(dy, dx), 1.0)) < 0.12
    between = np.mean([np.corrcoef(left[y, x], right[y, x])[0, 1] for y in range(10) for x in range(10)])
    assert abs(between) < 0.1


def test_bump_is_centred_where_the_timed_array_says():
    """Ring of 100 inputs and open 12 x 12 sheet (numpy, 1 s, seed 5): at every recorded instant
    the rate is maximal at the input nearest to the scheduled centre, with the wrapped
    (ring) or plain (sheet) distance; spikes cluster around the current centre."""
    brian2.seed(5)
    rng = np.random.default_rng(5)
    T = 1 * second
    ring_s = bump_schedule(rng, T, (100,), copies=2)
    sheet_s = bump_schedule(rng, T, (12, 12), copies=1, periodic=False, dwell_bins=(4, 8))
    ring = bump_inputs((100,), ring_s, name="bring", dt=1 * ms)
    sheet = bump_inputs((12, 12), sheet_s, sigma=1.5, periodic=False, name="bsheet", dt=1 * ms)
    m1 = StateMonitor(ring.group, "rate", record=True, dt=5 * ms, name="m_ring")
    m2 = StateMonitor(sheet.group, "rate", record=True, dt=5 * ms, name="m_sheet")
    sp = SpikeMonitor(ring.group, name="sp_ring")
    net = Network(*ring.objects, *sheet.objects, m1, m2, sp)
    net.run(T, namespace={})
    bins = np.round(np.asarray(m1.t / (5 * ms))).astype(int)
    r1 = m1.rate[:] / Hz                                   # (200, n_t)
    for copy in range(2):
        c = ring_s.centres[bins, copy, 0]
        peak = np.argmax(r1[copy * 100:(copy + 1) * 100], axis=0)
        err = (peak - c + 50) % 100 - 50
        assert np.all(np.abs(err) <= 0.5 + 1e-9)
        assert np.allclose(r1[copy * 100:(copy + 1) * 100].max(axis=0), 2 + 38 * np.exp(-err ** 2 / 50), rtol=1e-6)
    r2 = m2.rate[:] / Hz
    pos = lattice_positions((12, 12))
    peak = pos[np.argmax(r2, axis=0)]
    c2 = sheet_s.centres[bins, 0, :]
    assert np.all(np.abs(peak - c2) <= 0.5 + 1e-9)
    # spikes: wrapped distance to the centre of their bin is far smaller than for uniform positions (25)
    k = np.minimum((np.asarray(sp.t / (5 * ms))).astype(int), ring_s.n_bins - 1)
    i = np.asarray(sp.i)
    d = np.abs((i % 100 - ring_s.centres[k, i // 100, 0] + 50) % 100 - 50)
    assert d.mean() < 12


def test_bump_width_schedule_widens_the_bump_and_keeps_its_summed_rate():
    """Shrinking input correlations (the second half of the maps' developmental mechanism):
    copy 0 of a ring bump starts 4 times wider with a quarter of the peak, then narrows; copy 1
    keeps its width. At every recorded instant the rate profile is the scheduled Gaussian, and
    the summed rate above baseline is the same at both widths (numpy, 1 s, seed 6)."""
    brian2.seed(6)
    sched = bump_schedule(np.random.default_rng(6), 1 * second, (100,), copies=2)
    factors = np.array([[4.0, 1.0], [1.0, 1.0]])                        # (steps, copies), 0.5 s each
    b = bump_inputs((100,), sched, sigma=5.0, name="bwide", dt=1 * ms, width_schedule=factors,
                    width_step=0.5 * second)
    mon = StateMonitor(b.group, "rate", record=True, dt=50 * ms, name="m_wide")
    Network(*b.objects, mon).run(1 * second, namespace={})
    rates = mon.rate[:] / Hz
    x = np.arange(100)
    for k, t in enumerate(np.asarray(mon.t / second)):
        bin_ = int(round(t / 0.005))
        for copy in (0, 1):
            f = factors[int(t >= 0.5), copy]
            d = (x - sched.centres[bin_, copy, 0] + 50) % 100 - 50
            expect = 2 + sched.on[bin_, copy] * 38 / f * np.exp(-d ** 2 / (2 * (5 * f) ** 2))
            np.testing.assert_allclose(rates[copy * 100:(copy + 1) * 100, k], expect, rtol=1e-6)
    early, late = rates[:100, 0] - 2, rates[:100, -1] - 2
    assert early.max() < 0.3 * late.max() and abs(early.sum() / late.sum() - 1) < 0.02
    with pytest.raises(ValueError, match="width_schedule"):
        bump_inputs((100,), sched, width_schedule=np.zeros(3))


def test_bump_schedule_dwell_blanks_drift_and_reproducibility():
    s1 = bump_schedule(np.random.default_rng(9), 10 * second, (100,), copies=2)
    s2 = bump_schedule(np.random.default_rng(9), 10 * second, (100,), copies=2)
    assert np.array_equal(s1.centres, s2.centres) and s1.n_bins == 2000
    c = s1.centres[:, 0, 0]
    runs = np.diff(np.flatnonzero(np.r_[True, np.diff(c) != 0, True]))
    assert runs[:-1].min() >= 10 and runs.max() <= 20          # dwell of 10-20 bins (the last may be cut)
    assert np.all((c >= 0) & (c < 100)) and 35 < c.mean() < 65
    flash = bump_schedule(np.random.default_rng(1), 2 * second, (50,), dwell_bins=(5, 5), blank_bins=(5, 5))
    assert np.array_equal(flash.on[:20, 0], np.r_[np.ones(5), np.zeros(5), np.ones(5), np.zeros(5)])
    moving = bump_schedule(np.random.default_rng(2), 1 * second, (100,), dwell_bins=(10, 10), speed=0.5)
    step = (np.diff(moving.centres[:10, 0, 0]) + 50) % 100 - 50
    assert np.allclose(np.abs(step), 0.5)


@pytest.mark.parametrize("call, message", [
    (lambda: two_eye_retina((64,), np.random.default_rng(0), eye_correlation=1.5), "eye_correlation"),
    (lambda: two_eye_retina((64,), 3), "numpy.random.Generator"),
    (lambda: two_eye_retina((64, 0), np.random.default_rng(0)), "shape"),
    (lambda: two_eye_retina((8,), np.random.default_rng(0)), "wraps around"),
    (lambda: two_eye_retina((64,), np.random.default_rng(0), tau_c=20), "tau_c"),
    (lambda: bump_schedule(np.random.default_rng(0), 1 * second, (100,), dwell_bins=(5, 2)), "dwell_bins"),
    (lambda: bump_inputs((50,), bump_schedule(np.random.default_rng(0), 1 * second, (100,))), "extent"),
    (lambda: normalised_hebbian("x", "causal", True, 0.1, 20 * ms, 1.0, 100 * ms), "pairing"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------------------------
# cortical sheet building blocks (fast)
# --------------------------------------------------------------------------------------------

def test_lateral_interactions_and_arbor():
    i, j, w = mexican_hat_lateral((64,), 1.0, J0=1.5)
    assert np.all(i != j)
    W = np.zeros((64, 64))
    W[i, j] = w
    assert np.allclose(W, W.T)
    assert abs(np.linalg.eigvalsh(W).max() - 1.5) < 1e-3                  # normalised: max_k W^(k) = J0
    assert W[0, 1] > 0 and W[0, 4] < 0                                    # Mexican hat
    i2, j2, w2 = local_global_lateral((50,), Je=0.6, sigma=2.0, Ji=0.08)
    assert i2.size == 50 * 49 and abs(w2[(i2 == 0) & (j2 == 25)][0] + 0.08) < 1e-6
    alpha, x, off = arbor_pairs(64, 6)
    assert alpha.size == 64 * 13 and np.all(np.bincount(x) == 13) and np.all(np.abs(off) <= 6)
    m = coarse_bias((100,), (50,))
    assert np.isclose(m[0, 0], 1) and np.isclose(m[50, 0], -1) and np.isclose(m[2, 1], 1)


def test_rules_state_their_hebbian_term():
    od, mp = od_rule(), map_rule()
    assert isinstance(od, Rule) and isinstance(mp, Rule)
    assert "h += ypost" in od.on_pre and "h +=" not in od.on_post          # acausal: post-before-pre only
    assert "h += ypost" in mp.on_pre and "h += xpre" in mp.on_post         # symmetric: both orders
    assert "acausal" in od.doc and "symmetric" in mp.doc
    assert od.params["eta"] == 0.002 and od.params["wmax"] == 0.2 and float(od.regular_dt / ms) == 100
    assert mp.params["eta"] == 5e-4 and mp.params["wmax"] == 0.08


def test_od_rule_conserves_each_units_total_weight_and_freezes_at_bounds():
    """A small OD network (numpy, n = 16, R = 3, dt = 1 ms, 3 s, eta = 0.02, seed 4): weights
    change, every unit's summed weight over its active synapses is conserved (subtractive
    normalisation; the synapses that froze keep their value), frozen synapses never move again."""
    brian2.seed(4)
    rng = np.random.default_rng(4)
    rule = od_rule(eta=0.02, wmax=0.2)
    m = build_od_network([1.0], rng, n=16, arbor_radius=3, rule=rule, retina_kw={"kernel_radius": 4},
                         record_dt=100 * ms, dt=1 * ms)
    w0 = np.asarray(m.ff.w[:]).copy()
    m.net.run(3 * second, namespace={})
    w = np.asarray(m.ff.w[:])
    hist = np.asarray(m.w_monitor.w[:])
    post = np.asarray(m.ff.j[:])
    assert np.max(np.abs(w - w0)) > 0.01                                  # it learns
    tot0 = np.bincount(post, weights=w0)
    tot = np.bincount(post, weights=w)
    # clipping at the bounds can leak a little; far from that the sum is exact
    assert np.max(np.abs(tot - tot0)) < 0.02 * tot0.mean()
    frozen = np.asarray(m.ff.act[:]) == 0
    assert 0 < frozen.sum() < frozen.size                                 # some froze (15 of 224 here)
    # a frozen synapse sits at a bound and has not moved (bit for bit) since it first got there
    assert np.all((w[frozen] <= 0.001 * 0.2) | (w[frozen] >= 0.999 * 0.2))
    at_bound = (hist <= 0.001 * 0.2) | (hist >= 0.999 * 0.2)
    for k in np.flatnonzero(frozen):
        first = np.argmax(at_bound[k])
        assert at_bound[k, first] and np.all(hist[k, first:] == w[k])


def test_annealed_lateral_width_shrinks_inside_the_run_with_constant_summed_excitation():
    """Kohonen's shrinking neighbourhood as built: the schedule shrinks exponentially and then
    holds, the gain keeps the summed excitation constant, and the run_regularly operation sets
    the lateral weights from the TimedArrays during the run (numpy target, 3 s)."""
    from snnlearn.models.cortical_sheet import annealed_lateral_synapses, annealing_schedule, cortical_layer, lateral_gain
    from snnlearn.devices import use_device

    w = annealing_schedule(10.0, 2.0, 100 * second, 150 * second)
    assert w.size == 150 and w[0] == 10.0 and np.all(np.diff(w) <= 1e-12)
    assert w[100] == pytest.approx(2.0) and np.all(w[100:] == pytest.approx(2.0))
    assert w[50] == pytest.approx(np.sqrt(20.0))                      # geometric mean half way
    d = np.minimum(np.arange(1, 50), 50 - np.arange(1, 50))
    g = lateral_gain((50,), w, 2.0, 0.6)
    summed = [gk * np.exp(-d ** 2 / (2 * wk ** 2)).sum() for gk, wk in zip(g, w)]
    np.testing.assert_allclose(summed, summed[-1], rtol=1e-12)
    assert g[-1] == pytest.approx(0.6) and g[0] < 0.2
    with pytest.raises(ValueError, match="annealing_schedule"):
        annealing_schedule(0.0, 2.0, 100 * second, 150 * second)
    with use_device("numpy"):
        widths = np.stack([annealing_schedule(8.0, 2.0, 2 * second, 3 * second), np.full(3, 2.0)], axis=1)
        cortex = cortical_layer(20, np.random.default_rng(0), dt=0.5 * ms)
        S = annealed_lateral_synapses(cortex, (10,), widths, 1 * second, 2.0, 0.6, 0.08, 2)
        Network(cortex, S).run(2.5 * second)
        wl = np.asarray(S.w[:])
        rep, d2 = np.asarray(S.replica[:]), np.asarray(S.d2[:])
    gains = lateral_gain((10,), widths, 2.0, 0.6)
    for b in (0, 1):                                   # the value of step 2 (t = 2 s), per replica
        expect = gains[2, b] * np.exp(-d2[rep == b] / (2 * widths[2, b] ** 2)) - 0.08
        np.testing.assert_allclose(wl[rep == b], expect, rtol=1e-9)
    assert widths[2, 0] == pytest.approx(2.0) and widths[1, 0] == pytest.approx(4.0)


def test_annealed_learning_rate_is_set_per_replica_inside_the_run():
    """Kohonen's annealed learning rate as built (``build_map_network(rate_factors=...)``, numpy
    target, 1.5 s): the per-synapse factor follows each replica's TimedArray during the run
    (step 1's values at t = 1.5 s), a replica whose factor is 0 keeps its weights while the
    others learn, and a rule without the factor is refused with a one-line error."""
    from snnlearn.devices import use_device
    from snnlearn.models.cortical_sheet import build_map_network, map_rule

    rng = np.random.default_rng(5)
    n_in, n_out = 20, 5
    w0 = np.clip(0.04 * (1 + 0.2 * rng.uniform(-1, 1, (n_in, n_out))), 0, 0.08)
    schedule = bump_schedule(np.random.default_rng(1), 2 * second, (n_in,), copies=3, bin_dt=5 * ms,
                             dwell_bins=(10, 20), periodic=True)
    factors = np.array([[0.0, 1.0, 3.0], [0.0, 2.0, 3.0]])
    with use_device("numpy"):
        brian2.seed(5)
        m = build_map_network((n_in,), (n_out,), schedule, np.stack([w0] * 3), None, np.random.default_rng(2),
                              sigma=2.0, rule=map_rule(eta=1e-3, wmax=0.08, rate_factor=True), w_max=0.08,
                              rate_factors=factors, anneal_step=1 * second, name="rf")
        m.net.run(1.5 * second, namespace={})
        eta_factor = np.asarray(m.ff["plastic"].eta_factor[:])
        pre = np.asarray(m.ff["plastic"].i[:])
        w = m.dense(np.asarray(m.ff["plastic"].w[:]), "plastic")
    np.testing.assert_array_equal(eta_factor, factors[1][pre // n_in])    # the value of step 1 (t = 1.5 s)
    assert np.array_equal(w[0], w0)                                       # factor 0: no learning
    assert np.abs(w[1] - w0).max() > 0 and np.abs(w[2] - w0).max() > 0
    with pytest.raises(ValueError, match="rate_factor=True"):
        with use_device("numpy"):
            build_map_network((n_in,), (n_out,), schedule, np.stack([w0] * 3), None, np.random.default_rng(2),
                              sigma=2.0, rule=map_rule(eta=1e-3, wmax=0.08), w_max=0.08, rate_factors=factors,
                              name="rf2")


def test_sheet_order_is_orientation_free():
    """A map from scratch has an arbitrary orientation: a perfect 8 x 8 map on the 12 x 12 sheet
    with its axes swapped and one reflected has per-axis order 1 (``topographic_order``) but a
    signed order of -1 on one axis (``signed_order``)."""
    import snnlearn.experiments.topographic_map as tm

    pos = lattice_positions((12, 12)).astype(float)
    lat = lattice_positions((8, 8)).astype(float)
    centres = np.stack([lat[:, 1], 7 - lat[:, 0]], axis=1) * 11 / 7          # swapped, one axis reflected
    d2 = np.sum((pos[:, None, :] - centres[None, :, :]) ** 2, axis=-1)
    w = np.exp(-d2 / (2 * 1.0 ** 2))
    r = tm.sheet_measures(w, (12, 12), (8, 8), pos)
    assert min(r["topographic_order"]) >= 0.98            # (ties in lattice rows keep it just below 1)
    assert min(r["signed_order"]) < 0.5
    assert r["topographic_error"] <= 0.05


def test_experiment_parameters_are_checked():
    import snnlearn.experiments.ocular_dominance as od
    import snnlearn.experiments.topographic_map as tm

    with pytest.raises(ValueError, match="parameter 'geometry': torus is not allowed.*one of ring, sheet"):
        resolve_params(tm.PARAMS, tm.QUICK, {"geometry": "torus"})
    with pytest.raises(ValueError, match="n_seeds"):
        resolve_params(od.PARAMS, od.QUICK, {"n_seeds": 0})
    p = resolve_params(od.PARAMS, od.QUICK, {"sigma_E": [1.0, 2.0]}, use_quick=True)
    assert [c[:2] for c in od.conditions(p)] == [(1.0, 0.0), (2.0, 0.0), (1.0, 1.0), (2.0, 1.0)]


# --------------------------------------------------------------------------------------------
# spiking ocular dominance (check O3), one cpp_standalone build
# --------------------------------------------------------------------------------------------

OD_SEED = 2016


@pytest.fixture(scope="module")
def od_run():
    """``experiments.ocular_dominance`` with sigma_E = 1 and 2, 3 seeds each, plus one
    identical-eyes replica per sigma_E: 8 replicas side by side in one cpp_standalone network
    (64 cortical units, 2 x 64 LGN units, arbor R = 6, 300 s, dt = 0.5 ms, run seed 2016)."""
    import snnlearn.experiments.ocular_dominance as od

    p = resolve_params(od.PARAMS, od.QUICK, {"sigma_E": [1.0, 2.0], "n_seeds": 3, "identical_eyes_control": True})
    ctx = RunContext.in_memory(OD_SEED)          # ocular_dominance uses the runner's ctx.plan
    metrics = execute(od, p, ctx)
    return p, metrics, ctx


@pytest.mark.slow
@pytest.mark.standalone
def test_spiking_od_segregates_from_unsegregated_weights(od_run):
    """O3 segregation (docs/validation.md; acausal Hebbian rule, J0 = 1.5, eta = 0.002, 300 s,
    N = 64, 3 seeds side by side, run seed 2016). Start: |ODI| < 0.1 everywhere. sigma_E = 1:
    seed-mean mean|ODI| >= 0.4 and every seed >= 0.35; sigma_E = 2: seed-mean >= 0.2; each eye
    dominates >= 20 % of the cells in every seed. Calibration runs of this implementation (run
    seeds 1, 11, 12): sigma_E = 1 per seed 0.445-0.626 (means 0.47-0.53); sigma_E = 2 per seed
    0.28-0.47 (means 0.37-0.39); fraction of left-eye cells 0.30-0.59. Run seed 2016: sigma_E = 1
    0.490 / 0.566 / 0.569, sigma_E = 2 0.245 / 0.291 / 0.279, left-eye fractions 0.34-0.66."""
    p, m, _ = od_run
    assert m["initial_max_abs_odi"] < 0.1
    s1, s2 = m["sigma_E"].index(1.0), m["sigma_E"].index(2.0)
    assert m["mean_abs_odi"][s1] >= 0.4
    assert min(m["mean_abs_odi_per_seed"][s1]) >= 0.35
    assert m["mean_abs_odi"][s2] >= 0.2
    for k in (s1, s2):
        for frac in m["fraction_left_per_seed"][k]:
            assert 0.2 <= frac <= 0.8, f"one eye dominates only {min(frac, 1 - frac):.2f} of the cells"
    # most synapses went to a bound (Miller-style freezing), the network stayed in its regime
    assert all(0.5 < s < 0.95 for s in m["saturated_fraction"])
    assert all(10 < r < 40 for r in m["cortex_rate_hz"])


@pytest.mark.slow
@pytest.mark.standalone
def test_spiking_od_identical_eyes_control_stays_binocular(od_run):
    """Identical eyes (both eyes read the same field: equal rates, independent spikes), same
    network and seed: mean|ODI| <= 0.12 at sigma_E = 1 and 2 (docs/validation.md, measured
    0.053-0.062; this implementation 0.056-0.086; run seed 2016: 0.072 and 0.078)."""
    _, m, _ = od_run
    assert all(c is not None and c <= 0.12 for c in m["identical_eyes_mean_abs_odi"])


@pytest.mark.slow
@pytest.mark.standalone
def test_spiking_od_period_follows_the_linear_stability_prediction(od_run):
    """OD wavelength (docs/validation.md): seed-pooled spectral centroid within +-25 % of Lambda*
    for the effective interaction (1 - cW)^-1 (about 8.1 and 15.1 cells) at sigma_E = 1 and 2;
    centroid ratio Lambda(2)/Lambda(1) in [1.4, 2.6]; the pooled peak at sigma_E = 1 within
    +-25 %. Calibration (run seeds 1, 11, 12): centroid errors -1 % to +14 %, ratio 1.82-1.92.
    Run seed 2016: centroids 8.01 (-1 %) and 13.84 (-8 %), ratio 1.73, sigma_E = 1 peak 8.0."""
    _, m, ctx = od_run
    s1, s2 = m["sigma_E"].index(1.0), m["sigma_E"].index(2.0)
    assert 7.5 < m["od_wavelength_theory"][s1] < 8.7 and 14.0 < m["od_wavelength_theory"][s2] < 16.2
    for k in (s1, s2):
        assert abs(m["od_wavelength"][k] - m["od_wavelength_theory"][k]) <= 0.25 * m["od_wavelength_theory"][k]
    assert abs(m["od_wavelength_peak"][s1] - m["od_wavelength_theory"][s1]) <= 0.25 * m["od_wavelength_theory"][s1]
    ratio = m["od_wavelength"][s2] / m["od_wavelength"][s1]
    assert abs(ratio - 2.0) <= 0.6, ratio  # doubling sigma_E doubles the wavelength
    # the saved arrays redraw every figure without simulating
    import snnlearn.experiments.ocular_dominance as od

    figs = od.plot(ctx.arrays, m, od_run[0])
    assert {"od_maps", "od_spectra", "period_vs_sigma", "od_development"} <= set(figs)


# --------------------------------------------------------------------------------------------
# spiking topographic map on a ring (check T2), one cpp_standalone build
# --------------------------------------------------------------------------------------------

RING_SEED = 1982
# Calibration (issue 16) of the ring from scrambled weights, replicas meeting the criterion in
# 150 s (docs/validation.md, T2s), script /tmp/helper/maps_calib.py (several schedules side by
# side in one program, 6-10 seeds each). Before: lateral width annealed 10 -> 2 units and input
# bump x5 -> x1 over 100 s, 85-90 % (27/29; 7/10 in the experiment at run seed 1); lateral start
# 20 or 25 units alone 24/26 and 16/20; a 40 s hold of the wide start 21/26 and 10/20. With the
# learning rate annealed too (x3 -> x1 over the same 100 s): 10 -> 2 units 25/26; 20 -> 2 units
# (the default now) 101/106 (run seeds 302, 501, 502, 601-604: 6/6, 10/10, 10/10, 20/20, 19/20,
# 18/20, 18/20), 9/10 in the experiment (run seed 2), 6/6 at this test's seed with 6 seeds and
# 8/10 with 10 (this fixture): 124/132, 94 %. Neither x5 (18/20) nor a slower 130 s anneal in
# 200 s (17/20) did better. The failures are twists (winding 0) and folds, and a few slow maps
# still ordering at 150 s. The test runs 10 seeds and asks >= 8 (a 94 % rate meets it in 98 % of
# run seeds; 9 of 10, the target, in 88 %).
RING_SEEDS = 10
RING_MIN_OK = 8


@pytest.fixture(scope="module")
def ring_run():
    """``experiments.topographic_map``, ring: 100 inputs -> 50 LIF units, 150 s, dt = 0.5 ms, the
    developmental mechanism on (lateral excitation width annealed 20 -> 2 units, input bump
    width 5 -> 1 times sigma and learning rate 3 -> 1 times eta over 100 s), from scrambled
    weights (b = 0) and with the polarity marker (b = 0.1), 10 seeds each, plus a frozen-weights
    twin of each b = 0 seed: 30 replicas in one cpp_standalone network, run seed 1982 (not a
    calibration seed), through the runner (``RunContext.in_memory`` + ``execute``: its run-time
    seed gives the same arrays as the ``brian2.seed`` the calibration compiled in)."""
    import snnlearn.experiments.topographic_map as tm

    p = resolve_params(tm.PARAMS, tm.QUICK, {"geometry": "ring", "ring_biases": [0.0, 0.1], "n_seeds": RING_SEEDS,
                                             "duration": 150 * second, "frozen_control": True,
                                             "fixed_width_control": False, "record_interval": 10 * second})
    ctx = RunContext.in_memory(RING_SEED)
    return p, execute(tm, p, ctx), ctx


@pytest.mark.slow
@pytest.mark.standalone
def test_spiking_ring_map_self_organises_from_scratch(ring_run):
    """Issue 16's ring from scratch (b = 0, scrambled initial weights, the developmental mechanism
    on): from initial order < 0.1 in every seed, >= RING_MIN_OK = 8 of RING_SEEDS = 10 seeds meet
    the criterion (order |rho_FL| >= 0.9, topographic error <= 0.05, RF selectivity >= 0.5;
    calibrated at 94 %, see RING_MIN_OK; 8/10 at this seed), and every seed learns
    selective RFs (>= 0.5) that are ordered locally
    (neighbour fraction >= 0.7, docs/validation.md's recommendation without bias)."""
    p, m, ctx = ring_run
    k = m["bias"].index(0.0)
    ctx.log(f"ring from scratch: {m['seeds_meeting_criterion'][k]}/{RING_SEEDS} meet the criterion, order "
            f"{m['topographic_order'][k]}, error {m['topographic_error'][k]}")
    assert max(m["initial"][k]["topographic_order"]) < 0.1
    assert m["seeds_meeting_criterion"][k] >= RING_MIN_OK, (m["topographic_order"][k], m["topographic_error"][k])
    assert min(m["rf_selectivity"][k]) >= 0.5
    assert min(m["neighbour_fraction"][k]) >= 0.7
    assert all(abs(w) == 1 for w, ok in zip(m["winding"][k], m["meets_criterion"][k]) if ok)


@pytest.mark.slow
@pytest.mark.standalone
def test_ring_frozen_weights_control_fails(ring_run):
    """Frozen-weights control (issue 16): the b = 0 replicas' twins with ``plasticity = 0`` keep
    their scrambled weights bit for bit, and every one fails: order <= 0.3 and selectivity <= 0.1."""
    p, m, ctx = ring_run
    assert m["frozen_weights_unchanged"]
    assert np.array_equal(ctx.arrays["w_frozen_final"], ctx.arrays["w0"][:RING_SEEDS])
    for order, sel in zip(m["frozen"]["topographic_order"], m["frozen"]["rf_selectivity"]):
        assert order <= 0.3
        assert sel <= 0.1


@pytest.mark.slow
@pytest.mark.standalone
def test_polarity_marker_speeds_up_ordering_and_fixes_orientation(ring_run):
    """The biased condition as a polarity-marker comparison (issue 16, item 3): with b = 0.1 every
    seed meets the criterion, with winding +1 (the marker fixes the orientation), and the median
    time to the criterion (a seed that never meets it counting as infinitely slow) is shorter
    than from scratch."""
    p, m, ctx = ring_run
    kb, k0 = m["bias"].index(0.1), m["bias"].index(0.0)
    assert m["seeds_meeting_criterion"][kb] == RING_SEEDS
    assert all(wind == 1 for wind in m["winding"][kb])
    med = [float(np.median([np.inf if t is None else t for t in m["time_to_criterion_s"][k]])) for k in (kb, k0)]
    ctx.log(f"time to criterion: b = 0.1 {m['time_to_criterion_s'][kb]}, b = 0 {m['time_to_criterion_s'][k0]}")
    assert med[0] < med[1]
    import snnlearn.experiments.topographic_map as tm

    figs = tm.plot(ctx.arrays, m, p)
    assert {"map_before_after", "order_vs_time", "mechanism", "receptive_fields", "frozen_control",
            "map_development"} <= set(figs)


# --------------------------------------------------------------------------------------------
# 2-D sheet (proposed check, calibrated here)
# --------------------------------------------------------------------------------------------

SHEET_SEED = 1976
# Calibration (issue 16) of the sheet from scrambled weights. Lateral width annealed alone, eta
# 1e-3 (run seed 1, 8 seeds): 0/8 in 150 s (4 -> 1 units), 1/8 in 150 s and 2/8 in 300 s (2 -> 1).
# With the input bump annealed too (calibration script): eta 1e-3, 150 s: 0/15 (x2 or x3, lateral
# 2 or 3 -> 1); eta 2e-3 (the default now), lateral 2 -> 1 and input x3 -> x1 over 150 s: 2/4 in
# 300 s (run seed 404; 0/4 with input x2 over 100 s) and 3/5 in 400 s (run seed 505; x4 over
# 200 s: 2/5). Issue 16, second session (/tmp/helper/maps_calib.py, 300 s, 5 seeds per setting):
# defaults 0/5 (run seed 901); with the learning rate x3 -> x1 (as on the ring) 1/5, lateral
# 4 -> 1 over 150 s 2/5, 4 -> 1 over 100 s 0/5, lateral 3 -> 1 and input x4 -> x1 over 100 s 2/5
# (run seed 701); one axis annealed before the other (elongated bump and lateral kernel) 1/15
# (run seed 901); w_max x2 or x3 at the same summed weight 4/10 and 1/10 (run seeds 1001, 1002).
# The failing sheets are ordered locally (error <= 0.07 in most, distance order 0.87-0.88) but
# rotated by 30-45 degrees against the input axes: the map contracts to a disc (RF centres span
# 2-9 of 0-11) in which a rotation costs nothing, so the per-axis order stays at 0.7-0.8.
# Third calibration (10 seeds per run, 300 s, run seeds 2024-2028 paired; docs/validation.md): the
# defaults (final lateral width 1.0) met it in 19/50, with 35/50 ordered; the failing ordered maps
# have crowded outer rows and a topographic error of 0.05-0.09. A final lateral width of 1.25 units
# met it in 25/50 (36/50 ordered) but spoils the polarity-marked maps (4/10 against 10/10 in the
# experiment at run seed 3), so it is not the default; 1.5 met it in 4/20, 0.75 in 0/20; a
# convergence phase (learning rate falling to 0.2 eta), a separate input schedule, border-normalised
# bumps, drifting bumps and other widths and gains did not do better. The target (>= 8 of 10) is
# not met: the test of the criterion stays a strict xfail, so that it reports the day it passes.
SHEET_SCRATCH_RATE = 19 / 50
SHEET_MIN_OK = 4


@pytest.fixture(scope="module")
def sheet_run():
    """``experiments.topographic_map``, open sheet: 12 x 12 inputs -> 8 x 8 LIF units, from
    scrambled weights (b = 0), lateral width annealed (Kohonen 1982), 5 seeds plus a frozen twin
    of each, 150 s, dt = 0.5 ms, run seed 1976 (one cpp_standalone build), through the runner."""
    import snnlearn.experiments.topographic_map as tm

    p = resolve_params(tm.PARAMS, tm.QUICK, {"geometry": "sheet", "sheet_biases": [0.0], "n_seeds": 5,
                                             "duration": 150 * second, "frozen_control": True,
                                             "fixed_width_control": False, "record_interval": 50 * second})
    ctx = RunContext.in_memory(SHEET_SEED)
    return p, execute(tm, p, ctx), ctx


@pytest.mark.slow
@pytest.mark.standalone
@pytest.mark.xfail(strict=True, reason="issue 16: the 8 x 8 sheet from scratch meets the criterion in 38 % of the "
                                       "seeds in 300 s (19/50), not 8 of 10 (in 150 s here)")
def test_spiking_sheet_map_self_organises_from_scratch(sheet_run):
    """Issue 16, 2-D sheet from scratch: a seed meets the criterion with Spearman order >= 0.9 on
    each axis (orientation-free: |rho|, axes matched) and topographic error <= 0.05 (Kiviluoto
    1996). Target: >= 8 of 10 seeds; asserted here: >= SHEET_MIN_OK of 5, i.e. 8 of 10 scaled to 5 seeds
    with one seed of slack, in the experiment's 150 s. Expected to fail today (SHEET_SCRATCH_RATE is
    the rate calibrated over 50 seeds in 300 s; at 300 s this fixture meets it in 3 of 5)."""
    _, m, ctx = sheet_run
    ok = [min(o) >= 0.9 and te <= 0.05 for o, te in zip(m["topographic_order"][0], m["topographic_error"][0])]
    ctx.log(f"sheet from scratch: order {m['topographic_order'][0]}, error {m['topographic_error'][0]}")
    assert sum(ok) >= SHEET_MIN_OK
    assert max(min(o) for o in m["initial"][0]["topographic_order"]) < 0.5


@pytest.mark.slow
@pytest.mark.standalone
def test_sheet_frozen_weights_control_fails(sheet_run):
    """The frozen twins keep their scrambled weights and fail: order <= 0.3 on the worse axis and
    RF selectivity <= 0.1."""
    _, m, ctx = sheet_run
    assert m["frozen_weights_unchanged"]
    for order, sel in zip(m["frozen"]["topographic_order"], m["frozen"]["rf_selectivity"]):
        assert min(order) <= 0.3
        assert sel <= 0.1
