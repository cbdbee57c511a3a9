"""Every catalog rule runs on numpy, cython and cpp_standalone, and the back-ends agree.

One network holds a projection for each catalog rule (plus homeostasis) onto its own slice of
one output group, driven by the same Poisson activity. Spike-timing rules act on LIF outputs;
the rate rules (covariance, Oja, BCM) act on spike traces ``x`` (inputs) and ``y`` (outputs)
kept by the groups.
With the same seed Brian2 draws the same random numbers on every back-end, so the
weights must agree. They are compared with a tolerance, not bit for bit: compiled code
(``-ffast-math`` in cpp_standalone, cython) may reorder floating-point operations.
"""

import numpy as np
import pytest
from brian2 import NeuronGroup, Network, ms, second, seed

import snnlearn as sl
from snnlearn.devices import use_device

N_IN, N_OUT = 30, 3
TWO_FACTOR = ("stdp_additive", "stdp_multiplicative", "triplet_stdp", "hebbian", "covariance", "oja", "bcm")

INPUTS = """
dx/dt = -x / (50*ms) : 1
rate : Hz
"""
OUTPUTS = """
dv/dt = -v / (10*ms) : 1 (unless refractory)
dy/dt = -y / (50*ms) : 1
w_total : 1
"""


def _catalog_projections():
    rules = {
        "stdp_additive": (sl.rules.stdp_additive(Ap=0.01, Am=0.0105), {}),
        "stdp_multiplicative": (sl.rules.stdp_multiplicative(Ap=0.01, Am=0.02), {}),
        "triplet_stdp": (sl.rules.triplet_stdp("visual_all_to_all", wmax=1.0), {}),
        "triplet_nearest": (sl.rules.triplet_stdp("visual_nearest_minimal", wmax=1.0), {}),
        "hebbian": (sl.rules.hebbian(eta=0.002, pairing="acausal"),
                    {"homeostasis": [sl.rules.subtractive_normalization(total=0.4 * N_IN, interval=50 * ms,
                                                                        wmax=1.0)]}),
        "covariance": (sl.rules.covariance(eta=0.05 / second, x0=0.5, y0=0.5), {}),
        "oja": (sl.rules.oja(eta=0.02 / second), {}),
        "bcm": (sl.rules.bcm(eta=0.05 / second, tau_theta=200 * ms, y0=1.0), {}),
        "scaled_stdp": (sl.rules.stdp_additive(Ap=0.005, Am=0.00525),
                        {"homeostasis": [sl.rules.synaptic_scaling(target_rate=5 * sl_hz(), tau_rate=1 * second,
                                                                   eta=0.01, interval=100 * ms, wmax=1.0)]}),
    }
    assert set(TWO_FACTOR) <= set(rules)
    return rules


def sl_hz():
    from brian2 import Hz

    return Hz


def build_catalog(plasticity=1.0):
    """The input group, one output group whose slice k of N_OUT neurons belongs to catalog rule k (one set of
    neuron code objects for every rule: fewer compilations on cython), and a projection per rule."""
    rules = _catalog_projections()
    inputs = NeuronGroup(N_IN, INPUTS, threshold="rand() < rate*dt", reset="x += 1", method="exact", name="inputs")
    inputs.rate = "5*Hz + 25*Hz*i/N"
    outputs = NeuronGroup(N_OUT * len(rules), OUTPUTS, threshold="v > 1", reset="v = 0; y += 1", refractory=2 * ms,
                          method="exact", name="outputs")
    synapses = {}
    for k, (name, (rule, extra)) in enumerate(rules.items()):
        synapses[name] = sl.connect(inputs, outputs[k * N_OUT:(k + 1) * N_OUT], rule, transmit="v_post += 0.3*w",
                                    connect=True, w="0.3 + 0.4*rand()", name=f"syn_{name}", plasticity=plasticity,
                                    **extra)
    return Network(inputs, outputs, *synapses.values()), synapses


def simulate_catalog(device_name, directory=None, duration=1 * second, plasticity=1.0):
    with use_device(device_name, directory=directory) as sim:
        seed(2024)
        net, synapses = build_catalog(plasticity)
        net.run(duration)
        sim.build()
        return {name: (np.asarray(S.w[:], dtype=float).copy()) for name, S in synapses.items()}


@pytest.fixture(scope="module")
def numpy_weights():
    return simulate_catalog("numpy")


@pytest.fixture(scope="module")
def initial_weights():
    """The same network and seed, not run: the initial weights of every projection."""
    return simulate_catalog("numpy", duration=0 * ms)


def learned_differently_per_synapse(w, w0):
    """Not frozen, and not one common shift: the weight changes differ between synapses."""
    return bool(np.std(w - w0) > 1e-4)


def test_every_catalog_rule_learns_on_numpy(numpy_weights, initial_weights):
    for name, w in numpy_weights.items():
        assert np.all(np.isfinite(w)), name
        assert learned_differently_per_synapse(w, initial_weights[name]), f"{name}: weights did not learn"
    # every two-factor rule of the catalog is covered (third-factor rules have their own back-end tests)
    assert set(TWO_FACTOR) <= set(sl.rules.CATALOG)


def test_the_learning_check_fails_when_learning_is_off(initial_weights):
    """Run with the switch at 0, the check above fails for every rule."""
    frozen = simulate_catalog("numpy", plasticity=0.0)
    for name, w in frozen.items():
        assert not learned_differently_per_synapse(w, initial_weights[name]), name


def test_learning_changes_weights_against_frozen_run(numpy_weights):
    """Compare with the same network with every switch off: each rule moved its weights."""
    with use_device("numpy"):
        seed(2024)
        net, projections = build_catalog(plasticity=0.0)
        synapses = {name: (S, np.asarray(S.w[:]).copy()) for name, S in projections.items()}
        net.run(200 * ms)
    for name, (S, w0) in synapses.items():
        np.testing.assert_array_equal(np.asarray(S.w[:]), w0, err_msg=name)
        moved = np.abs(numpy_weights[name] - w0).max()
        assert moved > 1e-4, f"{name}: learning moved no weight (max |Δw| = {moved})"


@pytest.mark.slow
@pytest.mark.parametrize("device_name", ["cython", "cpp_standalone"])
def test_backends_agree_with_numpy(device_name, numpy_weights, standalone_dir):
    other = simulate_catalog(device_name, directory=standalone_dir if device_name == "cpp_standalone" else None)
    for name, w in numpy_weights.items():
        np.testing.assert_allclose(other[name], w, rtol=1e-6, atol=1e-9, err_msg=f"{name} on {device_name}")
