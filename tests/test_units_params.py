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


@pytest.mark.parametrize("overrides, words", [
    ({"taux": "5ms"}, "unknown parameter 'taux'; valid parameters: eta, flag, label, n, rates, tau"),
    ({"tau": "5 mV"}, "parameter 'tau': '5 mV' has the wrong unit; expected a quantity in s, e.g. 20.0 * msecond"),
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
