"""`connect`: the builder that turns a :class:`~snnlearn.Rule` into a `brian2.Synapses`.

What it adds to the rule's own code:

* the weight ``w`` (if the rule does not declare it) and the transmission code
  (``ge_post += w``), which stays separate from the rule so that catalog rules do not
  hard-code a neuron model;
* the **learning switch** ``plasticity`` (a shared variable, default 1). A statement
  that changes ``w`` by an increment (``w += dw``, ``w -= dw``, ``w = w ± dw``,
  ``w = clip(w ± dw, lo, hi)``) gets the increment multiplied by ``plasticity``; any other
  statement that writes ``w`` is rewritten as ``w_new = ...; w = plasticity*w_new +
  (1-plasticity)*w``; a differential equation for ``w`` gets its right-hand side
  multiplied by ``plasticity``. Setting ``S.plasticity = 0`` freezes the weights bit for
  bit (weights inside the rule's clip bounds stay exactly where they are), ``1``
  restores the rule exactly (multiplying by 1.0 is exact), and a value in (0, 1) scales
  each step's change. The increment form costs one multiplication per update (the
  blend costs four, 9 % more instructions than hand-written Brian2 in the DA-STDP
  network of ``benchmarks/``). It can be
  set between runs, or changed inside a run (``sl.plasticity_schedule``), without a
  rebuild. (This is what Brian2 issue #1318's ``plastic`` flag does not guarantee.)
* modulators (third-factor signals), linked from the group that computes them;
* homeostasis / normalisation declarations, as summed variables and ``run_regularly``.

Everything is validated before a simulation runs; problems raise a one-line
:class:`~snnlearn.RuleError`.
"""

import numpy as np
from brian2 import Equations, Quantity, Synapses, TimedArray, second
from brian2.codegen.translation import analyse_identifiers
from brian2.equations.unitcheck import check_units_statements
from brian2.core.variables import linked_var
from brian2.equations.codestrings import Expression
from brian2.equations.equations import DIFFERENTIAL_EQUATION, PARAMETER, SingleEquation
from brian2.parsing.statements import parse_statement
from brian2.units.fundamentalunits import DIMENSIONLESS, DimensionMismatchError
from brian2.utils.stringtools import get_identifiers

from .errors import RuleError
from .rules.base import PLASTICITY_SWITCH, Rule, _statement_lines, _syntax_error
from .units import unit_name

__all__ = ["connect", "plasticity_schedule"]

_W_NEW = "w_new"


def _dimension(unit):
    """The Brian2 dimension of a unit given as a quantity, a dimension, a number or None."""
    if unit is None or isinstance(unit, (int, float, np.number)):
        return DIMENSIONLESS
    return getattr(unit, "dim", unit)


def _declare(name, unit, flags=()):
    """``name : <unit> (flags)`` built as an equation object, so no unit goes through text."""
    return Equations([SingleEquation(PARAMETER, name, dimensions=_dimension(unit), flags=list(flags) or None)])


def _rebuilt(eq, *, dim=None, expr=None):
    """A copy of the equation ``eq`` with another dimension or right-hand side."""
    return SingleEquation(eq.type, eq.varname, dimensions=eq.dim if dim is None else dim, var_type=eq.var_type,
                          expr=eq.expr if expr is None else Expression(expr), flags=list(eq.flags) or None)


def _scaled_increment(op, expr):
    """``w op expr`` as the same statement with its weight increment scaled by the switch, or None.

    Recognised: ``w += X`` / ``w -= X``, and ``w = w ± X`` / ``w = clip(w ± X, lo, hi)``
    (the forms of the catalog rules). Parsed with :mod:`ast`, so ``X`` may hold calls and commas.
    """
    import ast

    gate = PLASTICITY_SWITCH
    if op in ("+=", "-="):
        return f"w {op} {gate} * ({expr})"
    if op != "=":
        return None
    try:
        tree = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        return None
    text = expr.strip()

    def increment(node):
        if (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))
                and isinstance(node.left, ast.Name) and node.left.id == "w"):
            sign = "+" if isinstance(node.op, ast.Add) else "-"
            return f"w {sign} {gate} * ({ast.get_source_segment(text, node.right)})"
        return None

    if (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "clip"
            and len(tree.args) == 3 and not tree.keywords):
        inner = increment(tree.args[0])
        if inner is not None:
            lo, hi = (ast.get_source_segment(text, a) for a in tree.args[1:])
            return f"w = clip({inner}, {lo}, {hi})"
        return None
    inner = increment(tree)
    return None if inner is None else f"w = {inner}"


