"""Rule as data, and every RuleError case with its one-line message."""

import json

import pytest
from brian2 import Hz, NeuronGroup, PoissonGroup, mV, ms, second

import snnlearn as sl

MY_STDP = dict(
    model="""
        dapre/dt = -apre/taupre : 1 (event-driven)
        dapost/dt = -apost/taupost : 1 (event-driven)
    """,
    on_pre="apre += Ap; w = clip(w + apost, 0, wmax)",
    on_post="apost += Am; w = clip(w + apre, 0, wmax)",
    params={"taupre": 20 * ms, "taupost": 20 * ms, "Ap": 0.01, "Am": -0.0105, "wmax": 1.0},
)


def test_rule_prints_equations_and_parameters():
    text = str(sl.Rule("my_stdp", **MY_STDP))
    assert "dapre/dt = -apre/taupre : 1 (event-driven)" in text
    assert "taupre" in text and "20.0 * msecond" in text
    assert "apost += Am" in text


def test_rule_equality_copy_and_json_round_trip():
    rule = sl.Rule("my_stdp", **MY_STDP)
    assert rule == sl.Rule("my_stdp", **MY_STDP)
    faster = rule.with_params(taupre=10 * ms)
    assert faster != rule and faster.params["taupre"] == 10 * ms and rule.params["taupre"] == 20 * ms
    data = json.loads(rule.to_json())
    assert data["params"]["taupre"] == "20.0 * msecond"
    assert sl.Rule.from_json(rule.to_json()) == rule
    for factory in sl.rules.CATALOG.values():
        r = factory()
        assert sl.Rule.from_json(r.to_json()) == r, r.name


def test_with_params_rejects_unknown_names():
    with pytest.raises(sl.RuleError, match="rule 'my_stdp': with_params got unknown parameter 'tau'"):
        sl.Rule("my_stdp", **MY_STDP).with_params(tau=1 * ms)


@pytest.fixture
def groups():
    G = PoissonGroup(5, 10 * Hz)
    N = NeuronGroup(2, "dv/dt = -v/(10*ms) : volt", threshold="v > 10*mV", reset="v = 0*mV", method="exact")
    return G, N


def _connect(rule, groups):
    G, N = groups
    return sl.connect(G, N, rule, transmit="v_post += w*mV")


@pytest.mark.parametrize("kwargs, words", [
    # an equation that does not parse
    (dict(model="dx/dt = -x/tau : 1 (event-driven", params={"tau": 5 * ms}),
     "rule 'bad': model equations do not parse"),
    # a statement that does not parse
    (dict(on_pre="w += = 1"), "rule 'bad': on_pre line 'w += = 1' does not parse"),
    # an identifier that is neither parameter, variable, built-in nor _pre/_post
    (dict(on_pre="w += Ap2", params={"Ap": 0.1}), "undefined identifier 'Ap2' in on_pre line 'w += Ap2'"),
    # a missing parameter is an undefined identifier too
    (dict(model="dx/dt = -x/tau : 1 (event-driven)", on_pre="x += 1"),
     "undefined identifier 'tau' in model line for 'x'"),
    # updating something that is not a variable
    (dict(on_post="Ap += 1", params={"Ap": 0.1}), "on_post line 'Ap += 1' updates 'Ap', which is not a variable"),
    # non-positive time constant
    (dict(model="dx/dt = -x/tau : 1 (event-driven)", on_pre="x += 1", params={"tau": 0 * ms}),
     "time parameter 'tau' = 0. * second must be positive"),
    (dict(model="dx/dt = -x/tau : 1 (event-driven)", on_pre="x += 1", params={"tau": -5 * ms}),
     "time parameter 'tau' = -5. * msecond must be positive"),
    # a parameter that is not a number
    (dict(on_pre="w += Ap", params={"Ap": "0.1"}), "parameter 'Ap' = '0.1' must be a number or a Brian2 quantity"),
])
def test_rule_errors_at_construction(kwargs, words):
    with pytest.raises(sl.RuleError) as err:
        sl.Rule("bad", **kwargs)
    assert words in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("kwargs, words", [
    # a trace plus a time constant
    (dict(model="dx/dt = -x/tau : 1 (event-driven)", on_pre="x += tau", params={"tau": 5 * ms}),
     "rule 'bad': unit mismatch in on_pre: Expression 'x + tau' uses inconsistent units"),
    # a parameter given without the unit it needs
    (dict(model="dx/dt = -x/tau : 1 (event-driven)", on_pre="x += 1", params={"tau": 20}),
     "unit mismatch in model line for 'x'"),
    (dict(model="dx/dt = -x/tau : 1 (event-driven)", on_pre="x += 1", params={"tau": 20}),
     "is a unit missing on parameter 'tau'?"),
    # _post variable that the target does not have
    (dict(on_post="w += g_post"), "undefined identifier 'g_post' in on_post: the target group"),
    # _pre variable of the wrong unit (v_post is in volt, w is dimensionless)
    (dict(on_post="w += v_post"), "unit mismatch in on_post"),
])
def test_rule_errors_at_connect(kwargs, words, groups):
    rule = sl.Rule("bad", **kwargs)
    with pytest.raises(sl.RuleError) as err:
        _connect(rule, groups)
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_modulated_rule_without_modulator_names_the_signal(groups):
    rule = sl.Rule("three_factor", model="dc/dt = -c/tauc : 1 (clock-driven)", on_post="c += 1",
                   regular="w = clip(w + c*d, 0, 1)", regular_dt=10 * ms, modulators=("d",),
                   params={"tauc": 1 * second})
    with pytest.raises(sl.RuleError, match="rule 'three_factor': needs the modulator signal 'd' but none was given"):
        _connect(rule, groups)


def test_rule_error_is_a_value_error():
    assert issubclass(sl.RuleError, ValueError)


def test_regular_code_needs_an_interval():
    with pytest.raises(sl.RuleError, match="'regular' code needs 'regular_dt'"):
        sl.Rule("r", regular="w = w * 0.5")


def test_catalog_invariants_are_checked():
    with pytest.raises(sl.RuleError, match="wmax = -1.0 must be positive"):
        sl.rules.stdp_additive(wmax=-1.0)
    with pytest.raises(sl.RuleError, match="time parameter 'taupre'"):
        sl.rules.stdp_additive(taupre=-1 * ms)
    with pytest.raises(sl.RuleError, match="wmin < wmax"):
        sl.rules.hebbian(wmin=1.0, wmax=0.5)
    with pytest.raises(sl.RuleError, match="unknown parameter_set"):
        sl.rules.triplet_stdp("hippocampus_typo")
    with pytest.raises(sl.RuleError, match="pairing must be"):
        sl.rules.stdp_additive(pairing="some")
    assert mV  # units imported for the group definitions
