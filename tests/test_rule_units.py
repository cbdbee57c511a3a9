"""Units on rule variables: every catalog rule with weights in siemens, a user rule in volt, second and siemens.

The catalog network of ``test_backends`` (one projection per rule, the same Poisson drive)
is built twice with the same seed: once with dimensionless weights and once with every
weight, amplitude and bound in nS. Transmission reads ``w / wunit``, so both networks
see the same numbers, and the learned weights must agree after scaling by 1 nS. The
third-factor rules read a modulator group whose signals are drawn in the simulation.
"""

import numpy as np
import pytest
from brian2 import Hz, NeuronGroup, Quantity, Network, mV, ms, nS, second, seed, volt

import snnlearn as sl
from snnlearn.devices import use_device
from snnlearn.units import unit_name

N_IN, N_OUT = 20, 3

INPUTS = """
da/dt = -a / (50*ms) : 1
rate : Hz
y : 1
"""
OUTPUTS = """
dv/dt = -v / (10*ms) : 1 (unless refractory)
dy/dt = -y / (50*ms) : 1
noise : 1
rho : Hz
w_total : {wunit}
"""
SIGNALS = """
d : 1
R : 1
Rbar : 1
P : 1
"""


def catalog_in_unit(U):
    """Every catalog rule with its weight-valued parameters in the unit ``U`` (1 or a quantity)."""
    r = sl.rules
    unit_or_none = U if isinstance(U, Quantity) else None
    return {
        "stdp_additive": (r.stdp_additive(Ap=0.01 * U, Am=0.0105 * U, wmax=1 * U), {}),
        "stdp_multiplicative": (r.stdp_multiplicative(Ap=0.01 * U, Am=0.02, wmax=1 * U), {}),
        "triplet_stdp": (r.triplet_stdp("visual_all_to_all", wmax=1 * U, A2p=5e-10 * U, A3p=6.2e-3 * U,
                                        A2m=7e-3 * U, A3m=2.3e-4 * U), {}),
        "hebbian": (r.hebbian(eta=0.002 * U, wmin=0 * U, wmax=1 * U, pairing="acausal"),
                    {"homeostasis": [r.subtractive_normalization(total=0.4 * N_IN * U, interval=20 * ms,
                                                                 wmin=0 * U, wmax=1 * U)]}),
        "covariance": (r.covariance(eta=0.05 * U / second, x0=0.5, y0=0.5, pre="a"), {}),
        "oja": (r.oja(eta=0.02 / second, pre="a", w_unit=unit_or_none), {}),
        "bcm": (r.bcm(eta=0.05 * U / second, tau_theta=200 * ms, pre="a"), {}),
        "similarity_matching_feedforward": (r.similarity_matching_feedforward(eta=0.5 / second, pre="a",
                                                                              w_unit=unit_or_none), {}),
        "similarity_matching_lateral": (r.similarity_matching_lateral(eta=0.5 / second, w_unit=unit_or_none), {}),
        "multiplicative_normalization": (r.hebbian(eta=0.002 * U, wmin=0 * U, wmax=10 * U),
                                         {"homeostasis": [r.multiplicative_normalization(total=0.4 * N_IN * U,
                                                                                         interval=20 * ms)]}),
        "synaptic_scaling": (r.stdp_additive(Ap=0.005 * U, Am=0.00525 * U, wmax=1 * U),
                             {"homeostasis": [r.synaptic_scaling(target_rate=5 * Hz, tau_rate=200 * ms, eta=0.05,
                                                                 interval=20 * ms, wmax=1 * U)]}),
        "da_stdp": (r.da_stdp(Ap=0.1 * U, Am=0.15 * U, wmin=0 * U, wmax=4 * U, tonic=0.01),
                    {"modulators": {"d": ("signals", "d")}}),
        "reward_stdp": (r.reward_stdp(Ap=0.01 * U, Am=0.0105 * U, wmin=0 * U, wmax=1 * U, update_dt=10 * ms),
                        {"modulators": {"R": ("signals", "R"), "Rbar": ("signals", "Rbar")}}),
        "node_perturbation": (r.node_perturbation(eta=0.05 * U, wmin=-2 * U, wmax=2 * U, update_dt=20 * ms),
                              {"modulators": {"R": ("signals", "R"), "Rbar": ("signals", "Rbar")}}),
        "weight_perturbation": (r.weight_perturbation(eta=0.01 * U**2, sigma=0.01 * U, wmin=-2 * U, wmax=2 * U,
                                                      update_dt=20 * ms),
                                {"modulators": {"R": ("signals", "R"), "Rbar": ("signals", "Rbar"),
                                                "P": ("signals", "P")}}),
        "serial_perturbation": (r.serial_perturbation(eta=0.01 * U**2, sigma=0.01 * U, wmin=-2 * U, wmax=2 * U,
                                                      update_dt=10 * ms),
                                {"modulators": {"R": ("signals", "R"), "Rbar": ("signals", "Rbar"),
                                                "P": ("signals", "P")}}),
        "reinforce": (r.reinforce(eta=0.01 * U, wmin=-2 * U, wmax=2 * U, update_dt=20 * ms),
                      {"modulators": {"R": ("signals", "R"), "Rbar": ("signals", "Rbar")}}),
    }


