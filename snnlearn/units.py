"""Quantities as text: a safe parser (no ``eval``) and an exact, readable printer.

Parameters travel through JSON (run provenance, rule serialisation) and the command
line (``--set tau=20*ms``). Both need quantities written as text and read back
exactly, without ever evaluating user input as Python.

Accepted forms::

    20*ms   20 ms   20ms   1.5e-3 * second   10 Hz   0.5*nS   3 * mV/ms   2 * metre**2   -70*mV   7

The unit part is a product / quotient of Brian2 unit names (``ms``, ``mV``, ``Hz``,
``nS``, ``second``, ...), each optionally raised to an integer power.
"""

import re

import numpy as np
from brian2 import Quantity
from brian2.core.namespace import DEFAULT_UNITS
from brian2.equations.equations import dimensions_and_type_from_string
from brian2.units.fundamentalunits import Dimension, get_unit

__all__ = ["parse_quantity", "format_quantity", "UnitParseError", "has_same_unit", "unit_name"]

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_UNIT_TOKEN = re.compile(r"\s*([*/])?\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\*\*\s*([+-]?\d+))?\s*")
_LEADING_NUMBER = re.compile(rf"^\s*({_NUMBER})\s*\*?\s*")


_ALIASES = {"s": DEFAULT_UNITS["second"], "sec": DEFAULT_UNITS["second"], "min": 60 * DEFAULT_UNITS["second"]}


class UnitParseError(ValueError):
    """Text that is not a number with an optional Brian2 unit."""


def _parse_unit(text, original):
    """Parse ``ms``, ``mV/ms``, ``metre**2`` ... into a Quantity of value 1 (in that unit)."""
    pos, result, first = 0, None, True
    while pos < len(text):
        m = _UNIT_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise UnitParseError(f"cannot read '{original}': expected a number with an optional unit such as 20*ms")
        op, name, power = m.groups()
        if first and op == "/":
            raise UnitParseError(f"cannot read '{original}': a unit cannot start with '/'")
        if not first and op is None:
            raise UnitParseError(f"cannot read '{original}': write units as a product, e.g. mV/ms")
        unit = DEFAULT_UNITS.get(name, _ALIASES.get(name))
        if unit is None:
            raise UnitParseError(f"cannot read '{original}': '{name}' is not a Brian2 unit")
        factor = unit ** (int(power) if power else 1)
        if result is None:
            result = factor
        elif op == "/":
            result = result / factor
        else:
            result = result * factor
        first = False
        pos = m.end()
    return result


def parse_quantity(text):
    """Read a number with an optional Brian2 unit, without ``eval``.

    Returns a ``float`` (or ``int``) for a bare number and a :class:`brian2.Quantity`
    otherwise. Raises :class:`UnitParseError` (a ``ValueError``) for anything else,
    including Python expressions such as ``__import__('os')``.
    """
    if isinstance(text, (int, float, Quantity)):
        return text
    original = text
    text = str(text).strip()
    m = _LEADING_NUMBER.match(text)
    if not m:
        raise UnitParseError(f"cannot read '{original}': expected a number with an optional unit such as 20*ms")
    number_text = m.group(1)
    rest = text[m.end():]
    number = float(number_text)
    if not rest:
        if re.fullmatch(r"[+-]?\d+", number_text):
            return int(number_text)
        return number
    unit = _parse_unit(rest, original)
    return number * unit


def unit_name(q):
    """The unit of ``q`` as Brian2's equation parser reads it: ``'siemens'``, ``'volt / second'``, ``'1'``.

    ``q`` is a quantity, a number (dimensionless) or a Brian2 dimension. Brian2 prints
    units by their abbreviations (``nS``, ``V``), which its own ``Equations`` cannot read
    back in a unit specification; this gives the SI name when Brian2 reads it back to
    the same dimension, and a product of SI base units otherwise. Catalog rules use it
    to write trace units into their equations.
    """
    dim = getattr(q, "dim", q)
    if not isinstance(dim, Dimension) or dim.is_dimensionless:
        return "1"
    per_second = get_unit(dim * DEFAULT_UNITS["second"].dim).name
    for text in (get_unit(dim).name, f"{per_second} / second", _si_unit_expression(dim)):
        try:
            parsed, _ = dimensions_and_type_from_string(text)
        except (ValueError, KeyError, SyntaxError):
            continue
        if parsed == dim:
            return text
    raise ValueError(f"no unit text that Brian2's equations read back for dimension {dim}")  # pragma: no cover


def _preferred_forms(q):
    """Units a neuroscientist reads at a glance: seconds or ms for times, Hz for rates, mV, nS, pA."""
    from brian2 import Hz, mV, msecond, nA, nS, pA, second

    value = float(np.asarray(q / get_unit(q.dim)))
    if q.dim == second.dim:
        unit, name = (second, "second") if abs(value) >= 1 else (msecond, "msecond")
    elif q.dim == Hz.dim:
        unit, name = Hz, "hertz"
    elif q.dim == mV.dim:
        unit, name = mV, "mvolt"
    elif q.dim == nS.dim:
        unit, name = nS, "nsiemens"
    elif q.dim == pA.dim:
        unit, name = (pA, "pamp") if abs(value) < 1e-9 else (nA, "namp")
    else:
        return []
    number = float(np.asarray(q / unit))
    return [f"{number!r} * {name}", f"{number:.12g} * {name}"]


def format_quantity(q):
    """Write ``q`` so that :func:`parse_quantity` reads back exactly the same value.

    A readable unit (``20. ms``) is used when that round-trips bit for bit, else the
    SI base unit (``0.02 second``).
    """
    if not isinstance(q, Quantity) or q.dim.is_dimensionless:
        return repr(float(q)) if not isinstance(q, (int, np.integer)) else str(int(q))
    if np.ndim(q) != 0:
        raise ValueError(f"format_quantity takes a scalar quantity, got shape {np.shape(q)}")
    for text in _preferred_forms(q) + [q.in_best_unit(python_code=True)]:
        try:
            if parse_quantity(text) == q:
                return text
        except UnitParseError:
            pass
    return f"{float(np.asarray(q))!r} * {_si_unit_expression(q.dim)}"


_SI_NAMES = ("metre", "kilogram", "second", "amp", "kelvin", "mole", "candela")


def _si_unit_expression(dim):
    """``metre**2 * kilogram * second**-3 * amp**-1`` for the volt, say."""
    parts = []
    for name, power in zip(_SI_NAMES, dim._dims):
        if power == 1:
            parts.append(name)
        elif power != 0:
            parts.append(f"{name}**{int(power)}")
    return " * ".join(parts)


def has_same_unit(a, b):
    """True if ``a`` and ``b`` have the same physical dimensions (numbers count as dimensionless)."""
    da = getattr(a, "dim", None)
    db = getattr(b, "dim", None)
    da_dimless = da is None or da.is_dimensionless
    db_dimless = db is None or db.is_dimensionless
    if da_dimless or db_dimless:
        return da_dimless and db_dimless
    return da == db
