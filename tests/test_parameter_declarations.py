"""Every parameter of every built-in experiment refuses bad values in one line, before anything exists.

Generated from the declarations themselves (``PARAMS``: plain defaults or ``Param``), so a
parameter added later is covered automatically: a value in the wrong unit, a non-number,
a value outside the declared or inferred bounds, and a choice that is not offered.
"""

import os

import pytest
from brian2 import Hz, Quantity, mV, second

from snnlearn.errors import UsageError
from snnlearn.params import Param, _declaration
from snnlearn.registry import list_experiments, load_experiment
from snnlearn.runs import run_experiment


def _number_like(default):
    item = default[0] if isinstance(default, (list, tuple)) and default else default
    return not isinstance(item, (bool, str)) and isinstance(item, (int, float, Quantity))


def _wrong_unit(default):
    item = default[0] if isinstance(default, (list, tuple)) and default else default
    if isinstance(item, Quantity) and item.dim == mV.dim:
        return "3 Hz"
    return "3 mV"


def _outside(decl):
    """Values just outside the bounds, as text in the parameter's unit."""
    values = []
    item = decl.default[0] if isinstance(decl.default, (list, tuple)) and decl.default else decl.default
    for bound, step in ((decl.low, -1), (decl.high, +1)):
        if bound is None:
            continue
        if isinstance(bound, Quantity) and not bound.dim.is_dimensionless:
            unit = {second.dim: (second, "s"), Hz.dim: (Hz, "Hz")}.get(bound.dim)
            if unit is None:
                continue
            magnitude = float(bound / unit[0])
            values.append(f"{magnitude + step * max(1.0, abs(magnitude)):.12g} {unit[1]}")
        elif isinstance(item, (int,)) and not isinstance(item, bool):
            values.append(str(int(bound) + step))
        else:
            values.append(repr(float(bound) + step * max(1.0, abs(float(bound)))))
        if decl.strict and step < 0:
            values.append(f"{float(bound / unit[0]) if isinstance(bound, Quantity) and not bound.dim.is_dimensionless else float(bound):.12g}"
                          + (f" {unit[1]}" if isinstance(bound, Quantity) and not bound.dim.is_dimensionless else ""))
    return values


def _cases():
    cases = []
    for name in list_experiments():
        module = load_experiment(name)
        for key, entry in module.PARAMS.items():
            decl = _declaration(key, entry, infer=True)
            if _number_like(decl.default):
                cases.append((name, key, _wrong_unit(decl.default), "wrong unit"))
                cases.append((name, key, "abc", "not a number"))
                cases += [(name, key, value, "out of bounds") for value in _outside(decl)]
            if decl.choices is not None:
                cases.append((name, key, "no_such_choice", "wrong choice"))
    return cases


CASES = _cases()


def test_the_generated_cases_cover_every_experiment():
    assert {c[0] for c in CASES} >= {n for n in list_experiments() if load_experiment(n).PARAMS}
    assert len(CASES) > 100
    assert any(c[3] == "out of bounds" for c in CASES) and any(c[3] == "wrong choice" for c in CASES)


@pytest.mark.parametrize("name, key, value, kind", CASES, ids=[f"{c[0]}-{c[1]}-{c[3]}" for c in CASES])
def test_bad_value_is_one_line_before_any_directory(name, key, value, kind, tmp_path):
    out = tmp_path / "never"
    with pytest.raises(UsageError) as err:
        run_experiment(name, out=str(out), device="numpy", overrides={key: value})
    message = str(err.value)
    assert "\n" not in message and key in message, f"{kind}: {message}"
    assert not os.path.exists(out)


def test_declared_params_describe_what_they_allow():
    for name in list_experiments():
        for key, entry in load_experiment(name).PARAMS.items():
            if isinstance(entry, Param):
                assert entry.describe(), (name, key)