def simulate_catalog_in_unit(U, device_name="numpy", directory=None, duration=100 * ms):
    """Run every catalog rule with weights in ``U``; the final weights divided by ``U``, per rule."""
    with use_device(device_name, directory=directory) as sim:
        seed(11)
        inputs = NeuronGroup(N_IN, INPUTS, threshold="rand() < rate*dt", reset="a += 1", method="exact",
                             name="inputs")
        inputs.rate = "20*Hz + 60*Hz*i/N"
        inputs.y = "0.5 + 0.5*i/N"
        signals = NeuronGroup(1, SIGNALS, name="signals")
        signals.run_regularly("d = 0.2*rand()\nR = rand()\nRbar = 0.5\nP = 1", dt=5 * ms)
        objects, synapses = [inputs, signals], {}
        for name, (rule, extra) in catalog_in_unit(U).items():
            out = NeuronGroup(N_OUT, OUTPUTS.format(wunit=unit_name(U)), threshold="v > 1",
                              reset="v = 0; y += 1", refractory=2 * ms, method="euler", name=f"out_{name}")
            out.rho = 10 * Hz
            out.run_regularly("noise = randn()", dt=1 * ms)
            if "modulators" in extra:
                extra = {**extra, "modulators": {k: (signals, v[1]) for k, v in extra["modulators"].items()}}
            S = sl.connect(inputs, out, rule, transmit="v_post += 0.4*w/wunit", connect=True,
                           w="(0.3 + 0.4*rand())*wunit", namespace={"wunit": U}, name=f"syn_{name}", **extra)
            objects += [out, S]
            synapses[name] = S
        Network(*objects).run(duration)
        sim.build()
        return {name: np.asarray(S.w[:] / U, dtype=float).copy() for name, S in synapses.items()}


@pytest.fixture(scope="module")
def dimensionless_weights():
    return simulate_catalog_in_unit(1)


def test_every_catalog_rule_runs_in_siemens_and_agrees_after_scaling(dimensionless_weights):
    in_siemens = simulate_catalog_in_unit(nS)
    assert set(in_siemens) >= set(sl.rules.CATALOG), "the unit matrix must cover the whole catalog"
    for name, w in dimensionless_weights.items():
        assert np.all(np.isfinite(w)), name
        np.testing.assert_allclose(in_siemens[name], w, rtol=1e-7, atol=1e-12, err_msg=name)


def test_the_unit_matrix_learns(dimensionless_weights):
    """The agreement above is not two frozen networks: every rule moved its weights in 100 ms."""
    frozen = simulate_catalog_in_unit(1, duration=0 * ms)
    for name, w in dimensionless_weights.items():
        assert np.abs(w - frozen[name]).max() > 1e-6, f"{name} did not learn in the unit-matrix network"


def test_catalog_rules_in_siemens_declare_their_weight_unit():
    for name, (rule, _) in catalog_in_unit(nS).items():
        assert rule.equations["w"].dim == nS.dim, name
        assert "siemens" in rule.model and "nS" not in rule.model, name
    for name, (rule, _) in catalog_in_unit(1).items():
        assert "w" not in rule.variables or rule.equations["w"].dim.is_dimensionless, name