def _gate_weight_statements(code, counter):
    """Rewrite every statement that writes ``w`` so that it goes through the learning switch."""
    out = []
    for line in _statement_lines(code):
        var, op, expr, _ = parse_statement(line)
        if var != "w":
            out.append(line)
            continue
        scaled = _scaled_increment(op, expr)
        if scaled is not None:
            out.append(scaled)
            continue
        counter[0] += 1
        tmp = f"{_W_NEW}{counter[0]}"
        if op == "=":
            new = expr
        elif op in ("*=", "/="):
            new = f"w {op[0]} ({expr})"
        else:  # pragma: no cover - parse_statement only yields the operators above
            raise ValueError(op)
        out.append(f"{tmp} = {new}")
        out.append(f"w = {PLASTICITY_SWITCH} * {tmp} + (1 - {PLASTICITY_SWITCH}) * w")
    return "\n".join(out)


def _gate_weight_equations(equations):
    """Multiply the right-hand side of a differential equation for ``w`` by the switch."""
    return Equations([
        _rebuilt(eq, expr=f"{PLASTICITY_SWITCH} * ({eq.expr.code})")
        if eq.varname == "w" and eq.type == DIFFERENTIAL_EQUATION else eq
        for eq in equations.ordered
    ])


def _homeostasis_equations(rule, h, w_dim):
    """The homeostasis model, its accumulators given the dimension of ``w``."""
    try:
        eqs = Equations(h.model)
    except Exception as exc:
        raise RuleError(rule.name, f"homeostasis '{h.name}' model does not parse: {_first_line(exc)}") from None
    return Equations([_rebuilt(eq, dim=w_dim) if eq.varname in h.weight_unit_vars else eq for eq in eqs.ordered])


def _check_group_identifiers(rule, code_fields, source, target):
    """Every ``x_pre`` / ``x_post`` must exist in the source / target group."""
    for where, code in code_fields:
        for ident in sorted(get_identifiers(code)):
            for suffix, group, role in (("_pre", source, "source"), ("_post", target, "target")):
                if ident.endswith(suffix):
                    base = ident[: -len(suffix)]
                    if base and base not in group.variables:
                        raise RuleError(
                            rule.name,
                            f"undefined identifier '{ident}' in {where}: the {role} group '{group.name}' "
                            f"has no variable '{base}'",
                        )


def _first_line(exc):
    """Brian2's message, on one line (its wording kept)."""
    text = " ".join(str(exc).split()).rstrip(":.")
    return text or type(exc).__name__


def _unit_hint(rule, code):
    """Name dimensionless parameters used in ``code``: the usual cause of a unit error."""
    ids = get_identifiers(code)
    bare = [k for k, v in rule.params.items() if k in ids and not (isinstance(v, Quantity) and not v.dim.is_dimensionless)]
    if bare:
        return f"; is a unit missing on parameter {', '.join(repr(b) for b in bare)}?"
    return ""


def _check_units(rule, synapses, pathways_code, regular_code):
    """Brian2's own unit checks, run now instead of at the first run()."""
    all_eqs = list(synapses.equations.values())
    if synapses.event_driven is not None:
        all_eqs += list(synapses.event_driven.values())
    try:
        synapses.equations.check_units(synapses, run_namespace={})
        if synapses.event_driven is not None:
            synapses.event_driven.check_units(synapses, run_namespace={})
    except DimensionMismatchError as exc:
        bad = next((eq for eq in all_eqs if eq.expr is not None and f"'{eq.varname}'" in str(exc)), None)
        bad = bad or next((eq for eq in all_eqs if eq.expr is not None and eq.varname in str(exc)), None)
        where = f"model line for '{bad.varname}'" if bad else "model"
        raise RuleError(rule.name, f"unit mismatch in {where}: {_first_line(exc)}"
                        f"{_unit_hint(rule, bad.expr.code if bad else rule.model)}") from None
    except KeyError as exc:
        raise RuleError(rule.name, f"undefined identifier in model: {_first_line(exc)}") from None
    for where, code in list(pathways_code.items()) + [("regular", regular_code)]:
        if not code:
            continue
        newly, _, unknown = analyse_identifiers(code, synapses.variables)
        try:
            variables = dict(synapses.variables)
            variables.update(synapses.resolve_all(unknown, run_namespace={}))
            check_units_statements(code, variables)
        except DimensionMismatchError as exc:
            raise RuleError(rule.name, f"unit mismatch in {where}: {_first_line(exc)}{_unit_hint(rule, code)}") from None
        except KeyError as exc:
            raise RuleError(rule.name, f"undefined identifier in {where}: {_first_line(exc)}") from None


