"""Third-factor rules and signals: the eligibility x dopamine kernel, rule validation, and the
reward machinery of snnlearn.modulators (fast tests, numpy target).

The slow scientific reproductions are in test_third_factor_learning.py (perturbation rules,
gradient direction, compiled training), test_reward_baseline.py (Frémaux et al. 2010),
test_distal_reward.py (Izhikevich 2007) and test_third_factor_nest.py (NEST cross-check).
"""

import contextlib
import math

import numpy as np
import pytest
from brian2 import (Hz, ms, Network, NeuronGroup, SpikeGeneratorGroup, SpikeMonitor, StateMonitor, defaultclock,
                    second)

import snnlearn as sl
from snnlearn.modulators import (RewardCircuit, TrialSchedule, coincidence_detector, deliver, neuromodulator,
                                 random_delay)
from snnlearn.rules.neuromodulated import DASPNET_TAU_C, DASPNET_TAU_DA, DASPNET_TAU_STDP

@contextlib.contextmanager
def _clock(dt):
    """Set Brian2's default time step for a block and restore the previous one."""
    old = defaultclock.dt
    defaultclock.dt = dt
    try:
        yield
    finally:
        defaultclock.dt = old


THIRD_FACTOR = ("da_stdp", "reward_stdp", "node_perturbation", "weight_perturbation", "serial_perturbation",
                "reinforce")


# ----------------------------------------------------------------------------------- I1: the kernel
def _kernel_network(blocks, t_pair=100.0):
    """One synapse per (rule, delay): a pre/post pairing (post - pre = lag_ms) and a dopamine pulse of 0.5
    D after the later spike. All blocks share the spike sources and the dopamine group (one element per
    synapse); each rule gets its own Synapses. Returns {name: Synapses} and the objects."""
    t_pre, t_post, t_da, ranges = [], [], [], {}
    for name, (rule, delays, lag_ms) in blocks.items():
        k0 = len(t_pre)
        for D in delays:
            tp = t_pair if lag_ms >= 0 else t_pair - lag_ms
            t_pre.append(tp)
            t_post.append(tp + lag_ms)
            t_da.append(max(tp, tp + lag_ms) + 1000 * D)
        ranges[name] = np.arange(k0, len(t_pre))
    K = len(t_pre)
    pre = SpikeGeneratorGroup(K, np.arange(K), np.asarray(t_pre) * ms, name="k_pre")
    post = SpikeGeneratorGroup(K, np.arange(K), np.asarray(t_post) * ms, name="k_post")
    da_src = SpikeGeneratorGroup(K, np.arange(K), np.asarray(t_da) * ms, name="k_da_src")
    dop = neuromodulator(DASPNET_TAU_DA, n=K, name="k_dopamine")
    pulse = deliver(da_src, dop, 0.5, connect={"j": "i"}, name="k_pulse")
    synapses, objects = {}, [pre, post, da_src, dop, pulse]
    for name, (rule, _, _) in blocks.items():
        idx = ranges[name]
        S = sl.connect(pre, post, rule, connect={"i": idx, "j": idx}, w=2.0, modulators={"d": (dop, "d", "post")},
                       name=f"{name}_syn")
        synapses[name] = S
        objects.append(S)
    return synapses, objects


def _no_trace_rule():
    """Dopamine gating STDP at the moment of the spikes, with no eligibility trace."""
    return sl.Rule(
        "da_no_trace",
        model="""
            dapre/dt = -apre/taupre : 1 (event-driven)
            dapost/dt = -apost/taupost : 1 (event-driven)
        """,
        on_pre="w = clip(w - d*apost, wmin, wmax); apre = Ap",
        on_post="w = clip(w + d*apre, wmin, wmax); apost = Am",
        params={"taupre": DASPNET_TAU_STDP, "taupost": DASPNET_TAU_STDP, "Ap": 0.1, "Am": 0.15, "wmin": 0.0,
                "wmax": 4.0},
        modulators=("d",),
    )


