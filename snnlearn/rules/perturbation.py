r"""Learning from a scalar reward by perturbation: node, weight and serial perturbation, REINFORCE.

Each rule estimates the gradient of the expected reward from the correlation between a
random perturbation and the change in reward it caused, and steps along it once per
trial. The reward :math:`R` of the trial that just ended and its baseline
:math:`\bar R` are modulators (variables of another group), computed inside the
simulation by :class:`snnlearn.modulators.RewardCircuit`; set ``update_dt`` to the
trial duration so that each update happens once, at the end of its trial.

=====================  ===================================================  ==================
rule                   perturbation, eligibility                            unbiased for
=====================  ===================================================  ==================
node_perturbation      noise :math:`\xi_i(t)` on each neuron's input;        :math:`\partial R/\partial w`
                       :math:`e_{ij} = \int \xi_i x_j\,dt`
weight_perturbation    all weights at once, :math:`\psi_{ij}\sim\mathcal N`  :math:`\partial R/\partial w`
serial_perturbation    one weight per trial, :math:`\pm\sigma`               :math:`\partial R/\partial w`
reinforce              the neuron's own spiking noise;                        :math:`\partial\,\mathbb E[R]/\partial w`
                       :math:`e_{ij} = \int (S_i - \rho_i)\,x_j\,dt`
=====================  ===================================================  ==================

The numpy reference for the same estimators (and their variance and learning-time
theory, Werfel, Xie & Seung 2005) is :mod:`snnlearn.estimators`.
"""

import numpy as np
from brian2 import Quantity, ms, second

from ..errors import RuleError
from ..params import Param
from ..units import unit_name
from .base import Rule, weight_declaration
from .declare import declared

__all__ = ["node_perturbation", "weight_perturbation", "serial_perturbation", "reinforce"]

def _time(name, key, value):
    if not (isinstance(value, Quantity) and value.dim == second.dim):
        raise RuleError(name, f"{key} = {value!r} must be a time (e.g. 20*ms)")
    if not float(value) > 0:
        raise RuleError(name, f"time constant {key} = {value!r} must be positive")


def _bounds(name, wmin, wmax):
    if not float(np.asarray(wmax)) > float(np.asarray(wmin)):
        raise RuleError(name, f"bounds must satisfy wmin < wmax, got wmin={wmin!r}, wmax={wmax!r}")
    unit = unit_name(wmax)
    if unit_name(wmin) != unit and float(np.asarray(wmin)) != 0:
        raise RuleError(name, f"wmin = {wmin!r} must have the unit of wmax ({unit})")
    return unit


def _positive(name, key, value):
    if not float(np.asarray(value)) > 0:
        raise RuleError(name, f"{key} = {value!r} must be positive")


def _identifier(name, key, value):
    if not isinstance(value, str) or not value.isidentifier():
        raise RuleError(name, f"{key} must be the name of a variable (an identifier), got {value!r}")
    return value


