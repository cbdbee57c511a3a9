"""Experiment parameters: declarations, resolving defaults and ``--set key=value`` overrides, with units.

An experiment's ``PARAMS`` maps each name to its default, either plainly
(``"tau": 20*ms``) or as a :class:`Param` declaration with bounds, choices and a
one-line doc (``"tau": Param(20*ms, low=0*ms, strict=True, doc="membrane time constant")``).

Values given as text are read by :func:`snnlearn.units.parse_quantity` (never
``eval``) and checked against the default's type and unit, then against the declared
bounds or choices. Non-finite numbers (``1e400`` reads as inf) are always refused.
With ``infer=True`` (what the runner asks for) plain entries get bounds inferred where
that is safe: a positive time stays a positive time, a positive rate is not negative,
a positive count named ``n_*`` stays at least 1, a positive integer is not negative,
integers fit in 32 bits (Brian2's indices), and a non-empty list stays non-empty.
Every problem raises a :class:`ParameterError` whose one-line message names the key
and what is allowed.
"""

import json
import math

import numpy as np
from brian2 import Quantity

from .units import UnitParseError, format_quantity, has_same_unit, parse_quantity, unit_name

__all__ = ["ParameterError", "Params", "Param", "resolve_params", "params_to_json", "params_from_json",
           "coerce_value", "plain_defaults", "check_value", "runtime_parameters", "INT_LIMIT"]

#: Integers must stay below this in absolute value (Brian2 stores sizes and indices as int32).
INT_LIMIT = 2**31 - 1


class ParameterError(ValueError):
    """A parameter name or value that the experiment cannot accept."""


