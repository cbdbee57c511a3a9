"""Rate-based Hebbian rules acting on spike traces: Hebb, covariance, Oja, BCM.

:func:`hebbian` is event-driven: it keeps its own spike traces inside the synapse.
:func:`covariance`, :func:`oja` and :func:`bcm` are written in continuous time on the
*activities* of the two groups, named by ``pre`` and ``post`` (default ``x`` and
``y``): the rule reads ``x_pre`` and ``y_post``. Those can be spike traces
(``dx/dt = -x/tau_x : 1`` with ``x += 1`` on a spike), filtered rates, or the
rate variable of a rate neuron. The activities are dimensionless; learning rates are
then in 1/second.
"""

from brian2 import ms, second

from ..errors import RuleError
from ..params import Param
from ..units import unit_name
from .base import Rule, weight_declaration
from .declare import declared

__all__ = ["hebbian", "covariance", "oja", "bcm"]


def _check_names(rule, pre, post):
    for name in (pre, post):
        if not isinstance(name, str) or not name.isidentifier():
            raise RuleError(rule, f"activity variable names must be identifiers, got {name!r}")


@declared(
    eta=Param(0.001, unit_text="unit of w", doc='weight change per pair at zero lag'),
    tau=Param(20 * ms, unit=second, low=0 * second, strict=True, doc='coincidence window (trace time constant)'),
    wmin=Param(0.0, unit_text="unit of w", doc='hard bounds'),
    wmax=Param(1.0, unit_text="unit of w", doc='hard bounds'),
    pairing=Param("symmetric", choices=('symmetric', 'causal', 'acausal'),
                  doc='``"symmetric"``, ``"causal"`` or ``"acausal"``'),
)
def hebbian(eta=0.001, tau=20 * ms, wmin=0.0, wmax=1.0, pairing="symmetric"):
    r"""Hebbian learning on spike traces: pre and post activity coincidence within :math:`\tau`.

    Each synapse keeps a presynaptic trace :math:`x` and a postsynaptic trace
    :math:`y` (jump 1 at a spike, decay with :math:`\tau`). Then

    .. math::
        \text{post spike: } w \leftarrow \mathrm{clip}(w + \eta\, x,\ w_{min}, w_{max}) \qquad
        \text{pre spike: }  w \leftarrow \mathrm{clip}(w + \eta\, y,\ w_{min}, w_{max})

    which averages to :math:`\dot w = 2\eta\tau\,\langle \nu_{pre}\,\nu_{post}\rangle`
    plus spike-timing terms: the rate-based Hebb rule. ``pairing`` selects which pairs
    count: ``"symmetric"`` both, ``"causal"`` pre-before-post only (the post-spike
    line), ``"acausal"`` post-before-pre only (the pre-spike line). The acausal form
    measures the rate covariance without counting each input's own causal effect on
    the output spikes, which matters for ocular-dominance segregation
    (docs/validation.md O3). Plain Hebb is unstable; combine it with a
    normalisation (``snnlearn.rules.subtractive_normalization``) or bounds.

    <parameters>

    Equivalent ``Rule`` (symmetric)::

        Rule("hebbian",
             model='''dxpre/dt = -xpre/tau : 1 (event-driven)
                      dypost/dt = -ypost/tau : 1 (event-driven)''',
             on_pre="w = clip(w + eta*ypost, wmin, wmax); xpre += 1",
             on_post="w = clip(w + eta*xpre, wmin, wmax); ypost += 1",
             params=dict(eta=0.001, tau=20*ms, wmin=0.0, wmax=1.0))

    Reference: Hebb DO (1949) The Organization of Behavior; Gerstner & Kistler (2002)
    Spiking Neuron Models, ch. 10-11.
    """
    if pairing not in ("symmetric", "causal", "acausal"):
        raise RuleError("hebbian", f"pairing must be 'symmetric', 'causal' or 'acausal', got {pairing!r}")
    if float(wmax) <= float(wmin):
        raise RuleError("hebbian", f"bounds must satisfy wmin < wmax, got wmin={wmin!r}, wmax={wmax!r}")
    pre_update = "w = clip(w + eta * ypost, wmin, wmax)\n" if pairing in ("symmetric", "acausal") else ""
    post_update = "w = clip(w + eta * xpre, wmin, wmax)\n" if pairing in ("symmetric", "causal") else ""
    return Rule(
        "hebbian",
        model=f"""
            dxpre/dt = -xpre / tau : 1 (event-driven)
            dypost/dt = -ypost / tau : 1 (event-driven)
            {weight_declaration(unit_name(wmax))}
        """,
        on_pre=pre_update + "xpre += 1",
        on_post=post_update + "ypost += 1",
        params={"eta": eta, "tau": tau, "wmin": wmin, "wmax": wmax},
        doc=hebbian.__doc__,
        reference="Hebb (1949); Gerstner & Kistler (2002)",
    )


