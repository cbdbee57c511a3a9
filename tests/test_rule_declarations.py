"""Catalog rules and homeostasis share the experiments' parameter declarations (issue 13, item 5).

Each catalog function declares its arguments with :class:`snnlearn.params.Param` (unit, bounds
or choices, doc): its docstring table is generated from them, and every bad value is refused in
one line naming the rule and the argument. The bad values are generated from the declarations,
so a parameter added later is covered without editing this file.
"""

import inspect
import json

import numpy as np
import pytest
from brian2 import Hz, mV, ms, second

import snnlearn as sl
from snnlearn.rules import homeostasis as homeostasis_rules
from snnlearn.rules.declare import parameter_rows

HOMEOSTASIS = {
    "subtractive_normalization": (homeostasis_rules.subtractive_normalization,
                                  dict(total=1.0, interval=100 * ms)),
    "multiplicative_normalization": (homeostasis_rules.multiplicative_normalization,
                                     dict(total=1.0, interval=100 * ms)),
    "synaptic_scaling": (homeostasis_rules.synaptic_scaling,
                         dict(target_rate=5 * Hz, tau_rate=1 * second, eta=0.01, interval=100 * ms)),
}
FUNCTIONS = {**{name: (fn, {}) for name, fn in sl.rules.CATALOG.items()}, **HOMEOSTASIS}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_argument_is_declared_and_the_docstring_table_comes_from_the_declarations(name):
    fn, _ = FUNCTIONS[name]
    arguments = [p.name for p in inspect.signature(fn).parameters.values() if p.kind is not p.VAR_KEYWORD]
    assert list(fn.parameters) == arguments
    doc = fn.__doc__
    assert "<parameters>" not in doc
    lines = doc.splitlines()
    rules = [k for k, line in enumerate(lines) if line.strip().startswith("=====")]
    assert len(rules) == 3, f"{name}: one parameter table expected"
    table = lines[rules[1] + 1:rules[2]]
    for arg, unit, text in parameter_rows(fn.parameters):
        assert text, f"{name}.{arg} has no doc"
        row = next((line for line in table if line.split()[:1] == [arg]), None)
        assert row is not None, f"{name}: no table row for {arg}"
        assert row.split()[1:1 + len(unit.split())] == unit.split(), (name, arg, row)


def _bad_values(decl):
    """(value, words of the error) for each way a declaration can be broken."""
    bad = []
    if decl.choices is not None:
        bad.append(("not-a-choice", "must be one of"))
    if decl.unit is not None:
        wrong = 1 * mV if decl.unit.dim != mV.dim else 1 * ms
        bad.append((wrong, "must be in"))
        bad.append(("abc", "must be a quantity"))
    if decl.low is not None:
        low = float(decl.low)
        unit = decl.unit if decl.unit is not None else 1
        bad.append(((low if decl.strict else low - 1.0) * unit, ">" if decl.strict else ">="))
    if decl.high is not None:
        unit = decl.unit if decl.unit is not None else 1
        bad.append(((float(decl.high) + 1.0) * unit, "<="))
    return bad


CASES = [(name, arg, value, words) for name, (fn, _) in sorted(FUNCTIONS.items())
         for arg, decl in fn.parameters.items() for value, words in _bad_values(decl)]


@pytest.mark.parametrize("name, arg, value, words", CASES,
                         ids=[f"{n}-{a}-{v!r}" for n, a, v, _ in CASES])
def test_a_value_that_breaks_a_declaration_is_a_one_line_rule_error(name, arg, value, words):
    fn, required = FUNCTIONS[name]
    with pytest.raises(sl.RuleError) as info:
        fn(**{**required, arg: value})
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"rule '{name}'") or message.startswith(f"rule '{fn.__name__}'"), message
    assert arg in message, message


def test_generated_cases_cover_every_function_and_each_kind_of_declaration():
    """The generator is not vacuous: every function gets bad values, of every kind declared anywhere."""
    constrained = {name for name, (fn, _) in FUNCTIONS.items() if any(
        d.choices is not None or d.unit is not None or d.low is not None or d.high is not None
        for d in fn.parameters.values())}
    assert len(constrained) >= len(FUNCTIONS) - 1  # covariance alone takes any number for its three values
    assert {c[0] for c in CASES} == constrained
    words = {c[3] for c in CASES}
    assert {"must be one of", "must be in", ">", ">="} <= words


def test_declared_defaults_build_the_rules():
    for name, (fn, required) in FUNCTIONS.items():
        made = fn(**required)
        assert made.name


def test_declarations_accept_weights_in_any_unit():
    from brian2 import nS

    rule = sl.rules.stdp_additive(Ap=0.005 * nS, Am=0.00525 * nS, wmax=1 * nS)
    assert "siemens" in rule.model
    with pytest.raises(sl.RuleError, match="Ap"):
        sl.rules.stdp_additive(Ap=-0.005 * nS, Am=0.00525 * nS, wmax=1 * nS)


def test_homeostasis_is_recorded_in_rules_json_beside_its_rule(tmp_path):
    """A projection's normalisation is part of the learning rule a run used: rules.json holds it."""
    from brian2 import NeuronGroup, PoissonGroup

    from snnlearn.io import read_json
    from snnlearn.runs import RunContext

    ctx = RunContext.in_memory(0, device="numpy")
    inputs = PoissonGroup(4, 20 * Hz)
    target = NeuronGroup(2, "dv/dt = -v/(10*ms) : 1\nw_total : 1", threshold="v > 1", reset="v = 0")
    norm = sl.rules.multiplicative_normalization(total=1.0, interval=50 * ms)
    S = sl.connect(inputs, target, sl.rules.stdp_additive(), w=0.25, homeostasis=[norm], name="inp")
    ctx.record_rule(S.rule, "inputs -> target")
    from brian2 import Network

    ctx.run(Network(inputs, target, S), 100 * ms)
    ctx.write_rules(str(tmp_path))
    rules = read_json(str(tmp_path / "rules.json"))
    assert set(rules) == {"inputs -> target", "inputs -> target + multiplicative_normalization"}
    entry = rules["inputs -> target + multiplicative_normalization"]
    assert entry["kind"] == "homeostasis" and entry["interval"].replace(" ", "") in ("50.*msecond", "50.0*msecond")
    json.dumps(rules)
    assert "Homeostasis 'multiplicative_normalization'" in (tmp_path / "rules.txt").read_text()
    # recording the Synapses itself records both, under its name
    ctx2 = RunContext.in_memory(0, device="numpy")
    ctx2.record_rule(S)
    assert set(ctx2.rules) == {"inp", "inp + multiplicative_normalization"}
    assert np.isfinite(np.asarray(S.w[:])).all()
