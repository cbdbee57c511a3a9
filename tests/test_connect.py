"""connect(): equivalence with hand-written Brian2, the learning switch, modulators, homeostasis."""

import numpy as np
import pytest
from brian2 import (Hz, NeuronGroup, Network, PoissonGroup, Synapses, ms, second, seed)

import snnlearn as sl
from snnlearn.devices import use_device

NEURON = "dv/dt = -v/(10*ms) : 1"


def _test_rule():
    """A rule written here, not from the catalog: nearest-spike STDP with a soft upper bound."""
    return sl.Rule(
        "test_soft_stdp",
        model="""
            dx/dt = -x/tau_x : 1 (event-driven)
            dy/dt = -y/tau_y : 1 (event-driven)
        """,
        on_pre="x = 1; w = clip(w - a_minus*y*w, 0, wmax)",
        on_post="y = 1; w = clip(w + a_plus*x*(wmax - w), 0, wmax)",
        params={"tau_x": 15 * ms, "tau_y": 25 * ms, "a_plus": 0.05, "a_minus": 0.04, "wmax": 1.0},
    )


def _drive(n_in=40, n_out=3):
    G = PoissonGroup(n_in, 25 * Hz, name="drive")
    N = NeuronGroup(n_out, NEURON, threshold="v > 1", reset="v = 0", method="exact", name="cells")
    return G, N


def _simulate_snnlearn(duration=1 * second, plasticity=1.0):
    """The learned weights and the initial ones."""
    seed(11)
    G, N = _drive()
    S = sl.connect(G, N, _test_rule(), transmit="v_post += w", connect=True, w="0.2 + 0.6*rand()",
                   plasticity=plasticity)
    w0 = np.asarray(S.w[:]).copy()
    Network(G, N, S).run(duration)
    return np.asarray(S.w[:]).copy(), w0


def _learned(w, w0):
    """Most synapses moved by more than rounding, and not all by the same amount."""
    moved = np.abs(w - w0)
    return bool(np.mean(moved > 1e-6) > 0.5 and np.std(w - w0) > 1e-3)


def _simulate_raw(duration=1 * second):
    seed(11)
    G, N = _drive()
    S = Synapses(G, N, model="""
            w : 1
            dx/dt = -x/tau_x : 1 (event-driven)
            dy/dt = -y/tau_y : 1 (event-driven)
        """,
        on_pre="v_post += w\nx = 1\nw = clip(w - a_minus*y*w, 0, wmax)",
        on_post="y = 1\nw = clip(w + a_plus*x*(wmax - w), 0, wmax)",
        namespace=dict(tau_x=15 * ms, tau_y=25 * ms, a_plus=0.05, a_minus=0.04, wmax=1.0))
    S.connect()
    S.w = "0.2 + 0.6*rand()"
    Network(G, N, S).run(duration)
    return np.asarray(S.w[:]).copy()


@pytest.mark.parametrize("target", ["numpy"])
def test_equivalence_with_hand_written_synapses(target):
    """Same seed, same rule: snnlearn's Synapses give bit-for-bit the weights of a raw brian2.Synapses."""
    with use_device(target):
        ours, w0 = _simulate_snnlearn()
        raw = _simulate_raw()
    assert _learned(ours, w0), "learning happened and differs between synapses"
    np.testing.assert_array_equal(ours, raw)


def test_the_learning_check_fails_with_the_switch_off():
    """The check of the equivalence test is not satisfied by frozen weights."""
    frozen, w0 = _simulate_snnlearn(plasticity=0.0)
    np.testing.assert_array_equal(frozen, w0)
    assert not _learned(frozen, w0)


def _switch_run(device_name, directory=None):
    """Run 1: switch off. Run 2: switch on. Returns weights before, after run 1, after run 2."""
    with use_device(device_name, directory=directory) as sim:
        seed(3)
        G, N = _drive()
        S = sl.connect(G, N, _test_rule(), transmit="v_post += w", connect=True, w=0.5, plasticity=0.0)
        from brian2 import StateMonitor, SpikeMonitor

        # sampled at the start of each 500-ms step: the first sample after run 1 sees the weights it left
        mon = StateMonitor(S, "w", record=np.arange(40 * 3), dt=500 * ms, when="start")  # synapse count: all-to-all
        pre_spikes, post_spikes = SpikeMonitor(G), SpikeMonitor(N)
        net = Network(G, N, S, mon, pre_spikes, post_spikes)
        net.run(500 * ms)
        S.plasticity = 1.0
        net.run(500 * ms)
        sim.build()
        w = np.asarray(mon.w[:])
        return w[:, 1], np.asarray(S.w[:]), pre_spikes.num_spikes, post_spikes.num_spikes


