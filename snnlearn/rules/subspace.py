"""Principal-subspace rules: the Hebbian / anti-Hebbian pair of similarity matching.

Pehlevan, Hu & Chklovskii (2015) derive, from a similarity-matching (multidimensional
scaling) objective, a network with Hebbian feedforward weights W and anti-Hebbian lateral
weights M whose output y = M⁻¹ W x projects onto the principal subspace of the inputs.
The two rules are written here in continuous time on the activities of the groups, like
:func:`snnlearn.rules.oja`; the network computes y (for instance with the recurrent
dynamics τ_y dy/dt = W x − M y, whose fixed point is M⁻¹ W x). Sanger's GHA needs no rule
of its own: it is :func:`snnlearn.rules.oja` on deflated inputs (see ``models/subspace.py``).
"""

from brian2 import second

from ..errors import RuleError
from ..params import Param
from ..units import unit_name
from .base import Rule
from .declare import declared

__all__ = ["similarity_matching_feedforward", "similarity_matching_lateral"]


def _check(rule, names, eta, tau=None):
    for name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise RuleError(rule, f"activity variable names must be identifiers, got {name!r}")
    try:
        positive = float(eta * second) > 0
    except TypeError:
        positive = False
    if not positive:
        raise RuleError(rule, f"eta must be a positive rate in 1/second, got {eta!r}")
    if tau is not None and not (isinstance(tau, (int, float)) and tau > 0):
        raise RuleError(rule, f"tau (the ratio of the lateral to the feedforward time scale) must be a positive "
                              f"number, got {tau!r}")


def _weights(w_unit):
    """Model text and parameters for weights in ``w_unit`` (None: dimensionless, the paper's form)."""
    unit = unit_name(w_unit)
    return ("", unit, {}) if unit == "1" else (" * w_unit", unit, {"w_unit": w_unit})


@declared(
    eta=Param(0.2 / second, unit=1 / second, low=0 / second, doc='learning rate'),
    pre=Param("x", doc='names of the input / output activity variables'),
    post=Param("y", doc='names of the input / output activity variables'),
    w_unit=Param(None, unit_text="any",
                 doc=('unit of the weights (default: dimensionless); the activities stay dimensionless and the '
                      'Hebbian term is ``y*x*w_unit``')),
)
def similarity_matching_feedforward(eta=0.2 / second, pre="x", post="y", w_unit=None):
    r"""Hebbian feedforward rule of similarity matching (Pehlevan, Hu & Chklovskii 2015).

    .. math:: \frac{dW_{ij}}{dt} = \eta\,(y_i\, x_j - W_{ij})

    Hebbian growth with a decay: at the fixed point :math:`W = \langle y x^\top\rangle`.

    <parameters>

    Equivalent ``Rule``::

        Rule("similarity_matching_feedforward",
             model="dw/dt = eta*(y_post*x_pre - w) : 1 (clock-driven)", params=dict(eta=0.2/second))

    Reference: Pehlevan C, Hu T, Chklovskii DB (2015) Neural Comput 27:1461-1495.
    """
    _check("similarity_matching_feedforward", (pre, post), eta)
    scale, unit, extra = _weights(w_unit)
    return Rule(
        "similarity_matching_feedforward",
        model=f"dw/dt = eta * ({post}_post * {pre}_pre{scale} - w) : {unit} (clock-driven)",
        params={"eta": eta, **extra},
        method="euler",
        doc=similarity_matching_feedforward.__doc__,
        reference="Pehlevan, Hu & Chklovskii (2015) Neural Comput 27:1461",
    )


@declared(
    eta=Param(0.2 / second, unit=1 / second, low=0 / second, doc='learning rate of the feedforward weights'),
    tau=Param(0.5, low=0.0, strict=True,
              doc='lateral time scale relative to the feedforward one (0.5: M learns twice as fast as W)'),
    post=Param("y", doc='name of the output activity variable (read on both sides)'),
    w_unit=Param(None, unit_text="any", doc='unit of the weights (default: dimensionless)'),
)
def similarity_matching_lateral(eta=0.2 / second, tau=0.5, post="y", w_unit=None):
    r"""Anti-Hebbian lateral rule of similarity matching (Pehlevan, Hu & Chklovskii 2015).

    .. math:: \frac{dM_{ij}}{dt} = \frac{\eta}{\tau}\,(y_i\, y_j - M_{ij})

    On output → output synapses, self-connections included. M enters the output with a
    minus sign (τ_y dy/dt = W x − M y), so the Hebbian-looking update is anti-Hebbian in
    its effect: correlated outputs inhibit each other more, which decorrelates them. At
    the fixed point :math:`M = \langle y y^\top\rangle`.

    <parameters>

    Equivalent ``Rule``::

        Rule("similarity_matching_lateral",
             model="dw/dt = eta/tau*(y_post*y_pre - w) : 1 (clock-driven)",
             params=dict(eta=0.2/second, tau=0.5))

    Reference: Pehlevan C, Hu T, Chklovskii DB (2015) Neural Comput 27:1461-1495.
    """
    _check("similarity_matching_lateral", (post,), eta, tau)
    scale, unit, extra = _weights(w_unit)
    return Rule(
        "similarity_matching_lateral",
        model=f"dw/dt = eta / tau * ({post}_post * {post}_pre{scale} - w) : {unit} (clock-driven)",
        params={"eta": eta, "tau": float(tau), **extra},
        method="euler",
        doc=similarity_matching_lateral.__doc__,
        reference="Pehlevan, Hu & Chklovskii (2015) Neural Comput 27:1461",
    )
