"""Case ``da_network``: Izhikevich (2007) distal-reward network, dopamine-modulated STDP, 10 s.

The author's ``daspnet.m`` (docs/validation.md, Izhikevich 2007): 1000 Izhikevich neurons (800
excitatory RS, 200 inhibitory FS), 100 random targets each, 80 000 plastic excitatory
synapses under DA-STDP (eligibility tau_c = 1 s, dopamine tau_d = 0.2 s, weight update
every 10 ms, bounds [0, 4]), 20 000 fixed inhibitory ones, random thalamic input every
millisecond, dt = 1 ms, and the reward chain: when neuron n2 fires within 20 ms after
n1, dopamine +0.5 arrives 1-3 s later.

Implementations:

* :func:`run_snnlearn` -- ``models/izhikevich2007.py`` (``build_distal_reward`` with one
  rewarded copy: ``sl.connect`` + ``sl.rules.da_stdp``, the reward chain from
  ``snnlearn.modulators``). If that model does not import, the same network is built
  here with ``sl.connect`` and the DA-STDP rule declared as an ``sl.Rule``
  (:func:`da_stdp_rule`); the result says which (``snnlearn_source``);
* :func:`run_brian2` -- the same network written out in plain Brian2 (the Izhikevich neuron
  equations are shared with ``models/izhikevich2007.py``: the comparison is about the plastic
  synapses and the reward chain)
  (:func:`build_plain_da`), object by object with the same names, so that with the same
  seed both produce identical spikes and weights;
* :func:`run_nest` -- NEST 3: ``izhikevich`` neurons (``consistent_integration=False``,
  the paper's numerics), resolution 1 ms, every delay 1 ms (NEST's minimum),
  ``stdp_dopamine_synapse`` with a ``volume_transmitter`` (its ``deliver_interval``
  is a parameter: 1 = every millisecond, NEST's default, or 10), the same connectivity,
  the thalamic input as a ``noise_generator`` of the same variance (13/sqrt(12)), and the
  rewards as a Poisson dopamine source at the reward rate of the task (0.05 Hz, about
  180 per hour, docs/validation.md): NEST has no in-simulation pairing detector, so its reward
  *times* differ; the costs they cause do not.
"""

import math

import numpy as np

from snnlearn.models.izhikevich2007 import IZHIKEVICH_NEURON, IZHIKEVICH_UPDATE, M_SYN, N_EXC, N_INH

from .common import Phases, nest_loop_time, nest_reset, timed_brian_run

__all__ = ["build_plain_da", "build_snnlearn_da", "da_stdp_rule", "run_snnlearn", "run_brian2", "run_nest"]

N = N_EXC + N_INH
TAU_STDP_MS = -1.0 / math.log(0.95)   # daspnet: traces decay by 0.95 per ms
TAU_C_MS = -10.0 / math.log(0.99)     # sd decays by 0.99 every 10 ms
TAU_DA_MS = -1.0 / math.log(0.995)    # DA decays by 0.995 per ms
REWARD_RATE_HZ = 0.05

DA_STDP_MODEL = """
dapre/dt = -apre / taupre : 1 (event-driven)
dapost/dt = -apost / taupost : 1 (event-driven)
c : 1
"""


def _rule_params():
    from brian2 import ms

    # the same floating-point expressions as snnlearn.rules.neuromodulated (identical constants to the last bit)
    tau_stdp = -1 * ms / math.log(0.95)
    return dict(Ap=0.1 / 0.95, Am=0.15, taupre=tau_stdp, taupost=tau_stdp, tau_c=-10 * ms / math.log(0.99),
                update_dt=10 * ms, tonic=0.002, wmin=0.0, wmax=4.0)


def da_stdp_rule():
    """The DA-STDP rule (daspnet discretisation) declared as an ``sl.Rule`` (fallback when the catalog lacks it)."""
    import snnlearn as sl
    from brian2 import ms

    return sl.Rule("da_stdp_bench", model=DA_STDP_MODEL, on_pre="c -= apost\napre = Ap", on_post="c += apre\napost = Am",
                   regular="w = clip(w + (d + tonic) * c, wmin, wmax)\nc = c * exp(-update_dt / tau_c)",
                   regular_dt=10 * ms, modulators=("d",), params=_rule_params(),
                   doc="Dopamine-modulated STDP, daspnet.m discretisation (Izhikevich 2007).",
                   reference="Izhikevich (2007) Cereb Cortex 17:2443")


def connectivity(seed):
    """daspnet's targets: ``(exc_i, exc_j, inh_i, inh_j)`` (as ``models/izhikevich2007._copy_connectivity``)."""
    rng = np.random.default_rng(seed)
    exc_post = rng.integers(0, N, size=(N_EXC, M_SYN))
    inh_post = rng.integers(0, N_EXC, size=(N_INH, M_SYN))
    return (np.repeat(np.arange(N_EXC), M_SYN), exc_post.ravel(), N_EXC + np.repeat(np.arange(N_INH), M_SYN),
            inh_post.ravel())


