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


# ---------------------------------------------------------------- every kind of mistake, one line each
STDP_PARTS = dict(model="dapre/dt = -apre/taupre : 1 (event-driven)", params={"taupre": 20 * ms})


@pytest.mark.parametrize("mistake, kwargs, field, text", [
    ("syntax: unbalanced parenthesis in on_post",
     dict(STDP_PARTS, on_post="w = clip(w + apre, 0, 1"), "on_post", "w = clip(w + apre, 0, 1"),
    ("syntax: dangling operator in on_pre", dict(STDP_PARTS, on_pre="apre += 1 *"), "on_pre", "apre += 1 *"),
    ("syntax: unbalanced parenthesis in the model", dict(model="dx/dt = -(x/tau : 1", params={"tau": 5 * ms}),
     "model", "dx/dt = -(x/tau : 1"),
    ("syntax: regular code", dict(regular="w = w *", regular_dt=10 * ms), "regular", "w = w *"),
    ("undefined identifier", dict(STDP_PARTS, on_pre="w += Ap"), "on_pre", "Ap"),
    ("reserved name t", dict(model="t : 1"), "model", "t : 1"),
    ("reserved name i", dict(model="i : 1"), "model", "i : 1"),
    ("reserved name dt", dict(model="dt : 1"), "model", "dt : 1"),
    ("reserved name N", dict(model="N : 1"), "model", "N : 1"),
    ("reserved name exp", dict(model="exp : 1"), "model", "exp : 1"),
    ("reserved name lastupdate", dict(model="lastupdate : second"), "model", "lastupdate"),
    ("reserved name delay", dict(model="delay : second"), "model", "delay"),
    ("parameter named by a keyword", dict(on_pre="w += 1", params={"lambda": 1.0}), "parameter", "lambda"),
    ("parameter shadows the weight", dict(on_pre="w += 1", params={"w": 1.0}), "parameter", "'w'"),
    ("parameter shadows a model variable", dict(STDP_PARTS, params={"taupre": 20 * ms, "apre": 1.0}),
     "parameter", "apre"),
    ("parameter shadows a Brian2 function", dict(on_pre="w += 1", params={"exp": 1.0}), "parameter", "exp"),
])
def test_each_mistake_is_one_rule_error_at_construction(mistake, kwargs, field, text):
    with pytest.raises(sl.RuleError) as err:
        sl.Rule("mine", **kwargs)
    message = str(err.value)
    assert message.startswith("rule 'mine': "), mistake
    assert field in message and text in message, f"{mistake}: {message}"
    assert "\n" not in message


@pytest.mark.parametrize("mistake, connect_kwargs, text", [
    ("invalid connect condition", dict(connect="i !== j"), "i !== j"),
    ("connect condition with an unknown name", dict(connect="i != k"), "i != k"),
    ("invalid condition inside a dict", dict(connect={"condition": "i ==", "p": 0.5}), "i =="),
    ("non-finite switch value", dict(plasticity=float("nan")), "plasticity = nan"),
    ("infinite switch value", dict(plasticity=float("inf")), "plasticity = inf"),
    ("negative delay", dict(delay=-1 * ms), "delay = -1. * msecond"),
    ("negative delays from an expression", dict(delay="-i*ms"), "delay = '-i*ms'"),
    ("a delay that is not a time", dict(delay=3 * mV), "delay = 3. * mvolt"),
    ("unit mismatch", dict(transmit="v_post += w"), "v_post"),
    ("a weight unit the rule's parameters lack", dict(w_unit=mV), "unit mismatch"),
])
def test_each_mistake_is_one_rule_error_at_connect(mistake, connect_kwargs, text, groups):
    G, N = groups
    kwargs = dict(transmit="v_post += w*mV", **connect_kwargs) if "transmit" not in connect_kwargs else connect_kwargs
    with pytest.raises(sl.RuleError) as err:
        sl.connect(G, N, sl.rules.stdp_additive(), **kwargs)
    message = str(err.value)
    assert message.startswith("rule 'stdp_additive': "), mistake
    assert text in message, f"{mistake}: {message}"
    assert "\n" not in message


def test_a_script_with_a_bad_rule_prints_no_brian2_bug_banner(tmp_path):
    """The user's mistake is reported as snnlearn's error, not as "a bug in Brian 2" to report."""
    import subprocess
    import sys

    script = tmp_path / "my_rule.py"
    script.write_text('import snnlearn as sl\nsl.Rule("mine", on_pre="w = clip(w + 1, 0, 1")\n')
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Brian 2 encountered" not in result.stderr and "report" not in result.stderr.lower()
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("snnlearn.errors.RuleError: rule 'mine': on_pre line 'w = clip(w + 1, 0, 1' does not parse: ")
    assert "closed" in last or "Unbalanced" in last  # the wording of Python's parser or of Brian2's


def test_errors_from_elsewhere_keep_brian2s_hook(tmp_path):
    """Only snnlearn's own errors bypass Brian2's banner; anything else still gets Brian2's report."""
    import subprocess
    import sys

    script = tmp_path / "broken.py"
    script.write_text("import snnlearn\n1 / 0\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "ZeroDivisionError" in result.stderr and "Brian 2 encountered" in result.stderr


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
