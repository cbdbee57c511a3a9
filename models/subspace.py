"""Principal-subspace learning: Sanger's GHA and Pehlevan & Chklovskii's similarity matching.

Two local rules that find the top-k principal subspace of their inputs, beyond Oja's
single component (docs/validation.md, "Principal subspace"):

* **GHA** (Sanger 1989): y = W x, ΔW = η (y xᵀ − LT(y yᵀ) W), LT the lower triangle
  with the diagonal. Row i is Oja's rule on the input deflated by the rows k < i, so
  the rows converge to the top-k eigenvectors in order, and W Wᵀ → I.
* **Similarity matching** (Pehlevan, Hu & Chklovskii 2015; the Hebbian/anti-Hebbian
  network of Pehlevan, Sengupta & Chklovskii 2018): feedforward W (Hebbian) and lateral
  M (anti-Hebbian), y = M⁻¹ W x (the fixed point of the recurrent dynamics
  τ_y dy/dt = W x − M y), ΔW = η (y xᵀ − W), ΔM = (η/τ)(y yᵀ − M). The filters
  F = M⁻¹ W span the principal subspace (a rotation of it, not the eigenvectors).

Metric: subspace error ‖P_F − P_U‖²_F / ‖P_U‖²_F with P_F = Fᵀ(F Fᵀ)⁻¹F the projector
on the row space of F and U the top-k eigenvectors (‖P_U‖²_F = k).

``gha`` and ``similarity_matching`` are the numpy references (one sample at a time);
``build_gha_network`` and ``build_similarity_matching_network`` are the same rules in
Brian2 as rate networks, with the rules declared as ``sl.Rule`` (catalog ``oja`` on
deflated inputs for GHA; ``snnlearn.rules.subspace`` for similarity matching).
"""

import numpy as np
from brian2 import Network, NeuronGroup, StateMonitor, TimedArray

import snnlearn as sl

__all__ = ["spiked_covariance", "subspace_error", "orthonormality_error", "gha", "similarity_matching",
           "build_gha_network", "build_similarity_matching_network", "sm_feedforward_rule", "sm_lateral_rule",
           "matrix_from_synapses"]


def spiked_covariance(n, top, rest, rng):
    """C = U diag(λ) Uᵀ with a random orthogonal U, λ = (top..., rest, ..., rest); returns (C, λ, U)."""
    top = list(top)
    if n < len(top):
        raise ValueError(f"n = {n} is smaller than the number of top eigenvalues ({len(top)})")
    lam = np.array(top + [rest] * (n - len(top)), dtype=float)
    U, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (U * lam) @ U.T, lam, U


def subspace_error(F, U_k):
    """‖P_F − P_U‖²_F / ‖P_U‖²_F for filters F (k × n, rows) and an orthonormal basis U_k (n × k, columns)."""
    F = np.atleast_2d(np.asarray(F, dtype=float))
    U_k = np.asarray(U_k, dtype=float)
    if F.shape[1] != U_k.shape[0]:
        raise ValueError(f"F has {F.shape[1]} columns but U_k has {U_k.shape[0]} rows")
    P_F = F.T @ np.linalg.solve(F @ F.T, F)
    P_U = U_k @ U_k.T
    return float(np.sum((P_F - P_U) ** 2) / np.sum(P_U ** 2))


def orthonormality_error(W):
    """‖W Wᵀ − I‖_F."""
    W = np.atleast_2d(np.asarray(W, dtype=float))
    return float(np.linalg.norm(W @ W.T - np.eye(W.shape[0])))


def gha(samples, W0, eta):
    """Sanger's rule, one sample at a time; ``eta`` a number or an array (one rate per sample). Returns W."""
    W = np.array(W0, dtype=float)
    etas = np.broadcast_to(np.asarray(eta, dtype=float), (len(samples),))
    for x, e in zip(samples, etas):
        y = W @ x
        W += e * (np.outer(y, x) - np.tril(np.outer(y, y)) @ W)
    return W


def similarity_matching(samples, W0, M0, eta, tau=0.5):
    """Pehlevan & Chklovskii's Hebbian/anti-Hebbian rules with y = M⁻¹ W x; returns (W, M, F = M⁻¹ W)."""
    W = np.array(W0, dtype=float)
    M = np.array(M0, dtype=float)
    etas = np.broadcast_to(np.asarray(eta, dtype=float), (len(samples),))
    for x, e in zip(samples, etas):
        y = np.linalg.solve(M, W @ x)
        W += e * (np.outer(y, x) - W)
        M += (e / tau) * (np.outer(y, y) - M)
    return W, M, np.linalg.solve(M, W)


def sm_feedforward_rule(eta):
    """dW/dt = η (y_post x_pre − W): the Hebbian feedforward rule of similarity matching."""
    from snnlearn.rules.subspace import similarity_matching_feedforward

    return similarity_matching_feedforward(eta=eta)


def sm_lateral_rule(eta, tau):
    """dM/dt = (η/τ)(y_post y_pre − M): the anti-Hebbian lateral rule (M enters the output with a minus sign)."""
    from snnlearn.rules.subspace import similarity_matching_lateral

    return similarity_matching_lateral(eta=eta, tau=tau)


