"""Song, Miller & Abbott (2000): one conductance-based LIF neuron driven by Poisson inputs
through additive STDP.

Several independent copies ("blocks") run side by side in one network, each a
neuron with its own 1000 excitatory inputs (plastic) and 200 inhibitory inputs
(fixed), so that several input rates and correlation conditions share one compiled
program. Parameters (docs/validation.md, Song et al. 2000): tau_m = 20 ms, V_rest = -70 mV,
E_ex = 0 mV, E_in = -70 mV, V_th = -54 mV, V_reset = -60 mV, tau_ex = tau_in = 5 ms;
conductances in units of the leak: g_max = 0.015, g_in = 0.05; A+ = 0.005 g_max,
A-/A+ = 1.05, tau+ = tau- = 20 ms; weights start at g_max.

Correlated inputs: each copies each spike of a shared "mother" Poisson train of the
same rate with probability c, and fires its own independent spikes at (1 - c) times
the rate, so that pairwise spike-count correlations are about c. The copying is
Brian2 code (a synaptic pathway from the mother), not precomputed spike lists.
"""

from dataclasses import dataclass

import numpy as np
from brian2 import (Hz, NeuronGroup, Network, PoissonGroup, PoissonInput, SpikeMonitor, StateMonitor, Synapses,
                    mV, ms, second)

import snnlearn as sl

__all__ = ["SONG_NEURON", "Block", "song_rule", "build_song_network", "run_time_values"]

SONG_NEURON = """
dv/dt = (V_rest - v + ge * (E_ex - v) + gi * (E_in - v)) / tau_m : volt (unless refractory)
dge/dt = -ge / tau_ex : 1
dgi/dt = -gi / tau_in : 1
"""

NEURON_PARAMS = dict(tau_m=20 * ms, V_rest=-70 * mV, E_ex=0 * mV, E_in=-70 * mV, V_th=-54 * mV, V_reset=-60 * mV,
                     tau_ex=5 * ms, tau_in=5 * ms)


@dataclass(frozen=True)
class Block:
    """One independent copy of the model: its input rate and input correlation.

    rate : excitatory input rate; c : correlation of the correlated inputs;
    corr_fraction : fraction of the excitatory inputs that are correlated (the first ones).
    """

    rate: object
    c: float = 0.0
    corr_fraction: float = 0.0


def song_rule(gmax=0.015, Ap_ratio=0.005, depression_ratio=1.05, taupre=20 * ms, taupost=20 * ms):
    """The paper's additive STDP: A+ = Ap_ratio * gmax, A- = depression_ratio * A+."""
    Ap = Ap_ratio * gmax
    return sl.rules.stdp_additive(Ap=Ap, Am=depression_ratio * Ap, taupre=taupre, taupost=taupost, wmax=gmax)


