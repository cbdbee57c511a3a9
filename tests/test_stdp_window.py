"""The measured STDP window of the catalog rules against their formulas (single pre/post pairs)."""

import numpy as np
import pytest
from brian2 import Network, SpikeGeneratorGroup, ms

import snnlearn as sl

LAGS_MS = np.array([-100, -60, -30, -15, -5, 5, 15, 30, 60, 100], dtype=float)


def measure_window(rule, lags_ms, w0=0.5, dt=0.1 * ms):
    """One synapse per lag; each sees a single pre spike at 200 ms and a post spike at 200 ms + lag."""
    n = len(lags_ms)
    t_pre = np.full(n, 200.0)
    t_post = t_pre + lags_ms
    pre = SpikeGeneratorGroup(n, np.arange(n), t_pre * ms, dt=dt)
    post = SpikeGeneratorGroup(n, np.arange(n), t_post * ms, dt=dt)
    S = sl.connect(pre, post, rule, connect="i == j", w=w0, dt=dt)
    Network(pre, post, S).run(400 * ms)
    return np.asarray(S.w[:]) - w0


def test_additive_window_matches_exponentials():
    """Δw = A+ exp(−Δt/τ+) for Δt > 0 and −A− exp(Δt/τ−) for Δt < 0, within 2 %, at 10 lags in ±100 ms."""
    Ap, Am, taupre, taupost = 0.01, 0.0105, 17 * ms, 34 * ms
    dw = measure_window(sl.rules.stdp_additive(Ap=Ap, Am=Am, taupre=taupre, taupost=taupost, wmax=1.0), LAGS_MS)
    lag = LAGS_MS * ms
    expected = np.where(LAGS_MS > 0, Ap * np.exp(-lag / taupre), -Am * np.exp(lag / taupost))
    np.testing.assert_allclose(dw, expected, rtol=0.02)
    assert np.all(np.sign(dw) == np.sign(LAGS_MS))


def test_nearest_spike_pairing_counts_only_the_nearest_pre_spike():
    """Two pre spikes before one post spike: all-to-all sums both, nearest-spike takes the last one."""
    pre = SpikeGeneratorGroup(2, [0, 0, 1, 1], [100, 110, 100, 110] * ms)
    post = SpikeGeneratorGroup(2, [0, 1], [120, 120] * ms)
    S_all = sl.connect(pre, post, sl.rules.stdp_additive(Ap=0.01, pairing="all"), connect="i == j and i == 0",
                       w=0.5)
    S_near = sl.connect(pre, post, sl.rules.stdp_additive(Ap=0.01, pairing="nearest"),
                        connect="i == j and i == 1", w=0.5)
    Network(pre, post, S_all, S_near).run(200 * ms)
    expected_all = 0.01 * (np.exp(-20 / 20) + np.exp(-10 / 20))
    expected_near = 0.01 * np.exp(-10 / 20)
    assert float(S_all.w[0]) - 0.5 == pytest.approx(expected_all, rel=1e-6)
    assert float(S_near.w[0]) - 0.5 == pytest.approx(expected_near, rel=1e-6)


def test_multiplicative_depression_scales_with_the_weight():
    """van Rossum et al. 2000: potentiation independent of w, depression proportional to w."""
    lags = np.array([-10.0, 10.0])
    low = measure_window(sl.rules.stdp_multiplicative(Ap=0.01, Am=0.2), lags, w0=0.2)
    high = measure_window(sl.rules.stdp_multiplicative(Ap=0.01, Am=0.2), lags, w0=0.8)
    assert high[0] == pytest.approx(4 * low[0], rel=1e-6)  # depression ∝ w
    assert high[1] == pytest.approx(low[1], rel=1e-9)      # potentiation independent of w
    assert low[1] == pytest.approx(0.01 * np.exp(-10 / 20), rel=1e-6)


def test_triplet_pair_terms_match_the_pair_window():
    """For isolated pairs the triplet rule reduces to A2+ exp(−Δt/τ+) and −A2− exp(Δt/τ−)."""
    rule = sl.rules.triplet_stdp("visual_all_to_all", A2p=5e-3)
    dw = measure_window(rule, LAGS_MS)
    p = rule.params
    lag = LAGS_MS * ms
    expected = np.where(LAGS_MS > 0, p["A2p"] * np.exp(-lag / p["taup"]), -p["A2m"] * np.exp(lag / p["taum"]))
    np.testing.assert_allclose(dw, expected, rtol=0.02)
