"""Three-factor STDP: a Hebbian eligibility trace turned into a weight change by a neuromodulator.

Both rules keep pair-based STDP traces inside the synapse, but STDP does not move the
weight: it feeds an *eligibility trace*, and the weight changes only when a third
factor, read from another group (``modulators=``), is present. The third factor is a
Brian2 variable computed inside the simulation (see :mod:`snnlearn.modulators`): a
dopamine concentration with its own decay, or a reward and its running baseline.

* :func:`da_stdp` -- dopamine-modulated STDP (Izhikevich 2007), with the defaults of
  the author's ``daspnet.m``.
* :func:`reward_stdp` -- reward-modulated STDP, ``dw ∝ e (R - <R>)`` (Frémaux,
  Sprekeler & Gerstner 2010), with the reward baseline that can be switched off.

The weight update runs every ``update_dt`` as Brian2 code (``run_regularly``), so a long
training compiles into one ``cpp_standalone`` program.

The eligibility follows the pairing conventions of :mod:`snnlearn.rules.stdp`: a pre and
a post spike in the same step tag the synapse with :math:`+A_+` (``on_pre`` runs first),
and with a transmission delay :math:`d` the lag is :math:`t_{post} - (t_{pre} + d)`.
Amplitudes and bounds in a unit (nS) make the rule declare ``w`` in that unit.
"""

import math

import numpy as np
from brian2 import Quantity, ms, second

from ..errors import RuleError
from ..params import Param
from ..units import unit_name
from .base import Rule, weight_declaration
from .declare import declared

__all__ = ["da_stdp", "reward_stdp", "DASPNET_TAU_STDP", "DASPNET_TAU_C", "DASPNET_TAU_DA"]

#: STDP trace time constant of ``daspnet.m``: traces decay by 0.95 per 1-ms step.
DASPNET_TAU_STDP = -1 * ms / math.log(0.95)
#: Eligibility time constant of ``daspnet.m``: ``sd`` decays by 0.99 every 10 ms (995 ms).
DASPNET_TAU_C = -10 * ms / math.log(0.99)
#: Dopamine time constant of ``daspnet.m``: DA decays by 0.995 per 1-ms step (199.5 ms).
DASPNET_TAU_DA = -1 * ms / math.log(0.995)


def _is_time(q):
    return isinstance(q, Quantity) and q.dim == second.dim


def _check_common(name, Ap, Am, wmin, wmax, times):
    """Invariants shared by the three-factor rules; ``times`` maps parameter name -> value."""
    for key, value in times.items():
        if not _is_time(value):
            raise RuleError(name, f"{key} = {value!r} must be a time (e.g. 20*ms)")
        if not float(value) > 0:
            raise RuleError(name, f"time constant {key} = {value!r} must be positive")
    if float(np.asarray(Ap)) < 0 or float(np.asarray(Am)) < 0:
        raise RuleError(name, f"amplitudes must be non-negative (Am is the size of depression), got Ap={Ap!r}, Am={Am!r}")
    if not float(np.asarray(wmax)) > float(np.asarray(wmin)):
        raise RuleError(name, f"bounds must satisfy wmin < wmax, got wmin={wmin!r}, wmax={wmax!r}")
    unit = unit_name(wmax)
    for key, value in (("wmin", wmin), ("Ap", Ap), ("Am", Am)):
        if unit_name(value) != unit and float(np.asarray(value)) != 0:
            raise RuleError(name, f"{key} = {value!r} must have the unit of wmax ({unit})")
    return unit


def _pairing(name, pairing):
    if pairing not in ("all", "nearest"):
        raise RuleError(name, f"pairing must be 'all' (traces add) or 'nearest' (a spike resets its trace), got {pairing!r}")
    return "+=" if pairing == "all" else "="


def _check_signal(name, signal, what):
    if not isinstance(signal, str) or not signal.isidentifier():
        raise RuleError(name, f"{what} must be an identifier, got {signal!r}")
    return signal


