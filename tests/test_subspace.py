"""Principal-subspace learning (docs/validation.md, check P2): Sanger's GHA and Pehlevan & Chklovskii's
similarity matching find the top-k subspace, in numpy and as Brian2 rate networks (models/subspace.py)."""

import numpy as np
import pytest
from brian2 import ms, prefs, second

from snnlearn.models.subspace import (build_gha_network, build_similarity_matching_network, gha, matrix_from_synapses,
                             orthonormality_error, similarity_matching, spiked_covariance, subspace_error)
from snnlearn.errors import RuleError
from snnlearn.rules.subspace import similarity_matching_feedforward, similarity_matching_lateral

N, K = 20, 3
TOP, REST = (5.0, 3.0, 2.0), 0.5
#: GHA's annealed learning rate: 20 000 samples at 0.002, 10 000 at 0.0005, 10 000 at 0.0001
GHA_SCHEDULE = ((20000, 0.002), (10000, 0.0005), (10000, 0.0001))


def _task(seed, n_samples):
    rng = np.random.default_rng(seed)
    C, lam, U = spiked_covariance(N, TOP, REST, rng)
    X = rng.multivariate_normal(np.zeros(N), C, size=n_samples)
    W0 = rng.normal(0, 1, (K, N))
    W0 *= 0.1 / np.linalg.norm(W0, axis=1, keepdims=True)
    return X, U[:, :K], W0, rng


def test_subspace_error_and_rules_check_their_input():
    U = np.linalg.qr(np.random.default_rng(0).standard_normal((N, N)))[0]
    assert subspace_error(U[:, :K].T, U[:, :K]) == pytest.approx(0.0, abs=1e-12)
    mixed = np.array([[1.0, 2.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 1.0]]) @ U[:, :K].T  # any basis of the subspace
    assert subspace_error(mixed, U[:, :K]) == pytest.approx(0.0, abs=1e-12)
    assert subspace_error(U[:, K:2 * K].T, U[:, :K]) == pytest.approx(2.0)  # orthogonal subspaces
    with pytest.raises(ValueError, match="columns"):
        subspace_error(np.ones((K, N + 1)), U[:, :K])
    with pytest.raises(RuleError, match="eta"):
        similarity_matching_feedforward(eta=-1 / second)
    with pytest.raises(RuleError, match="tau"):
        similarity_matching_lateral(eta=1 / second, tau=0)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_p2_gha_and_similarity_matching_find_the_principal_subspace(seed):
    """P2, k = 3, n = 20, λ = (5, 3, 2, 0.5 × 17) in a random basis, Gaussian samples.
    GHA (annealed, 40 000 samples): subspace error ≤ 0.03, ‖W Wᵀ − I‖_F ≤ 0.05, each row |cos| ≥ 0.98 with its own
    eigenvector. Similarity matching (η = 0.002, τ = 0.5, 6000 samples, M₀ = I): subspace error ≤ 0.03.
    Control: the same GHA without its decorrelating term (Oja's rule on each row) collapses: every row ends along u₁ (|cos| ≥ 0.9), a 1-dimensional subspace.
    Measured (seeds 1-4): GHA error 0.0009-0.0014, ‖W Wᵀ − I‖_F 0.013-0.030, row |cos| ≥ 0.998;
    similarity matching 0.006-0.007 (seeds 1-3). With η = 0.002 held constant (20 000 samples) GHA's subspace
    error is 0.017-0.021 but ‖W Wᵀ − I‖_F 0.04-0.11: the orthonormality check needs the annealing."""
    X, U_k, W0, rng = _task(seed, sum(n for n, _ in GHA_SCHEDULE))
    etas = np.concatenate([np.full(n, e) for n, e in GHA_SCHEDULE])
    W = gha(X, W0, etas)
    assert subspace_error(W, U_k) <= 0.03
    assert orthonormality_error(W) <= 0.05
    for i in range(K):
        assert abs(W[i] @ U_k[:, i]) / np.linalg.norm(W[i]) >= 0.98

    _, _, F = similarity_matching(X[:6000], rng.normal(0, 1, (K, N)) / np.sqrt(N), np.eye(K), 0.002, tau=0.5)
    assert subspace_error(F, U_k) <= 0.03

    # control: no decorrelation between the rows (the lower triangle of y yᵀ reduced to its diagonal)
    Wc = W0.copy()
    for x, e in zip(X[:20000], etas):
        y = Wc @ x
        Wc += e * (np.outer(y, x) - (y ** 2)[:, None] * Wc)
    assert np.all(np.abs(Wc @ U_k[:, 0]) / np.linalg.norm(Wc, axis=1) >= 0.9)


@pytest.mark.slow
def test_p2_brian2_rate_networks_learn_the_subspace():
    """The same rules as Brian2 rate networks (numpy target), tolerance ≤ 0.1.
    GHA (catalog ``oja`` on deflated inputs, one step per sample): equals the numpy reference to 1e-9 over 4000
    samples at η = 0.003, and reaches subspace error ≤ 0.1 (measured 0.024). Similarity matching (lateral
    dynamics τ_y dy/dt = W x − M y, 10 steps per sample, the rules of ``snnlearn.rules.subspace``): 1200 samples
    at η = 0.005, subspace error ≤ 0.1 (measured 0.019 here, numpy reference 0.016; 0.018-0.023 for task seeds
    1-2), M stays symmetric. About 6-20 s."""
    previous = prefs.codegen.target
    prefs.codegen.target = "numpy"
    try:
        _brian2_rate_networks()
    finally:
        prefs.codegen.target = previous


def _brian2_rate_networks():
    sdt = 1 * ms
    X, U_k, W0, rng = _task(4, 4000)
    m = build_gha_network(X, W0, 0.003 / sdt, sdt)
    m["net"].run(len(X) * sdt)
    Wb = np.array([np.asarray(S.w[:], dtype=float) for S in m["projections"]])
    assert np.abs(Wb - gha(X, W0, 0.003)).max() < 1e-9
    assert subspace_error(Wb, U_k) <= 0.1

    Xs = X[:1200]
    Ws0 = rng.normal(0, 1, (K, N)) / np.sqrt(N)
    m = build_similarity_matching_network(Xs, Ws0, np.eye(K), 0.005 / sdt, 0.5, sdt)
    m["net"].run(len(Xs) * sdt)
    W = matrix_from_synapses(m["feedforward"], N, K)
    M = matrix_from_synapses(m["lateral"], K, K)
    assert np.abs(M - M.T).max() < 1e-9
    assert subspace_error(np.linalg.solve(M, W), U_k) <= 0.1
