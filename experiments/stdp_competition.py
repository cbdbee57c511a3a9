"""Competitive Hebbian learning through STDP (Song, Miller & Abbott 2000): bimodal weights, rate regulation, correlated group wins.

One conductance-based LIF neuron per condition, driven by 1000 excitatory Poisson
inputs under additive STDP and 200 fixed inhibitory inputs, all conditions in one
compiled network:

* one neuron per input rate in ``rates`` (uncorrelated inputs): the weight
  distribution becomes bimodal, and the output rate grows far less than the input
  rate (rate regulation);
* one neuron whose first half of inputs is correlated (c = ``corr_c``): the
  correlated group wins, the uncorrelated group loses;
* c = 0 control: the uncorrelated neuron at ``corr_rate`` (one of ``rates``), its inputs
  split into the same two halves at ``corr_time``: the halves must not separate
  (``c0_half_difference``; None when no entry of ``rates`` equals ``corr_rate``);
* control: after learning, plasticity is switched off and the first neuron, with its
  weights learned at ``rates[0]``, is driven at ``frozen_rate``. Without STDP to adapt
  the weights, its output rate explodes: the regulation is the rule's doing.

Measured (docs/validation.md, Song et al. 2000): fraction of weights within 10 % of a bound,
output rates over the last ``rate_window``, mean weights of the correlated and
uncorrelated groups at ``corr_time``, ISI coefficient of variation.

Learning and the frozen control are one run of ``duration + frozen_duration``: the
switch at ``duration`` happens inside the simulation (``run_regularly``), so the run
can be checkpointed in ``cpp_standalone`` (``--checkpoint-every 20s``, compiled chunks)
and resumed with ``--resume``. The parameters declared ``runtime=True`` reach the
compiled program only as variable values: a sweep over them (and over seeds) compiles once and
runs every point with Brian2's ``run_args``.
"""

import numpy as np
from brian2 import Hz, second

from snnlearn.models.song2000 import Block, build_song_network, isi_cv, output_rates, run_time_values, song_rule
from snnlearn.params import Param
from snnlearn.units import format_quantity

PARAMS = {
    "rates": Param([10 * Hz, 20 * Hz, 40 * Hz], low=0 * Hz, high=1000 * Hz, min_len=1,
                   runtime=True, doc="input rates, one neuron each (uncorrelated inputs)"),
    "duration": Param(1000 * second, low=0 * second, strict=True, doc="learning time"),
    "corr_c": Param(0.1, low=0.0, high=1.0, runtime=True, doc="correlation within the correlated group"),
    "corr_rate": Param(10 * Hz, low=0 * Hz, high=1000 * Hz, runtime=True,
                       doc="input rate of the correlated condition"),
    "corr_time": Param(500 * second, low=0 * second, doc="when the group weights are read (a multiple of record_dt)"),
    "frozen_rate": Param(40 * Hz, low=0 * Hz, high=1000 * Hz, runtime=True, doc="input rate of the frozen control"),
    "frozen_duration": Param(100 * second, low=0 * second, strict=True, doc="length of the frozen control"),
    "rate_window": Param(100 * second, low=0 * second, strict=True, doc="window of the output-rate measure"),
    "gmax": Param(0.015, low=0.0, strict=True, runtime=True, doc="weight bound (units of the leak conductance)"),
    "Ap_ratio": Param(0.005, low=0.0, strict=True, high=1.0, runtime=True,
                      doc="potentiation step as a fraction of gmax"),
    "depression_ratio": Param(1.05, low=0.0, strict=True, runtime=True, doc="depression / potentiation area ratio"),
    "record_dt": Param(50 * second, low=0 * second, strict=True, doc="weight sampling interval"),
}

#: Rule parameters made shared variables of the synapses (so that gmax, Ap_ratio, depression_ratio are run-time).
VARIABLE_PARAMS = ("Ap", "Am", "wmax")

QUICK = {
    "rates": [10 * Hz, 40 * Hz],
    "duration": 60 * second,
    "corr_time": 60 * second,
    "frozen_duration": 10 * second,
    "rate_window": 20 * second,
    "record_dt": 10 * second,
    "Ap_ratio": 0.02,
}


def validate(p):
    """Refuse a combination of values in one line (the runner calls this before the run directory exists)."""
    if not p.rates:
        raise ValueError("rates: give at least one input rate")
    for key in ("duration", "frozen_duration", "rate_window", "record_dt"):
        if float(p[key]) <= 0:
            raise ValueError(f"{key} must be positive, got {p[key]}")
    if p.rate_window > p.duration or p.corr_time > p.duration:
        raise ValueError("rate_window and corr_time must not exceed duration")
    if abs(float(p.corr_time / p.record_dt) - round(float(p.corr_time / p.record_dt))) > 1e-9:
        raise ValueError("corr_time must be a multiple of record_dt (weights are sampled every record_dt)")