@pytest.fixture(scope="module")
def kernel_runs():
    """All I1 conditions side by side in one numpy network at dt = 1 ms (daspnet's step), tonic dopamine 0."""
    with _clock(1 * ms):
        D = np.array([0.5, 1.0, 2.0, 3.0])
        blocks = {
            "causal": (sl.rules.da_stdp(tonic=0.0, tau_c=1 * second), D, +5.0),
            "acausal": (sl.rules.da_stdp(tonic=0.0, tau_c=1 * second), np.array([1.0, 2.0]), -5.0),
            "raw_trace": (sl.rules.da_stdp(tonic=0.0, tau_c=20 * ms), np.array([1.0, 2.0]), +5.0),
            "no_trace": (_no_trace_rule(), np.array([1.0, 2.0]), +5.0),
        }
        synapses, objects = _kernel_network(blocks)
        Network(*objects).run((D.max() + 1.6) * second)  # dopamine has decayed to e^-8
        out = {name: np.asarray(S.w[:]) - 2.0 for name, S in synapses.items()}
        out["D"] = D
        out["c0"] = 0.1 * math.exp(-5 * ms / DASPNET_TAU_STDP)
    return out


def test_eligibility_kernel_decays_with_tau_c(kernel_runs):
    """Check I1 (docs/validation.md; Izhikevich 2007, daspnet parameters, tau_c = 1 s, tau_d = 0.2 s, update every 10 ms,
    dt = 1 ms): one pre->post pairing (+5 ms), one dopamine pulse of 0.5 after D = 0.5, 1, 2, 3 s.
    The slope of log dw against D is -1/tau_c within 10 %; dw(2 s)/dw(1 s) = 0.37 +- 0.03,
    dw(3 s)/dw(1 s) = 0.135 +- 0.02; dw(1 s) is the continuous formula
    (A_DA/dt_upd) c0 e^{-D/tau_c} tau_c tau_d/(tau_c + tau_d) within 10 %."""
    dw, D = kernel_runs["causal"], kernel_runs["D"]
    assert np.all(dw > 0)
    slope = np.polyfit(D, np.log(dw), 1)[0]
    assert abs(slope * 1.0 + 1.0) <= 0.10, f"slope {slope:.3f}/s, expected -1/tau_c = -1/s"
    r2, r3 = dw[2] / dw[1], dw[3] / dw[1]
    assert abs(r2 - 0.37) <= 0.03, r2
    assert abs(r3 - 0.135) <= 0.02, r3
    tc, td = 1.0, float(DASPNET_TAU_DA / second)
    theory = (0.5 / 0.010) * kernel_runs["c0"] * math.exp(-1.0 / tc) * tc * td / (tc + td)
    assert abs(dw[1] / theory - 1) <= 0.10, (dw[1], theory)


def test_reversed_order_depresses(kernel_runs):
    """Post 5 ms before pre, dopamine 1 s and 2 s later: the weight goes down (dw < 0), by the
    same kernel (ratio dw(2 s)/dw(1 s) = 0.37 +- 0.03) and by A-/A+ = 1.5 times the causal change."""
    dw = kernel_runs["acausal"]
    assert np.all(dw < 0), dw
    assert abs(dw[1] / dw[0] - 0.37) <= 0.03
    assert abs(dw[0] / kernel_runs["causal"][1] + 1.5) <= 0.15


def test_without_eligibility_trace_a_delayed_reward_does_nothing(kernel_runs):
    """Dopamine applied to the raw 20-ms STDP trace (da_stdp with tau_c = 20 ms), or gating STDP only at
    the spike times (a rule with no trace), gives dw ~ 0 for D >= 1 s: below 1e-6 of the change
    that the 1-s eligibility trace produces at D = 1 s."""
    ref = kernel_runs["causal"][1]
    assert np.all(np.abs(kernel_runs["raw_trace"]) < 1e-6 * ref), kernel_runs["raw_trace"]
    assert np.all(np.abs(kernel_runs["no_trace"]) < 1e-6 * ref), kernel_runs["no_trace"]