def test_learning_switch_runtime():
    off, on, n_pre, n_post = _switch_run("numpy")
    assert n_pre > 100 and n_post > 10  # both sides spiked while the switch was off
    np.testing.assert_array_equal(off, np.full_like(off, 0.5))
    assert np.mean(on != 0.5) > 0.5  # switched back on without rebuilding: weights move


@pytest.mark.standalone
@pytest.mark.slow
def test_learning_switch_cpp_standalone(standalone_dir):
    off, on, n_pre, n_post = _switch_run("cpp_standalone", directory=standalone_dir)
    assert n_pre > 100 and n_post > 10
    np.testing.assert_array_equal(off, np.full_like(off, 0.5))
    assert np.mean(on != 0.5) > 0.5


def test_plasticity_schedule_switches_inside_one_run():
    seed(5)
    G, N = _drive()
    S = sl.connect(G, N, _test_rule(), transmit="v_post += w", connect=True, w=0.5)
    sl.plasticity_schedule(S, [0.0, 1.0], interval=300 * ms)  # off for 300 ms, then on
    from brian2 import StateMonitor

    mon = StateMonitor(S, "w", record=True, dt=100 * ms, when="end")
    Network(G, N, S, mon).run(600 * ms)
    w = np.asarray(mon.w[:])
    np.testing.assert_array_equal(w[:, :3], 0.5)  # samples at 0, 100, 200 ms: frozen
    assert np.mean(w[:, -1] != 0.5) > 0.5


def test_scaled_plasticity_scales_each_step():
    """plasticity = 0.5 moves each weight half-way to where the rule would take it."""
    from brian2 import SpikeGeneratorGroup

    results = []
    for scale in (1.0, 0.5):
        pre = SpikeGeneratorGroup(1, [0], [10] * ms)
        post = SpikeGeneratorGroup(1, [0], [15] * ms)
        S = sl.connect(pre, post, sl.rules.stdp_additive(Ap=0.1, Am=0.1), w=0.5, plasticity=scale)
        Network(pre, post, S).run(30 * ms)
        results.append(float(S.w[0]) - 0.5)
    assert results[0] > 0
    assert results[1] == pytest.approx(0.5 * results[0], rel=1e-12)


def test_variable_params_change_between_runs_without_rebuild():
    from brian2 import SpikeGeneratorGroup

    pre = SpikeGeneratorGroup(1, [0, 0], [10, 1010] * ms)
    post = SpikeGeneratorGroup(1, [0, 0], [15, 1015] * ms)
    S = sl.connect(pre, post, sl.rules.stdp_additive(Ap=0.1, Am=0.1), w=0.2, variable_params=("Ap",))
    net = Network(pre, post, S)
    net.run(1000 * ms)
    first = float(S.w[0]) - 0.2
    S.Ap = 0.2
    net.run(1000 * ms)
    second_step = float(S.w[0]) - 0.2 - first
    assert second_step == pytest.approx(2 * first, rel=1e-9)


def test_subtractive_normalization_restores_the_total():
    seed(7)
    G, _ = _drive(n_in=30)
    N = NeuronGroup(2, NEURON + "\nw_total : 1", threshold="v > 1", reset="v = 0", method="exact")
    W, W0 = _hebb_with_subtractive_normalization(plasticity=1.0)
    np.testing.assert_allclose(W.sum(axis=0), 10.5, atol=0.02 * 10.5)  # clipping keeps it approximately
    assert _normalized_hebb_learned(W, W0)


def _normalized_hebb_learned(W, W0):
    """Hebb moved the weights (by more than 0.01 on average: tens of steps of eta = 0.01), not only the shift."""
    change = W - W0
    return bool(np.abs(change - change.mean(axis=0)).mean() > 0.01)


def test_the_normalization_check_fails_with_the_switch_off():
    W, W0 = _hebb_with_subtractive_normalization(plasticity=0.0)
    np.testing.assert_array_equal(W, W0)
    assert not _normalized_hebb_learned(W, W0)


def _hebb_with_subtractive_normalization(plasticity):
    seed(7)
    G, _ = _drive(n_in=30)
    N = NeuronGroup(2, NEURON + "\nw_total : 1", threshold="v > 1", reset="v = 0", method="exact")
    rule = sl.rules.hebbian(eta=0.01, wmax=1.0)
    S = sl.connect(G, N, rule, transmit="v_post += 0.2*w", connect=True, w="0.3 + 0.1*rand()",
                   homeostasis=[sl.rules.subtractive_normalization(total=10.5, interval=50 * ms, wmax=1.0)],
                   plasticity=plasticity)
    W0 = np.asarray(S.w[:]).reshape(30, 2).copy()
    Network(G, N, S).run(1 * second)
    return np.asarray(S.w[:]).reshape(30, 2), W0