def structure(p):
    """Beyond the non-run-time parameters: whether the correlated inputs (and their mother trains) exist."""
    return (("correlated_inputs", float(p.corr_c) > 0),)


def simulate(p, ctx):
    """Run the model; returns the arrays the metrics and figures need."""
    validate(p)
    blocks = [Block(rate=r) for r in p.rates] + [Block(rate=p.corr_rate, c=p.corr_c, corr_fraction=0.5)]
    rule = song_rule(gmax=p.gmax, Ap_ratio=p.Ap_ratio, depression_ratio=p.depression_ratio)
    ctx.record_rule(rule, "excitatory inputs -> neuron")

    def build(ctx):
        m = build_song_network(blocks, rule, record_dt=p.record_dt, variable_params=VARIABLE_PARAMS,
                               test_phase=(p.duration, p.frozen_rate))
        ctx.log(f"{len(blocks)} neurons x {m['n_exc']} plastic synapses, learning for {format_quantity(p.duration)}, "
                f"then frozen control: neuron 0 at {format_quantity(p.frozen_rate)} for "
                f"{format_quantity(p.frozen_duration)}")
        ctx.plan(p.duration + p.frozen_duration)
        ctx.run(m["net"], p.duration + p.frozen_duration, report_period=10 * second)
        return m

    def run_args(m):
        return run_time_values(m, blocks, rule, test_rate=p.frozen_rate)

    def collect(m):
        n_exc = m["n_exc"]
        return {
            "w_final": np.array(m["synapses"].w[:]).reshape(len(blocks), n_exc),
            "w_time_s": np.array(m["weights"].t[:] / second),
            "w_history": np.array(m["weights"].w[:]).reshape(len(blocks), n_exc, -1),
            "spike_i": np.array(m["spikes"].i[:]),
            "spike_t_s": np.array(m["spikes"].t[:] / second),
        }

    return ctx.program(build, run_args, collect)


def measure(data, p):
    gmax = float(p.gmax)
    T = float(p.duration / second)
    window = float(p.rate_window / second)
    n_rates = len(p.rates)
    # plasticity is off during the frozen phase, so the final weights are those at the end of learning
    w_end = data["w_final"] / gmax
    hist_t = data["w_time_s"]
    low = (w_end < 0.1).mean(axis=1)
    high = (w_end > 0.9).mean(axis=1)

    class _Spikes:  # adapter for the model's rate helpers
        i = data["spike_i"]
        t = data["spike_t_s"] * second

    rates_out = output_rates(_Spikes, n_rates + 1, T - window, T)
    frozen = output_rates(_Spikes, n_rates + 1, T, T + float(p.frozen_duration / second))
    k_corr = int(np.argmin(np.abs(hist_t - float(p.corr_time / second))))
    w_corr = data["w_history"][n_rates, :, k_corr] / gmax
    half = w_corr.size // 2
    corr_mean, uncorr_mean = float(w_corr[:half].mean()), float(w_corr[half:].mean())
    # c = 0 control: the uncorrelated neuron at the correlated block's rate, split into the same two halves
    # at the same time; without correlation the halves must not separate
    c0 = [k for k, r in enumerate(p.rates) if abs(float(r / Hz) - float(p.corr_rate / Hz)) < 1e-9]
    if c0:
        w_c0 = data["w_history"][c0[0], :, k_corr] / gmax
        c0_a, c0_b = float(w_c0[:half].mean()), float(w_c0[half:].mean())
    else:
        c0_a = c0_b = None
    return {
        "input_rate_hz": [float(r / Hz) for r in p.rates],
        "output_rate_hz": [float(x) for x in rates_out[:n_rates]],
        "bimodal_fraction": float(low[0] + high[0]),
        "bimodal_fraction_by_rate": [float(x) for x in (low + high)[:n_rates]],
        "fraction_near_zero_by_rate": [float(x) for x in low[:n_rates]],
        "fraction_near_gmax_by_rate": [float(x) for x in high[:n_rates]],
        "rate_ratio_last_first": float(rates_out[n_rates - 1] / rates_out[0]) if rates_out[0] > 0 else None,
        "frozen_output_rate_hz": float(frozen[0]),
        "frozen_rate_ratio": float(frozen[0] / rates_out[0]) if rates_out[0] > 0 else None,
        "corr_group_mean_w": corr_mean,
        "uncorr_group_mean_w": uncorr_mean,
        "corr_group_weight_ratio": corr_mean / uncorr_mean if uncorr_mean > 0 else None,
        "corr_output_rate_hz": float(rates_out[n_rates]),
        "c0_half_mean_w": None if c0_a is None else [c0_a, c0_b],
        "c0_half_difference": None if c0_a is None else abs(c0_a - c0_b),
        "isi_cv": isi_cv(_Spikes, 0, T - window, T),
        "duration_s": T,
    }