#: Weight updates of the hand-written variants: without a learning switch (plain Brian2), with snnlearn's
#: switch written by hand ("blend": w = p*w_new + (1-p)*w), or with the switch on the increment only.
GATES = {
    None: "w = clip(w + (d + tonic) * c, wmin, wmax)",
    "blend": "w_new1 = clip(w + (d + tonic) * c, wmin, wmax)\nw = plasticity * w_new1 + (1 - plasticity) * w",
    "increment": "w = clip(w + plasticity * ((d + tonic) * c), wmin, wmax)",
}


def build_plain_da(seed=1, plastic_factory=None, gate=None):
    """The distal-reward network (one copy, rewarded by pairing) in plain Brian2.

    Mirrors ``models/izhikevich2007.build_distal_reward([Condition(seed)])``: the same
    groups, synapses, reward chain (coincidence detector, random 1-3 s delay line of 16
    slots, dopamine delivery), monitors and object names. ``plastic_factory(neurons,
    dopamine, i, j, w0)`` may replace the hand-written plastic synapses (used for the
    snnlearn fallback). ``gate`` selects the weight update of :data:`GATES` (a learning switch
    ``plasticity``, a shared variable equal to 1, for the two gated forms). Returns a dict with ``net``, ``plastic``, ``counts`` (a spike
    counter on the neurons), ``rewards`` (SpikeMonitor of the deliveries), ``pre``, ``post``.
    """
    from brian2 import (Network, NeuronGroup, SpikeMonitor, StateMonitor, Synapses, linked_var, ms, second)

    DT = 1 * ms
    neurons = NeuronGroup(N, IZHIKEVICH_NEURON, threshold="v >= 30", reset="v = -65\nu = u + dreset", dt=DT,
                          name="izh")
    is_exc = np.r_[np.ones(N_EXC, bool), np.zeros(N_INH, bool)]
    neurons.a = np.where(is_exc, 0.02, 0.1)
    neurons.dreset = np.where(is_exc, 8.0, 2.0)
    neurons.v = -65.0
    neurons.u = 0.2 * -65.0
    neurons.run_regularly(IZHIKEVICH_UPDATE, dt=DT, when="end", name="izh_update")

    exc_i, exc_j, inh_i, inh_j = connectivity(seed)
    rewarded, n2 = 0, int(exc_j[0])
    dopamine = NeuronGroup(N, "dd/dt = -d / tau_mod : 1", method="exact",
                           namespace={"tau_mod": -1 * ms / math.log(0.995)},
                           name="dopamine", dt=DT)
    w0 = np.ones(exc_i.size)
    w0[rewarded] = 0.0
    if plastic_factory is not None:
        plastic = plastic_factory(neurons, dopamine, exc_i, exc_j, w0)
    else:
        switch = "\nplasticity : 1 (shared)" if gate else ""
        plastic = Synapses(neurons, neurons, model=DA_STDP_MODEL + "w : 1\nd : 1 (linked)" + switch,
                           on_pre="Isyn_post += w\nc -= apost\napre = Ap", on_post="c += apre\napost = Am",
                           namespace=_rule_params(), dt=DT, name="exc_da_stdp")
        plastic.connect(i=exc_i, j=exc_j)
        plastic.d = linked_var(dopamine, "d", index="_postsynaptic_idx")
        plastic.w = w0
        if gate:
            plastic.plasticity = 1.0
        plastic.run_regularly(GATES[gate] + "\nc = c * exp(-update_dt / tau_c)", dt=10 * ms, name="exc_da_stdp_regular")
    plastic.post.order = -2
    inhibitory = Synapses(neurons, neurons, on_pre="Isyn_post += -1.0", dt=DT, name="inh")
    inhibitory.connect(i=inh_i, j=inh_j)

    # reward chain: pairing detector -> random delay line -> dopamine
    det = NeuronGroup(1, "t_first : second\nhit : 1", threshold="hit > 0.5", reset="hit = 0", name="pairing_0", dt=DT)
    det.t_first = -1e6 * second
    s_pre = Synapses(neurons, det, on_pre="t_first_post = t", name="pairing_0_pre")
    s_pre.connect(i=0, j=0)
    s_post = Synapses(neurons, det, on_pre="hit_post = int(t - t_first_post < window_cd and t > t_first_post)",
                      namespace={"window_cd": 20 * ms}, name="pairing_0_post")
    s_post.connect(i=n2, j=0)
    s_pre.pre.order = -2
    s_post.pre.order = -1
    n_slots = 16
    sched = NeuronGroup(1, "go : 1\nnext_slot : integer", threshold="go > 0.5",
                        reset="go = 0\nnext_slot = (next_slot + 1) % n_slots_rd", namespace={"n_slots_rd": n_slots},
                        name="reward_delay_0_scheduler", dt=DT)
    into = Synapses(det, sched, on_pre="go_post = 1", name="reward_delay_0_in")
    into.connect()
    timers = NeuronGroup(n_slots, "t_fire : second", threshold="t >= t_fire", reset="t_fire = 1e9*second",
                         name="reward_delay_0_timers", dt=DT)
    timers.t_fire = 1e9 * second
    assign = Synapses(sched, timers,
                      on_pre="t_fire_post = int(j == next_slot_pre) * (t - dt + dmin_rd + "
                             "ceil((dmax_rd - dmin_rd) * rand() / dt) * dt) + int(j != next_slot_pre) * t_fire_post",
                      namespace={"dmin_rd": 1 * second, "dmax_rd": 3 * second}, name="reward_delay_0_assign")
    assign.connect()
    delivery = Synapses(timers, dopamine, on_pre="d_post += amount_mod", namespace={"amount_mod": 0.5},
                        name="da_delivery_0")
    delivery.connect(i=np.repeat(np.arange(n_slots), N), j=np.tile(np.arange(N), n_slots))

    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(exc_i.size, 1000, replace=False))
    w_rewarded = StateMonitor(plastic, "w", record=[rewarded], dt=10 * second, name="w_rewarded")
    w_sample = StateMonitor(plastic, "w", record=sample, dt=10 * second, name="w_sample")
    da = StateMonitor(dopamine, "d", record=[0], dt=10 * ms, name="da_trace")
    rewards = SpikeMonitor(timers, name="rewards_0")
    pairings = SpikeMonitor(det, name="pairings_0")
    raster = SpikeMonitor(neurons, record=True, name="raster")
    raster.active = False
    counts = SpikeMonitor(neurons, record=False, name="spike_counts")
    net = Network(neurons, dopamine, plastic, inhibitory, det, s_pre, s_post, sched, into, timers, assign, delivery,
                  w_rewarded, w_sample, da, rewards, pairings, raster, counts)
    return {"net": net, "plastic": plastic, "counts": counts, "rewards": rewards, "pre": exc_i, "post": exc_j,
            "inh_pre": inh_i, "inh_post": inh_j}


