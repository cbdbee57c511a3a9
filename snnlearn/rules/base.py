"""`Rule`: a plasticity rule declared as Brian2 equation strings plus parameters.

A Rule is data (the declaration); :func:`snnlearn.connect` is the builder that turns
it into a :class:`brian2.Synapses`. A Rule prints its equations and parameters,
compares equal to an identical rule, copies itself with changed parameters
(:meth:`Rule.with_params`) and round-trips through JSON (:meth:`Rule.to_json`,
:meth:`Rule.from_json`) for run provenance.

Conventions
-----------
* The synaptic weight is always called ``w``. If the rule's ``model`` does not declare
  it, :func:`snnlearn.connect` adds ``w : 1`` (or ``w : <w_unit>``). Catalog rules given
  parameters with a unit (``wmax=1*nS``) declare ``w`` in that unit themselves.
* Parameters are constants: numbers or Brian2 quantities. Time parameters (time
  constants, intervals) must be positive.
* Identifiers ending in ``_pre`` / ``_post`` refer to the connected groups and are
  checked at ``connect``.
* ``modulators`` names the third-factor signals (e.g. ``("d",)`` for dopamine) that the
  rule reads but does not define; they are supplied at ``connect``.
"""

import ast
import json
import keyword
import textwrap

import numpy as np
from brian2 import Equations, Quantity, second
from brian2.core.functions import DEFAULT_CONSTANTS, DEFAULT_FUNCTIONS
from brian2.core.namespace import DEFAULT_UNITS
from brian2.equations.equations import EquationError
from brian2.parsing.statements import parse_statement
from brian2.utils.stringtools import get_identifiers

from ..errors import RuleError
from ..units import format_quantity, parse_quantity

__all__ = ["Rule", "BUILTIN_IDENTIFIERS", "RESERVED_VARIABLES", "PLASTICITY_SWITCH", "weight_declaration"]

#: Name of the per-projection learning switch that :func:`snnlearn.connect` adds.
PLASTICITY_SWITCH = "plasticity"

#: Names Brian2 provides inside synaptic code without any declaration.
BUILTIN_IDENTIFIERS = frozenset(
    set(DEFAULT_FUNCTIONS)
    | set(DEFAULT_CONSTANTS)
    | set(DEFAULT_UNITS)
    | {
        "t", "dt", "t_in_timesteps", "i", "j", "N", "N_pre", "N_post", "N_incoming", "N_outgoing",
        "lastupdate", "delay", "xi", "True", "False", "and", "or", "not", PLASTICITY_SWITCH,
    }
)


#: Names a synapse model cannot declare: Brian2 defines them in every synaptic context.
RESERVED_VARIABLES = frozenset(BUILTIN_IDENTIFIERS - {"True", "False", "and", "or", "not"})


def _syntax_error(code):
    """Why ``code`` (one expression) is not valid expression syntax, or None."""
    try:
        ast.parse(code.strip(), mode="eval")
    except SyntaxError as exc:
        return exc.msg
    return None


def weight_declaration(unit):
    """The model line ``w : <unit>`` for a catalog rule whose weights carry a unit ('' when dimensionless).

    ``unit`` is the text of :func:`snnlearn.units.unit_name`. Dimensionless rules leave
    ``w`` to :func:`snnlearn.connect` (``w : 1``, or the ``w_unit`` it is given), so their
    equations read as in the paper.
    """
    return "" if unit == "1" else f"w : {unit}"


def _statement_lines(code):
    """Split Brian2 statement code into non-empty lines (``;`` and newlines separate)."""
    lines = []
    for raw in code.replace(";", "\n").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def _is_time(value):
    return isinstance(value, Quantity) and value.dim == second.dim