@declared(
    Ap=Param(0.1, unit_text="unit of w", low=0.0, doc='eligibility added per pre-before-post pair at zero lag (0.1)'),
    Am=Param(0.15, unit_text="unit of w", low=0.0,
             doc='eligibility removed per post-before-pre pair (0.15 = 1.5 A+)'),
    taupre=Param(DASPNET_TAU_STDP, unit=second, low=0 * second, strict=True,
                 doc='presynaptic trace, 0.95 per ms: -1 ms/ln 0.95 = 19.5 ms'),
    taupost=Param(DASPNET_TAU_STDP, unit=second, low=0 * second, strict=True, doc='postsynaptic trace (19.5 ms)'),
    tau_c=Param(1 * second, unit=second, low=0 * second, strict=True,
                doc='eligibility time constant :math:`\\tau_c` (1 s; daspnet 0.995 s)'),
    update_dt=Param(10 * ms, unit=second, low=0 * second, strict=True,
                    doc='interval of the weight update :math:`\\Delta t_{upd}` (10 ms)'),
    tonic=Param(0.002, doc='tonic dopamine :math:`d_{tonic}` added to :math:`d` (0.002)'),
    wmin=Param(0.0, unit_text="unit of w", doc='hard bounds (0 and 4)'),
    wmax=Param(4.0, unit_text="unit of w", doc='hard bounds (0 and 4)'),
    pairing=Param("nearest", choices=('nearest', 'all'),
                  doc=('``"nearest"``: a spike *sets* its trace to A (daspnet); ``"all"``: traces add (all-to-all '
                       'pairs, as NEST)')),
    modulator=Param("d", doc='name of the dopamine signal the rule reads (``"d"``)'),
)
def da_stdp(Ap=0.1, Am=0.15, taupre=DASPNET_TAU_STDP, taupost=DASPNET_TAU_STDP, tau_c=1 * second,
            update_dt=10 * ms, tonic=0.002, wmin=0.0, wmax=4.0, pairing="nearest", modulator="d"):
    r"""Dopamine-modulated STDP with an eligibility trace (Izhikevich 2007).

    STDP does not change the weight directly; it tags the synapse with an eligibility
    trace :math:`c` that decays with :math:`\tau_c` (about 1 s), and the weight moves in
    proportion to :math:`c` times the extracellular dopamine :math:`d`:

    .. math::
        \dot c = -\frac{c}{\tau_c} + \mathrm{STDP}(\Delta t)\,\delta(t - t_{pre/post}), \qquad
        \dot s = c\,(d + d_{tonic}), \qquad \dot d = -\frac{d}{\tau_d} + \mathrm{DA}(t)

    with :math:`\mathrm{STDP}(\Delta t) = A_+ e^{-\Delta t/\tau_+}` for pre before post
    and :math:`-A_- e^{\Delta t/\tau_-}` for post before pre. As in the author's
    ``daspnet.m``, the product is applied every ``update_dt`` (10 ms) and the
    eligibility decays in the same step:

    .. math::
        s \leftarrow \mathrm{clip}\big(s + (d + d_{tonic})\,c,\ w_{min}, w_{max}\big),
        \qquad c \leftarrow c\,e^{-\Delta t_{upd}/\tau_c}

    so the continuous-time rate is :math:`\dot s = c\,(d + d_{tonic})/\Delta t_{upd}`.
    A single pairing followed by a dopamine pulse of size :math:`A_{DA}` after a delay
    :math:`D` gives :math:`\Delta s \approx (A_{DA}/\Delta t_{upd})\,c_0\,e^{-D/\tau_c}\,
    \tau_c\tau_d/(\tau_c+\tau_d)`: the delay is bridged by the trace, with the
    exponential kernel of :math:`\tau_c` (docs/validation.md, check I1). The dopamine
    :math:`d` is a modulator: a variable of another group, for example
    :func:`snnlearn.modulators.neuromodulator` (decay :math:`\tau_d` = 0.2 s, a reward
    adds 0.5 in ``daspnet``), linked at :func:`snnlearn.connect`.

    <parameters>

    Equivalent ``Rule`` (nearest-spike pairing)::

        Rule("da_stdp",
             model='''dapre/dt = -apre/taupre : 1 (event-driven)
                      dapost/dt = -apost/taupost : 1 (event-driven)
                      c : 1''',
             on_pre="c -= apost; apre = Ap",
             on_post="c += apre; apost = Am",
             regular="w = clip(w + (d + tonic)*c, wmin, wmax); c = c*exp(-update_dt/tau_c)",
             regular_dt=10*ms, modulators=("d",),
             params=dict(Ap=0.1, Am=0.15, taupre=19.5*ms, taupost=19.5*ms, tau_c=1*second,
                         update_dt=10*ms, tonic=0.002, wmin=0.0, wmax=4.0))

    Connect it with the dopamine group: ``connect(pre, post, da_stdp(), transmit=...,
    modulators={"d": (dopamine, "d")})``; without a modulator ``connect`` raises
    :class:`~snnlearn.RuleError` naming the missing signal.

    Correspondence with NEST's ``stdp_dopamine_synapse`` (``pairing="all"``):
    ``A_plus = Ap``, ``A_minus = Am``, ``tau_plus = taupre``, ``tau_minus`` (of the
    postsynaptic neuron) ``= taupost``, ``tau_c = tau_c``, ``tau_n = tau_d``, and
    NEST's :math:`\dot w = c\,(n - b)` (time in ms) equals this rule's
    :math:`\dot s = c\,(d + d_{tonic})/\Delta t_{upd}` with
    :math:`n = d\cdot 1\,\mathrm{ms}/\Delta t_{upd}` and
    :math:`b = -d_{tonic}\cdot 1\,\mathrm{ms}/\Delta t_{upd}`. NEST integrates the
    product exactly between events; here it is sampled every ``update_dt``, so the two
    agree as ``update_dt`` shrinks (tests/test_third_factor_nest.py).

    Reference: Izhikevich EM (2007) Solving the distal reward problem through linkage of
    STDP and dopamine signaling. Cereb Cortex 17:2443-2452.
    """
    name = "da_stdp"
    unit = _check_common(name, Ap, Am, wmin, wmax,
                         {"taupre": taupre, "taupost": taupost, "tau_c": tau_c, "update_dt": update_dt})
    op = _pairing(name, pairing)
    d = _check_signal(name, modulator, "modulator")
    if not np.isfinite(float(np.asarray(tonic))):
        raise RuleError(name, f"tonic = {tonic!r} must be a finite number")
    return Rule(
        name,
        model=f"""
            dapre/dt = -apre / taupre : {unit} (event-driven)
            dapost/dt = -apost / taupost : {unit} (event-driven)
            c : {unit}
            {weight_declaration(unit)}
        """,
        on_pre=f"c -= apost\napre {op} Ap",
        on_post=f"c += apre\napost {op} Am",
        regular=f"w = clip(w + ({d} + tonic) * c, wmin, wmax)\nc = c * exp(-update_dt / tau_c)",
        regular_dt=update_dt,
        modulators=(d,),
        params={"Ap": Ap, "Am": Am, "taupre": taupre, "taupost": taupost, "tau_c": tau_c,
                "update_dt": update_dt, "tonic": tonic, "wmin": wmin, "wmax": wmax},
        doc=da_stdp.__doc__,
        reference="Izhikevich (2007) Cereb Cortex 17:2443",
    )


