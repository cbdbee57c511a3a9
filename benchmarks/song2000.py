"""Case ``song2000``: Song, Miller & Abbott (2000), 1000 plastic inputs onto one neuron, additive STDP.

Three implementations of the same model (docs/validation.md, Song, Miller & Abbott 2000: tau_m = 20 ms,
V_rest = -70 mV, E_ex = 0, E_in = -70 mV, V_th = -54 mV, V_reset = -60 mV,
tau_ex = tau_in = 5 ms; g_max = 0.015 and g_in = 0.05 in units of the leak; 1000
excitatory inputs at 10 Hz under additive STDP with A+ = 0.005 g_max, A-/A+ = 1.05,
tau+ = tau- = 20 ms; 200 inhibitory inputs at 10 Hz; weights start at g_max; dt = 0.1 ms):

* :func:`run_snnlearn` -- ``models/song2000.py`` (``build_song_network`` with one block,
  ``sl.connect`` + ``sl.rules.stdp_additive``), on snnlearn's ``use_device``;
* :func:`run_brian2` -- the same network written out in plain Brian2
  (:func:`build_plain_song`): the same groups, names, equations and monitors, the rule as a
  hand-written ``Synapses``. With the same seed it draws the same random numbers, so both
  give *identical* spikes and weights: the comparison isolates what snnlearn adds (the rule
  builder and its learning switch);
* :func:`run_nest` -- NEST 3 ``iaf_cond_exp`` (C_m / g_L = 20 ms) with 1000
  ``parrot_neuron`` relays of Poisson inputs onto the neuron through ``stdp_synapse``
  (additive: mu_plus = mu_minus = 0, lambda = A+/g_max = 0.005, alpha = 1.05), the
  inhibition as one 2000-Hz Poisson generator. NEST integrates the neuron exactly and
  needs a delay of one step (0.1 ms), so its spikes differ from Brian2's (Euler); the
  rates are comparable.
"""

import numpy as np

from .common import Phases, nest_loop_time, nest_reset, timed_brian_run

__all__ = ["build_plain_song", "run_snnlearn", "run_brian2", "run_nest", "NEST_PARAMS"]

N_EXC, N_INH = 1000, 200
GMAX, G_IN = 0.015, 0.05
AP_RATIO, DEPRESSION = 0.005, 1.05

#: NEST iaf_cond_exp parameters equivalent to the Song neuron (g_L = 10 nS sets the scale).
NEST_PARAMS = {"C_m": 200.0, "g_L": 10.0, "E_L": -70.0, "V_th": -54.0, "V_reset": -60.0, "t_ref": 0.0,
               "E_ex": 0.0, "E_in": -70.0, "tau_syn_ex": 5.0, "tau_syn_in": 5.0, "V_m": -70.0, "tau_minus": 20.0}


def build_plain_song(rate, record_dt=None, dt=None):
    """The Song network of ``models/song2000.py`` (one uncorrelated block) in plain Brian2.

    Mirrors ``build_song_network([Block(rate)], song_rule())`` object by object: the
    input group (a NeuronGroup that fires with probability rate*dt, as in the model),
    the neuron, the plastic synapses (rule written by hand), the inhibitory PoissonInput
    and the monitors. Returns the same dict keys (``net``, ``synapses``, ``spikes``,
    ``weights``).
    """
    from brian2 import Hz, Network, NeuronGroup, PoissonInput, SpikeMonitor, StateMonitor, Synapses, mV, ms, second

    dt = 0.1 * ms if dt is None else dt
    record_dt = 100 * second if record_dt is None else record_dt
    params = dict(tau_m=20 * ms, V_rest=-70 * mV, E_ex=0 * mV, E_in=-70 * mV, V_th=-54 * mV, V_reset=-60 * mV,
                  tau_ex=5 * ms, tau_in=5 * ms)
    inputs = NeuronGroup(N_EXC, "rate : Hz\nc : 1\ncopy : 1", threshold="copy > 0.5 or rand() < rate * (1 - c) * dt",
                         reset="copy = 0", dt=dt, name="song_inputs")
    inputs.rate = rate
    inputs.c = 0
    neurons = NeuronGroup(1, """
        dv/dt = (V_rest - v + ge * (E_ex - v) + gi * (E_in - v)) / tau_m : volt (unless refractory)
        dge/dt = -ge / tau_ex : 1
        dgi/dt = -gi / tau_in : 1
        """, threshold="v > V_th", reset="v = V_reset", refractory=0 * ms, method="euler", namespace=params,
                          dt=dt, name="song_neurons")
    neurons.v = params["V_rest"]
    Ap = AP_RATIO * GMAX
    S = Synapses(inputs, neurons, model="""
        w : 1
        dapre/dt = -apre / taupre : 1 (event-driven)
        dapost/dt = -apost / taupost : 1 (event-driven)
        """,
                 on_pre="ge_post += w\napre += Ap\nw = clip(w - apost, 0, wmax)",
                 on_post="apost += Am\nw = clip(w + apre, 0, wmax)",
                 namespace=dict(Ap=Ap, Am=DEPRESSION * Ap, taupre=20 * ms, taupost=20 * ms, wmax=GMAX),
                 dt=dt, name="song_stdp")
    S.connect(i=np.arange(N_EXC), j=np.zeros(N_EXC, dtype=int))
    S.w = GMAX
    inhibition = PoissonInput(neurons, "gi", N=N_INH, rate=10 * Hz, weight=G_IN)
    spikes = SpikeMonitor(neurons, name="song_spikes")
    weights = StateMonitor(S, "w", record=True, dt=record_dt, name="song_weights")
    net = Network(inputs, neurons, S, inhibition, spikes, weights)
    return {"net": net, "synapses": S, "spikes": spikes, "weights": weights, "inputs": inputs, "neurons": neurons}