def build_song_network(blocks, rule, n_exc=1000, n_inh=200, inh_rate=10 * Hz, g_in=0.05, w0=None,
                       record_dt=100 * second, dt=0.1 * ms, variable_params=(), test_phase=None):
    """Build the network for a list of :class:`Block`.

    Returns a dict with the ``Network`` (``net``) and its parts: ``inputs`` (the
    excitatory input group, block b owns indices ``b*n_exc ... (b+1)*n_exc - 1``),
    ``neurons``, ``synapses`` (plastic; synapse k belongs to input k), ``spikes``
    (output SpikeMonitor), ``weights`` (StateMonitor of w every ``record_dt``),
    ``mother`` (the correlated inputs' mother trains, or None).

    variable_params : rule parameters made shared variables of the synapses instead of
        constants (``sl.connect(variable_params=...)``), so that a compiled program can
        be run with other values (:func:`run_time_values`).
    test_phase : (start, rate), optional
        The frozen-weights control inside the same run: from simulated time ``start``
        on, learning is switched off (``sl.plasticity_schedule``) and block 0's inputs
        fire at ``rate`` (the shared variable ``inputs.test_rate``), both by
        ``run_regularly`` operations, so no Python runs between the phases.
    """
    if not blocks:
        raise ValueError("build_song_network: need at least one block")
    K = len(blocks)
    gmax = rule.params["wmax"]
    w0 = gmax if w0 is None else w0
    rates = np.repeat([float(b.rate / Hz) for b in blocks], n_exc) * Hz
    c = np.zeros(K * n_exc)
    for b, blk in enumerate(blocks):
        if not 0 <= blk.c <= 1 or not 0 <= blk.corr_fraction <= 1:
            raise ValueError(f"block {b}: c and corr_fraction must lie in [0, 1], got {blk.c}, {blk.corr_fraction}")
        n_corr = int(round(blk.corr_fraction * n_exc)) if blk.c > 0 else 0
        c[b * n_exc: b * n_exc + n_corr] = blk.c

    input_model = "rate : Hz\nc : 1\ncopy : 1" + ("\ntest_rate : Hz (shared)" if test_phase is not None else "")
    input_namespace = {} if test_phase is None else {"test_start": test_phase[0], "n_test": n_exc}
    inputs = NeuronGroup(K * n_exc, input_model, threshold="copy > 0.5 or rand() < rate * (1 - c) * dt",
                         reset="copy = 0", dt=dt, name="song_inputs", namespace=input_namespace)
    inputs.rate = rates
    inputs.c = c
    neurons = NeuronGroup(K, SONG_NEURON, threshold="v > V_th", reset="v = V_reset", refractory=0 * ms,
                          method="euler", namespace=dict(NEURON_PARAMS), dt=dt, name="song_neurons")
    neurons.v = NEURON_PARAMS["V_rest"]
    objects = [inputs, neurons]

    mother = None
    if np.any(c > 0):
        mother = PoissonGroup(K, rates=[float(b.rate / Hz) for b in blocks] * Hz, dt=dt, name="song_mother")
        copy = Synapses(mother, inputs, on_pre="copy_post = int(rand() < c_post)", dt=dt, name="song_copy")
        src, tgt = np.nonzero(c.reshape(K, n_exc) > 0)
        copy.connect(i=src, j=src * n_exc + tgt)
        objects += [mother, copy]

    pre = np.arange(K * n_exc)
    S = sl.connect(inputs, neurons, rule, transmit="ge_post += w", connect={"i": pre, "j": pre // n_exc},
                   w=w0, dt=dt, name="song_stdp", variable_params=variable_params)
    if test_phase is not None:
        start, test_rate = test_phase
        inputs.test_rate = test_rate
        sl.plasticity_schedule(S, [1, 0], start)
        # at t = 0 nothing changes; at t = start (and later ticks) block 0's inputs switch to test_rate
        inputs.run_regularly("rate = int(t > 0.5*test_start and i < n_test) * test_rate"
                             " + int(not (t > 0.5*test_start and i < n_test)) * rate",
                             dt=start, when="start", name="song_test_phase")
    inhibition = PoissonInput(neurons, "gi", N=n_inh, rate=inh_rate, weight=g_in)
    spikes = SpikeMonitor(neurons, name="song_spikes")
    weights = StateMonitor(S, "w", record=True, dt=record_dt, name="song_weights")
    objects += [S, inhibition, spikes, weights]
    net = Network(*objects)
    return {"net": net, "inputs": inputs, "neurons": neurons, "synapses": S, "spikes": spikes, "weights": weights,
            "n_exc": n_exc, "blocks": list(blocks), "mother": mother, "rule": rule, "w0": w0}


def run_time_values(m, blocks, rule, w0=None, test_rate=None):
    """Every value of a built network that depends on the blocks' rates and correlations, the rule's
    variable parameters, the initial weight and the test-phase rate, as Brian2 ``run_args``.

    ``m`` is what :func:`build_song_network` returned (possibly for other values, with
    the same structure: number of blocks, which blocks have correlated inputs, the same
    ``variable_params``); running its compiled program with these ``run_args`` gives the
    network :func:`build_song_network` would build for ``blocks``, ``rule``, ``w0`` and
    ``test_rate``.
    """
    n_exc, K = m["n_exc"], len(blocks)
    if K != len(m["blocks"]):
        raise ValueError(f"run_time_values: the network has {len(m['blocks'])} blocks, got {K}")
    c = np.zeros(K * n_exc)
    for b, blk in enumerate(blocks):
        n_corr = int(round(blk.corr_fraction * n_exc)) if blk.c > 0 else 0
        c[b * n_exc: b * n_exc + n_corr] = blk.c
    if (m["mother"] is not None) != bool(np.any(c > 0)):
        raise ValueError("run_time_values: correlated inputs change the network's structure; rebuild it")
    inputs, S = m["inputs"], m["synapses"]
    values = {inputs.rate: np.repeat([float(b.rate / Hz) for b in blocks], n_exc) * Hz, inputs.c: c}
    if m["mother"] is not None:
        values[m["mother"].rates] = [float(b.rate / Hz) for b in blocks] * Hz
    for name in rule.params:
        if name in S.variables:  # a variable parameter (the others are compiled constants: structure)
            values[getattr(S, name)] = rule.params[name]
    values[S.w] = rule.params["wmax"] if w0 is None else w0
    if test_rate is not None:
        values[inputs.test_rate] = test_rate
    return values


def output_rates(spikes, n_blocks, t_start, t_stop):
    """Output rate (Hz) of each block's neuron over [t_start, t_stop) (times in seconds)."""
    t = np.array(spikes.t[:] / second)
    i = np.array(spikes.i[:])
    sel = (t >= t_start) & (t < t_stop)
    counts = np.bincount(i[sel], minlength=n_blocks)
    return counts / (t_stop - t_start)


def isi_cv(spikes, block, t_start, t_stop):
    """Coefficient of variation of the inter-spike intervals of one block's neuron."""
    t = np.array(spikes.t[:] / second)
    i = np.array(spikes.i[:])
    ts = np.sort(t[(i == block) & (t >= t_start) & (t < t_stop)])
    if ts.size < 3:
        return float("nan")
    isi = np.diff(ts)
    return float(isi.std() / isi.mean())