def _inputs(samples, sample_dt, name, extra=""):
    samples = np.asarray(samples, dtype=float)
    table = TimedArray(samples, dt=sample_dt, name=f"{name}_samples")
    inputs = NeuronGroup(samples.shape[1], f"x = {name}_samples(t, i) : 1\n{extra}", dt=sample_dt,
                         name=f"{name}_inputs", namespace={f"{name}_samples": table})
    return inputs, table


def build_gha_network(samples, W0, eta, sample_dt, name="gha"):
    """GHA in Brian2 as k catalog Oja rules on deflated inputs (Sanger's own reading of his rule).

    Output i has y_i = Σ_j w_ij x_j (a summed variable) and learns by ``sl.rules.oja`` with the
    presynaptic activity d_i = x − Σ_{k<i} y_k w_k, which each input neuron computes from
    summed variables that the earlier projections write into it. ``eta`` in 1/second
    (per-sample rate / sample_dt). Returns a dict with the network and the k projections.
    """
    W0 = np.atleast_2d(np.asarray(W0, dtype=float))
    k, n = W0.shape
    recon = "\n".join(f"r{i} : 1" for i in range(k))
    defl = "\n".join(f"d{i} = x - ({' + '.join(['0'] + [f'r{m}' for m in range(i)])}) : 1" for i in range(k))
    inputs, table = _inputs(samples, sample_dt, name, extra=f"{recon}\n{defl}")
    outputs = NeuronGroup(k, "y : 1", dt=sample_dt, name=f"{name}_outputs")
    projections = []
    for i in range(k):
        S = sl.connect(inputs, outputs[i:i + 1], sl.rules.oja(eta=eta, pre=f"d{i}", post="y"), connect=True,
                       extra_model=f"y_post = w * x_pre : 1 (summed)\nr{i}_pre = w * y_post : 1 (summed)",
                       dt=sample_dt, method="euler", namespace={f"{name}_samples": table}, name=f"{name}_row{i}")
        S.w = W0[i]
        # within a step: first every y (from the new sample), then the reconstructions (from the new y),
        # then the rules; Brian2 would otherwise run the summed updaters in an order that reads a stale y
        for updater in S.contained_objects:
            if type(updater).__name__ == "SummedVariableUpdater":
                updater.order = -3 if updater.name.endswith("_y_post") else -2
        projections.append(S)
    return {"net": Network(inputs, outputs, *projections), "projections": projections, "inputs": inputs,
            "outputs": outputs}


def build_similarity_matching_network(samples, W0, M0, eta, tau, sample_dt, steps_per_sample=10, tau_y=None,
                                      name="sm"):
    """Similarity matching in Brian2: a rate network whose recurrent dynamics solve y = M⁻¹ W x.

    Outputs: τ_y dy/dt = W x − M y, with W x and M y summed variables of the feedforward and
    lateral projections (the lateral one all-to-all including self-connections, the diagonal of M
    acting as a leak). Integration step sample_dt / ``steps_per_sample``; τ_y defaults to
    4 steps (stable Euler for eigenvalues of M below 8), so y settles within each sample. The rules (``snnlearn.rules.subspace``) run
    continuously; ``eta`` in 1/second (per-sample rate / sample_dt).
    """
    W0 = np.atleast_2d(np.asarray(W0, dtype=float))
    k, n = W0.shape
    dt = sample_dt / int(steps_per_sample)
    tau_y = 4 * dt if tau_y is None else tau_y
    inputs, table = _inputs(samples, sample_dt, name)
    outputs = NeuronGroup(k, "dy/dt = (ff - lat) / tau_y : 1\nff : 1\nlat : 1", dt=dt, method="euler",
                          name=f"{name}_outputs", namespace={"tau_y": tau_y})
    ff = sl.connect(inputs, outputs, sm_feedforward_rule(eta), connect=True,
                    extra_model="ff_post = w * x_pre : 1 (summed)", dt=dt, method="euler",
                    namespace={f"{name}_samples": table}, name=f"{name}_feedforward")
    ff.w = W0.T.ravel()  # Brian2 order for all-to-all: synapse (i_pre, j_post) at i_pre * k + j_post
    lat = sl.connect(outputs, outputs, sm_lateral_rule(eta, tau), connect=True,
                     extra_model="lat_post = w * y_pre : 1 (summed)", dt=dt, method="euler", name=f"{name}_lateral")
    lat.w = np.asarray(M0, dtype=float).T.ravel()
    return {"net": Network(inputs, outputs, ff, lat), "feedforward": ff, "lateral": lat, "inputs": inputs,
            "outputs": outputs, "k": k, "n": n}


def matrix_from_synapses(S, n_pre, n_post):
    """The weight matrix (n_post × n_pre) of an all-to-all projection."""
    W = np.zeros((n_post, n_pre))
    W[np.array(S.j[:]), np.array(S.i[:])] = np.array(S.w[:], dtype=float)
    return W