def _check_arguments(rule, connect, plasticity, delay):
    """The arguments of ``connect`` that can be wrong on their own, checked before anything is built."""
    condition = connect.get("condition") if isinstance(connect, dict) else connect
    if isinstance(condition, str):
        problem = _syntax_error(condition)
        if problem:
            raise RuleError(rule.name, f"connect condition '{condition}' does not parse: {problem}")
    elif not (connect is None or isinstance(connect, (bool, dict))):
        raise RuleError(rule.name, f"connect must be True, a condition string or a dict, got {type(connect).__name__}")
    if (isinstance(plasticity, (bool, Quantity)) or not isinstance(plasticity, (int, float, np.number))
            or not np.isfinite(plasticity)):
        raise RuleError(rule.name, f"plasticity = {plasticity!r} must be a finite number (0 freezes, 1 learns)")
    if delay is not None and not isinstance(delay, str):
        values = np.asarray(delay)
        if not (isinstance(delay, Quantity) and delay.dim == second.dim) and np.any(values != 0):
            raise RuleError(rule.name, f"delay = {delay!r} must be a time (e.g. 1*ms)")
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise RuleError(rule.name, f"delay = {delay!r} must be finite and not negative")


def _discard(synapses):
    """Mark a half-built Synapses as intentionally unused (no 'never in a network' warning)."""
    for obj in [synapses, *synapses.contained_objects]:
        obj._network = "discarded"