@declared(
    eta=Param(0.01, unit_text="(unit of w)²", low=0.0, doc='learning rate (for a dimensionless input; see above)'),
    sigma=Param(1.0, unit_text="unit of the noise", low=0.0, strict=True,
                doc='standard deviation :math:`\\sigma` of the perturbation'),
    tau_noise=Param(5 * ms, unit=second, low=0 * second, strict=True,
                    doc=':math:`\\tau_\\xi`, with :math:`\\int C = 2\\sigma^2\\tau_\\xi`'),
    tau_x=Param(20 * ms, unit=second, low=0 * second, strict=True,
                doc="presynaptic trace :math:`\\tau_x` (the neuron's PSP decay)"),
    update_dt=Param(500 * ms, unit=second, low=0 * second, strict=True,
                    doc='interval of the update (the trial duration)'),
    wmin=Param(-10.0, unit_text="unit of w", doc='hard bounds (guard against runaway)'),
    wmax=Param(10.0, unit_text="unit of w", doc='hard bounds (guard against runaway)'),
    noise=Param("noise", doc='name of the perturbation variable of the target group'),
)
def node_perturbation(eta=0.01, sigma=1.0, tau_noise=5 * ms, tau_x=20 * ms, update_dt=500 * ms,
                      wmin=-10.0, wmax=10.0, noise="noise"):
    r"""Node perturbation in a spiking network (Fiete & Seung 2006).

    Each postsynaptic neuron :math:`i` receives a zero-mean perturbation
    :math:`\xi_i(t)` added to its input (an injected current or conductance; the
    *target group* implements it as a variable, default ``noise``). Every synapse
    correlates that noise with its filtered presynaptic activity :math:`x_j`
    (jump 1 per presynaptic spike, decay :math:`\tau_x`, the PSP kernel of the
    neuron) during the trial, and at the end of the trial the reward prediction error
    turns the correlation into a weight change:

    .. math::
        e_{ij} = \frac{1}{2\sigma^2\tau_\xi}\int_{trial} \xi_i(t)\,x_j(t)\,dt, \qquad
        \Delta w_{ij} = \eta\,(R - \bar R)\,e_{ij}, \qquad e_{ij} \leftarrow 0

    For noise with autocovariance :math:`C(s)` and :math:`\int C(s)\,ds = 2\sigma^2
    \tau_\xi` (an Ornstein-Uhlenbeck process of standard deviation :math:`\sigma` and
    time constant :math:`\tau_\xi`; piecewise-constant noise in bins of width
    :math:`\Delta` has :math:`\tau_\xi = \Delta/2`), and to first order in
    :math:`\sigma`, :math:`\mathbb E[(R - R_0)\,e_{ij}] = \partial R/\partial w_{ij}`
    whenever :math:`x_j` and the sensitivity of :math:`R` to the neuron's input vary
    slowly on the scale of :math:`\tau_\xi`: the update is :math:`\eta` times an unbiased
    gradient estimate. The baseline :math:`\bar R` must not depend on the noise of the
    trial: the reward of an unperturbed pass (``baseline="paired"``) or a running mean.
    Its variance grows with the number of perturbed neurons times the number of
    independent noise samples per trial, not with the number of synapses.

    <parameters>

    Equivalent ``Rule``::

        Rule("node_perturbation",
             model='''dx/dt = -x/tau_x : 1 (clock-driven)
                      delig/dt = noise_post*x/(2*sigma**2*tau_noise) : 1 (clock-driven)''',
             on_pre="x += 1",
             regular="w = clip(w + eta*(R - Rbar)*elig, wmin, wmax); elig = 0",
             regular_dt=500*ms, modulators=("R", "Rbar"), method="euler",
             params=dict(eta=0.01, sigma=1.0, tau_noise=5*ms, tau_x=20*ms,
                         wmin=-10.0, wmax=10.0))

    Reference: Fiete IR, Seung HS (2006) Gradient learning in spiking neural networks by
    dynamic perturbation of conductances. Phys Rev Lett 97:048104. Werfel J, Xie X,
    Seung HS (2005) Neural Comput 17:2699-2718.
    """
    name = "node_perturbation"
    for key, value in (("tau_noise", tau_noise), ("tau_x", tau_x), ("update_dt", update_dt)):
        _time(name, key, value)
    _positive(name, "sigma", sigma)
    unit = _bounds(name, wmin, wmax)
    xi = _identifier(name, "noise", noise)
    elig_unit = unit_name(1 / sigma)
    return Rule(
        name,
        model=f"""
            dx/dt = -x / tau_x : 1 (clock-driven)
            delig/dt = {xi}_post * x / (2 * sigma**2 * tau_noise) : {elig_unit} (clock-driven)
            {weight_declaration(unit)}
        """,
        on_pre="x += 1",
        regular="w = clip(w + eta * (R - Rbar) * elig, wmin, wmax)\nelig = 0 * elig",
        regular_dt=update_dt,
        modulators=("R", "Rbar"),
        params={"eta": eta, "sigma": sigma, "tau_noise": tau_noise, "tau_x": tau_x, "wmin": wmin, "wmax": wmax},
        method="euler",
        doc=node_perturbation.__doc__,
        reference="Fiete & Seung (2006) Phys Rev Lett 97:048104",
    )


def _weight_perturbation_parameters(sigma_doc, bounds_doc):
    """The declarations weight_perturbation and serial_perturbation share (they differ in the docs only)."""
    return dict(
        eta=Param(0.01, unit_text="(unit of w)²", low=0.0, doc="learning rate"),
        sigma=Param(0.01, unit_text="unit of w", low=0.0, strict=True, doc=sigma_doc),
        update_dt=Param(500 * ms, unit=second, low=0 * second, strict=True,
                        doc="interval of the update (the trial duration)"),
        wmin=Param(-10.0, unit_text="unit of w", doc=bounds_doc),
        wmax=Param(10.0, unit_text="unit of w", doc=bounds_doc),
    )