class Params(dict):
    """A dict of resolved parameters that also allows attribute access (``p.tau``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no parameter named {name!r}") from None


class Param:
    """A declared experiment parameter: default, unit, bounds or choices, and a one-line doc.

    Parameters
    ----------
    default
        The default value (a quantity, number, bool, string or list of those).
    unit : brian2 unit, optional
        The unit values must have (default: the default's unit).
    low, high : optional
        Inclusive bounds (same unit as the value; for a list, bounds on every item).
    strict : bool
        ``low`` is exclusive (``low=0*ms, strict=True``: a positive time).
    strict_high : bool
        ``high`` is exclusive (``low=0.0, strict=True, high=1.0, strict_high=True``: a fraction in (0, 1)).
    choices : sequence, optional
        The allowed values (for a list, the allowed items).
    min_len, max_len : int, optional
        For list values: how many items are allowed.
    doc : str
        One line saying what the parameter is.
    unit_text : str, optional
        How the unit reads in tables when it is not a fixed unit (a catalog rule's
        ``"unit of w"``: any unit, that of the weights).
    runtime : bool
        The value reaches a compiled ``cpp_standalone`` program only as the value of
        variables (set with Brian2's ``run_args``), never as a constant compiled into it:
        runs that differ only in such parameters share one compiled program (a list's
        length still counts as structure). See :func:`runtime_parameters`.
    """

    def __init__(self, default, unit=None, low=None, high=None, strict=False, choices=None, min_len=None,
                 max_len=None, doc="", runtime=False, unit_text=None, strict_high=False):
        self.default = default
        self.unit = unit
        self.low = low
        self.high = high
        self.strict = bool(strict)
        self.strict_high = bool(strict_high)
        self.choices = None if choices is None else tuple(choices)
        self.min_len = min_len
        self.max_len = max_len
        self.doc = doc
        self.runtime = bool(runtime)
        self.unit_text = unit_text
        if unit is not None and isinstance(default, Quantity) and not has_same_unit(default, unit):
            raise ValueError(f"Param default {default} does not have the declared unit {unit}")

    def __repr__(self):
        parts = [repr(self.default)]
        for name in ("unit", "low", "high", "choices", "min_len", "max_len"):
            if getattr(self, name) is not None:
                parts.append(f"{name}={getattr(self, name)!r}")
        if self.strict:
            parts.append("strict=True")
        if self.strict_high:
            parts.append("strict_high=True")
        if self.runtime:
            parts.append("runtime=True")
        if self.doc:
            parts.append(f"doc={self.doc!r}")
        return f"Param({', '.join(parts)})"

    def describe(self):
        """What is allowed, in words: 'a quantity in s, > 0 s', 'one of ring, sheet'."""
        item = self.default[0] if isinstance(self.default, (list, tuple)) and self.default else self.default
        text = _describe(self.default)
        limits = []
        if self.choices is not None:
            limits.append("one of " + ", ".join(str(c) for c in self.choices))
        if self.low is not None:
            limits.append(f"{'>' if self.strict else '>='} {_fmt(self.low)}")
        if self.high is not None:
            limits.append(f"{'<' if self.strict_high else '<='} {_fmt(self.high)}")
        if self.min_len:
            limits.append(f"at least {self.min_len} item{'s' if self.min_len > 1 else ''}")
        if self.max_len is not None:
            limits.append(f"at most {self.max_len} items")
        del item
        return text + (f" ({', '.join(limits)})" if limits else "")


def _fmt(value):
    if isinstance(value, Quantity) and not value.dim.is_dimensionless:
        if float(np.asarray(value)) == 0:
            return f"0 {unit_name(value)}"
        return format_quantity(value)
    return str(value)


def plain_defaults(declared):
    """``{name: default}`` of a ``PARAMS`` dict whose entries may be :class:`Param` declarations."""
    return {k: (v.default if isinstance(v, Param) else v) for k, v in declared.items()}


def _declaration(key, entry, infer):
    """The :class:`Param` for a ``PARAMS`` entry: as declared, or inferred from a plain default."""
    if isinstance(entry, Param):
        return entry
    if not infer:
        return Param(entry)
    default = entry
    proto = default[0] if isinstance(default, (list, tuple)) and default else default
    low, strict = None, False
    if isinstance(proto, Quantity) and not proto.dim.is_dimensionless and np.ndim(proto) == 0:
        from brian2 import Hz, second

        if float(proto) > 0 and proto.dim == second.dim:
            low, strict = 0 * second, True  # a positive time stays a positive time (durations, dt, intervals)
        elif float(proto) > 0 and proto.dim == Hz.dim:
            low = 0 * Hz  # a rate is not negative
    elif isinstance(proto, (int, np.integer)) and not isinstance(proto, bool) and proto > 0:
        low = 1 if key.startswith("n_") or key.startswith("num_") else 0  # counts stay counts
    min_len = 1 if isinstance(default, (list, tuple)) and len(default) > 0 else None
    return Param(default, low=low, strict=strict, min_len=min_len)


def _describe(default):
    if isinstance(default, Quantity) and not default.dim.is_dimensionless:
        return f"a quantity in {unit_name(default)}"
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, (int, np.integer)):
        return "an integer"
    if isinstance(default, (float, np.floating, Quantity)):
        return "a number"
    if isinstance(default, (list, tuple)):
        return "a comma-separated list"
    return "a string"


def _list_items(text):
    """The items of a list given as text: ``a,b``, or written as Python writes it, ``['a', 'b']`` or ``[1*ms, 2*ms]``."""
    text = str(text).strip()
    if len(text) >= 2 and text[0] + text[-1] in ("[]", "()"):
        text = text[1:-1]
    items = [v.strip() for v in text.split(",")]
    return [v[1:-1] if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"" else v for v in items if v != ""]


def coerce_value(key, value, default):
    """Convert ``value`` (text or a Python value) to the type and unit of ``default``."""
    if isinstance(default, Param):
        default = default.default
    if isinstance(default, (list, tuple)):
        items = value if isinstance(value, (list, tuple)) else _list_items(value)
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
        _check_finite(key, value, parsed)
        return parsed
    if isinstance(parsed, Quantity) and not parsed.dim.is_dimensionless:
        raise ParameterError(f"parameter '{key}': '{value}' has a unit, but '{key}' is dimensionless")
    _check_finite(key, value, parsed)
    if isinstance(default, (int, np.integer)):
        if float(parsed) != int(float(parsed)):
            raise ParameterError(f"parameter '{key}': expected an integer, got '{value}'")
        if abs(float(parsed)) > INT_LIMIT:
            raise ParameterError(f"parameter '{key}': {value} is too large; expected an integer of at most "
                                 f"{INT_LIMIT} in size")
        return int(float(parsed))
    return float(parsed)


def _check_finite(key, text, parsed):
    try:
        finite = math.isfinite(float(np.asarray(parsed)))
    except (TypeError, ValueError):
        return
    if not finite:
        raise ParameterError(f"parameter '{key}': '{text}' is not a finite number")


def _within(key, value, decl):
    """Raise ParameterError unless one (scalar) value satisfies ``decl``'s bounds and choices."""
    if decl.choices is not None and value not in decl.choices:
        raise ParameterError(f"parameter '{key}': {_fmt(value)!s} is not allowed; expected {decl.describe()}")
    if isinstance(value, (bool, str)):
        return
    try:
        number = float(np.asarray(value))
    except (TypeError, ValueError):
        return
    if not math.isfinite(number):
        raise ParameterError(f"parameter '{key}': {_fmt(value)} is not a finite number")
    if isinstance(value, (int, np.integer)) and abs(number) > INT_LIMIT:
        raise ParameterError(f"parameter '{key}': {value} is too large; expected {decl.describe()}")
    low, high = decl.low, decl.high
    if low is not None:
        lo = float(np.asarray(low))
        if number < lo or (decl.strict and number == lo):
            raise ParameterError(f"parameter '{key}': {_fmt(value)} is out of range; expected {decl.describe()}")
    hi = None if high is None else float(np.asarray(high))
    if hi is not None and (number > hi or (decl.strict_high and number == hi)):
        raise ParameterError(f"parameter '{key}': {_fmt(value)} is out of range; expected {decl.describe()}")


def check_value(key, value, entry, infer=False):
    """Check a resolved value against its ``PARAMS`` entry (declared bounds; inferred ones with ``infer``)."""
    decl = _declaration(key, entry, infer)
    if isinstance(value, (list, tuple)):
        if decl.min_len is not None and len(value) < decl.min_len:
            raise ParameterError(f"parameter '{key}': give at least {decl.min_len} value"
                                 f"{'s' if decl.min_len > 1 else ''} (a comma-separated list), got none"
                                 if len(value) == 0 else
                                 f"parameter '{key}': give at least {decl.min_len} values, got {len(value)}")
        if decl.max_len is not None and len(value) > decl.max_len:
            raise ParameterError(f"parameter '{key}': give at most {decl.max_len} values, got {len(value)}")
        for item in value:
            _within(key, item, decl)
    else:
        _within(key, value, decl)


def resolve_params(defaults, quick=None, overrides=None, use_quick=False, infer=False):
    """Defaults, then ``quick`` overrides (if ``use_quick``), then user ``overrides`` (text or values).

    ``defaults`` is an experiment's ``PARAMS`` (plain values or :class:`Param`). Values
    are checked against declared bounds, and, with ``infer``, against bounds inferred
    from plain defaults (see the module docstring).
    """
    resolved = Params(plain_defaults(defaults))
    if use_quick and quick:
        resolved.update(quick)
    for key, value in (overrides or {}).items():
        if key not in defaults:
            valid = ", ".join(sorted(defaults))
            raise ParameterError(f"unknown parameter '{key}'; valid parameters: {valid}")
        resolved[key] = coerce_value(key, value, defaults[key])
    for key, value in resolved.items():
        check_value(key, value, defaults[key], infer=infer)
    return resolved


def _text(value):
    if isinstance(value, (list, tuple)):
        return ",".join(_text(v) for v in value)
    if isinstance(value, Quantity) and not value.dim.is_dimensionless:
        return format_quantity(value)
    return str(value)


def parameter_table(declared, quick=None):
    """Lines of a table of ``PARAMS``: name, default, what is allowed (declared or inferred), doc, quick value."""
    rows = []
    for key, entry in declared.items():
        decl = _declaration(key, entry, infer=True)
        note = decl.doc
        if isinstance(entry, Param) and entry.runtime:
            note = (note + "; " if note else "") + "run-time value (a sweep reuses the compiled program)"
        if quick and key in quick:
            note = (note + "; " if note else "") + f"--quick: {_text(quick[key])}"
        rows.append((key, _text(decl.default), decl.describe(), note))
    widths = [max(len(r[i]) for r in rows) for i in range(3)] if rows else [0, 0, 0]
    return [f"{k.ljust(widths[0])}  {d.ljust(widths[1])}  {a.ljust(widths[2])}  {n}".rstrip() for k, d, a, n in rows]


def runtime_parameters(declared):
    """Names of the declared parameters marked ``runtime=True``, in declaration order."""
    return tuple(key for key, entry in declared.items() if isinstance(entry, Param) and entry.runtime)


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
    return json.dumps({k: _to_jsonable(v) for k, v in params.items()}, indent=2, sort_keys=True, allow_nan=False)


def params_from_json(text):
    """Inverse of :func:`params_to_json`."""
    return Params({k: _from_jsonable(v) for k, v in json.loads(text).items()})
