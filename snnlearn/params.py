"""Experiment parameters: resolving defaults and ``--set key=value`` overrides, with units.

Values given as text are read by :func:`snnlearn.units.parse_quantity` (never
``eval``) and checked against the default's type and unit. Every problem raises a
:class:`ParameterError` whose one-line message names the key and the valid choices.
"""

import json

import numpy as np
from brian2 import Quantity

from .units import UnitParseError, format_quantity, has_same_unit, parse_quantity, unit_name

__all__ = ["ParameterError", "Params", "resolve_params", "params_to_json", "params_from_json", "coerce_value"]


class ParameterError(ValueError):
    """A parameter name or value that the experiment cannot accept."""


class Params(dict):
    """A dict of resolved parameters that also allows attribute access (``p.tau``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no parameter named {name!r}") from None


def _describe(default):
    if isinstance(default, Quantity):
        return f"a quantity in {unit_name(default)}"
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, (int, np.integer)):
        return "an integer"
    if isinstance(default, (float, np.floating)):
        return "a number"
    if isinstance(default, (list, tuple)):
        return "a comma-separated list"
    return "a string"


def coerce_value(key, value, default):
    """Convert ``value`` (text or a Python value) to the type and unit of ``default``."""
    if isinstance(default, (list, tuple)):
        items = value if isinstance(value, (list, tuple)) else [v for v in str(value).split(",") if v.strip() != ""]
        proto = default[0] if len(default) else ""
        return [coerce_value(key, item, proto) for item in items]
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ParameterError(f"parameter '{key}': expected true or false, got '{value}'")
    if isinstance(default, str):
        return str(value)
    try:
        parsed = parse_quantity(value)
    except UnitParseError as exc:
        raise ParameterError(f"parameter '{key}': {exc} (expected {_describe(default)})") from None
    if isinstance(default, Quantity) and not default.dim.is_dimensionless:
        if not has_same_unit(parsed, default):
            raise ParameterError(
                f"parameter '{key}': '{value}' has the wrong unit; expected {_describe(default)}, e.g. "
                f"{format_quantity(default)}")
        return parsed
    if isinstance(parsed, Quantity) and not parsed.dim.is_dimensionless:
        raise ParameterError(f"parameter '{key}': '{value}' has a unit, but '{key}' is dimensionless")
    if isinstance(default, (int, np.integer)):
        if float(parsed) != int(float(parsed)):
            raise ParameterError(f"parameter '{key}': expected an integer, got '{value}'")
        return int(float(parsed))
    return float(parsed)


def resolve_params(defaults, quick=None, overrides=None, use_quick=False):
    """Defaults, then ``quick`` overrides (if ``use_quick``), then user ``overrides`` (text or values)."""
    resolved = Params(defaults)
    if use_quick and quick:
        resolved.update(quick)
    for key, value in (overrides or {}).items():
        if key not in defaults:
            valid = ", ".join(sorted(defaults))
            raise ParameterError(f"unknown parameter '{key}'; valid parameters: {valid}")
        resolved[key] = coerce_value(key, value, defaults[key])
    return resolved


def _to_jsonable(value):
    if isinstance(value, Quantity) and not value.dim.is_dimensionless:
        return {"quantity": format_quantity(value)}
    if isinstance(value, (list, tuple)):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, Quantity)):
        return float(value)
    return value


def _from_jsonable(value):
    if isinstance(value, dict) and set(value) == {"quantity"}:
        return parse_quantity(value["quantity"])
    if isinstance(value, list):
        return [_from_jsonable(v) for v in value]
    return value


def params_to_json(params):
    """JSON text of resolved parameters; quantities as ``{"quantity": "20. * msecond"}`` (exact)."""
    return json.dumps({k: _to_jsonable(v) for k, v in params.items()}, indent=2, sort_keys=True)


def params_from_json(text):
    """Inverse of :func:`params_to_json`."""
    return Params({k: _from_jsonable(v) for k, v in json.loads(text).items()})
