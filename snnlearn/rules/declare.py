"""Parameter declarations of the catalog rules and homeostasis functions.

A catalog function declares each of its arguments with the same :class:`snnlearn.params.Param`
that experiments use (unit, bounds or choices, one-line doc) through :func:`declared`:

* every call is checked against the declarations, and a bad value raises a one-line
  :class:`~snnlearn.errors.RuleError` naming the rule and the argument (``rule
  'bcm': y0 = -1.0 must be > 0.0``), or the function's own, more specific, message
  where it checks that value itself;
* the docstring's parameter table is generated from them (the line ``<parameters>`` in
  the docstring is replaced by the table), so the table can never disagree with the code;
* the declarations stay readable at run time as ``function.parameters`` (``snnlearn show``,
  tests).

A weight-like argument (an amplitude, a bound, a learning rate in the unit of ``w``) has no
fixed unit: declare it with ``unit_text="unit of w"`` and no ``unit``; its bounds compare the
values in SI units, whatever unit the weights carry.
"""

import functools
import inspect
import textwrap

from brian2 import Quantity
from brian2.units.fundamentalunits import get_dimensions

from ..errors import RuleError
from ..units import unit_name

__all__ = ["declared", "parameter_rows"]

MARKER = "<parameters>"


def _unit_text(decl):
    if decl.unit_text:
        return decl.unit_text
    if decl.unit is not None:
        return unit_name(decl.unit)
    if isinstance(decl.default, Quantity):
        return unit_name(decl.default)
    if isinstance(decl.default, (bool, str)) or decl.choices is not None:
        return "--"
    return "1"


def parameter_rows(parameters):
    """``(name, unit text, doc)`` for each declared argument, in declaration order."""
    return [(name, _unit_text(decl), decl.doc) for name, decl in parameters.items()]


def _table(parameters, indent):
    rows = parameter_rows(parameters)
    w_name = max(len("parameter"), *(len(r[0]) for r in rows))
    w_unit = max(len("unit"), *(len(r[1]) for r in rows))
    w_doc = 78 - w_name - w_unit - 4
    rule = f"{'=' * w_name}  {'=' * w_unit}  {'=' * w_doc}"
    lines = [rule, f"{'parameter'.ljust(w_name)}  {'unit'.ljust(w_unit)}  meaning", rule]
    for name, unit, doc in rows:
        wrapped = textwrap.wrap(doc, w_doc) or [""]
        lines.append(f"{name.ljust(w_name)}  {unit.ljust(w_unit)}  {wrapped[0]}".rstrip())
        lines += [f"{'':{w_name}}  {'':{w_unit}}  {more}" for more in wrapped[1:]]
    lines.append(rule)
    return "\n".join(indent + line for line in lines)


def _fail(rule, name, value, what):
    raise RuleError(rule, f"{name} = {value!r} {what}")


def _check(rule, name, value, decl):
    """Raise a one-line RuleError if ``value`` breaks declaration ``decl``."""
    if value is None and decl.default is None:
        return  # an optional argument left out
    if decl.choices is not None:
        if value not in decl.choices:
            _fail(rule, name, value, "must be one of " + ", ".join(repr(c) for c in decl.choices))
        return
    if decl.unit is not None:
        if not isinstance(value, (Quantity, int, float)) or isinstance(value, bool):
            _fail(rule, name, value, f"must be a quantity in {_unit_text(decl)}")
        if get_dimensions(value) is not get_dimensions(decl.unit):
            _fail(rule, name, value, f"must be in {_unit_text(decl)} (has dimension {get_dimensions(value)})")
    numeric = isinstance(value, (Quantity, int, float)) and not isinstance(value, bool)
    if decl.low is not None or decl.high is not None:
        if not numeric:
            _fail(rule, name, value, "must be a number or a quantity")
        x = float(value)
        if x != x:
            _fail(rule, name, value, "must not be NaN")
        if decl.low is not None and (x <= float(decl.low) if decl.strict else x < float(decl.low)):
            _fail(rule, name, value, f"must be {'>' if decl.strict else '>='} {decl.low!r}")
        if decl.high is not None and x > float(decl.high):
            _fail(rule, name, value, f"must be <= {decl.high!r}")


def declared(**parameters):
    """Decorator: declare a catalog function's arguments (each a :class:`~snnlearn.params.Param`).

    Every declared name must be an argument of the function, and its ``Param`` default the
    function's default (checked when the module is imported). Arguments not declared (e.g.
    ``**overrides``) are left to the function.
    """

    def wrap(fn):
        signature = inspect.signature(fn)
        for name, decl in parameters.items():
            if name not in signature.parameters:
                raise TypeError(f"{fn.__name__}: declared parameter {name!r} is not an argument")
            default = signature.parameters[name].default
            if default is not inspect.Parameter.empty and not _same(default, decl.default):
                raise TypeError(f"{fn.__name__}: declared default of {name!r} ({decl.default!r}) "
                                f"differs from the function's ({default!r})")

        @functools.wraps(fn)
        def checked(*args, **kwargs):
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise RuleError(fn.__name__, str(exc)) from None
            bound.apply_defaults()
            problem = None
            for name, decl in parameters.items():
                if name in bound.arguments and bound.arguments[name] is not inspect.Parameter.empty:
                    try:
                        _check(fn.__name__, name, bound.arguments[name], decl)
                    except RuleError as exc:
                        problem = exc
                        break
            if problem is None:
                return fn(*args, **kwargs)
            try:  # the function's own check of this value, where it has one, words it more specifically
                fn(*args, **kwargs)
            except RuleError:
                raise
            except Exception:
                pass
            raise problem

        checked.parameters = dict(parameters)
        doc = fn.__doc__ or ""
        if MARKER in doc:
            line = next(line for line in doc.splitlines() if MARKER in line)
            indent = line[: len(line) - len(line.lstrip())]
            checked.__doc__ = doc.replace(line, _table(parameters, indent))
        return checked

    return wrap


def _same(a, b):
    try:
        return bool(a == b) if not (isinstance(a, Quantity) or isinstance(b, Quantity)) else bool(
            get_dimensions(a) is get_dimensions(b) and float(a) == float(b))
    except (TypeError, ValueError):
        return a is b