@declared(
    eta=Param(1.0, low=0.0, doc='learning rate (weight change per unit eligibility and reward)'),
    Ap=Param(0.01, unit_text="unit of w", low=0.0, doc='eligibility per pre-before-post pair at zero lag'),
    Am=Param(0.0105, unit_text="unit of w", low=0.0, doc='eligibility removed per post-before-pre pair'),
    taupre=Param(20 * ms, unit=second, low=0 * second, strict=True, doc='presynaptic STDP trace (20 ms)'),
    taupost=Param(20 * ms, unit=second, low=0 * second, strict=True, doc='postsynaptic STDP trace (20 ms)'),
    tau_e=Param(500 * ms, unit=second, low=0 * second, strict=True,
                doc='eligibility time constant :math:`\\tau_e` (0.5 s)'),
    update_dt=Param(500 * ms, unit=second, low=0 * second, strict=True,
                    doc='interval of the update (the trial duration, 0.5 s)'),
    wmin=Param(0.0, unit_text="unit of w", doc='hard bounds'),
    wmax=Param(1.0, unit_text="unit of w", doc='hard bounds'),
    baseline=Param(True, choices=(True, False), doc='subtract the expected reward (``True``) or use raw R'),
    pairing=Param("all", choices=('all', 'nearest'), doc='``"all"`` or ``"nearest"``'),
    reset=Param(False, choices=(True, False), doc='clear the eligibility after each update (``False``)'),
    reward=Param("R", doc='name of the reward signal (``"R"``)'),
    expected=Param("Rbar", doc='name of the expected-reward signal (``"Rbar"``)'),
)
def reward_stdp(eta=1.0, Ap=0.01, Am=0.0105, taupre=20 * ms, taupost=20 * ms, tau_e=500 * ms,
                update_dt=500 * ms, wmin=0.0, wmax=1.0, baseline=True, pairing="all", reset=False, reward="R",
                expected="Rbar"):
    r"""Reward-modulated STDP with a reward baseline (Frémaux, Sprekeler & Gerstner 2010).

    Pair-based STDP feeds an eligibility trace :math:`e_{ij}` (decay :math:`\tau_e`),
    and the weight follows the eligibility times the reward *prediction error*:

    .. math::
        \dot e_{ij} = -\frac{e_{ij}}{\tau_e} + \mathrm{STDP}_{ij}(t), \qquad
        \Delta w_{ij} = \eta\; e_{ij}\,\big(R - \langle R\rangle\big)
        \quad\text{every } \Delta t_{upd}

    (clipped to :math:`[w_{min}, w_{max}]`). Frémaux et al. show that the mean weight
    change splits into a reward-covariance term and an *unsupervised* term
    :math:`\langle R\rangle\,\langle e\rangle`; subtracting the expected reward removes
    the second, but only if :math:`\langle R\rangle` is predicted *per stimulus* (a
    critic). With ``baseline=False`` the rule uses the raw reward, :math:`\Delta w =
    \eta\,e\,R`, and learning is dominated by the unsupervised STDP drift.
    With ``reset=True`` the eligibility is cleared after each update, so that with one
    update per trial each reward acts only on the pairings of its own trial (a
    trial-based task; the decay :math:`\tau_e` then only weighs pairings within the trial).

    :math:`R` and :math:`\langle R\rangle` are modulators: variables of another group,
    held for one trial by :class:`snnlearn.modulators.RewardCircuit` (``R`` the reward of
    the trial that just ended, ``Rbar`` its prediction: none, a global running mean or a
    per-stimulus critic). With such a trial circuit, set ``update_dt`` to the trial
    duration so that each reward is applied once, at the end of its trial.

    <parameters>

    Equivalent ``Rule`` (with baseline)::

        Rule("reward_stdp",
             model='''dapre/dt = -apre/taupre : 1 (event-driven)
                      dapost/dt = -apost/taupost : 1 (event-driven)
                      delig/dt = -elig/tau_e : 1 (clock-driven)''',
             on_pre="elig -= apost; apre += Ap",
             on_post="elig += apre; apost += Am",
             regular="w = clip(w + eta*elig*(R - Rbar), wmin, wmax)",
             regular_dt=500*ms, modulators=("R", "Rbar"),
             params=dict(eta=1.0, Ap=0.01, Am=0.0105, taupre=20*ms, taupost=20*ms,
                         tau_e=500*ms, wmin=0.0, wmax=1.0))

    Reference: Frémaux N, Sprekeler H, Gerstner W (2010) Functional requirements for
    reward-modulated spike-timing-dependent plasticity. J Neurosci 30:13326-13337.
    """
    name = "reward_stdp"
    unit = _check_common(name, Ap, Am, wmin, wmax,
                         {"taupre": taupre, "taupost": taupost, "tau_e": tau_e, "update_dt": update_dt})
    op = _pairing(name, pairing)
    if not isinstance(baseline, bool) or not isinstance(reset, bool):
        raise RuleError(name, f"baseline and reset must be True or False, got {baseline!r} and {reset!r}")
    if isinstance(eta, Quantity) and not eta.dim.is_dimensionless:
        raise RuleError(name, f"eta = {eta!r} must be dimensionless")
    R = _check_signal(name, reward, "reward")
    Rbar = _check_signal(name, expected, "expected")
    if baseline and R == Rbar:
        raise RuleError(name, f"the reward and expected-reward signals must differ, both are '{R}'")
    modulation = f"({R} - {Rbar})" if baseline else R
    return Rule(
        name,
        model=f"""
            dapre/dt = -apre / taupre : {unit} (event-driven)
            dapost/dt = -apost / taupost : {unit} (event-driven)
            delig/dt = -elig / tau_e : {unit} (clock-driven)
            {weight_declaration(unit)}
        """,
        on_pre=f"elig -= apost\napre {op} Ap",
        on_post=f"elig += apre\napost {op} Am",
        regular=f"w = clip(w + eta * elig * {modulation}, wmin, wmax)" + ("\nelig = 0" if reset else ""),
        regular_dt=update_dt,
        modulators=(R, Rbar) if baseline else (R,),
        params={"eta": eta, "Ap": Ap, "Am": Am, "taupre": taupre, "taupost": taupost, "tau_e": tau_e,
                "wmin": wmin, "wmax": wmax},
        method="exact",
        doc=reward_stdp.__doc__,
        reference="Frémaux, Sprekeler & Gerstner (2010) J Neurosci 30:13326",
    )
