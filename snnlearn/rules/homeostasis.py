"""Weight normalisation and homeostatic synaptic scaling that compose with any rule.

Each function returns a :class:`Homeostasis` declaration; pass a list of them to
``snnlearn.connect(..., homeostasis=[...])``. They run inside the simulation as
Brian2 code (a summed variable and ``run_regularly``), with no Python loop, and obey
the projection's learning switch like the rule itself.

Normalisation needs the sum of each target neuron's incoming weights, which Brian2
computes with a *summed variable*. The target group must therefore declare the
accumulator (``w_total : 1`` by default, in the unit of ``w``); ``connect`` says so
if it is missing.
"""

from dataclasses import dataclass, field

from brian2 import Hz, Quantity, second

from ..errors import RuleError
from ..params import Param
from .declare import declared

__all__ = ["Homeostasis", "subtractive_normalization", "multiplicative_normalization", "synaptic_scaling"]


@dataclass(frozen=True)
class Homeostasis:
    """A declaration of weight normalisation / scaling.

    model : extra synaptic equations; target_vars : variables the target group must
    have; regular : statements run every ``interval``; params : constants;
    weight_unit_vars : variables of ``model`` that take the unit of ``w`` (declared
    ``: 1`` in ``model``; ``connect`` gives them the weight's dimension).
    """

    name: str
    model: str
    regular: str
    interval: Quantity
    params: dict = field(default_factory=dict)
    on_post: str = ""
    target_vars: tuple = ()
    doc: str = ""
    weight_unit_vars: tuple = ()

    def to_dict(self):
        """A JSON-ready dict (as :meth:`snnlearn.Rule.to_dict`): quantities written as exact text."""
        from ..units import format_quantity

        return {"name": self.name, "kind": "homeostasis", "model": self.model, "regular": self.regular,
                "interval": format_quantity(self.interval), "on_post": self.on_post,
                "params": {k: format_quantity(v) for k, v in self.params.items()},
                "target_vars": list(self.target_vars), "weight_unit_vars": list(self.weight_unit_vars),
                "doc": self.doc}

    def __str__(self):
        lines = [f"Homeostasis '{self.name}' (every {self.interval})"]
        for label, text in (("model", self.model), ("regular", self.regular), ("on_post", self.on_post)):
            for k, line in enumerate(t for t in text.strip().splitlines() if t.strip()):
                lines.append(f"  {label if k == 0 else '':8} {line.strip()}")
        if self.params:
            lines.append("  params   " + ", ".join(f"{k} = {v}" for k, v in self.params.items()))
        return "\n".join(lines)


def _check_interval(name, interval):
    if not (isinstance(interval, Quantity) and interval.dim == second.dim and float(interval) > 0):
        raise RuleError(name, f"interval = {interval!r} must be a positive time")


@declared(
    total=Param(None, unit_text="unit of w", low=0.0, doc="target sum W of each neuron's incoming weights"),
    interval=Param(None, unit=second, low=0 * second, strict=True, doc='how often the normalisation is applied'),
    wmin=Param(0.0, unit_text="unit of w", doc='bounds after the shift (``wmax=None``: no upper bound)'),
    wmax=Param(None, unit_text="unit of w", doc='bounds after the shift (``wmax=None``: no upper bound)'),
    accumulator=Param("w_total", unit_text="(name)", doc='target-group variable holding the sum (summed variable)'),
)
def subtractive_normalization(total, interval, wmin=0.0, wmax=None, accumulator="w_total"):
    r"""Subtractive normalisation (Miller & MacKay 1994).

    Every ``interval`` each target neuron's incoming weights are shifted by the same
    amount so that their sum returns to ``total``:

    .. math:: w_{ij} \leftarrow \mathrm{clip}\big(w_{ij} - (\textstyle\sum_k w_{ik} - W)/n_i,\ w_{min}, w_{max}\big)

    <parameters>

    Subtractive normalisation conserves the total but not the mean shape: it drives
    competition (weights go to the bounds), unlike multiplicative normalisation.
    Clipping at the bounds makes the kept sum approximate.
    """
    _check_interval("subtractive_normalization", interval)
    if not float(total) > 0:
        raise RuleError("subtractive_normalization", f"total = {total!r} must be positive")
    # no upper bound: one far above any weight, in the unit of the weights
    upper = "1e300 * norm_total" if wmax is None else "norm_wmax"
    params = {"norm_total": total, "norm_wmin": wmin}
    if wmax is not None:
        params["norm_wmax"] = wmax
    return Homeostasis(
        name="subtractive_normalization",
        model=f"{accumulator}_post = w : 1 (summed)",
        weight_unit_vars=(f"{accumulator}_post",),
        regular=f"w = clip(w - ({accumulator}_post - norm_total) / N_incoming, norm_wmin, {upper})",
        interval=interval,
        params=params,
        target_vars=(accumulator,),
        doc=subtractive_normalization.__doc__,
    )