def test_daspnet_constants():
    """The daspnet per-step factors: traces x0.95 per ms, eligibility x0.99 per 10 ms, dopamine x0.995 per ms."""
    assert math.exp(-1 * ms / DASPNET_TAU_STDP) == pytest.approx(0.95, rel=1e-12)
    assert math.exp(-10 * ms / DASPNET_TAU_C) == pytest.approx(0.99, rel=1e-12)
    assert math.exp(-1 * ms / DASPNET_TAU_DA) == pytest.approx(0.995, rel=1e-12)
    rule = sl.rules.da_stdp()
    assert rule.params["Ap"] == 0.1 and rule.params["Am"] == 0.15 and rule.params["tau_c"] == 1 * second
    assert rule.regular_dt == 10 * ms and rule.modulators == ("d",)


# ----------------------------------------------------------------------------------- errors
def _groups():
    G = NeuronGroup(3, "v : 1", threshold="v > 1", reset="v = 0", name="g_pre")
    H = NeuronGroup(2, "v : 1\nrho : Hz\nnoise : 1", threshold="v > 1", reset="v = 0", name="g_post")
    return G, H


@pytest.mark.parametrize("factory, signal", [
    (sl.rules.da_stdp, "d"), (sl.rules.reward_stdp, "R"), (sl.rules.node_perturbation, "R"),
    (sl.rules.weight_perturbation, "R"), (sl.rules.serial_perturbation, "R"), (sl.rules.reinforce, "R"),
])
def test_modulated_rule_without_modulator_names_the_signal(factory, signal):
    G, H = _groups()
    with pytest.raises(sl.RuleError, match=rf"rule '{factory().name}': needs the modulator signal '{signal}'"):
        sl.connect(G, H, factory(), transmit="v_post += w")


def test_partial_modulators_name_the_missing_one():
    G, H = _groups()
    task = NeuronGroup(1, "R : 1\nRbar : 1\nP : 1", name="task_g")
    with pytest.raises(sl.RuleError, match="needs the modulator signal 'P'"):
        sl.connect(G, H, sl.rules.weight_perturbation(), modulators={"R": (task, "R"), "Rbar": (task, "Rbar")})
    with pytest.raises(sl.RuleError, match="needs the modulator signal 'Rbar'"):
        sl.connect(G, H, sl.rules.reward_stdp(baseline=True), modulators={"R": (task, "R")})
    # the raw-reward variant reads R only, and rejects a baseline it does not use
    with pytest.raises(sl.RuleError, match="modulator 'Rbar' given to connect, but the rule reads only"):
        sl.connect(G, H, sl.rules.reward_stdp(baseline=False), modulators={"R": (task, "R"), "Rbar": (task, "Rbar")})


@pytest.mark.parametrize("factory, kwargs, word", [
    (sl.rules.da_stdp, {"tau_c": 0 * ms}, "tau_c"),
    (sl.rules.da_stdp, {"tau_c": -1 * second}, "tau_c"),
    (sl.rules.da_stdp, {"taupre": 0 * ms}, "taupre"),
    (sl.rules.da_stdp, {"update_dt": -10 * ms}, "update_dt"),
    (sl.rules.reward_stdp, {"tau_e": 0 * ms}, "tau_e"),
    (sl.rules.reward_stdp, {"taupost": -20 * ms}, "taupost"),
    (sl.rules.node_perturbation, {"tau_noise": 0 * ms}, "tau_noise"),
    (sl.rules.node_perturbation, {"tau_x": -5 * ms}, "tau_x"),
    (sl.rules.weight_perturbation, {"update_dt": 0 * ms}, "update_dt"),
    (sl.rules.serial_perturbation, {"update_dt": -1 * ms}, "update_dt"),
    (sl.rules.reinforce, {"tau_x": 0 * ms}, "tau_x"),
])
def test_non_positive_time_constant_raises(factory, kwargs, word):
    with pytest.raises(sl.RuleError, match=rf"{word} = .* must be positive"):
        factory(**kwargs)


