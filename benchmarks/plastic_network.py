"""Case ``plastic_network``: 5000 Poisson inputs -> 1000 LIF neurons through ~1 M STDP synapses.

The model (conductance-based LIF of Brian2's STDP example, additive STDP of Song et al.):

* inputs: ``n_in`` = 5000 Poisson trains at 10 Hz;
* neurons: ``n_post`` = 1000 LIF, dv/dt = (ge (E_e - v) + E_l - v)/tau_m,
  dge/dt = -ge/tau_e, tau_m = 10 ms, E_l = -74 mV, E_e = 0 mV, V_th = -54 mV,
  V_reset = -60 mV, tau_e = 5 ms (Euler, dt = 0.1 ms);
* synapses: every neuron receives ``k_in`` = 1000 distinct inputs chosen at random
  (numpy, fixed seed: the *same* connectivity in every implementation), so there are
  ``n_post * k_in`` synapses (1 M); additive STDP with g_max = 0.013, A+ = 0.01 g_max,
  A- = 1.05 A+, tau+ = tau- = 20 ms, all-to-all pairing; w0 ~ U(0, g_max).

With these values the neurons fire at about 5 Hz (cortical rates; 15-Hz inputs and
g_max = 0.01 give about 40 Hz, where the postsynaptic updates dominate the cost and
NEST, which does STDP at presynaptic spikes only, loses less ground).

Synaptic events are counted as input spikes x out-degree plus output spikes x in-degree
(every event runs the rule's code on one synapse), from spike counts recorded in the run.

Implementations: :func:`run_snnlearn` (``sl.connect`` + ``sl.rules.stdp_additive``; with
``per_spike_inputs=True`` the inputs are ``sl.poisson_source``, the same Poisson process
drawn at the spikes instead of in every step),
:func:`run_brian2` (the same written by hand; identical numbers with the same seed), and
:func:`run_nest` (NEST 3 ``iaf_cond_exp`` with C_m/g_L = 10 ms, ``parrot_neuron`` relays,
``stdp_synapse`` with mu_plus = mu_minus = 0, lambda = 0.01, alpha = 1.05, delay 0.1 ms).
The ``scaling`` case reuses them with ``n_post`` = 250 ... 4000 and ``n_in = 5 n_post``, so
that the whole network (inputs, neurons, synapses) grows in proportion.
"""

import numpy as np

from .common import Phases, nest_loop_time, nest_reset, timed_brian_run

__all__ = ["connectivity", "build_plain", "build_snnlearn", "run_snnlearn", "run_brian2", "run_nest"]

N_IN, K_IN, RATE_HZ, GMAX = 5000, 1000, 10.0, 0.013
NEURON = """
dv/dt = (ge * (Ee - v) + El - v) / taum : volt
dge/dt = -ge / taue : 1
"""


def connectivity(n_post, n_in=N_IN, k_in=K_IN, seed=1):
    """Presynaptic and postsynaptic indices (``k_in`` distinct random inputs per neuron) and initial weights.

    Sorted by presynaptic index, then postsynaptic (the order of Brian2's ``connect(p=...)``).
    """
    if k_in > n_in:
        raise ValueError(f"k_in = {k_in} exceeds n_in = {n_in}")
    rng = np.random.default_rng(seed)
    pre = np.empty(n_post * k_in, dtype=np.int32)
    for j in range(n_post):
        pre[j * k_in:(j + 1) * k_in] = rng.choice(n_in, k_in, replace=False)
    post = np.repeat(np.arange(n_post, dtype=np.int32), k_in)
    order = np.lexsort((post, pre))
    pre, post = pre[order], post[order]
    w0 = rng.uniform(0, GMAX, pre.size)
    return pre, post, w0