@declared(
    eta=Param(0.01 / second, unit_text="unit of w / second", doc='learning rate'),
    x0=Param(0.0, doc='reference (mean) pre / post activities'),
    y0=Param(0.0, doc='reference (mean) pre / post activities'),
    pre=Param("x", doc='names of the activity variables in the groups'),
    post=Param("y", doc='names of the activity variables in the groups'),
)
def covariance(eta=0.01 / second, x0=0.0, y0=0.0, pre="x", post="y"):
    r"""Covariance rule (Sejnowski 1977): Hebb on deviations from reference activities.

    .. math:: \frac{dw}{dt} = \eta\,(x_{pre} - x_0)\,(y_{post} - y_0)

    With :math:`x_0, y_0` the mean activities, the average drift is
    :math:`\eta\,\mathrm{Cov}(x, y)`: correlated pairs potentiate, anti-correlated pairs
    depress, and uncorrelated ones do not drift (unlike plain Hebb).

    <parameters>

    Equivalent ``Rule``::

        Rule("covariance", model="dw/dt = eta*(x_pre - x0)*(y_post - y0) : 1 (clock-driven)",
             params=dict(eta=0.01/second, x0=0.0, y0=0.0))

    Reference: Sejnowski TJ (1977) J Math Biol 4:303-321.
    """
    _check_names("covariance", pre, post)
    return Rule(
        "covariance",
        model=f"dw/dt = eta * ({pre}_pre - x0) * ({post}_post - y0) : {unit_name(eta * second)} (clock-driven)",
        params={"eta": eta, "x0": x0, "y0": y0},
        method="euler",  # 'exact' would divide by the activity, which is often 0
        doc=covariance.__doc__,
        reference="Sejnowski (1977) J Math Biol 4:303",
    )


@declared(
    eta=Param(0.01 / second, unit=1 / second, low=0 / second, doc='learning rate'),
    pre=Param("x", doc='names of the input / output activity variables'),
    post=Param("y", doc='names of the input / output activity variables'),
    w_unit=Param(None, unit_text="any", doc='unit of the weights (default: dimensionless)'),
)
def oja(eta=0.01 / second, pre="x", post="y", w_unit=None):
    r"""Oja's rule (Oja 1982): Hebbian learning with a decay that normalises the weights.

    .. math:: \frac{dw_i}{dt} = \eta\, y\,(x_i - y\, w_i), \qquad y = \sum_i w_i x_i

    For a linear neuron and zero-mean inputs with covariance :math:`C`, :math:`w`
    converges to :math:`\pm u_1`, the top principal component, with :math:`\|w\| = 1`.
    The output :math:`y` is computed by the network (e.g. a summed variable
    ``y_post = w*x_pre``); the rule only reads it.

    Weights with a unit :math:`U` (``w_unit=nS``): the activities stay dimensionless
    and the rule is Oja's for :math:`w/U`, that is
    :math:`\dot w = \eta\, y\,(x\,U - y\, w)` with :math:`y = \sum_i (w_i/U)\, x_i`.

    <parameters>

    Equivalent ``Rule``::

        Rule("oja", model="dw/dt = eta*y_post*(x_pre - y_post*w) : 1 (clock-driven)",
             params=dict(eta=0.01/second))

    Reference: Oja E (1982) J Math Biol 15:267-273.
    """
    _check_names("oja", pre, post)
    unit = unit_name(w_unit)
    if unit == "1":
        model, params = f"dw/dt = eta * {post}_post * ({pre}_pre - {post}_post * w) : 1 (clock-driven)", {"eta": eta}
    else:
        model = f"dw/dt = eta * {post}_post * ({pre}_pre * w_unit - {post}_post * w) : {unit} (clock-driven)"
        params = {"eta": eta, "w_unit": w_unit}
    return Rule(
        "oja",
        model=model,
        params=params,
        method="euler",  # 'exact' would divide by the activity, which is often 0
        doc=oja.__doc__,
        reference="Oja (1982) J Math Biol 15:267",
    )


@declared(
    eta=Param(0.01 / second, unit_text="unit of w / second", low=0.0, doc='learning rate'),
    tau_theta=Param(1 * second, unit=second, low=0 * second, strict=True,
                    doc='time constant of the sliding threshold'),
    y0=Param(1.0, low=0.0, strict=True, doc='activity scale of the threshold'),
    pre=Param("x", doc='names of the input / output activity variables'),
    post=Param("y", doc='names of the input / output activity variables'),
)
def bcm(eta=0.01 / second, tau_theta=1 * second, y0=1.0, pre="x", post="y"):
    r"""BCM rule with a sliding threshold (Bienenstock, Cooper & Munro 1982).

    .. math::
        \frac{dw}{dt} = \eta\, x\, y\,(y - \theta), \qquad
        \tau_\theta \frac{d\theta}{dt} = \frac{y^2}{y_0} - \theta

    Activity above the threshold :math:`\theta` potentiates, below it depresses. The
    threshold tracks :math:`\langle y^2\rangle / y_0`, which makes the fixed points
    selective: the neuron ends responding to one input pattern and not the others.
    :math:`\tau_\theta` must be short enough for the threshold to follow the
    activity (faster than the weights), as in Intrator & Cooper (1992).

    <parameters>

    The threshold is kept per synapse (every synapse of a neuron holds the same copy),
    so the rule needs nothing from the target group but its activity.

    Equivalent ``Rule``::

        Rule("bcm", model='''dw/dt = eta*x_pre*y_post*(y_post - theta) : 1 (clock-driven)
                             dtheta/dt = (y_post**2/y0 - theta)/tau_theta : 1 (clock-driven)''',
             params=dict(eta=0.01/second, tau_theta=1*second, y0=1.0))

    Reference: Bienenstock EL, Cooper LN, Munro PW (1982) J Neurosci 2:32-48.
    """
    _check_names("bcm", pre, post)
    if float(y0) <= 0:
        raise RuleError("bcm", f"y0 = {y0!r} must be positive")
    return Rule(
        "bcm",
        model=f"""
            dw/dt = eta * {pre}_pre * {post}_post * ({post}_post - theta) : {unit_name(eta * second)} (clock-driven)
            dtheta/dt = ({post}_post**2 / y0 - theta) / tau_theta : 1 (clock-driven)
        """,
        params={"eta": eta, "tau_theta": tau_theta, "y0": y0},
        method="euler",  # 'exact' would divide by the activity, which is often 0
        doc=bcm.__doc__,
        reference="Bienenstock, Cooper & Munro (1982) J Neurosci 2:32",
    )