@pytest.mark.parametrize("factory, kwargs, words", [
    (sl.rules.da_stdp, {"tau_c": 1.0}, "tau_c = 1.0 must be a time"),
    (sl.rules.da_stdp, {"wmin": 4.0, "wmax": 1.0}, "wmin < wmax"),
    (sl.rules.da_stdp, {"Am": -0.1}, "non-negative"),
    (sl.rules.da_stdp, {"pairing": "some"}, "pairing must be"),
    (sl.rules.da_stdp, {"modulator": "2d"}, "modulator must be an identifier"),
    (sl.rules.reward_stdp, {"baseline": "yes"}, "baseline and reset must be True or False"),
    (sl.rules.reward_stdp, {"reward": "R", "expected": "R"}, "must differ"),
    (sl.rules.node_perturbation, {"sigma": 0.0}, "sigma = 0.0 must be positive"),
    (sl.rules.weight_perturbation, {"sigma": -0.1}, "sigma = -0.1 must be positive"),
    (sl.rules.serial_perturbation, {"wmin": 1.0, "wmax": 1.0}, "wmin < wmax"),
    (sl.rules.reinforce, {"rate": "1rho"}, "rate must be the name of a variable"),
])
def test_invalid_parameters_raise_rule_error(factory, kwargs, words):
    with pytest.raises(sl.RuleError, match=words):
        factory(**kwargs)


# ----------------------------------------------------------------------------------- catalog
def test_catalog_has_the_third_factor_rules_with_documentation():
    for name in THIRD_FACTOR:
        factory = sl.rules.CATALOG[name]
        rule = factory()
        assert rule.name == name
        assert rule.modulators, f"{name} reads no modulator"
        doc = factory.__doc__
        for word in ("Equivalent ``Rule``", "parameter", "unit", "Reference"):
            assert word in doc, f"{name}: docstring lacks '{word}'"
        assert sl.Rule.from_json(rule.to_json()) == rule
        assert rule.reference


def test_reward_stdp_baseline_switch_changes_the_modulation():
    assert sl.rules.reward_stdp(baseline=True).modulators == ("R", "Rbar")
    assert "(R - Rbar)" in sl.rules.reward_stdp(baseline=True).regular
    raw = sl.rules.reward_stdp(baseline=False)
    assert raw.modulators == ("R",) and "Rbar" not in raw.regular
    assert "elig = 0" in sl.rules.reward_stdp(reset=True).regular


# ----------------------------------------------------------------------------------- signals
def test_coincidence_detector_and_random_delay():
    """n2 firing 0 < dt < 20 ms after n1 is detected (simultaneous, 20 ms and later are not); each detected
    pairing comes out of the delay line once, 1-3 s later, on the 1-ms grid (Izhikevich's 1000 + ceil(2000 U) ms).
    40 pairings, numpy target, dt = 1 ms."""
    with _clock(1 * ms):
        lags = np.array([5, 0, 19, 20, 25, -3] + [7] * 34)  # post - pre, ms
        t_pre = 100.0 + 150.0 * np.arange(lags.size)
        t_post = t_pre + lags
        src = SpikeGeneratorGroup(2, np.r_[np.zeros(lags.size, int), np.ones(lags.size, int)],
                                  np.r_[t_pre, t_post] * ms, name="pair_src")
        det = coincidence_detector(src, 0, src, 1, window=20 * ms, name="det")
        line = random_delay(det.output, 1 * second, 3 * second, n_slots=32, name="line")
        m_det = SpikeMonitor(det.output, name="m_det")
        m_out = SpikeMonitor(line.output, name="m_out")
        Network(src, *det.objects, *line.objects, m_det, m_out).run((t_pre[-1] + 3500) * ms)
        expected = (lags > 0) & (lags < 20)
        hits_t = np.asarray(m_det.t / ms)
        assert hits_t.size == expected.sum()
        np.testing.assert_allclose(hits_t, t_post[expected] + 1.0)  # the detector fires one step later
        out_t, slot = np.asarray(m_out.t / ms), np.asarray(m_out.i)
        assert out_t.size == expected.sum(), "every pairing is rewarded exactly once"
        # event m goes to slot m % 32; events are 150 ms apart, so a slot is free again before its next event
        ev = t_post[expected]
        delays = np.concatenate([np.sort(out_t[slot == k]) - ev[k::32] for k in range(32)])
        assert np.all((delays > 1000) & (delays <= 3001)), delays  # 1-3 s after the detector (1 ms late)
        assert np.allclose(delays, np.round(delays))