def _neurons(n_post, n_in=N_IN, per_spike_inputs=False):
    from brian2 import NeuronGroup, PoissonGroup, Hz, mV, ms

    ns = dict(taum=10 * ms, Ee=0 * mV, El=-74 * mV, vt=-54 * mV, vr=-60 * mV, taue=5 * ms)
    if per_spike_inputs:  # snnlearn only here: the hand-written network must not import it
        import snnlearn as sl

        inputs = sl.poisson_source(n_in, RATE_HZ * Hz, name="inputs")
    else:
        inputs = PoissonGroup(n_in, rates=RATE_HZ * Hz, name="inputs")
    neurons = NeuronGroup(n_post, NEURON, threshold="v > vt", reset="v = vr", method="euler", namespace=ns,
                          name="neurons")
    neurons.v = ns["El"]
    return inputs, neurons


def _monitors(inputs, neurons):
    from brian2 import SpikeMonitor

    return SpikeMonitor(inputs, record=False, name="input_counts"), SpikeMonitor(neurons, record=False,
                                                                                   name="output_counts")


def build_plain(n_post, seed=1, n_in=N_IN):
    """The network in plain Brian2: the STDP synapses written by hand."""
    from brian2 import Network, Synapses, ms

    pre, post, w0 = connectivity(n_post, n_in=n_in, seed=seed)
    inputs, neurons = _neurons(n_post, n_in)
    Ap = 0.01 * GMAX
    S = Synapses(inputs, neurons, model="""
        w : 1
        dapre/dt = -apre / taupre : 1 (event-driven)
        dapost/dt = -apost / taupost : 1 (event-driven)
        """,
                 on_pre="ge_post += w\napre += Ap\nw = clip(w - apost, 0, wmax)",
                 on_post="apost += Am\nw = clip(w + apre, 0, wmax)",
                 namespace=dict(Ap=Ap, Am=1.05 * Ap, taupre=20 * ms, taupost=20 * ms, wmax=GMAX), name="stdp")
    S.connect(i=pre, j=post)
    S.w = w0
    mons = _monitors(inputs, neurons)
    return {"net": Network(inputs, neurons, S, *mons), "synapses": S, "in_mon": mons[0], "out_mon": mons[1],
            "pre": pre, "post": post}


def build_snnlearn(n_post, seed=1, n_in=N_IN, per_spike_inputs=False):
    """The network with ``sl.connect(inputs, neurons, sl.rules.stdp_additive(...))``.

    ``per_spike_inputs``: the inputs are ``sl.poisson_source`` (the same Poisson process,
    drawn at the spikes) instead of ``PoissonGroup``.
    """
    from brian2 import Network, ms

    import snnlearn as sl

    pre, post, w0 = connectivity(n_post, n_in=n_in, seed=seed)
    inputs, neurons = _neurons(n_post, n_in, per_spike_inputs)
    Ap = 0.01 * GMAX
    rule = sl.rules.stdp_additive(Ap=Ap, Am=1.05 * Ap, taupre=20 * ms, taupost=20 * ms, wmax=GMAX)
    S = sl.connect(inputs, neurons, rule, transmit="ge_post += w", connect={"i": pre, "j": post}, w=w0, name="stdp")
    mons = _monitors(inputs, neurons)
    return {"net": Network(inputs, neurons, S, *mons), "synapses": S, "in_mon": mons[0], "out_mon": mons[1],
            "pre": pre, "post": post}


def _events(in_counts, out_counts, pre, post):
    out_degree = np.bincount(pre, minlength=len(in_counts))
    in_degree = np.bincount(post, minlength=len(out_counts))
    return float(np.dot(in_counts, out_degree) + np.dot(out_counts, in_degree))


def _readout(m, duration_s):
    in_counts = np.asarray(m["in_mon"].count[:], dtype=float)
    out_counts = np.asarray(m["out_mon"].count[:], dtype=float)
    w = np.asarray(m["synapses"].w[:], dtype=float)
    return {
        "n_synapses": int(w.size),
        "input_rate_hz": float(in_counts.mean()),
        "output_rate_hz": float(out_counts.mean()),
        "w_mean_over_gmax": float(w.mean() / GMAX),
        "synaptic_events": _events(in_counts, out_counts, m["pre"], m["post"]),
        "fingerprint": [int(out_counts.sum()), float(w.sum()).hex()],
    }