@declared(**_weight_perturbation_parameters("standard deviation of the weight perturbation",
                                           "hard bounds of the unperturbed weight"))
def weight_perturbation(eta=0.01, sigma=0.01, update_dt=500 * ms, wmin=-10.0, wmax=10.0):
    r"""Weight perturbation, parallel: every weight perturbed at once (Werfel, Xie & Seung 2005).

    At the start of each perturbed trial every synapse draws
    :math:`\psi_{ij}\sim\mathcal N(0,\sigma^2)`; the synapse transmits with weight
    :math:`w_{ij} + \psi_{ij}` (write ``transmit="v_post += w + psi"``). At the end of
    the trial

    .. math::
        \Delta w_{ij} = \eta\,\frac{R(W + \Psi) - \bar R}{\sigma^2}\,\psi_{ij}

    With :math:`\bar R = R(W)` measured on an unperturbed pass of the same stimulus
    (``baseline="paired"`` of :class:`~snnlearn.modulators.RewardCircuit`, whose ``P``
    signal is 0 on the baseline pass and 1 on the perturbed pass) this is :math:`\eta`
    times an unbiased estimate of :math:`\partial R/\partial w` to first order in
    :math:`\sigma`, with :math:`\mathbb E\|\hat g\|^2 = (K+2)\|g\|^2` for :math:`K`
    synapses: its noise grows with the number of synapses. A trial costs two forward
    passes. The perturbation is drawn with Brian2's ``randn()``.

    <parameters>

    Equivalent ``Rule``::

        Rule("weight_perturbation",
             model="psi : 1",
             regular='''w = clip(w + eta*(R - Rbar)*psi/sigma**2, wmin, wmax)
                        psi = sigma*randn()*P''',
             regular_dt=500*ms, modulators=("R", "Rbar", "P"),
             params=dict(eta=0.01, sigma=0.01, wmin=-10.0, wmax=10.0))

    Reference: Werfel J, Xie X, Seung HS (2005) Learning curves for stochastic gradient
    descent in linear feedforward networks. Neural Comput 17:2699-2718; Jabri M, Flower B
    (1992) IEEE Trans Neural Netw 3:154-157.
    """
    name = "weight_perturbation"
    _time(name, "update_dt", update_dt)
    _positive(name, "sigma", sigma)
    unit = _bounds(name, wmin, wmax)
    if unit_name(sigma) != unit:
        raise RuleError(name, f"sigma = {sigma!r} must have the unit of w ({unit})")
    return Rule(
        name,
        model=f"psi : {unit}\n{weight_declaration(unit)}",
        regular="w = clip(w + eta * (R - Rbar) * psi / sigma**2, wmin, wmax)\npsi = sigma * randn() * P",
        regular_dt=update_dt,
        modulators=("R", "Rbar", "P"),
        params={"eta": eta, "sigma": sigma, "wmin": wmin, "wmax": wmax},
        doc=weight_perturbation.__doc__,
        reference="Werfel, Xie & Seung (2005) Neural Comput 17:2699",
    )