def test_random_delay_distribution():
    """Delays of 200 events (30 ms apart, up to 100 pending) are uniform on (1, 3] s: all within bounds, mean
    2 s within 0.12 s (3 standard errors) and standard deviation 2/sqrt(12) = 0.577 s within 0.1 s."""
    with _clock(1 * ms):
        t_ev = 50.0 + 30.0 * np.arange(200)
        src = SpikeGeneratorGroup(1, np.zeros(t_ev.size, int), t_ev * ms, name="ev_src")
        line = random_delay(src, 1 * second, 3 * second, n_slots=128, name="line2")
        mon = SpikeMonitor(line.output, name="m_line2")
        import brian2
        brian2.seed(5)
        Network(src, *line.objects, mon).run((t_ev[-1] + 3100) * ms)
        out = np.asarray(mon.t / ms)
        assert out.size == t_ev.size
        # match each output to its event through the slot ring buffer (slot k gets events k, k+128, ...)
        d = []
        slots = np.asarray(mon.i)
        for k in range(128):
            d += list(np.sort(out[slots == k]) - t_ev[k::128][: (slots == k).sum()])
        d = np.asarray(d)
        assert np.all((d > 1000) & (d <= 3000)), (d.min(), d.max())
        assert abs(d.mean() - 2000) < 120
        assert abs(d.std() - 577) < 100


def test_neuromodulator_decay_and_delivery():
    """d decays by exactly 0.995 per 1-ms step with tau = -1 ms/ln 0.995, and a delivery adds its amount after the delay."""
    with _clock(1 * ms):
        src = SpikeGeneratorGroup(1, [0], [10] * ms, name="nm_src")
        dop = neuromodulator(DASPNET_TAU_DA, name="nm")
        syn = deliver(src, dop, 0.5, delay=5 * ms, name="nm_del")
        mon = StateMonitor(dop, "d", record=0, name="nm_mon")
        Network(src, dop, syn, mon).run(100 * ms)
        d = np.asarray(mon.d[0])
        k = int(np.flatnonzero(d > 0)[0])
        assert k == 16  # recorded at the start of the step after the delivery at 15 ms
        assert d[k] == pytest.approx(0.5)
        assert d[k + 10] / d[k] == pytest.approx(0.995 ** 10, rel=1e-9)


def test_signal_helpers_reject_bad_input():
    G, H = _groups()
    with pytest.raises(ValueError, match="tau must be positive"):
        neuromodulator(0 * ms)
    with pytest.raises(ValueError, match="delay_min < delay_max"):
        random_delay(G, 3 * second, 1 * second)
    with pytest.raises(ValueError, match="pre_index must be an index"):
        coincidence_detector(G, 7, H, 0)
    with pytest.raises(ValueError, match="has no variable 'dopa'"):
        deliver(G, neuromodulator(1 * second, name="nm_bad"), 0.5, variable="dopa")
    with pytest.raises(ValueError, match="stimuli must be non-negative integers"):
        TrialSchedule(100 * ms, np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="perturbed must be 0/1"):
        TrialSchedule(100 * ms, np.array([0, 1]), perturbed=np.array([0, 2]))
    with pytest.raises(ValueError, match="paired passes need an even n_trials"):
        TrialSchedule.random(3, 2, 100 * ms, np.random.default_rng(0), paired=True)


# ----------------------------------------------------------------------------------- the reward circuit
def _count_outputs(counts, T_ms, name):
    """A spike source whose neuron i fires counts[k, i] spikes in trial k (including at the trial's
    first and last time step), as an 'output group' for the reward circuit."""
    idx, times = [], []
    dt = 1.0
    for k, row in enumerate(counts):
        for i, c in enumerate(row):
            ts = np.linspace(k * T_ms, (k + 1) * T_ms - dt, int(c)) if c > 1 else (
                [k * T_ms + (T_ms - dt) * (i % 2)] if c == 1 else [])
            idx += [i] * len(ts)
            times += list(np.round(ts))
    return SpikeGeneratorGroup(counts.shape[1], idx, np.asarray(times) * ms, name=name)