class Rule:
    """A synaptic plasticity rule written as Brian2 equation strings.

    Parameters
    ----------
    name : str
        Short identifier, used in error messages and provenance.
    model : str
        Brian2 synaptic model equations (traces, eligibility, ...). May declare ``w``.
    on_pre, on_post : str
        Statements run on a presynaptic / postsynaptic spike. Transmission to the
        target (``ge_post += w``) is *not* part of the rule: it is given to ``connect``.
    params : dict
        Parameter name -> number or :class:`brian2.Quantity`.
    modulators : tuple of str
        Third-factor signals the rule reads (``"d"`` for dopamine, ``"M"`` for a
        reward-prediction error, ...). ``connect`` must be given a source for each.
    regular : str
        Statements run every ``regular_dt`` (e.g. an eligibility-gated weight update).
    regular_dt : Quantity
        Interval for ``regular`` (required if ``regular`` is given).
    method : str, optional
        Integration method for clock-driven equations (``"euler"``, ``"exact"``, ...);
        Brian2 chooses when it is None.
    doc : str
        What the rule does, its equations as in the paper.
    reference : str
        The paper.
    """

    def __init__(self, name, model="", on_pre="", on_post="", params=None, *, modulators=(),
                 regular="", regular_dt=None, method=None, doc="", reference=""):
        if not isinstance(name, str) or not name.isidentifier():
            raise RuleError(str(name), "the name must be a Python identifier such as 'my_stdp'")
        self.name = name
        self.model = textwrap.dedent(model).strip()
        self.on_pre = textwrap.dedent(on_pre).strip()
        self.on_post = textwrap.dedent(on_post).strip()
        self.regular = textwrap.dedent(regular).strip()
        self.regular_dt = regular_dt
        self.method = method
        self.params = dict(params or {})
        self.modulators = tuple(modulators)
        self.doc = textwrap.dedent(doc).strip()
        self.reference = reference
        self._validate()

    # ------------------------------------------------------------------ validation
    def _fail(self, message):
        raise RuleError(self.name, message)

    def _validate(self):
        for key, value in self.params.items():
            if not isinstance(key, str) or not key.isidentifier():
                self._fail(f"parameter name {key!r} is not an identifier")
            if keyword.iskeyword(key):
                self._fail(f"parameter name '{key}' is a Python keyword; rename it (e.g. '{key}_')")
            if key == "w":
                self._fail("parameter 'w' shadows the synaptic weight 'w'; rename the parameter")
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number, Quantity)):
                self._fail(f"parameter '{key}' = {value!r} must be a number or a Brian2 quantity")
            if np.ndim(value) != 0:
                self._fail(f"parameter '{key}' must be a scalar, got shape {np.shape(value)}")
            if not np.isfinite(float(np.asarray(value))):
                self._fail(f"parameter '{key}' = {value!r} is not finite")
            if _is_time(value) and not float(value) > 0:
                self._fail(f"time parameter '{key}' = {value!r} must be positive")
            if key in BUILTIN_IDENTIFIERS:
                self._fail(f"parameter '{key}' shadows the Brian2 built-in '{key}'; rename it")
        if self.regular and self.regular_dt is None:
            self._fail("'regular' code needs 'regular_dt', the interval at which it runs")
        if self.regular_dt is not None and not (_is_time(self.regular_dt) and float(self.regular_dt) > 0):
            self._fail(f"regular_dt = {self.regular_dt!r} must be a positive time")
        try:
            self.equations = Equations(self.model)
        except (EquationError, ValueError, KeyError, TypeError, SyntaxError) as exc:
            first = str(exc).strip().splitlines()
            self._fail(f"model equations do not parse: {first[0] if first else exc} (in '{self.model}')")
        self.variables = set(self.equations.names)
        reserved = sorted(self.variables & RESERVED_VARIABLES)
        if reserved:
            self._fail(f"model variable '{reserved[0]}' is a name Brian2 reserves in synapses; rename it")
        overlap = self.variables & set(self.params)
        if overlap:
            self._fail(f"'{sorted(overlap)[0]}' is both a model variable and a parameter")
        for name in self.modulators:
            if not name.isidentifier():
                self._fail(f"modulator name '{name}' is not an identifier")
        defined = self.variables | set(self.params) | set(self.modulators) | BUILTIN_IDENTIFIERS | {"w"}
        for eq in self.equations.values():
            if eq.expr is not None:
                self._check_identifiers(eq.expr.code, f"model line for '{eq.varname}'", defined)
        for field in ("on_pre", "on_post", "regular"):
            temporaries = set()
            for line in _statement_lines(getattr(self, field)):
                try:
                    var, op, expr, _ = parse_statement(line)
                except (ValueError, SyntaxError) as exc:
                    # the first line: newer Brian2s add the statement and a caret line below
                    detail = " ".join(str(exc).strip().splitlines()[0].split()) if str(exc).strip() else type(exc).__name__
                    self._fail(f"{field} line '{line}' does not parse: {detail}")
                problem = _syntax_error(expr)
                if problem:
                    self._fail(f"{field} line '{line}' does not parse: {problem}")
                writable = var in self.variables or var == "w" or var in temporaries or var.endswith(("_pre", "_post"))
                if not writable:
                    if op == "=" and var not in defined:
                        temporaries.add(var)  # a new temporary variable
                    else:
                        self._fail(f"{field} line '{line}' updates '{var}', which is not a variable of the rule")
                self._check_identifiers(expr, f"{field} line '{line}'", defined | temporaries)

    def _check_identifiers(self, code, where, defined):
        for ident in sorted(get_identifiers(code)):
            if ident in defined or ident.endswith("_pre") or ident.endswith("_post"):
                continue
            self._fail(
                f"undefined identifier '{ident}' in {where}: declare it as a parameter, a model variable, "
                f"a modulator, or a _pre/_post variable of the connected groups"
            )

    # ------------------------------------------------------------------ data model
    def with_params(self, **changes):
        """A copy of this rule with some parameters changed (unknown names raise RuleError)."""
        unknown = set(changes) - set(self.params)
        if unknown:
            self._fail(f"with_params got unknown parameter '{sorted(unknown)[0]}'; known: {sorted(self.params)}")
        return Rule(self.name, self.model, self.on_pre, self.on_post, {**self.params, **changes},
                    modulators=self.modulators, regular=self.regular, regular_dt=self.regular_dt,
                    method=self.method, doc=self.doc, reference=self.reference)

    def _key(self):
        params = tuple(sorted((k, format_quantity(v)) for k, v in self.params.items()))
        regular_dt = None if self.regular_dt is None else format_quantity(self.regular_dt)
        return (self.name, self.model, self.on_pre, self.on_post, params, self.modulators,
                self.regular, regular_dt, self.method)

    def __eq__(self, other):
        if not isinstance(other, Rule):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def to_dict(self):
        """A JSON-ready dict; quantities are written as exact text (``"20. * msecond"``)."""
        return {
            "name": self.name,
            "model": self.model,
            "on_pre": self.on_pre,
            "on_post": self.on_post,
            "params": {k: format_quantity(v) for k, v in self.params.items()},
            "modulators": list(self.modulators),
            "regular": self.regular,
            "regular_dt": None if self.regular_dt is None else format_quantity(self.regular_dt),
            "method": self.method,
            "doc": self.doc,
            "reference": self.reference,
        }

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        params = {k: parse_quantity(v) for k, v in data.pop("params", {}).items()}
        regular_dt = data.pop("regular_dt", None)
        return cls(params=params, regular_dt=None if regular_dt is None else parse_quantity(regular_dt),
                   modulators=tuple(data.pop("modulators", ())), **data)

    def to_json(self, **kwargs):
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text):
        return cls.from_dict(json.loads(text))

    def __repr__(self):
        return f"Rule({self.name!r}, params={{{', '.join(f'{k!r}: {format_quantity(v)}' for k, v in self.params.items())}}})"

    def __str__(self):
        out = [f"Rule '{self.name}'" + (f"  ({self.reference})" if self.reference else "")]
        for label, text in (("model", self.model), ("on_pre", self.on_pre), ("on_post", self.on_post),
                            ("regular", self.regular)):
            if text:
                out.append(f"  {label}:")
                out.extend(f"    {line}" for line in text.splitlines())
        if self.regular_dt is not None:
            out.append(f"  regular_dt: {format_quantity(self.regular_dt)}")
        if self.modulators:
            out.append(f"  modulators: {', '.join(self.modulators)}")
        if self.params:
            out.append("  params:")
            width = max(len(k) for k in self.params)
            out.extend(f"    {k.ljust(width)} = {format_quantity(v)}" for k, v in self.params.items())
        return "\n".join(out)