@declared(**_weight_perturbation_parameters("size of the perturbation (the sign is random)", "hard bounds"))
def serial_perturbation(eta=0.01, sigma=0.01, update_dt=500 * ms, wmin=-10.0, wmax=10.0):
    r"""Serial weight perturbation: one weight per trial (Werfel, Xie & Seung 2005).

    At the start of each perturbed trial one synapse :math:`k` is drawn uniformly
    among the :math:`K = N_{pre} N_{post}` (pre, post) pairs and moved by
    :math:`\psi = \pm\sigma`; it transmits with :math:`w_k + \psi`
    (``transmit="v_post += w + psi"``). At the end of the trial

    .. math::
        \Delta w_k = \eta\,K\,\frac{R(W + \psi e_k) - \bar R}{\sigma^2}\,\psi

    which is :math:`\eta` times an unbiased estimate of the whole gradient (each synapse
    is chosen with probability :math:`1/K`), with :math:`\mathbb E\|\hat g\|^2 =
    K\|g\|^2`. With the paired baseline each trial costs two forward passes; counted
    that way, Werfel et al. show that serial and parallel perturbation learn at the same
    rate, independent of network size. The rule assumes at most one synapse per
    (pre, post) pair; with sparser connectivity a trial that draws a missing pair perturbs
    nothing, and the factor :math:`K` keeps the estimate unbiased.

    <parameters>

    Equivalent ``Rule``::

        Rule("serial_perturbation",
             model='''psi : 1
                      k_sel : integer (shared)
                      sgn : 1 (shared)''',
             regular='''k_sel = int(rand()*N_pre*N_post)
                        sgn = 2*int(rand() < 0.5) - 1
                        w = clip(w + eta*N_pre*N_post*(R - Rbar)*psi/sigma**2, wmin, wmax)
                        psi = sigma*sgn*P*int(i + N_pre*j == k_sel)''',
             regular_dt=500*ms, modulators=("R", "Rbar", "P"),
             params=dict(eta=0.01, sigma=0.01, wmin=-10.0, wmax=10.0))

    Reference: Werfel J, Xie X, Seung HS (2005) Neural Comput 17:2699-2718.
    """
    name = "serial_perturbation"
    _time(name, "update_dt", update_dt)
    _positive(name, "sigma", sigma)
    unit = _bounds(name, wmin, wmax)
    if unit_name(sigma) != unit:
        raise RuleError(name, f"sigma = {sigma!r} must have the unit of w ({unit})")
    return Rule(
        name,
        model=f"""
            psi : {unit}
            k_sel : integer (shared)
            sgn : 1 (shared)
            {weight_declaration(unit)}
        """,
        # Brian2 wants the (shared) scalar draws first; the update still uses the old psi
        regular="k_sel = int(rand() * N_pre * N_post)\n"
                "sgn = 2 * int(rand() < 0.5) - 1\n"
                "w = clip(w + eta * N_pre * N_post * (R - Rbar) * psi / sigma**2, wmin, wmax)\n"
                "psi = sigma * sgn * P * int(i + N_pre * j == k_sel)",
        regular_dt=update_dt,
        modulators=("R", "Rbar", "P"),
        params={"eta": eta, "sigma": sigma, "wmin": wmin, "wmax": wmax},
        doc=serial_perturbation.__doc__,
        reference="Werfel, Xie & Seung (2005) Neural Comput 17:2699",
    )


