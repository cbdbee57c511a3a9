"""Reservoirs with readout-only learning: ESN memory capacity, NARMA-10, FORCE, spiking LSM.

Four benchmarks of reservoir computing, each with its control (docs/validation.md, Reservoirs, E1-E4):

- Memory capacity (Jaeger 2002): MC = sum_k r^2(u(t-k), y_k(t)) on held-out data for a linear
  and two tanh echo-state networks of N units; it can never exceed N (``memory_capacity_bound``).
  Control: a memoryless reservoir (spectral radius 0) recalls only the current input (MC ~ 1).
- NARMA-10 (Atiya & Parlos 2000; Jaeger 2003): ESN with N = 100 and a ridge readout on
  [x, x^2, u] or on [x, u]; controls: a 20-tap linear delay line without a reservoir, and a
  memoryless reservoir (NRMSE ~ 1).
- FORCE (Sussillo & Abbott 2009): a chaotic rate network (N = 1000, g = 1.5) with its readout fed
  back learns the four-sine target of the paper's Fig. 2 online by RLS, then must generate it with
  learning off.  Control: the same network with no learning.
- Liquid-state machine (Maass, Natschläger & Markram 2002): a 135-neuron spiking liquid in Brian2
  classifies two jittered spike templates that differ only in 0-400 ms, read at 500 ms (fading
  memory).  Controls: the same liquid without recurrent synapses, and the filtered input alone.

Only the linear readouts are trained; the reservoirs stay fixed.
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, mV, ms, second

from snnlearn.models.esn import make_esn
from snnlearn.models.force import make_force_network, run_force, sum_of_sines
from snnlearn.models.lsm import make_liquid, template_task
from snnlearn.metrics.reservoir import (
    delay_embedding,
    fit_ridge,
    memory_capacity,
    narma10,
    narma10_input,
    nrmse,
)
from snnlearn.params import Param

PARAMS = {
    # memory capacity (E1)
    "mc_n": Param(50, low=1, doc="E1: reservoir units N (MC <= N)"),
    "mc_spectral_radius": Param(0.95, low=0.0, doc="E1: spectral radius of the reservoir matrix"),
    "mc_input_scale": Param(0.1, low=0.0, doc="E1: W_in ~ U[-s, s]; u ~ U[-0.5, 0.5]"),
    "mc_input_scale_high": Param(1.0, low=0.0, doc="E1: input scale of the saturating tanh reservoir"),
    "mc_k_max": Param(100, low=0, doc="E1: largest delay k"),
    "mc_n_train": Param(3000, low=1, doc="E1: training steps of the delay readouts"),
    "mc_n_test": Param(3000, low=1, doc="E1: held-out steps on which MC is measured"),
    "mc_washout": Param(100, low=0, doc="E1: initial steps dropped (at least mc_k_max are)"),
    # NARMA-10 (E2)
    "narma_n": Param(100, low=1, doc="E2: reservoir units"),
    "narma_spectral_radius": Param(0.95, low=0.0, doc="E2: spectral radius of the reservoir matrix"),
    "narma_input_scale": Param(0.1, low=0.0, doc="E2: W_in ~ U[-s, s]"),
    "narma_bias": Param(0.2, low=0.0, doc="E2: half-width of the uniform bias of each unit"),
    "narma_n_train": Param(3000, low=1, doc="E2: training steps of the ridge readout"),
    "narma_n_test": Param(2000, low=1, doc="E2: test steps on which the NRMSE is measured"),
    "narma_washout": Param(200, low=0, doc="E2: initial steps dropped"),
    "narma_delay_taps": Param(20, low=1, doc="E2: taps of the delay-line control (no reservoir)"),
    # FORCE (E3), Sussillo & Abbott 2009 parameters
    "force_n": Param(1000, low=2, doc="E3: rate units of the chaotic network"),
    "force_p": Param(0.1, low=0.0, strict=True, high=1.0, doc="E3: recurrent connection probability"),
    "force_g": Param(1.5, low=0.0, doc="E3: recurrent gain (> 1: chaotic)"),
    "force_alpha": Param(1.0, low=0.0, strict=True, doc="E3: RLS regulariser, P(0) = I / alpha"),
    "force_tau": Param(10 * ms, low=0 * ms, strict=True, doc="E3: unit time constant"),
    "force_dt": Param(1 * ms, low=0 * ms, strict=True, doc="E3: Euler time step (<= force_tau)"),
    "force_learn_every": Param(2, low=1, doc="E3: an RLS update every ... steps"),
    "force_period": Param(1200 * ms, low=0 * ms, strict=True, doc="E3: period of the four-sine target (120 tau)"),
    "force_train_periods": Param(12, low=1, doc="E3: training periods (12: 1440 tau of training)"),
    "force_test_periods": Param(12, low=1, doc="E3: test periods, learning off, the network generating alone"),
    # liquid-state machine (E4)
    "lsm_n_pairs": Param(10, low=1, doc="E4: template pairs averaged over"),
    "lsm_n_train": Param(200, low=4, doc="E4: training trials per pair"),
    "lsm_n_test": Param(100, low=2, doc="E4: test trials per pair"),
    "lsm_rate": Param(20 * Hz, low=0 * Hz, strict=True, doc="E4: template spike rate per channel"),
    "lsm_jitter": Param(4 * ms, low=0 * ms, strict=True, doc="E4: SD of the Gaussian jitter of each template spike"),
    "lsm_stim_duration": Param(500 * ms, low=0 * ms, strict=True, doc="E4: stimulus length; read out at its end"),
    "lsm_t_same": Param(400 * ms, low=0 * ms, strict=True,
                        doc="E4: templates identical from here on (<= lsm_stim_duration)"),
    "lsm_gap": Param(50 * ms, low=0 * ms, strict=True,
                     doc="E4: silent gap between trials (state reset at its start)"),
    "lsm_tau_filter": Param(30 * ms, low=0 * ms, strict=True, doc="E4: time constant of the readout's spike filter"),
    "lsm_noise": Param(0.3 * mV, low=0 * mV, doc="E4: membrane noise SD (calibrated, see models/lsm.py)"),
    "lsm_tau_e_rec": Param(30 * ms, low=0 * ms, strict=True,
                           doc="E4: recurrent excitatory current decay (calibrated)"),
    "lsm_w_ee": Param(0.5 * mV, low=0 * mV, doc="E4: mean E -> E weight (current jump)"),
    "lsm_w_in_e": Param(12.0 * mV, low=0 * mV,
                        doc="E4: mean input weight onto excitatory neurons (half onto inhibitory)"),
    "lsm_n_lanes": Param(150, low=1, doc="E4: parallel copies of the liquid in the one Brian2 run"),
    "lsm_dt": Param(0.1 * ms, low=0 * ms, strict=True, doc="E4: simulation time step of the liquid"),
    "lsm_codegen_target": Param("numpy", choices=("numpy", "cython"),
                                doc="E4: Brian2 runtime target, used unless --device numpy / cython is given"),
}

#: Why ``--checkpoint-every`` does not apply (the runner says so in one line before starting).
NO_CHECKPOINTS = ("the echo-state and FORCE networks are numpy models; the liquid state machine is one short "
                  "runtime simulation per template pair")

QUICK = {
    "mc_n_train": 1000,
    "mc_n_test": 1000,
    "mc_k_max": 60,
    "narma_n_train": 1500,
    "narma_n_test": 1000,
    "force_n": 500,
    "force_train_periods": 6,
    "force_test_periods": 3,
    "lsm_n_pairs": 2,
    "lsm_n_train": 50,
    "lsm_n_test": 25,
}


def validate(p):
    """Refuse a combination of values in one line (the runner calls this before the run directory exists)."""
    if p["force_dt"] > p["force_tau"]:
        raise ValueError(f"force_dt ({p['force_dt']}) must not exceed force_tau ({p['force_tau']}): the Euler step "
                         f"needs dt/tau in (0, 1]")
    if p["lsm_t_same"] > p["lsm_stim_duration"]:
        raise ValueError(f"lsm_t_same ({p['lsm_t_same']}) must not exceed lsm_stim_duration ({p['lsm_stim_duration']})")


def _memory(p, rng):
    n, k_max = int(p["mc_n"]), int(p["mc_k_max"])
    washout = max(int(p["mc_washout"]), k_max)
    total = washout + int(p["mc_n_train"]) + int(p["mc_n_test"])
    frac = int(p["mc_n_train"]) / (int(p["mc_n_train"]) + int(p["mc_n_test"]))
    u = rng.uniform(-0.5, 0.5, size=total)
    rho = float(p["mc_spectral_radius"])
    configs = {
        "linear": dict(spectral_radius=rho, input_scale=float(p["mc_input_scale"]), activation="linear"),
        "tanh": dict(spectral_radius=rho, input_scale=float(p["mc_input_scale"]), activation="tanh"),
        "tanh_high_input": dict(spectral_radius=rho, input_scale=float(p["mc_input_scale_high"]),
                                activation="tanh"),
        "memoryless": dict(spectral_radius=0.0, input_scale=float(p["mc_input_scale"]), activation="tanh"),
    }
    out = {}
    for name, cfg in configs.items():
        esn = make_esn(n, rng, **cfg)
        out[name] = memory_capacity(esn.run(u), u, k_max=k_max, washout=washout, train_fraction=frac)
    return out


def _narma(p, rng):
    wash, n_tr, n_te = (int(p[k]) for k in ("narma_washout", "narma_n_train", "narma_n_test"))
    u = narma10_input(wash + n_tr + n_te, rng)
    y = narma10(u)
    train, test = slice(wash, wash + n_tr), slice(wash + n_tr, wash + n_tr + n_te)

    def predict(F):
        return fit_ridge(F[train], y[train], ridge=0.0).predict(F[test])

    kw = dict(input_scale=float(p["narma_input_scale"]), bias=float(p["narma_bias"]))
    n = int(p["narma_n"])
    X = make_esn(n, rng, spectral_radius=float(p["narma_spectral_radius"]), **kw).run(u)
    X0 = make_esn(n, rng, spectral_radius=0.0, **kw).run(u)
    pred = {
        "quadratic": predict(np.hstack([X, X**2, u[:, None]])),
        "linear": predict(np.hstack([X, u[:, None]])),
        "delay_line": predict(delay_embedding(u, int(p["narma_delay_taps"]))),
        "memoryless": predict(np.hstack([X0, u[:, None]])),
    }
    return y[test], pred


def _force(p, rng):
    dt, period = p["force_dt"], p["force_period"]
    steps_per_period = int(round(float(period / dt)))
    n_train = steps_per_period * int(p["force_train_periods"])
    n_test = steps_per_period * int(p["force_test_periods"])
    t = np.arange(n_train + n_test) * dt
    f = sum_of_sines(t, period=period)
    net = make_force_network(rng, n=int(p["force_n"]), p=float(p["force_p"]),
                             g=float(p["force_g"]))
    kw = dict(tau=p["force_tau"], dt=dt, alpha=float(p["force_alpha"]),
              learn_every=int(p["force_learn_every"]))
    trained = run_force(net, f[:n_train], n_test, **kw)
    control = run_force(net, f[:n_train], n_test, learn=False, **kw)
    return f, n_train, trained, control


def simulate(p, ctx):
    """Run the four benchmarks (the reservoirs, their trained readouts and the controls); returns the arrays.

    ``mc_delays`` and ``mc_r2_<reservoir>``: the held-out r^2 of each delay's readout (linear, tanh,
    tanh_high_input, memoryless); ``narma_target`` and ``narma_pred_<readout>``: the NARMA-10 test output and each
    readout's prediction (quadratic, linear, delay_line, memoryless); ``force_t`` (s), ``force_target``,
    ``force_z`` (training then test, learning on) and ``force_z_no_learning``, ``force_w_norm`` (after each RLS
    update), ``force_n_train`` (training steps), ``force_learn_every``; ``lsm_accuracy``,
    ``lsm_accuracy_no_recurrence``, ``lsm_accuracy_input_only`` (test accuracy per template pair),
    ``lsm_rate_hz`` and ``lsm_rate_hz_no_recurrence`` (mean liquid rate during the stimuli), and the raster of the
    recurrent liquid: ``lsm_spike_i``, ``lsm_spike_t`` (s from stimulus onset), ``lsm_spike_trial``,
    ``lsm_inhibitory``.
    """
    seeds = np.random.SeedSequence(int(ctx.seed)).spawn(4)
    rngs = [np.random.default_rng(s) for s in seeds]
    data = {}

    mc = _memory(p, rngs[0])
    data["mc_delays"] = mc["linear"].delays
    for name, res in mc.items():
        data[f"mc_r2_{name}"] = res.r2

    target, narma = _narma(p, rngs[1])
    data["narma_target"] = target
    for name, pred in narma.items():
        data[f"narma_pred_{name}"] = pred

    f, n_train, trained, control = _force(p, rngs[2])
    data.update(
        force_t=np.arange(f.size) * float(p["force_dt"] / second),
        force_target=f,
        force_z=np.concatenate([trained.z_train, trained.z_test]),
        force_z_no_learning=np.concatenate([control.z_train, control.z_test]),
        force_w_norm=trained.w_norm,
        force_n_train=np.array(n_train),
        force_learn_every=np.array(int(p["force_learn_every"])),
    )

    lsm_target = getattr(ctx, "device", None)
    if lsm_target not in ("numpy", "cython"):
        lsm_target = str(p["lsm_codegen_target"])
        ctx.log(f"the liquid runs on Brian2's runtime target '{lsm_target}' (one run per condition)")
    liquid = make_liquid(rngs[3], noise=float(p["lsm_noise"] / mV),
                         tau_e_rec=float(p["lsm_tau_e_rec"] / ms), w_ee=float(p["lsm_w_ee"] / mV),
                         w_in_e=float(p["lsm_w_in_e"] / mV), w_in_i=0.5 * float(p["lsm_w_in_e"] / mV))
    lsm = template_task(
        liquid, rngs[3], n_pairs=int(p["lsm_n_pairs"]), n_train=int(p["lsm_n_train"]),
        n_test=int(p["lsm_n_test"]), jitter=p["lsm_jitter"], rate=p["lsm_rate"],
        stim_duration=p["lsm_stim_duration"], t_same=p["lsm_t_same"], gap=p["lsm_gap"],
        n_lanes=int(p["lsm_n_lanes"]), tau_f=p["lsm_tau_filter"], dt=p["lsm_dt"],
        codegen_target=lsm_target,
    )
    run_rec = lsm["runs"][True]
    data.update(
        lsm_accuracy=lsm["accuracy"],
        lsm_accuracy_no_recurrence=lsm["accuracy_no_recurrence"],
        lsm_accuracy_input_only=lsm["accuracy_input_only"],
        lsm_rate_hz=np.array(lsm["rate_hz"]),
        lsm_rate_hz_no_recurrence=np.array(lsm["rate_hz_no_recurrence"]),
        lsm_spike_i=run_rec.spike_i,
        lsm_spike_t=run_rec.spike_t,
        lsm_spike_trial=run_rec.spike_trial,
        lsm_inhibitory=liquid.inhibitory,
    )
    return data


def measure(data, p):
    """The metrics (see the module docstring) from the arrays of :func:`simulate`."""
    n_train = int(data["force_n_train"])
    f, z = data["force_target"], data["force_z"]
    steps_per_period = int(round(float(p["force_period"] / p["force_dt"])))
    last2 = slice(max(0, n_train - 2 * steps_per_period), n_train)
    lsm = {key: np.asarray(data[f"lsm_{key}"]) for key in ("accuracy", "accuracy_no_recurrence",
                                                            "accuracy_input_only")}
    metrics = dict(
        memory_capacity=float(data["mc_r2_linear"].sum()),
        memory_capacity_tanh=float(data["mc_r2_tanh"].sum()),
        memory_capacity_tanh_high_input=float(data["mc_r2_tanh_high_input"].sum()),
        memory_capacity_control=float(data["mc_r2_memoryless"].sum()),
        memory_capacity_bound=int(p["mc_n"]),
        **{f"narma10_nrmse{suffix}": nrmse(data["narma_target"], data[f"narma_pred_{name}"])
           for suffix, name in (("", "quadratic"), ("_linear", "linear"), ("_delay_line", "delay_line"),
                                ("_memoryless", "memoryless"))},
        force_nrmse=nrmse(f[n_train:], z[n_train:]),
        force_nrmse_no_learning=nrmse(f[n_train:], data["force_z_no_learning"][n_train:]),
        force_train_mae_last_2_periods=float(np.mean(np.abs(z[last2] - f[last2]))),
        force_w_norm=float(data["force_w_norm"][-1]),
        lsm_accuracy=float(lsm["accuracy"].mean()),
        lsm_accuracy_no_recurrence=float(lsm["accuracy_no_recurrence"].mean()),
        lsm_accuracy_input_only=float(lsm["accuracy_input_only"].mean()),
        lsm_accuracy_per_pair=[float(a) for a in lsm["accuracy"]],
        lsm_accuracy_no_recurrence_per_pair=[float(a) for a in lsm["accuracy_no_recurrence"]],
        lsm_rate_hz=float(data["lsm_rate_hz"]),
        lsm_rate_hz_no_recurrence=float(data["lsm_rate_hz_no_recurrence"]),
    )
    return metrics


def summary(metrics, p):
    mc = ", ".join(f"{name} {metrics[key]:.2f}" for name, key in (
        ("linear", "memory_capacity"), ("tanh", "memory_capacity_tanh"),
        ("tanh_high_input", "memory_capacity_tanh_high_input"), ("memoryless", "memory_capacity_control")))
    narma = ", ".join(f"{name} {metrics['narma10_nrmse' + suffix]:.3f}" for name, suffix in (
        ("quadratic", ""), ("linear", "_linear"), ("delay_line", "_delay_line"), ("memoryless", "_memoryless")))
    return [f"memory capacity (N = {metrics['memory_capacity_bound']}): {mc}",
            f"NARMA-10 NRMSE: {narma}",
            f"FORCE test NRMSE {metrics['force_nrmse']:.3f}; no learning {metrics['force_nrmse_no_learning']:.3f}",
            f"LSM accuracy {metrics['lsm_accuracy']:.3f}; no recurrence {metrics['lsm_accuracy_no_recurrence']:.3f}; "
            f"input only {metrics['lsm_accuracy_input_only']:.3f}; liquid rate {metrics['lsm_rate_hz']:.1f} Hz"]


def plot(data, metrics, p):
    """Figures: memory curve, NARMA-10 prediction, FORCE output, LSM accuracy and raster."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    figs = {}

    # --- memory curve
    fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    labels = {"linear": "linear ESN", "tanh": "tanh ESN", "tanh_high_input": "tanh ESN, input x10",
              "memoryless": "memoryless (ρ = 0)"}
    keys = {"linear": "memory_capacity", "tanh": "memory_capacity_tanh",
            "tanh_high_input": "memory_capacity_tanh_high_input", "memoryless": "memory_capacity_control"}
    for name, color in zip(labels, ("C0", "C1", "C2", "0.4")):
        if f"mc_r2_{name}" in data:
            ax.plot(data["mc_delays"], data[f"mc_r2_{name}"], color=color,
                    label=f"{labels[name]}: MC = {metrics[keys[name]]:.1f}")
    ax.set_xlabel("delay k (time steps)")
    ax.set_ylabel("held-out r²(u(t−k), ŷ_k(t))")
    ax.set_ylim(-0.02, 1.05)
    ax.set_title(f"Memory capacity, N = {metrics['memory_capacity_bound']} (bound MC ≤ N)")
    ax.legend(frameon=False)
    figs["memory_capacity"] = fig

    # --- NARMA-10
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), width_ratios=(3, 1), layout="constrained")
    n_show = min(200, data["narma_target"].size)
    k = np.arange(n_show)
    ax.plot(k, data["narma_target"][:n_show], color="k", lw=1.6, label="target y(t)")
    ax.plot(k, data["narma_pred_quadratic"][:n_show], color="C0", lw=1.1,
            label=f"ESN, readout [x, x², u] (NRMSE {metrics['narma10_nrmse']:.2f})")
    ax.plot(k, data["narma_pred_delay_line"][:n_show], color="C3", lw=0.9, ls="--",
            label=f"20-tap delay line (NRMSE {metrics['narma10_nrmse_delay_line']:.2f})")
    ax.set_xlabel("test time step")
    ax.set_ylabel("NARMA-10 output")
    ax.set_title("NARMA-10, held-out data")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    names = ["[x, x², u]", "[x, u]", "delay line", "ρ = 0"]
    vals = [metrics[k] for k in ("narma10_nrmse", "narma10_nrmse_linear", "narma10_nrmse_delay_line",
                                 "narma10_nrmse_memoryless")]
    ax2.bar(range(4), vals, color=["C0", "C0", "C3", "0.5"], alpha=0.85)
    ax2.set_xticks(range(4), names, rotation=30, ha="right", fontsize=8)
    ax2.set_xlabel("readout / model")
    ax2.set_ylabel("test NRMSE")
    ax2.set_title("NRMSE (lower is better)")
    figs["narma10"] = fig

    # --- FORCE
    t = data["force_t"]
    n_tr = int(data["force_n_train"])
    f, z = data["force_target"], data["force_z"]
    period = float(p["force_period"] / second)
    dt = t[1] - t[0]
    n_per = int(round(period / dt))
    fig, axes = plt.subplots(3, 1, figsize=(9, 7.5), layout="constrained")
    seg = slice(0, min(2 * n_per, n_tr))
    axes[0].plot(t[seg], f[seg], color="k", lw=1.5, label="target f(t)")
    axes[0].plot(t[seg], z[seg], color="C1", lw=1.0, label="output z(t), learning on")
    axes[0].set_title("FORCE: start of training")
    seg = slice(max(0, n_tr - 2 * n_per), min(f.size, n_tr + 3 * n_per))
    axes[1].plot(t[seg], f[seg], color="k", lw=1.5, label="target f(t)")
    axes[1].plot(t[seg], z[seg], color="C0", lw=1.0, label="output z(t)")
    axes[1].plot(t[seg], data["force_z_no_learning"][seg], color="0.6", lw=0.8, label="no learning (w = 0)")
    axes[1].axvline(t[n_tr], color="C3", ls="--", lw=1, label="learning switched off")
    axes[1].set_title(f"End of training and test (test NRMSE {metrics['force_nrmse']:.3f}, "
                      f"no learning {metrics['force_nrmse_no_learning']:.2f})")
    for ax in axes[:2]:
        ax.set_xlabel("time (s)")
        ax.set_ylabel("f, z")
        ax.set_ylim(-2.0, 1.6)
        ax.legend(frameon=False, fontsize=8, loc="lower left", ncol=4)
    every = int(data["force_learn_every"])
    tw = (np.arange(data["force_w_norm"].size) + 1) * every * dt
    axes[2].plot(tw, data["force_w_norm"], color="C2")
    axes[2].set_xlabel("training time (s)")
    axes[2].set_ylabel("|w|")
    axes[2].set_title("Readout weight norm during RLS")
    figs["force"] = fig

    # --- LSM
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=(1, 1.6), layout="constrained")
    groups = [("liquid", "lsm_accuracy", "C0"), ("no recurrence", "lsm_accuracy_no_recurrence", "C3"),
              ("input only", "lsm_accuracy_input_only", "0.5")]
    rng = np.random.default_rng(0)
    for x, (name, key, color) in enumerate(groups):
        acc = np.asarray(data[key])
        ax.bar(x, acc.mean(), color=color, alpha=0.6, label=f"{name}: {acc.mean():.2f}")
        ax.scatter(x + rng.uniform(-0.15, 0.15, acc.size), acc, color=color, s=12, zorder=3)
    ax.axhline(0.5, color="k", ls=":", lw=1)
    ax.set_xticks(range(3), [g[0] for g in groups])
    ax.set_xlabel("state read out at stimulus end")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("test accuracy (dots: template pairs)")
    ax.set_title("Fading memory: class read at stimulus end")
    ax.legend(frameon=False, fontsize=8, loc="lower left")
    sel = data["lsm_spike_trial"] == 0
    inh = np.asarray(data["lsm_inhibitory"], dtype=bool)
    si, st = data["lsm_spike_i"][sel], data["lsm_spike_t"][sel] * 1e3
    ax2.scatter(st[~inh[si]], si[~inh[si]], s=3, color="C0", label="excitatory")
    ax2.scatter(st[inh[si]], si[inh[si]], s=3, color="C3", label="inhibitory")
    t_same = float(p["lsm_t_same"] / ms)
    ax2.axvspan(t_same, float(p["lsm_stim_duration"] / ms), color="0.9", zorder=0,
                label="templates identical")
    ax2.set_xlim(0, float(p["lsm_stim_duration"] / ms))
    ax2.set_ylim(-1, inh.size)
    ax2.set_xlabel("time from stimulus onset (ms)")
    ax2.set_ylabel("liquid neuron")
    ax2.set_title(f"Liquid raster, one trial (mean rate {metrics['lsm_rate_hz']:.1f} Hz)")
    ax2.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), markerscale=3)
    figs["lsm"] = fig
    return figs


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("reservoir_benchmarks")