def build_snnlearn_da(seed=1):
    """The network through snnlearn: ``models/izhikevich2007`` if it imports, else :func:`build_plain_da` with
    the plastic synapses made by ``sl.connect`` and :func:`da_stdp_rule`. Returns the dict of
    :func:`build_plain_da` plus ``source`` (which of the two)."""
    from brian2 import SpikeMonitor, ms

    try:
        from snnlearn.models.izhikevich2007 import Condition, build_distal_reward
    except ImportError:
        build_distal_reward = None
    if build_distal_reward is not None:
        m = build_distal_reward([Condition(seed=seed)])
        counts = SpikeMonitor(m["neurons"], record=False, name="spike_counts")
        m["net"].add(counts)
        exc_i, exc_j, inh_i, inh_j = connectivity(seed)
        rewards = m["monitors"].get("rewards")
        return {"net": m["net"], "plastic": m["plastic"], "counts": counts,
                "rewards": rewards[0] if isinstance(rewards, list) else rewards, "pre": exc_i, "post": exc_j,
                "inh_pre": inh_i, "inh_post": inh_j, "source": "models/izhikevich2007.py"}

    import snnlearn as sl

    def factory(neurons, dopamine, i, j, w0):
        return sl.connect(neurons, neurons, da_stdp_rule(), transmit="Isyn_post += w", connect={"i": i, "j": j},
                          w=w0, modulators={"d": (dopamine, "d", "post")}, dt=1 * ms, name="exc_da_stdp")

    m = build_plain_da(seed, plastic_factory=factory)
    m["source"] = "benchmarks/da_network.py (sl.Rule declared here)"
    return m


def _events(counts, pre, post, inh_pre, inh_post):
    """Presynaptic events on all synapses plus postsynaptic events on the plastic ones."""
    out_degree = np.bincount(np.r_[pre, inh_pre], minlength=N)
    in_degree = np.bincount(post, minlength=N)
    return float(np.dot(counts, out_degree) + np.dot(counts, in_degree))


def _readout(m, duration_s):
    counts = np.asarray(m["counts"].count[:], dtype=float)
    w = np.asarray(m["plastic"].w[:], dtype=float)
    n_rewards = int(m["rewards"].num_spikes) if m.get("rewards") is not None else None
    return {
        "rate_hz": float(counts.mean() / duration_s),
        "n_rewards": n_rewards,
        "w_mean": float(w.mean()),
        "synaptic_events": _events(counts, m["pre"], m["post"], m["inh_pre"], m["inh_post"]),
        "fingerprint": [int(counts.sum()), float(w.sum()).hex()],
    }