def _run(builder, snnlearn, device, duration_s, n_post, seed, threads, n_in, **build_kwargs):
    from brian2 import second

    _, out = timed_brian_run(lambda: builder(n_post, seed=seed, n_in=n_in, **build_kwargs),
                             lambda m: _readout(m, duration_s),
                             duration_s * second, device=device, seed=seed, snnlearn=snnlearn, threads=threads)
    out["input_rate_hz"] /= duration_s
    out["output_rate_hz"] /= duration_s
    return out


def run_snnlearn(device="cpp_standalone", duration_s=10.0, n_post=1000, seed=1, threads=0, n_in=N_IN,
                 per_spike_inputs=False):
    """The snnlearn network (:func:`build_snnlearn`) on ``device``: timings, rates, events, fingerprint."""
    return _run(build_snnlearn, True, device, duration_s, n_post, seed, threads, n_in,
                per_spike_inputs=per_spike_inputs)


def run_brian2(device="cpp_standalone", duration_s=10.0, n_post=1000, seed=1, threads=0, n_in=N_IN):
    """The hand-written network (:func:`build_plain`) on ``device``; same outputs as :func:`run_snnlearn`."""
    return _run(build_plain, False, device, duration_s, n_post, seed, threads, n_in)


def run_nest(duration_s=10.0, n_post=1000, seed=1, threads=1, n_in=N_IN):
    """The same network in NEST 3 (``iaf_cond_exp`` + ``stdp_synapse``), same connectivity and initial weights."""
    import time

    ph = Phases()
    with ph("setup"):
        pre, post, w0 = connectivity(n_post, n_in=n_in, seed=seed)
        nest = nest_reset(threads=threads, resolution_ms=0.1, seed=seed)
        g_L = 10.0
        neurons = nest.Create("iaf_cond_exp", n_post, params={
            "C_m": 10.0 * g_L, "g_L": g_L, "E_L": -74.0, "V_th": -54.0, "V_reset": -60.0, "t_ref": 0.0,
            "E_ex": 0.0, "tau_syn_ex": 5.0, "V_m": -74.0, "tau_minus": 20.0})
        gen = nest.Create("poisson_generator", params={"rate": RATE_HZ})
        parrots = nest.Create("parrot_neuron", n_in)
        nest.Connect(gen, parrots, "all_to_all")
        first_parrot, first_neuron = parrots[0].global_id, neurons[0].global_id
        wmax = GMAX * g_L
        nest.Connect(pre.astype(np.int64) + first_parrot, post.astype(np.int64) + first_neuron, "one_to_one",
                     syn_spec={"synapse_model": "stdp_synapse", "weight": w0 * g_L, "delay": np.full(pre.size, 0.1),
                               **{k: np.full(pre.size, v) for k, v in (("Wmax", wmax), ("lambda", 0.01),
                                  ("alpha", 1.05), ("mu_plus", 0.0), ("mu_minus", 0.0), ("tau_plus", 20.0))}})
        rec_in = nest.Create("spike_recorder")
        rec_out = nest.Create("spike_recorder")
        nest.Connect(parrots, rec_in)
        nest.Connect(neurons, rec_out)
    with ph("run"):
        t = time.perf_counter()
        nest.Simulate(duration_s * 1000.0)
        wall = time.perf_counter() - t
    with ph("readout"):
        ev_in = rec_in.get("events")["senders"] - first_parrot
        ev_out = rec_out.get("events")["senders"] - first_neuron
        in_counts = np.bincount(ev_in, minlength=n_in).astype(float)
        out_counts = np.bincount(ev_out, minlength=n_post).astype(float)
        # every connection minus generator -> parrots and the two recorders' inputs
        n_syn = int(nest.GetKernelStatus("num_connections")) - 2 * n_in - n_post
    return {
        "n_synapses": n_syn, "input_rate_hz": float(in_counts.mean() / duration_s),
        "output_rate_hz": float(out_counts.mean() / duration_s),
        "synaptic_events": _events(in_counts, out_counts, pre, post),
        "compile_s": 0.0, "run_s": wall, "loop_s": nest_loop_time(nest, wall),
        "setup_s": ph.times["setup"], "total_s": ph.total(), "device": f"nest {threads} thread(s)",
    }