@pytest.mark.parametrize("baseline", ["none", "global", "per_stimulus", "paired"])
def test_reward_circuit_computes_reward_and_baseline(baseline):
    """Spike counts set by hand (2 outputs, 8 trials of 50 ms, 2 stimuli, dt = 1 ms, spikes on the first and
    last step of a trial included): R = exp(-err/2 sigma^2) with err the summed squared count error, and Rbar
    from the chosen baseline, equal to a numpy recomputation (global / per-stimulus running means start at
    the first reward, alpha = 0.3; paired: the reward of the preceding unperturbed pass)."""
    with _clock(1 * ms):
        rng = np.random.default_rng(1)
        n = 8
        stimuli = np.array([0, 0, 1, 1, 0, 0, 1, 1])
        perturbed = np.tile([0.0, 1.0], n // 2)
        counts = rng.integers(0, 7, size=(n, 2))
        targets = np.array([[3.0, 1.0], [0.0, 5.0]])
        sched = TrialSchedule(50 * ms, stimuli, perturbed)
        out = _count_outputs(counts, 50.0, name=f"cnt_{baseline}")
        circ = RewardCircuit(out, sched, targets, reward="gaussian", sigma=2.0, baseline=baseline, alpha=0.3,
                             name=f"task_{baseline}")
        mons = circ.record()
        Network(out, *circ.objects, *mons).run(sched.run_time(1 * ms))
        r = circ.results()
        err = ((counts - targets[stimuli]) ** 2).sum(axis=1)
        R = np.exp(-err / 8.0)
        np.testing.assert_array_equal(r["count"], counts)
        np.testing.assert_allclose(r["err"], err)
        np.testing.assert_allclose(r["R"], R)
        np.testing.assert_array_equal(r["stimulus"], stimuli)
        np.testing.assert_array_equal(r["perturbed"], perturbed)
        Rbar = np.zeros(n)
        if baseline == "global":
            v = None
            for k in range(n):
                Rbar[k] = R[k] if v is None else v
                v = R[k] if v is None else v + 0.3 * (R[k] - v)
        elif baseline == "per_stimulus":
            v = {}
            for k in range(n):
                s = stimuli[k]
                Rbar[k] = v.get(s, R[k])
                v[s] = R[k] if s not in v else v[s] + 0.3 * (R[k] - v[s])
        elif baseline == "paired":
            r0 = 0.0
            for k in range(n):
                Rbar[k] = r0 if perturbed[k] else R[k]
                r0 = r0 if perturbed[k] else R[k]
        np.testing.assert_allclose(r["Rbar"], Rbar)


def test_reward_circuit_rate_activity_and_mse():
    """With a rate activity the trial activity is the integral of the rate (a constant 40 Hz over
    100 ms = 4 expected spikes), and R = -MSE over the outputs."""
    with _clock(1 * ms):
        G = NeuronGroup(2, "rho : Hz", threshold="False", reset="", name="rate_out")
        G.rho = [40, 10] * Hz
        sched = TrialSchedule(100 * ms, np.array([0, 1, 0]))
        targets = np.array([[4.0, 0.0], [2.0, 3.0]])
        circ = RewardCircuit(G, sched, targets, activity="rho", reward="mse", record_rate="rho", name="task_rate")
        mons = circ.record()
        Network(G, *circ.objects, *mons).run(sched.run_time(1 * ms))
        r = circ.results()
        lam = np.array([4.0, 1.0])
        np.testing.assert_allclose(r["expected"], np.tile(lam, (3, 1)), rtol=1e-9)
        mse = ((lam - targets[[0, 1, 0]]) ** 2).mean(axis=1)
        np.testing.assert_allclose(r["R"], -mse, rtol=1e-9, atol=1e-12)


def test_reward_circuit_to_modulator_delivers_the_prediction_error():
    """The trial's R - Rbar reaches a neuromodulator at the end of the trial, after the given delay."""
    with _clock(1 * ms):
        out = _count_outputs(np.array([[2], [0]]), 50.0, name="cnt_mod")
        sched = TrialSchedule(50 * ms, np.array([0, 0]))
        circ = RewardCircuit(out, sched, np.array([[2.0]]), reward="gaussian", sigma=1.0, name="task_mod")
        dop = neuromodulator(1000 * second, name="dop_mod")
        syn = circ.to_modulator(dop, gain=2.0, delay=10 * ms)
        mon = StateMonitor(dop, "d", record=0, name="dop_mod_mon")
        Network(out, *circ.objects, dop, syn, mon).run(150 * ms)
        d = np.asarray(mon.d[0])
        t = np.asarray(mon.t / ms)
        # trial 0 (count 2 = target): R = 1 arrives at 50 + 10 ms; trial 1 (count 0): R = exp(-2) at 110 ms
        assert d[t <= 60].max() == 0
        assert d[(t > 61) & (t < 105)] == pytest.approx(2.0, rel=1e-4)  # decay: tau = 1000 s
        assert d[t > 112][0] == pytest.approx(2.0 + 2.0 * math.exp(-2.0), rel=1e-4)


def test_reward_circuit_rejects_bad_input():
    G, H = _groups()
    sched = TrialSchedule(50 * ms, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"targets must have shape \(n_stimuli, n_outputs\) = \(2, 2\)"):
        RewardCircuit(H, sched, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="baseline must be one of"):
        RewardCircuit(H, sched, np.zeros((2, 2)), baseline="critic")
    with pytest.raises(ValueError, match="has no variable 'rate'"):
        RewardCircuit(H, sched, np.zeros((2, 2)), activity="rate")
    with pytest.raises(ValueError, match="'v' of 'g_post' must be a rate in Hz"):
        RewardCircuit(H, sched, np.zeros((2, 2)), activity="v")
    with pytest.raises(ValueError, match="whole number of time steps"):
        RewardCircuit(H, TrialSchedule(0.05 * ms, np.array([0, 1])), np.zeros((2, 2)))


def test_reinforce_eligibility_has_zero_mean():
    """REINFORCE's eligibility (spike - rate) x trace must average to 0 when the reward carries no
    information. 50 inputs at 200 Hz onto one neuron firing at 100 Hz independently of them (dt = 1 ms, so
    pre and post spikes often share a step: 2 coincidences per synapse and 100-ms trial), 100 trials.
    The trace the spike term uses must exclude a presynaptic jump of the same step (the spike was drawn
    before it arrived): the mean over 5000 (synapse, trial) samples is within 4 standard errors of 0;
    the uncorrected rule would be off by about 2 per trial (> 10 standard errors)."""
    import brian2

    with _clock(1 * ms):
        brian2.seed(3)
        pre = NeuronGroup(50, "", threshold="rand() < 200*Hz*dt", reset="", name="rf_pre")
        post = NeuronGroup(1, "rho : Hz", threshold="rand() < rho*dt", reset="", name="rf_post")
        post.rho = 100 * Hz
        mod = NeuronGroup(1, "R : 1\nRbar : 1", name="rf_mod")
        S = sl.connect(pre, post, sl.rules.reinforce(update_dt=100 * ms, tau_x=20 * ms), w=0.0,
                       modulators={"R": (mod, "R"), "Rbar": (mod, "Rbar")}, name="rf_syn")
        S.post.order = 2  # the pre pathway first: the case that needs the correction
        mon = StateMonitor(S, "elig", record=True, dt=100 * ms, when="start", order=-5, name="rf_mon")
        Network(pre, post, mod, S, mon).run(10 * second + 1 * ms)
        e = np.asarray(mon.elig[:, 1:]).ravel()  # the eligibility of each finished trial
        assert e.size == 5000 and e.std() > 1
        assert abs(e.mean()) < 4 * e.std() / np.sqrt(e.size), (e.mean(), e.std())
        np.testing.assert_array_equal(S.w[:], 0.0)  # R - Rbar = 0: no change
