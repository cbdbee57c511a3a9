"""Quantities as text and parameter resolution: exact round trips, no eval, clear errors."""

import pytest
from brian2 import Hz, mV, ms, nS, second

from snnlearn.params import ParameterError, params_from_json, params_to_json, resolve_params
from snnlearn.units import UnitParseError, format_quantity, parse_quantity


@pytest.mark.parametrize("text, expected", [
    ("20*ms", 20 * ms), ("20 ms", 20 * ms), ("20ms", 20 * ms), ("1.5e-3 * second", 1.5 * ms),
    ("10 Hz", 10 * Hz), ("0.5*nS", 0.5 * nS), ("-70*mV", -70 * mV), ("3 * mV/ms", 3 * mV / ms),
])
def test_parse_quantity_reads_units(text, expected):
    assert parse_quantity(text) == expected


def test_bare_numbers_stay_numbers():
    assert parse_quantity("7") == 7 and isinstance(parse_quantity("7"), int)
    assert parse_quantity("0.25") == 0.25


@pytest.mark.parametrize("q", [20 * ms, 0.3 * nS, 3 * mV / ms, 10.123456789 * Hz, 1e-17 * second])
def test_format_round_trips_exactly(q):
    assert parse_quantity(format_quantity(q)) == q


@pytest.mark.parametrize("bad", ["__import__('os').system('echo pwned')", "20*foo", "ms", "1+2", "20 ms mV",
                                 "eval('1')"])
def test_parse_rejects_code_and_junk(bad):
    with pytest.raises(UnitParseError):
        parse_quantity(bad)


DEFAULTS = {"tau": 20 * ms, "n": 10, "eta": 0.1, "flag": False, "rates": [10 * Hz, 20 * Hz], "label": "x"}


def test_resolve_params_applies_quick_then_overrides():
    p = resolve_params(DEFAULTS, {"n": 2}, {"tau": "5ms", "rates": "1Hz,2Hz,3Hz", "flag": "true"}, use_quick=True)
    assert p.tau == 5 * ms and p.n == 2 and p.flag is True
    assert p.rates == [1 * Hz, 2 * Hz, 3 * Hz]
    assert params_from_json(params_to_json(p)) == p


@pytest.mark.parametrize("text", ["1Hz,2Hz", "[1Hz, 2Hz]", "[1*Hz, 2 * Hz]", "('1Hz', '2Hz')", " [ 1Hz ,2Hz ] "])
def test_lists_read_as_comma_separated_or_as_python_writes_them(text):
    assert resolve_params(DEFAULTS, overrides={"rates": text}).rates == [1 * Hz, 2 * Hz]
    assert resolve_params(DEFAULTS, overrides={"rates": "[]"}).rates == []


@pytest.mark.parametrize("overrides, words", [
    ({"taux": "5ms"}, "unknown parameter 'taux'; valid parameters: eta, flag, label, n, rates, tau"),
    ({"tau": "5 mV"}, "parameter 'tau': '5 mV' has the wrong unit; expected a quantity in "),
    ({"tau": "5 mV"}, ", e.g. 20.0 * msecond"),
    ({"tau": "fast"}, "parameter 'tau': cannot read 'fast'"),
    ({"n": "2.5"}, "parameter 'n': expected an integer"),
    ({"eta": "1*ms"}, "parameter 'eta': '1*ms' has a unit, but 'eta' is dimensionless"),
    ({"flag": "maybe"}, "parameter 'flag': expected true or false"),
])
def test_resolve_params_errors_name_the_key(overrides, words):
    with pytest.raises(ParameterError) as err:
        resolve_params(DEFAULTS, overrides=overrides)
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_declared_bounds_choices_and_inferred_bounds():
    from snnlearn.params import Param

    declared = {"tau": Param(20 * ms, low=0 * ms, strict=True, doc="time constant"), "kind": Param("a", choices="ab"),
                "sets": Param(["x"], choices=["x", "y"], min_len=1), "eta": Param(0.1, low=0.0, high=1.0),
                "n_cells": 10, "rate": 5 * Hz, "dt": 0.1 * ms, "gain": -2.0, "v": -70 * mV, "items": [1.0, 2.0]}
    p = resolve_params(declared, overrides={"tau": "5ms", "kind": "b", "sets": "y,x", "eta": "1"})
    assert p.tau == 5 * ms and p.kind == "b" and p.sets == ["y", "x"] and p.eta == 1.0 and p.n_cells == 10
    for overrides, words in [({"tau": "0ms"}, "parameter 'tau': 0 second is out of range; expected a quantity in"),
                             ({"kind": "c"}, "parameter 'kind': c is not allowed"),
                             ({"sets": "z"}, "parameter 'sets': z is not allowed"),
                             ({"sets": ""}, "parameter 'sets': give at least 1 value"),
                             ({"eta": "1.5"}, "parameter 'eta': 1.5 is out of range"),
                             ({"eta": "1e400"}, "parameter 'eta': '1e400' is not a finite number"),
                             ({"gain": "1e999"}, "not a finite number")]:
        with pytest.raises(ParameterError, match=".*") as err:
            resolve_params(declared, overrides=overrides)
        assert words in str(err.value), str(err.value)
    # plain entries: refused only with infer=True (what the runner asks), where the inference is safe
    loose = {"n_cells": "0", "rate": "-1Hz", "dt": "0ms", "items": ""}
    for key, value in loose.items():
        resolve_params(declared, overrides={key: value})
        with pytest.raises(ParameterError, match=f"parameter '{key}'"):
            resolve_params(declared, overrides={key: value}, infer=True)
    p = resolve_params(declared, overrides={"gain": "5", "v": "10*mV", "rate": "0Hz"}, infer=True)
    assert p.gain == 5.0 and p.v == 10 * mV and p.rate == 0 * Hz
    with pytest.raises(ParameterError, match="too large"):
        resolve_params(declared, overrides={"n_cells": "1e300"})
