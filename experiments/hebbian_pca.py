"""Oja's rule finds the first principal component (Oja 1982): a linear neuron on inputs with a known covariance.

Inputs: n Gaussian activities with covariance C = U diag(λ) Uᵀ (U a random orthogonal
basis, λ = (5, 3, 2, 0.5, ...); docs/validation.md, check P1), a new sample every
``sample_dt``. The output is y = Σ w x (a Brian2 summed variable); the projection
learns by ``snnlearn.rules.oja``. The learning rate is annealed through the
projection's learning switch: ``plasticity`` = 1 for the first phase and
``anneal_factor`` for the second (a schedule inside the simulation), with no rebuild.

The parameters declared ``runtime=True`` reach the compiled program only as values (the
samples, the initial weights, the learning rate as a shared variable of the projection,
the schedule), so that a sweep over them and over seeds compiles one program per size
and runs every point with Brian2's ``run_args``.

Measured: |cos(w, u₁)| and ‖w‖ over time, against the top eigenvector u₁ of C.
Control: plain Hebb (the same network, ``covariance`` rule with zero references) diverges.
"""

import numpy as np
from brian2 import ms, second

import snnlearn as sl
from snnlearn.params import Param
from snnlearn.models.rate_readout import build_rate_readout

PARAMS = {
    "n_inputs": Param(20, low=1, high=5000, doc="input dimension (at least the number of top eigenvalues)"),
    "eigenvalues_top": Param([5.0, 3.0, 2.0], low=0.0, strict=True, min_len=1, runtime=True,
                             doc="leading covariance eigenvalues"),
    "eigenvalue_rest": Param(0.5, low=0.0, strict=True, runtime=True, doc="every other eigenvalue"),
    "n_samples": Param(20000, low=1, high=10**8, doc="samples in the first phase"),
    "n_samples_annealed": Param(10000, low=0, high=10**8, doc="samples with the annealed learning rate"),
    "eta_per_sample": Param(0.002, low=0.0, strict=True, high=1.0, runtime=True, doc="learning rate per sample"),
    "anneal_factor": Param(0.25, low=0.0, high=1.0, runtime=True, doc="learning switch in the second phase"),
    "sample_dt": Param(10 * ms, low=0.1 * ms, doc="time per sample (at least one 0.1 ms time step)"),
    "hebb_samples": Param(2000, low=1, high=10**7, runtime=True, doc="samples of the plain-Hebb control (numpy)"),
}

QUICK = {"n_samples": 8000, "n_samples_annealed": 4000}


def covariance_matrix(n, top, rest, rng):
    """C = U diag(λ) Uᵀ with a random orthogonal U; returns (C, eigenvalues, U) sorted by λ."""
    if n < len(top):
        raise ValueError(f"n_inputs = {n} is smaller than the number of top eigenvalues ({len(top)})")
    lam = np.array(list(top) + [rest] * (n - len(top)), dtype=float)
    U, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (U * lam) @ U.T, lam, U


def simulate(p, ctx):
    """Oja's rule in one compiled program, and the plain-Hebb control in numpy; the arrays to measure."""
    rng = ctx.rng
    n = int(p.n_inputs)
    C, lam, U = covariance_matrix(n, p.eigenvalues_top, p.eigenvalue_rest, rng)
    total = int(p.n_samples) + int(p.n_samples_annealed)
    samples = rng.multivariate_normal(np.zeros(n), C, size=total)
    w0 = rng.normal(0, 1, n)
    w0 *= 0.5 / np.linalg.norm(w0)
    eta = p.eta_per_sample / p.sample_dt
    rule = sl.rules.oja(eta=eta)
    ctx.record_rule(rule, "inputs -> output")
    record_dt = p.sample_dt * 200
    schedule = [1.0, float(p.anneal_factor)]  # the learning switch, per phase

    def build(ctx):
        m = build_rate_readout(samples, rule, p.sample_dt, w0=w0, record_dt=record_dt, name="oja",
                               variable_params=("eta",))
        m["schedule"] = sl.plasticity_schedule(m["synapses"], schedule, int(p.n_samples) * p.sample_dt)
        m["net"].add(m["schedule"])
        ctx.plan(total * p.sample_dt)
        ctx.run(m["net"], total * p.sample_dt, namespace={})
        return m

    def run_args(m):
        table = m["synapses"].namespace[f"{m['synapses'].name}_plasticity_schedule_values"]
        return {m["samples"]: samples, m["synapses"].w: w0, m["synapses"].eta: eta, table: np.asarray(schedule)}

    def collect(m):
        return (np.array(m["synapses"].w[:], dtype=float), np.array(m["weights"].w[:], dtype=float),
                np.array(m["weights"].t[:] / second))

    w, w_hist, t_hist = ctx.program(build, run_args, collect)
    u1 = U[:, 0]
    cos_hist = np.abs(u1 @ w_hist) / np.linalg.norm(w_hist, axis=0)
    norm_hist = np.linalg.norm(w_hist, axis=0)

    # control: plain Hebb, dw = eta * x * y, in numpy (it overflows within a few thousand samples)
    wh = w0.copy()
    hebb_norm = []
    for x in samples[: int(p.hebb_samples)]:
        wh = wh + float(p.eta_per_sample) * x * (wh @ x)
        hebb_norm.append(np.linalg.norm(wh))
    return {"w": w, "w0": w0, "u1": u1, "eigenvalues": lam, "t_s": t_hist, "cos_history": cos_hist,
            "norm_history": norm_hist, "hebb_norm": np.array(hebb_norm), "covariance": C}


def measure(data, p):
    w, u1 = data["w"], data["u1"]
    return {
        "cos_top_pc": float(abs(u1 @ w) / np.linalg.norm(w)),
        "weight_norm": float(np.linalg.norm(w)),
        "hebb_final_norm": float(data["hebb_norm"][-1]),
        "n_samples_total": int(p.n_samples) + int(p.n_samples_annealed),
    }


def plot(data, metrics, p):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    t = data["t_s"] / float(p.sample_dt / second)
    axes[0].plot(t, data["cos_history"], label=r"$|\cos(w, u_1)|$")
    axes[0].plot(t, data["norm_history"], label=r"$\|w\|$")
    axes[0].axvline(int(p.n_samples), color="0.6", ls="--", lw=0.8, label=r"$\eta$ annealed")
    axes[0].axhline(1.0, color="k", lw=0.5)
    axes[0].set_xlabel("samples")
    axes[0].set_ylabel("alignment / norm")
    axes[0].set_title("Oja's rule converges to the first PC", fontsize="medium")
    axes[0].legend(fontsize="small")
    k = np.arange(data["w"].size)
    sign = np.sign(data["w"] @ data["u1"]) or 1.0
    axes[1].bar(k - 0.2, sign * data["w"], width=0.4, label="learned w")
    axes[1].bar(k + 0.2, data["u1"], width=0.4, label=r"top eigenvector $u_1$")
    axes[1].set_xlabel("input index")
    axes[1].set_ylabel("weight")
    axes[1].legend(fontsize="small")
    axes[1].set_title(f"cos = {metrics['cos_top_pc']:.4f}, |w| = {metrics['weight_norm']:.3f}", fontsize="medium")
    axes[2].semilogy(np.arange(1, data["hebb_norm"].size + 1), data["hebb_norm"], color="tab:red")
    axes[2].set_xlabel("samples")
    axes[2].set_ylabel(r"$\|w\|$ (plain Hebb)")
    axes[2].set_title("Control: plain Hebb diverges", fontsize="medium")
    fig.tight_layout()
    return {"oja_pca": fig}


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("hebbian_pca")