def test_weights_in_a_unit_that_the_rule_parameters_lack_is_a_rule_error():
    inputs = NeuronGroup(2, "v : 1", threshold="v > 1")
    out = NeuronGroup(1, "v : 1", threshold="v > 1")
    with pytest.raises(sl.RuleError, match=r"rule 'stdp_additive': w_unit = .* disagrees"):
        sl.connect(inputs, out, sl.rules.stdp_additive(Ap=0.01 * nS, Am=0.0105 * nS, wmax=1 * nS), w_unit=volt)
    with pytest.raises(sl.RuleError, match=r"unit mismatch in on_pre.*is a unit missing on parameter 'Ap'"):
        sl.connect(inputs, out, sl.rules.stdp_additive(), w_unit=nS)


# ----------------------------------------------------------------------------- a user's rule
USER_RULE = dict(
    model="""
        du/dt = -u / tau_u : volt (event-driven)
        dlast/dt = 1 : second (clock-driven)
        g : siemens
    """,
    on_pre="u += dU\nw = clip(w + gain * u / mV * exp(-last / tau_u), 0*nS, wmax)\nlast = 0*second",
    on_post="g += 0.1*nS",
    params={"tau_u": 10 * ms, "dU": 1 * mV, "gain": 0.01 * nS, "wmax": 2 * nS},
)


def run_user_rule(device_name, directory=None):
    """Two regular presynaptic spike trains into one neuron; weights in nS through ``w_unit``."""
    with use_device(device_name, directory=directory) as sim:
        seed(3)
        pre = NeuronGroup(2, "dv/dt = rate : 1\nrate : Hz", threshold="v >= 1", reset="v = 0", method="euler",
                          name="pre")
        pre.rate = [100, 40] * Hz
        post = NeuronGroup(1, "dv/dt = -v/(10*ms) : volt\nge : siemens", threshold="v > 5*mV", reset="v = 0*mV",
                           method="euler", name="post")
        S = sl.connect(pre, post, sl.Rule("user_units", **USER_RULE), transmit="v_post += 3*mV*w/nS",
                       w=0.5 * nS, w_unit=nS, name="user")
        Network(pre, post, S).run(100 * ms)
        sim.build()
        return np.asarray(S.w[:] / nS).copy(), np.asarray(S.last[:] / second).copy(), np.asarray(S.u[:] / volt).copy()


def test_user_rule_in_volt_second_and_siemens_runs_and_learns_on_numpy():
    w, last, u = run_user_rule("numpy")
    assert np.all(w > 0.5), "every presynaptic spike potentiates"
    # 100 Hz through 100 ms: ten potentiations of about gain * 1 mV-trace each, 40 Hz: four
    assert w[0] > w[1] > 0.5
    assert np.all((last >= 0) & (last < 0.1))


@pytest.mark.slow
@pytest.mark.parametrize("device_name", ["cython", "cpp_standalone"])
def test_user_rule_with_units_agrees_on_every_back_end(device_name, standalone_dir):
    reference = run_user_rule("numpy")
    other = run_user_rule(device_name, directory=standalone_dir if device_name == "cpp_standalone" else None)
    for a, b in zip(other, reference):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-15)


def test_node_perturbation_with_a_conductance_perturbation_builds_and_learns():
    """sigma in nS (a conductance perturbation, Fiete & Seung 2006) gives the eligibility a unit (1/S): its reset
    after each update must keep that unit (it read 'elig = 0', which Brian2 refused)."""
    from brian2 import PoissonGroup, run

    rule = sl.rules.node_perturbation(sigma=1 * nS, tau_noise=5 * ms, eta=0.01 * nS, update_dt=10 * ms)
    pre = PoissonGroup(3, 200 * Hz)
    post = NeuronGroup(2, "dv/dt = -v/(10*ms) : 1\nnoise = 0.5*nS : siemens", method="exact")
    reward = NeuronGroup(1, "R : 1\nRbar : 1")
    reward.R = 1.0
    S = sl.connect(pre, post, rule, w=0.1, modulators={"R": (reward, "R"), "Rbar": (reward, "Rbar")})
    run(25 * ms)
    assert np.all(np.asarray(S.w[:]) > 0.1)  # positive reward x positive perturbation x input: potentiation