def _run(builder, snnlearn, device, duration_s, seed, threads):
    from brian2 import second

    m, out = timed_brian_run(lambda: builder(seed), lambda m: _readout(m, duration_s), duration_s * second,
                             device=device, seed=seed, snnlearn=snnlearn, threads=threads,
                             imports=("snnlearn.models.izhikevich2007",))
    if m.get("source"):
        out["snnlearn_source"] = m["source"]
    out["n_plastic_synapses"] = int(len(m["pre"]))
    return out


def run_snnlearn(device="cpp_standalone", duration_s=10.0, seed=1, threads=0):
    """:func:`build_snnlearn_da` on ``device``: timings, rate, rewards, events, fingerprint."""
    return _run(build_snnlearn_da, True, device, duration_s, seed, threads)


def run_brian2(device="cpp_standalone", duration_s=10.0, seed=1, threads=0, gate=None):
    """:func:`build_plain_da` on ``device`` (``gate``: see :data:`GATES`); same outputs as :func:`run_snnlearn`."""
    import functools

    builder = functools.partial(build_plain_da, gate=gate) if gate else build_plain_da
    return _run(builder, False, device, duration_s, seed, threads)


def run_nest(duration_s=10.0, seed=1, threads=1, deliver_interval=1):
    """The network in NEST 3 with ``stdp_dopamine_synapse`` and a ``volume_transmitter`` (see the module docstring)."""
    import time

    ph = Phases()
    with ph("setup"):
        exc_i, exc_j, inh_i, inh_j = connectivity(seed)
        nest = nest_reset(threads=threads, resolution_ms=1.0, seed=seed)
        common = {"b": 0.2, "c": -65.0, "V_m": -65.0, "U_m": -13.0, "V_th": 30.0, "consistent_integration": False,
                  "tau_minus": TAU_STDP_MS}
        exc = nest.Create("izhikevich", N_EXC, params={**common, "a": 0.02, "d": 8.0})
        inh = nest.Create("izhikevich", N_INH, params={**common, "a": 0.1, "d": 2.0})
        neurons = exc + inh
        noise = nest.Create("noise_generator", params={"mean": 0.0, "std": 13.0 / math.sqrt(12.0), "dt": 1.0})
        nest.Connect(noise, neurons, "all_to_all")
        vt = nest.Create("volume_transmitter", params={"deliver_interval": int(deliver_interval)})
        # NEST: dw/dt = c (n - b); snnlearn: ds/dt = c (d + tonic)/update_dt, so n = d * (1 ms/10 ms)
        nest.CopyModel("stdp_dopamine_synapse", "da_stdp_bench", {
            "volume_transmitter": vt, "A_plus": 0.1, "A_minus": 0.15, "tau_plus": TAU_STDP_MS, "tau_c": TAU_C_MS,
            "tau_n": TAU_DA_MS, "b": -0.002 * 0.1, "Wmin": 0.0, "Wmax": 4.0})
        first = neurons[0].global_id
        w0 = np.ones(exc_i.size)
        w0[0] = 0.0
        nest.Connect(exc_i.astype(np.int64) + first, exc_j.astype(np.int64) + first, "one_to_one",
                     syn_spec={"synapse_model": "da_stdp_bench", "weight": w0, "delay": np.ones(exc_i.size)})
        nest.Connect(inh_i.astype(np.int64) + first, inh_j.astype(np.int64) + first, "one_to_one",
                     syn_spec={"weight": -np.ones(inh_i.size), "delay": np.ones(inh_i.size)})
        reward = nest.Create("poisson_generator", params={"rate": REWARD_RATE_HZ})
        da_neuron = nest.Create("parrot_neuron")
        nest.Connect(reward, da_neuron)
        nest.Connect(da_neuron, vt)
        rec = nest.Create("spike_recorder")
        nest.Connect(neurons, rec)
    with ph("run"):
        t = time.perf_counter()
        nest.Simulate(duration_s * 1000.0)
        wall = time.perf_counter() - t
    with ph("readout"):
        senders = rec.get("events")["senders"] - first
        counts = np.bincount(senders, minlength=N).astype(float)
        w = np.asarray(nest.GetConnections(synapse_model="da_stdp_bench").get("weight"), dtype=float)
    return {
        "rate_hz": float(counts.mean() / duration_s), "w_mean": float(w.mean()),
        "n_plastic_synapses": int(w.size),
        "synaptic_events": _events(counts, exc_i, exc_j, inh_i, inh_j),
        "compile_s": 0.0, "run_s": wall, "loop_s": nest_loop_time(nest, wall),
        "setup_s": ph.times["setup"], "total_s": ph.total(),
        "device": f"nest {threads} thread(s), deliver_interval={deliver_interval}",
    }