def test_multiplicative_normalization_keeps_total_exactly():
    seed(8)
    G, _ = _drive(n_in=30)
    N = NeuronGroup(2, NEURON + "\nw_total : 1", threshold="v > 1", reset="v = 0", method="exact")
    S = sl.connect(G, N, sl.rules.hebbian(eta=0.01, wmax=10.0), transmit="v_post += 0.2*w", connect=True,
                   w="0.3 + 0.1*rand()",
                   homeostasis=[sl.rules.multiplicative_normalization(total=12.0, interval=50 * ms)])
    W0 = np.asarray(S.w[:]).reshape(30, 2).copy()
    # 1000 ms ends right after a normalisation step (run_regularly acts at the start of the step)
    Network(G, N, S).run(1000 * ms)
    W = np.asarray(S.w[:]).reshape(30, 2)
    assert not np.allclose(W0.sum(axis=0), 12.0, rtol=0.05), "the initial total is far from the target"
    np.testing.assert_allclose(W.sum(axis=0), 12.0, rtol=0.05)


def test_normalization_needs_the_accumulator_variable():
    G, N = _drive()
    with pytest.raises(sl.RuleError, match="needs the target group 'cells' to declare 'w_total : 1'"):
        sl.connect(G, N, sl.rules.hebbian(), connect=True,
                   homeostasis=[sl.rules.subtractive_normalization(total=1.0, interval=10 * ms)])


def test_synaptic_scaling_moves_the_rate_towards_its_target():
    """Scaling raises the weights of a neuron firing below target and lowers those of one above it."""
    seed(9)
    G = PoissonGroup(50, 20 * Hz)
    N = NeuronGroup(2, NEURON, threshold="v > 1", reset="v = 0", method="exact")
    rule = sl.Rule("static", params={})  # no plasticity of its own: scaling alone
    S = sl.connect(G, N, rule, transmit="v_post += w", connect=True,
                   homeostasis=[sl.rules.synaptic_scaling(target_rate=10 * Hz, tau_rate=1 * second, eta=0.02,
                                                          interval=100 * ms)])
    W0 = np.where(np.asarray(S.j[:]) == 0, 0.05, 0.6)  # neuron 0 nearly silent, neuron 1 fast
    S.w = W0
    Network(G, N, S).run(5 * second)
    W = np.asarray(S.w[:])
    j = np.asarray(S.j[:])
    assert W[j == 0].mean() > 0.05 * 1.2
    assert W[j == 1].mean() < 0.6 * 0.9


def test_modulator_is_linked_and_read():
    """A three-factor rule reads a global signal computed by another group."""
    from brian2 import SpikeGeneratorGroup

    da = NeuronGroup(1, "dd/dt = -d/(200*ms) : 1", method="exact", name="dopamine")
    pre = SpikeGeneratorGroup(1, [0], [10] * ms)
    post = SpikeGeneratorGroup(1, [0], [15] * ms)
    rule = sl.Rule("gated", model="dc/dt = -c/tauc : 1 (clock-driven)", on_post="c += 1",
                   regular="w = w + c*d", regular_dt=1 * ms, modulators=("d",), params={"tauc": 1 * second})
    S = sl.connect(pre, post, rule, w=0.0, modulators={"d": (da, "d")})
    net = Network(da, pre, post, S)
    net.run(50 * ms)
    assert float(S.w[0]) == 0.0  # eligibility but no dopamine
    da.d = 1.0
    net.run(50 * ms)
    assert float(S.w[0]) > 0.0


@pytest.mark.parametrize("t_pre, t_post, delay, expected", [
    (10, 10, None, lambda Ap, Am: Ap),          # zero lag: on_pre runs first, the pair potentiates by A+
    (10, 15, 5 * ms, lambda Ap, Am: Ap),        # a post spike one delay after the pre spike is a zero-lag pair
    (10, 10, 5 * ms, lambda Ap, Am: -Am * np.exp(-5 / 20)),  # the pre spike arrives 5 ms after the post spike
    (10, 15, None, lambda Ap, Am: Ap * np.exp(-5 / 20)),
])
def test_pairing_conventions_of_the_stdp_docstrings(t_pre, t_post, delay, expected):
    """What stdp_additive's docstring says about zero-lag pairs and delays, measured."""
    from brian2 import SpikeGeneratorGroup

    Ap, Am = 0.01, 0.0105
    pre = SpikeGeneratorGroup(1, [0], [t_pre] * ms)
    post = SpikeGeneratorGroup(1, [0], [t_post] * ms)
    S = sl.connect(pre, post, sl.rules.stdp_additive(Ap=Ap, Am=Am), w=0.5, delay=delay)
    Network(pre, post, S).run(40 * ms)
    assert float(S.w[0]) - 0.5 == pytest.approx(expected(Ap, Am), rel=1e-9)