@declared(
    total=Param(None, unit_text="unit of w", low=0.0, doc="target sum W of each neuron's incoming weights"),
    interval=Param(None, unit=second, low=0 * second, strict=True, doc='how often the normalisation is applied'),
    accumulator=Param("w_total", unit_text="(name)", doc='target-group variable holding the sum (summed variable)'),
)
def multiplicative_normalization(total, interval, accumulator="w_total"):
    r"""Multiplicative normalisation (von der Malsburg 1973; Oja 1982 in its limit).

    Every ``interval``: :math:`w_{ij} \leftarrow w_{ij}\, W / \sum_k w_{ik}`.

    <parameters>

    Scales all weights of a neuron together: the relative pattern is kept, so it
    stabilises Hebbian growth without adding competition between the bounds.
    A neuron whose incoming sum is not positive (as before the first time step has
    computed it) is left unchanged, instead of dividing by zero.
    """
    _check_interval("multiplicative_normalization", interval)
    return Homeostasis(
        name="multiplicative_normalization",
        model=f"{accumulator}_post = w : 1 (summed)",
        weight_unit_vars=(f"{accumulator}_post",),
        # a sum not computed yet (0 before the first time step's summed-variable update) leaves w unchanged
        regular=(f"norm_sum = {accumulator}_post + int({accumulator}_post <= 0 * norm_total) * norm_total\n"
                 "w = w * norm_total / norm_sum"),
        interval=interval,
        params={"norm_total": total},
        target_vars=(accumulator,),
        doc=multiplicative_normalization.__doc__,
    )


@declared(
    target_rate=Param(None, unit=Hz, low=0 * Hz, doc='the set point of the postsynaptic rate'),
    tau_rate=Param(None, unit=second, low=0 * second, strict=True,
                   doc='time constant of the rate estimate (seconds or more)'),
    eta=Param(None, low=0.0, doc='scaling rate (per spike of rate error)'),
    interval=Param(None, unit=second, low=0 * second, strict=True, doc='how often the scaling is applied'),
    wmax=Param(None, unit_text="unit of w", doc='optional upper bound'),
)
def synaptic_scaling(target_rate, tau_rate, eta, interval, wmax=None):
    r"""Homeostatic synaptic scaling (Turrigiano et al. 1998; van Rossum, Bi & Turrigiano 2000).

    A postsynaptic rate estimate :math:`\nu` (a trace with time constant
    :math:`\tau_\nu`, incremented by :math:`1/\tau_\nu` at each postsynaptic spike)
    scales all incoming weights multiplicatively every ``interval`` :math:`\Delta`:

    .. math:: w \leftarrow w\,\big(1 + \eta\,(\nu_{target} - \nu)\,\Delta\big)

    <parameters>

    Needs no target-group variable: the rate trace lives in the synapse and is
    event-driven, decayed to the current time when the scaling is applied.
    """
    _check_interval("synaptic_scaling", interval)
    if not (isinstance(tau_rate, Quantity) and tau_rate.dim == second.dim and float(tau_rate) > 0):
        raise RuleError("synaptic_scaling", f"tau_rate = {tau_rate!r} must be a positive time")
    bound = "" if wmax is None else ", 0 * scaling_wmax, scaling_wmax"
    params = {"scaling_target": target_rate, "scaling_tau": tau_rate, "scaling_eta": eta,
              "scaling_interval": interval}
    if wmax is not None:
        params["scaling_wmax"] = wmax
    clip_open, clip_close = ("clip(", f"{bound})") if wmax is not None else ("", "")
    return Homeostasis(
        name="synaptic_scaling",
        model="dscaling_rate/dt = -scaling_rate / scaling_tau : Hz (event-driven)",
        on_post="scaling_rate += 1 / scaling_tau",
        regular=(
            "scaling_rate_now = scaling_rate * exp(-(t - lastupdate) / scaling_tau)\n"
            f"w = {clip_open}w * (1 + scaling_eta * (scaling_target - scaling_rate_now) * scaling_interval){clip_close}"
        ),
        interval=interval,
        params=params,
        doc=synaptic_scaling.__doc__,
    )