def summary(metrics, p):
    return (f"bimodal fraction {metrics['bimodal_fraction']:.2f}, output rates {metrics['output_rate_hz']} Hz, "
            f"correlated/uncorrelated mean w {metrics['corr_group_mean_w']:.2f}/{metrics['uncorr_group_mean_w']:.2f}")


def plot(data, metrics, p):
    import matplotlib.pyplot as plt

    import snnlearn as sl

    gmax = float(p.gmax)
    n_rates = len(p.rates)
    figs = {}

    fig, axes = plt.subplots(1, n_rates, figsize=(3.2 * n_rates, 2.8), sharey=True, squeeze=False)
    for k, ax in enumerate(axes[0]):
        sl.plot.weight_hist(data["w_final"][k] / gmax, ax=ax, wmax=1.0, bins=25,
                            label=r"$w / g_{max}$")
        ax.set_title(f"input {metrics['input_rate_hz'][k]:g} Hz: out {metrics['output_rate_hz'][k]:.1f} Hz",
                     fontsize="small")
        if k:
            ax.set_ylabel("")
    fig.suptitle("Weight distributions after STDP (additive, Song et al. 2000)", fontsize="medium")
    fig.tight_layout()
    figs["weight_histograms"] = fig

    fig, ax = plt.subplots(figsize=(4.6, 3.4))
    rin = metrics["input_rate_hz"]
    ax.plot(rin, metrics["output_rate_hz"], "o-", label="with STDP (last %g s)" % float(p.rate_window / second))
    ax.plot(rin, rin, ":", color="0.6", label="output = input")
    ax.plot([float(p.frozen_rate / Hz)], [metrics["frozen_output_rate_hz"]], "s", color="tab:red",
            label=f"weights frozen at {rin[0]:g} Hz")
    ax.set_yscale("log")
    ax.set_xlabel("excitatory input rate (Hz)")
    ax.set_ylabel("output rate (Hz)")
    ax.set_title("Rate regulation", fontsize="medium")
    ax.legend(fontsize="small")
    fig.tight_layout()
    figs["rate_regulation"] = fig

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    t = data["w_time_s"]
    hist = data["w_history"][n_rates] / gmax
    half = hist.shape[0] // 2
    ax1.plot(t, hist[:half].mean(axis=0), "o-", label=f"correlated (c = {p.corr_c:g})")
    ax1.plot(t, hist[half:].mean(axis=0), "s-", label="uncorrelated")
    ax1.axvline(float(p.duration / second), color="0.6", lw=0.8, ls="--")
    ax1.set_xlabel("time (s)")
    ax1.set_ylabel(r"mean $w / g_{max}$")
    ax1.set_ylim(-0.02, 1.02)
    ax1.set_title("Correlated group wins", fontsize="medium")
    ax1.legend(fontsize="small")
    ax2.plot(np.arange(hist.shape[0]), data["w_final"][n_rates] / gmax, ".", ms=2)
    ax2.axvline(half - 0.5, color="0.6", lw=0.8)
    ax2.set_xlabel("input index (first half correlated)")
    ax2.set_ylabel(r"final $w / g_{max}$")
    fig.tight_layout()
    figs["correlated_group"] = fig

    fig, ax = plt.subplots(figsize=(7, 2.6))
    T = float(p.duration / second)
    sel = (data["spike_t_s"] > T - 5) & (data["spike_t_s"] < T)
    labels = [f"{r:g} Hz" for r in metrics["input_rate_hz"]] + [f"{float(p.corr_rate / Hz):g} Hz, corr."]
    groups = [(lab, k, k + 1, f"C{k}") for k, lab in enumerate(labels)]
    sl.plot.raster((data["spike_i"][sel], data["spike_t_s"][sel] - (T - 5)), ax=ax, groups=groups,
                   n_neurons=len(labels), marker_size=40, marker="|")
    ax.get_legend().remove()
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylabel("input condition")
    ax.set_title("Output spikes, last 5 s of learning", fontsize="medium")
    fig.tight_layout()
    figs["output_raster"] = fig
    return figs


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("stdp_competition")