def _build_snnlearn(rate):
    from snnlearn.models.song2000 import Block, build_song_network, song_rule

    return build_song_network([Block(rate=rate)], song_rule(gmax=GMAX, Ap_ratio=AP_RATIO, depression_ratio=DEPRESSION))


def _readout(m, duration_s, rate_hz):
    w = np.asarray(m["synapses"].w[:], dtype=float)
    n_post = int(m["spikes"].num_spikes)
    return {
        "n_post_spikes": n_post,
        "output_rate_hz": n_post / duration_s,
        "w_mean_over_gmax": float(w.mean() / GMAX),
        "fraction_near_bounds": float(((w < 0.1 * GMAX) | (w > 0.9 * GMAX)).mean()),
        # synaptic events: input spikes (expected count) and postsynaptic spikes, each touching one synapse
        "synaptic_events": float(N_EXC * rate_hz * duration_s + n_post * N_EXC),
        "fingerprint": [n_post, float(w.sum()).hex()],
    }


def _run_brian(builder, device, duration_s, seed, rate_hz, threads, cold_cache, snnlearn):
    from brian2 import Hz, second

    _, out = timed_brian_run(lambda: builder(rate_hz * Hz), lambda m: _readout(m, duration_s, rate_hz),
                             duration_s * second, device=device, seed=seed, snnlearn=snnlearn, threads=threads,
                             imports=("snnlearn.models.song2000",), cold_cache=cold_cache)
    return out


def run_snnlearn(device="cpp_standalone", duration_s=100.0, seed=1, rate_hz=10.0, threads=0, cold_cache=False):
    """``models/song2000.py`` on ``device``; returns timings, rates and a fingerprint of the result."""
    return _run_brian(_build_snnlearn, device, duration_s, seed, rate_hz, threads, cold_cache, snnlearn=True)


def run_brian2(device="cpp_standalone", duration_s=100.0, seed=1, rate_hz=10.0, threads=0, cold_cache=False):
    """:func:`build_plain_song` on ``device``; same outputs as :func:`run_snnlearn`."""
    return _run_brian(build_plain_song, device, duration_s, seed, rate_hz, threads, cold_cache, snnlearn=False)


def run_nest(duration_s=100.0, seed=1, rate_hz=10.0, threads=1):
    """The Song model in NEST 3 (``iaf_cond_exp`` + ``stdp_synapse``); same outputs as :func:`run_snnlearn`."""
    import time

    ph = Phases()
    with ph("setup"):
        nest = nest_reset(threads=threads, resolution_ms=0.1, seed=seed)
        g_L = NEST_PARAMS["g_L"]
        neuron = nest.Create("iaf_cond_exp", 1, params=NEST_PARAMS)
        exc = nest.Create("poisson_generator", params={"rate": float(rate_hz)})
        parrots = nest.Create("parrot_neuron", N_EXC)
        nest.Connect(exc, parrots, "all_to_all")
        wmax = GMAX * g_L
        nest.Connect(parrots, neuron, "all_to_all",
                     syn_spec={"synapse_model": "stdp_synapse", "weight": wmax, "Wmax": wmax, "lambda": AP_RATIO,
                               "alpha": DEPRESSION, "mu_plus": 0.0, "mu_minus": 0.0, "tau_plus": 20.0, "delay": 0.1})
        inh = nest.Create("poisson_generator", params={"rate": 10.0 * N_INH})
        nest.Connect(inh, neuron, syn_spec={"weight": -G_IN * g_L, "delay": 0.1})
        rec = nest.Create("spike_recorder")
        nest.Connect(neuron, rec)
    with ph("run"):
        t = time.perf_counter()
        nest.Simulate(duration_s * 1000.0)
        wall = time.perf_counter() - t
    with ph("readout"):
        n_post = int(rec.get("n_events"))
        w = np.asarray(nest.GetConnections(parrots, neuron).get("weight"), dtype=float) / g_L
    out = {
        "n_post_spikes": n_post, "output_rate_hz": n_post / duration_s,
        "w_mean_over_gmax": float(w.mean() / GMAX),
        "fraction_near_bounds": float(((w < 0.1 * GMAX) | (w > 0.9 * GMAX)).mean()),
        "synaptic_events": float(N_EXC * rate_hz * duration_s + n_post * N_EXC),
        "compile_s": 0.0, "run_s": wall, "loop_s": nest_loop_time(nest, wall),
        "setup_s": ph.times["setup"], "total_s": ph.total(), "device": f"nest {threads} thread(s)",
    }
    return out