def connect(source, target, rule, transmit="", connect=True, w=None, delay=None, *,
            modulators=None, homeostasis=(), w_unit=None, variable_params=(), extra_model="", method=None,
            name=None, namespace=None, dt=None, plasticity=1.0):
    """Build a `brian2.Synapses` from ``source`` to ``target`` that learns by ``rule``.

    Parameters
    ----------
    source, target : brian2 groups
    rule : Rule
    transmit : str
        Statements run on a presynaptic spike before the rule's ``on_pre``, e.g.
        ``"ge_post += w"``. Not part of the rule.
    connect : True, str, dict or None
        Passed to ``Synapses.connect``: ``True`` (all to all), a condition string
        (``"i != j"``), or a dict of keyword arguments (``{"p": 0.1}``,
        ``{"i": sources, "j": targets}``). ``None`` leaves the synapses unconnected.
    w : number, quantity, array or str, optional
        Initial weights (a string is a Brian2 expression, e.g. ``"rand()*wmax"``).
    delay : quantity, array or str, optional
        Transmission delay(s).
    modulators : dict, optional
        Third-factor signals: ``{"d": (group, "d")}`` links the rule's ``d`` to the
        variable ``d`` of ``group`` (a one-element group for a global signal, or a
        group the size of the target for a per-neuron signal, given as ``(group, "d", "post")``).
    homeostasis : sequence of :class:`~snnlearn.rules.homeostasis.Homeostasis`
        Normalisation / scaling that composes with the rule.
    w_unit : Quantity, optional
        Unit of ``w`` when the rule does not declare it (default: dimensionless).
    variable_params : sequence of str
        Parameters to create as shared variables instead of constants, so that they can
        be changed between runs (or through ``device.run(run_args=...)`` in
        ``cpp_standalone``) without recompiling.
    extra_model : str
        Non-plastic synaptic equations to add, typically a summed variable that
        computes the target's input for a rate neuron (``"y_post = w*x_pre : 1 (summed)"``).
    plasticity : float
        Initial value of the learning switch.

    Returns
    -------
    brian2.Synapses
        Its weight is ``S.w`` and its learning switch ``S.plasticity``; ``S.rule`` is the rule.
    """
    if not isinstance(rule, Rule):
        raise TypeError(f"connect expects a snnlearn.Rule, got {type(rule).__name__}")
    _check_arguments(rule, connect, plasticity, delay)
    modulators = dict(modulators or {})
    homeostasis = list(homeostasis)
    variable_params = tuple(variable_params)

    missing = [m for m in rule.modulators if m not in modulators]
    if missing:
        raise RuleError(rule.name, f"needs the modulator signal '{missing[0]}' but none was given; pass "
                                   f"modulators={{'{missing[0]}': (group, variable)}} to connect")
    extra = set(modulators) - set(rule.modulators)
    if extra:
        raise RuleError(rule.name, f"modulator '{sorted(extra)[0]}' given to connect, but the rule reads only "
                                   f"{list(rule.modulators) or 'none'}")
    unknown_vp = set(variable_params) - set(rule.params)
    if unknown_vp:
        raise RuleError(rule.name, f"variable_params names unknown parameter '{sorted(unknown_vp)[0]}'")

    # ---- parameters (constants in the namespace, or shared variables) ------------------
    params = dict(rule.params)
    for h in homeostasis:
        clash = set(h.params) & set(params)
        if clash:
            raise RuleError(rule.name, f"homeostasis '{h.name}' parameter '{sorted(clash)[0]}' clashes with the rule")
        params.update(h.params)
    user_namespace = dict(namespace or {})
    shared_params = {k: params.pop(k) for k in variable_params}

    # ---- model ------------------------------------------------------------------------
    eqs = _gate_weight_equations(rule.equations)
    if "w" not in rule.variables:
        w_dim = _dimension(w_unit)
        eqs += _declare("w", w_dim)
    else:
        w_dim = rule.equations["w"].dim
        if w_unit is not None and _dimension(w_unit) != w_dim:
            raise RuleError(rule.name, f"w_unit = {w_unit!r} disagrees with the rule's own 'w', declared in "
                                       f"{unit_name(w_dim)}")
    if PLASTICITY_SWITCH in rule.variables:
        raise RuleError(rule.name, f"'{PLASTICITY_SWITCH}' is reserved for the learning switch")
    eqs += _declare(PLASTICITY_SWITCH, None, ["shared"])
    if extra_model:
        try:
            eqs += Equations(extra_model)
        except Exception as exc:
            raise RuleError(rule.name, f"extra_model does not parse: {_first_line(exc)}") from None
    for k, v in shared_params.items():
        eqs += _declare(k, v, ["shared"])
    mod_links = {}
    for mname, spec in modulators.items():
        if not (isinstance(spec, tuple) and len(spec) in (2, 3)):
            raise RuleError(rule.name, f"modulator '{mname}' must be given as (group, 'variable'), got {spec!r}")
        group, var = spec[0], spec[1]
        if var not in group.variables:
            raise RuleError(rule.name, f"modulator '{mname}': group '{group.name}' has no variable '{var}'")
        index = spec[2] if len(spec) == 3 else None
        eqs += _declare(mname, group.variables[var].dim, ["linked"])
        if index is None and "modulator_source_index" not in eqs.names:
            # every synapse reads element 0 of a global (one-element) signal
            eqs += Equations("modulator_source_index : integer (constant)")
        mod_links[mname] = (group, var, index)
    for h in homeostasis:
        if h.model:
            eqs += _homeostasis_equations(rule, h, w_dim)
        for tv in h.target_vars:
            if tv not in target.variables:
                raise RuleError(rule.name, f"homeostasis '{h.name}' needs the target group '{target.name}' to declare "
                                           f"'{tv} : {unit_name(w_dim)}' (it receives the summed weights)")

    # ---- code ---------------------------------------------------------------------------
    counter = [0]
    on_pre = "\n".join(c for c in (transmit.strip(), _gate_weight_statements(rule.on_pre, counter)) if c)
    on_post_parts = [_gate_weight_statements(rule.on_post, counter)]
    on_post_parts += [h.on_post for h in homeostasis if h.on_post]
    on_post = "\n".join(p for p in on_post_parts if p)

    _check_group_identifiers(rule, [("model", rule.model), ("on_pre", rule.on_pre), ("on_post", rule.on_post),
                                    ("transmit", transmit), ("regular", rule.regular)], source, target)
    for h in homeostasis:
        _check_group_identifiers(rule, [(h.name, h.model + "\n" + h.regular)], source, target)

    kwargs = {}
    method = method or rule.method
    if method is not None:
        kwargs["method"] = method
    if dt is not None:
        kwargs["dt"] = dt
    if name is not None:
        kwargs["name"] = name
    ns = {**params, **user_namespace}
    try:
        S = Synapses(source, target, model=eqs, on_pre=on_pre or None, on_post=on_post or None,
                     namespace=ns, **kwargs)
    except Exception as exc:  # Brian2 raises many types here; keep its wording, add the rule
        raise RuleError(rule.name, f"Brian2 rejected the synapse model: {_first_line(exc)}") from None

    regular_blocks = []
    if rule.regular:
        regular_blocks.append((_gate_weight_statements(rule.regular, counter), rule.regular_dt, "regular"))
    for h in homeostasis:
        regular_blocks.append((_gate_weight_statements(h.regular, counter), h.interval, h.name))

    pathways_code = {}
    if on_pre:
        pathways_code["on_pre"] = on_pre
    if on_post:
        pathways_code["on_post"] = on_post

    # ---- connectivity and initial values ------------------------------------------------
    try:
        _connect_and_initialise(rule, S, connect, plasticity, shared_params, mod_links, w, delay)
        # Units are checked now, so that no error waits for the first run().
        _check_units(rule, S, pathways_code, "\n".join(b[0] for b in regular_blocks))
    except RuleError:
        _discard(S)
        raise
    for code, interval, label in regular_blocks:
        S.run_regularly(code, dt=interval, name=f"{S.name}_{label}")
    S.add_attribute("rule")
    S.rule = rule
    S.add_attribute("homeostasis")
    S.homeostasis = tuple(homeostasis)
    return S