@declared(
    eta=Param(0.01, unit_text="unit of w", low=0.0, doc='learning rate (times the escape gain when ``gain=None``)'),
    tau_x=Param(20 * ms, unit=second, low=0 * second, strict=True,
                doc="presynaptic trace :math:`\\tau_x` (the neuron's PSP decay)"),
    update_dt=Param(500 * ms, unit=second, low=0 * second, strict=True,
                    doc='interval of the update (the trial duration)'),
    wmin=Param(-10.0, unit_text="unit of w", doc='hard bounds'),
    wmax=Param(10.0, unit_text="unit of w", doc='hard bounds'),
    rate=Param("rho", doc="name of the target group's intensity variable (Hz), ``rho``"),
    gain=Param(None, doc="name of a target-group variable :math:`\\rho'/\\rho`, or None"),
)
def reinforce(eta=0.01, tau_x=20 * ms, update_dt=500 * ms, wmin=-10.0, wmax=10.0, rate="rho", gain=None):
    r"""REINFORCE for stochastic spiking neurons (Williams 1992; Xie & Seung 2004; Pfister et al. 2006).

    The postsynaptic neuron spikes at random with intensity :math:`\rho_i(t)` (escape
    noise: in each step of length :math:`dt` it fires with probability
    :math:`\rho_i\,dt`); the target group defines ``rho`` (in Hz). The eligibility is
    the derivative of the log-likelihood of the neuron's own spike train, the
    "(spike - firing probability) x presynaptic trace" of Xie & Seung:

    .. math::
        e_{ij} = \int_{trial} \Big(\sum_f \delta(t - t_i^f) - \rho_i(t)\Big)\,
                 g_i(t)\, x_j(t)\,dt, \qquad
        \Delta w_{ij} = \eta\,(R - \bar R)\,e_{ij}, \qquad e_{ij} \leftarrow 0

    with :math:`x_j` the presynaptic trace (jump 1 per spike, decay :math:`\tau_x`: the
    PSP kernel, so that :math:`\partial u_i/\partial w_{ij} = x_j`) and
    :math:`g_i = \rho_i'/\rho_i` the gain of the escape function. For exponential escape
    noise :math:`\rho = \rho_0 e^{(u-\vartheta)/\Delta_u}`, :math:`g = 1/\Delta_u` is a
    constant, absorbed in :math:`\eta` (``gain=None``); otherwise give the name of a
    target-group variable holding :math:`g_i(t)` (``gain="g"``, read as ``g_post``).
    Then :math:`\mathbb E[\Delta w] = \eta\,\partial\,\mathbb E[R]/\partial w` for any
    baseline :math:`\bar R` that does not depend on the trial's own spikes (Williams):
    the baseline only lowers the variance. One forward pass per trial; no perturbation
    is injected, the neuron's own spiking noise is the exploration.

    Timing within a time step. Both terms must see the same trace, or the eligibility
    acquires a nonzero mean and the rule drifts even when the reward carries no
    information. The continuous term is integrated (Euler) in the synapse's state update
    with the trace at the start of the step; the spike of the step is drawn before that
    step's presynaptic spikes arrive. So the spike term uses the trace without a
    presynaptic jump of the same step (``step_in`` records the time step of the last
    presynaptic spike, whatever order Brian2 processes the two pathways in), undoes the
    step's Euler decay (divides by :math:`1 - dt/\tau_x`), and the eligibility has exactly
    zero mean (the uncorrected spike term is biased by about one jump per coincident
    pre/post pair, the decay by :math:`dt/\tau_x` per spike). The rate :math:`\rho` in the
    continuous term is that of the spike draw when the neuron is updated before the
    synapse (Brian2 orders state updates by ``order``, then name); the gain read at the
    spike includes that step's input unless the post pathway runs first
    (``S.post.order = -2``), a second-order effect.

    <parameters>

    Equivalent ``Rule`` (``gain=None``)::

        Rule("reinforce",
             model='''dx/dt = -x/tau_x : 1 (clock-driven)
                      delig/dt = -rho_post*x : 1 (clock-driven)
                      step_in : integer''',
             on_pre="x += 1; step_in = t_in_timesteps",
             on_post="elig += (x - int(step_in == t_in_timesteps and x >= 1)) / (1 - dt/tau_x)",
             regular="w = clip(w + eta*(R - Rbar)*elig, wmin, wmax); elig = 0",
             regular_dt=500*ms, modulators=("R", "Rbar"), method="euler",
             params=dict(eta=0.01, tau_x=20*ms, wmin=-10.0, wmax=10.0))

    Reference: Williams RJ (1992) Machine Learning 8:229-256; Xie X, Seung HS (2004) Phys
    Rev E 69:041909; Pfister J-P, Toyoizumi T, Barber D, Gerstner W (2006) Neural Comput
    18:1318-1348.
    """
    name = "reinforce"
    for key, value in (("tau_x", tau_x), ("update_dt", update_dt)):
        _time(name, key, value)
    unit = _bounds(name, wmin, wmax)
    rho = _identifier(name, "rate", rate)
    g = "" if gain is None else f" * {_identifier(name, 'gain', gain)}_post"
    return Rule(
        name,
        model=f"""
            dx/dt = -x / tau_x : 1 (clock-driven)
            delig/dt = -{rho}_post * x{g} : 1 (clock-driven)
            step_in : integer
            {weight_declaration(unit)}
        """,
        on_pre="x += 1\nstep_in = t_in_timesteps",
        # the trace of the continuous term: at the start of the step (before its Euler decay and
        # without a presynaptic jump of this very step)
        on_post=f"elig += (x - int(step_in == t_in_timesteps and x >= 1)) / (1 - dt / tau_x){g}",
        regular="w = clip(w + eta * (R - Rbar) * elig, wmin, wmax)\nelig = 0",
        regular_dt=update_dt,
        modulators=("R", "Rbar"),
        params={"eta": eta, "tau_x": tau_x, "wmin": wmin, "wmax": wmax},
        method="euler",
        doc=reinforce.__doc__,
        reference="Williams (1992) Mach Learn 8:229; Xie & Seung (2004); Pfister et al. (2006)",
    )
