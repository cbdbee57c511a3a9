"""Rate-based Hebbian rules on their defining properties: Oja finds the top PC, BCM becomes selective."""

import numpy as np
import pytest
from brian2 import ms

import snnlearn as sl
from snnlearn.models.rate_readout import build_rate_readout


def test_oja_converges_to_top_principal_component(tmp_path):
    """Oja (1982) via the hebbian_pca experiment (docs/validation.md, Oja's rule): n = 20, λ = (5, 3, 2, 0.5×17),
    20 000 samples at η = 0.002 then 10 000 at η/4 (annealed through the learning switch).
    Calibrated thresholds: |cos(w, u1)| ≥ 0.99 and |‖w‖ − 1| ≤ 0.02; plain Hebb diverges (‖w‖ > 1e3).
    Measured (seeds 1-5): |cos| 0.9968-0.9976, ‖w‖ 1.0017-1.0018."""
    result = sl.run("hebbian_pca", seed=1, out=str(tmp_path / "run"), device="numpy")
    m = result.metrics
    assert m["cos_top_pc"] >= 0.99
    assert abs(m["weight_norm"] - 1.0) <= 0.02
    assert m["hebb_final_norm"] > 1e3


def _bcm_responses(seed, K=3, n=20, n_samples=20000, patterns_active=8):
    """K random binary patterns (8 of 20 inputs active, small Gaussian noise) shown in random order,
    one per 10 ms; output y = max(0, w·x); BCM with η = 0.001 per sample and τ_θ = 10 samples."""
    rng = np.random.default_rng(seed)
    patterns = np.zeros((K, n))
    for k in range(K):
        patterns[k, rng.choice(n, patterns_active, replace=False)] = 1.0
    samples = patterns[rng.integers(0, K, n_samples)] + 0.05 * rng.standard_normal((n_samples, n))
    dt = 10 * ms
    rule = sl.rules.bcm(eta=0.001 / dt, tau_theta=10 * dt, y0=1.0)
    m = build_rate_readout(samples, rule, dt, w0=rng.uniform(0.05, 0.15, n), rectify=True, name=f"bcm{seed}")
    m["net"].run(n_samples * dt)
    w = np.asarray(m["synapses"].w[:])
    return np.maximum(0.0, patterns @ w)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bcm_becomes_selective_to_one_pattern(seed):
    """Bienenstock, Cooper & Munro (1982): with a sliding threshold θ = <y²>/y0 the stable state responds to
    one pattern only. For K equiprobable patterns that fixed point is y* = K·y0 (θ = y*²/(K y0) = y*).
    Input noise, pattern overlap and the finite learning rate move the winner's response around that fixed point
    (measured 2.7-3.6 over seeds 0-2), so it is checked to ±30 %; selectivity is the published property."""
    K = 3
    r = _bcm_responses(seed, K=K)
    winner = r.max()
    losers = np.sort(r)[:-1]
    assert winner == pytest.approx(K * 1.0, rel=0.3)
    assert losers.max() <= 0.1 * winner