def _connect_and_initialise(rule, S, connect, plasticity, shared_params, mod_links, w, delay):
    """Create the synapses and set the switch, shared parameters, modulator links, weights and delays."""
    if connect is not None and connect is not False:
        try:
            if connect is True:
                S.connect()
            elif isinstance(connect, str):
                S.connect(condition=connect)
            else:
                S.connect(**connect)
        except Exception as exc:  # a user's condition: Brian2 raises many types for it
            raise RuleError(rule.name, f"connect = {connect!r} failed: {_first_line(exc)}") from None
    S.plasticity = plasticity
    for k, v in shared_params.items():
        setattr(S, k, v)
    for mname, (group, var, index) in mod_links.items():
        if index is None:
            if group.N != 1:
                raise RuleError(rule.name, f"modulator '{mname}': group '{group.name}' has {group.N} elements; give "
                                           f"(group, '{var}', 'post') for a per-target-neuron signal")
            setattr(S, mname, linked_var(group, var, index="modulator_source_index"))
        elif index == "post":
            setattr(S, mname, linked_var(group, var, index="_postsynaptic_idx"))
        elif index == "pre":
            setattr(S, mname, linked_var(group, var, index="_presynaptic_idx"))
        else:
            raise RuleError(rule.name, f"modulator '{mname}': index must be 'pre' or 'post', got {index!r}")
    if w is not None:
        try:
            S.w = w
        except Exception as exc:
            raise RuleError(rule.name, f"cannot set initial w = {w!r}: {_first_line(exc)}") from None
    if delay is not None:
        try:
            S.delay = delay
        except Exception as exc:
            raise RuleError(rule.name, f"cannot set delay = {delay!r}: {_first_line(exc)}") from None
        if isinstance(delay, str):
            _check_expression_delays(rule, S, delay)


def _check_expression_delays(rule, S, delay):
    """Delays from an expression are known now in runtime mode (in cpp_standalone only at run time)."""
    try:
        values = np.asarray(S.delay[:])
    except NotImplementedError:
        return
    if values.size and not (np.all(np.isfinite(values)) and values.min() >= 0):
        raise RuleError(rule.name, f"delay = '{delay}' gives negative or non-finite delays (min {values.min()} s)")


def plasticity_schedule(synapses, values, interval):
    """Switch learning on and off inside one run: ``values[k]`` holds during ``[k*interval, (k+1)*interval)``.

    Implemented as a `TimedArray` read by a ``run_regularly`` operation, so it compiles
    into ``cpp_standalone`` like the rest of the network. Returns the operation (add
    it to the Network together with the synapses; ``Network(..., synapses)`` picks it up
    automatically as part of the synapses' contained objects).
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"plasticity_schedule: values must be a non-empty 1-D sequence, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"plasticity_schedule: values must be finite, got {values.tolist()}")
    table = TimedArray(values, dt=interval, name=f"{synapses.name}_plasticity_schedule_values")
    synapses.namespace[table.name] = table
    return synapses.run_regularly(f"{PLASTICITY_SWITCH} = {table.name}(t)", dt=interval,
                                  name=f"{synapses.name}_plasticity_schedule", when="start")
