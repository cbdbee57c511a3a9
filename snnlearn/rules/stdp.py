r"""Spike-timing-dependent plasticity: pair-based (additive, multiplicative) and triplet.

Each function returns a :class:`~snnlearn.Rule`. The docstring gives the rule as in
the paper, its parameters with units, and the equivalent hand-written ``Rule(...)``.
Traces carry the unit of the weight, so a rule works with dimensionless weights
(conductances in units of the leak) or with weights in siemens alike: give the
amplitudes and ``wmax`` in nS and the rule declares ``w : siemens`` itself.

Spike-pairing conventions (all pair and triplet rules here, and the STDP part of
``da_stdp`` / ``reward_stdp``)
------------------------------------------------------------------------------
* **Zero lag.** When a presynaptic and a postsynaptic spike fall in the same time step,
  Brian2 runs ``on_pre`` before ``on_post``. ``on_pre`` first bumps the presynaptic
  trace, and ``on_post`` then reads it: the pair potentiates by exactly :math:`A_+` (the
  :math:`\Delta t \to 0^+` limit of the window), and depression sees only earlier
  postsynaptic spikes. NEST's ``stdp_synapse`` discards a pair at zero lag instead, so
  the two simulators differ by :math:`A_+` per coincident pair (and agree otherwise).
* **Delays.** ``on_pre`` runs when the spike *arrives* at the synapse, at
  :math:`t_{pre} + d` for a ``connect(..., delay=d)``; ``on_post`` runs at the
  postsynaptic spike (no delay unless you set ``S.post.delay``). The pairing lag is
  therefore :math:`\Delta t = t_{post} - (t_{pre} + d)`: a postsynaptic spike exactly
  ``d`` after the presynaptic one is a zero-lag pair (+A+), and one at the presynaptic
  spike time depresses by :math:`A_- e^{-d/\tau_-}`.
"""

from brian2 import ms, second

from ..errors import RuleError
from ..params import Param
from ..units import unit_name
from .base import Rule, weight_declaration
from .declare import declared

__all__ = ["stdp_additive", "stdp_multiplicative", "triplet_stdp", "TRIPLET_PARAMETER_SETS"]


def _w_unit(name, wmax):
    if float(wmax) <= 0:
        raise RuleError(name, f"wmax = {wmax!r} must be positive")
    return unit_name(wmax)


def _zero(unit):
    """The lower weight bound, 0, in the unit of ``w`` (Brian2 checks the units of ``clip``'s bounds)."""
    return "0" if unit == "1" else f"0*{unit}"


def _pairing(name, pairing):
    if pairing not in ("all", "nearest"):
        raise RuleError(name, f"pairing must be 'all' (all-to-all) or 'nearest' (nearest spike), got {pairing!r}")
    return "+=" if pairing == "all" else "="


@declared(
    Ap=Param(0.005, unit_text="unit of w", low=0.0, doc='potentiation amplitude :math:`A_+` (Song: 0.005 g_max)'),
    Am=Param(0.00525, unit_text="unit of w", low=0.0, doc='depression amplitude :math:`A_-` (> 0; Song: 1.05 A_+)'),
    taupre=Param(20 * ms, unit=second, low=0 * second, strict=True,
                 doc=':math:`\\tau_+`, presynaptic trace time constant (20 ms)'),
    taupost=Param(20 * ms, unit=second, low=0 * second, strict=True,
                  doc=':math:`\\tau_-`, postsynaptic trace time constant (20 ms)'),
    wmax=Param(1.0, unit_text="unit of w", doc='upper bound :math:`g_{max}`'),
    pairing=Param("all", choices=('all', 'nearest'),
                  doc=('``"all"``: all-to-all (traces add); ``"nearest"``: the nearest preceding spike only (traces '
                       'reset)')),
)
def stdp_additive(Ap=0.005, Am=0.00525, taupre=20 * ms, taupost=20 * ms, wmax=1.0, pairing="all"):
    r"""Additive STDP with hard bounds (Song, Miller & Abbott 2000).

    A pair of spikes with :math:`\Delta t = t_{post} - t_{pre}` changes the weight by

    .. math::
        \Delta w = \begin{cases} A_+ \, e^{-\Delta t/\tau_+} & \Delta t > 0 \\
                                 -A_- \, e^{\Delta t/\tau_-} & \Delta t < 0 \end{cases}
        \qquad w \in [0, w_{max}]

    Competition (the bimodal weight distribution, rate regulation) needs
    :math:`A_-\tau_- > A_+\tau_+`; Song et al. use :math:`A_-/A_+ = 1.05`.

    A pre and a post spike in the same time step potentiate by exactly :math:`A_+`
    (Brian2 runs ``on_pre`` first; NEST discards such a pair), and with a transmission
    delay :math:`d` the lag is :math:`t_{post} - (t_{pre} + d)`: see the module's
    pairing conventions.

    <parameters>

    Equivalent ``Rule`` (all-to-all)::

        Rule("stdp_additive",
             model='''dapre/dt = -apre/taupre : 1 (event-driven)
                      dapost/dt = -apost/taupost : 1 (event-driven)''',
             on_pre="apre += Ap; w = clip(w - apost, 0, wmax)",
             on_post="apost += Am; w = clip(w + apre, 0, wmax)",
             params=dict(Ap=0.005, Am=0.00525, taupre=20*ms, taupost=20*ms, wmax=1.0))

    Reference: Song S, Miller KD, Abbott LF (2000) Nat Neurosci 3:919-926.
    """
    unit = _w_unit("stdp_additive", wmax)
    op = _pairing("stdp_additive", pairing)
    if float(Ap) < 0 or float(Am) < 0:
        raise RuleError("stdp_additive", f"amplitudes must be non-negative (Am is the size of depression), got Ap={Ap!r}, Am={Am!r}")
    return Rule(
        "stdp_additive",
        model=f"""
            dapre/dt = -apre / taupre : {unit} (event-driven)
            dapost/dt = -apost / taupost : {unit} (event-driven)
            {weight_declaration(unit)}
        """,
        on_pre=f"apre {op} Ap\nw = clip(w - apost, {_zero(unit)}, wmax)",
        on_post=f"apost {op} Am\nw = clip(w + apre, {_zero(unit)}, wmax)",
        params={"Ap": Ap, "Am": Am, "taupre": taupre, "taupost": taupost, "wmax": wmax},
        doc=stdp_additive.__doc__,
        reference="Song, Miller & Abbott (2000) Nat Neurosci 3:919",
    )


@declared(
    Ap=Param(0.005, unit_text="unit of w", low=0.0, doc='potentiation step :math:`A_+`'),
    Am=Param(0.0105, low=0.0, doc='depression fraction :math:`A_-` (relative to w)'),
    taupre=Param(20 * ms, unit=second, low=0 * second, strict=True, doc=':math:`\\tau_+`'),
    taupost=Param(20 * ms, unit=second, low=0 * second, strict=True, doc=':math:`\\tau_-`'),
    wmax=Param(1.0, unit_text="unit of w", doc='hard cap (set it well above the equilibrium weight)'),
    pairing=Param("all", choices=('all', 'nearest'), doc='``"all"`` or ``"nearest"``'),
)
def stdp_multiplicative(Ap=0.005, Am=0.0105, taupre=20 * ms, taupost=20 * ms, wmax=1.0, pairing="all"):
    r"""Multiplicative (soft-bound) STDP (van Rossum, Bi & Turrigiano 2000).

    Potentiation is additive, depression is proportional to the weight:

    .. math::
        \Delta w = \begin{cases} A_+ \, e^{-\Delta t/\tau_+} & \Delta t > 0 \\
                                 -A_- \, w \, e^{\Delta t/\tau_-} & \Delta t < 0 \end{cases}

    Zero-lag pairs and delays follow the module's pairing conventions (a coincident pair
    potentiates by :math:`A_+`; the lag is measured from the spike's arrival).

    The weight-dependent depression gives a stable, unimodal weight distribution
    (no competition between the bounds), unlike :func:`stdp_additive`. ``wmax`` only
    caps runaway weights; the equilibrium lies below it.

    <parameters>

    Equivalent ``Rule`` (all-to-all)::

        Rule("stdp_multiplicative",
             model='''dxpre/dt = -xpre/taupre : 1 (event-driven)
                      dypost/dt = -ypost/taupost : 1 (event-driven)''',
             on_pre="xpre += 1; w = clip(w - Am*w*ypost, 0, wmax)",
             on_post="ypost += 1; w = clip(w + Ap*xpre, 0, wmax)",
             params=dict(Ap=0.005, Am=0.0105, taupre=20*ms, taupost=20*ms, wmax=1.0))

    Reference: van Rossum MCW, Bi GQ, Turrigiano GG (2000) J Neurosci 20:8812-8821.
    """
    unit = _w_unit("stdp_multiplicative", wmax)
    op = _pairing("stdp_multiplicative", pairing)
    if float(Ap) < 0 or not 0 <= float(Am) < 1:
        raise RuleError("stdp_multiplicative", f"need Ap >= 0 and 0 <= Am < 1, got Ap={Ap!r}, Am={Am!r}")
    return Rule(
        "stdp_multiplicative",
        model=f"""
            dxpre/dt = -xpre / taupre : 1 (event-driven)
            dypost/dt = -ypost / taupost : 1 (event-driven)
            {weight_declaration(unit)}
        """,
        on_pre=f"xpre {op} 1\nw = clip(w - Am * w * ypost, {_zero(unit)}, wmax)",
        on_post=f"ypost {op} 1\nw = clip(w + Ap * xpre, {_zero(unit)}, wmax)",
        params={"Ap": Ap, "Am": Am, "taupre": taupre, "taupost": taupost, "wmax": wmax},
        doc=stdp_multiplicative.__doc__,
        reference="van Rossum, Bi & Turrigiano (2000) J Neurosci 20:8812",
    )


#: Pfister & Gerstner (2006), Table 4, visual cortex (data of Sjöström et al. 2001).
#: tau_plus = 16.8 ms and tau_minus = 33.7 ms in all sets.
TRIPLET_PARAMETER_SETS = {
    # full model, all-to-all interactions
    "visual_all_to_all": dict(A2p=5e-10, A3p=6.2e-3, A2m=7e-3, A3m=2.3e-4, taux=101 * ms, tauy=125 * ms),
    # minimal model (A2+ = A3- = 0), all-to-all
    "visual_all_to_all_minimal": dict(A2p=0.0, A3p=6.5e-3, A2m=7.1e-3, A3m=0.0, taux=101 * ms, tauy=114 * ms),
    # minimal model, nearest-spike interactions
    "visual_nearest_minimal": dict(A2p=0.0, A3p=5e-2, A2m=8e-3, A3m=0.0, taux=101 * ms, tauy=40 * ms),
}


@declared(
    parameter_set=Param("visual_all_to_all", choices=tuple(TRIPLET_PARAMETER_SETS),
                        doc="a key of TRIPLET_PARAMETER_SETS; names ending in 'nearest' use nearest-spike "
                            "interactions"),
    wmax=Param(1.0, unit_text="unit of w", low=0.0, strict=True, doc="hard upper bound (lower bound 0)"),
    taup=Param(16.8 * ms, unit=second, low=0 * second, strict=True, doc=":math:`\\tau_+`, fast presynaptic trace"),
    taum=Param(33.7 * ms, unit=second, low=0 * second, strict=True, doc=":math:`\\tau_-`, fast postsynaptic trace"),
)
def triplet_stdp(parameter_set="visual_all_to_all", wmax=1.0, taup=16.8 * ms, taum=33.7 * ms, **overrides):
    r"""Triplet STDP (Pfister & Gerstner 2006).

    Two presynaptic traces :math:`r_1` (:math:`\tau_+`), :math:`r_2` (:math:`\tau_x`)
    and two postsynaptic traces :math:`o_1` (:math:`\tau_-`), :math:`o_2` (:math:`\tau_y`).
    At a presynaptic spike, then at a postsynaptic spike (:math:`\epsilon`: the trace
    value just before the spike):

    .. math::
        w \leftarrow w - o_1\,[A_2^- + A_3^-\, r_2(t-\epsilon)] \qquad
        w \leftarrow w + r_1\,[A_2^+ + A_3^+\, o_2(t-\epsilon)]

    after which the spiking side's traces jump by 1 (all-to-all) or are set to 1
    (nearest spike). The triplet term makes potentiation grow with the pairing
    frequency: low-frequency pairing depresses, 40-50 Hz pairing potentiates
    (Sjöström, Turrigiano & Nelson 2001).

    Pairing conventions (zero lag, delays) as in the module docstring: with ``on_pre``
    first in a step, a coincident pair potentiates by :math:`r_1 (A_2^+ + A_3^+ o_2)` with
    :math:`r_1` just incremented in the all-to-all sets.

    <parameters>

    The amplitudes and slow time constants of the chosen set can be overridden by keyword:
    ``A2p``, ``A3p`` (pair / triplet potentiation, unit of w), ``A2m``, ``A3m`` (pair /
    triplet depression, unit of w), ``taux``, ``tauy`` (slow pre / post traces, second).

    Equivalent ``Rule`` (all-to-all)::

        Rule("triplet_stdp",
             model='''dr1/dt = -r1/taup : 1 (event-driven)
                      dr2/dt = -r2/taux : 1 (event-driven)
                      do1/dt = -o1/taum : 1 (event-driven)
                      do2/dt = -o2/tauy : 1 (event-driven)''',
             on_pre="w = clip(w - o1*(A2m + A3m*r2), 0, wmax); r1 += 1; r2 += 1",
             on_post="w = clip(w + r1*(A2p + A3p*o2), 0, wmax); o1 += 1; o2 += 1",
             params=...)

    Reference: Pfister J-P, Gerstner W (2006) J Neurosci 26:9673-9682.
    """
    if parameter_set not in TRIPLET_PARAMETER_SETS:
        raise RuleError("triplet_stdp", f"unknown parameter_set {parameter_set!r}; choose one of {sorted(TRIPLET_PARAMETER_SETS)}")
    unknown = set(overrides) - {"A2p", "A3p", "A2m", "A3m", "taux", "tauy"}
    if unknown:
        raise RuleError("triplet_stdp", f"unknown parameter '{sorted(unknown)[0]}'")
    unit = _w_unit("triplet_stdp", wmax)
    params = {**TRIPLET_PARAMETER_SETS[parameter_set], **overrides, "taup": taup, "taum": taum, "wmax": wmax}
    op = "=" if parameter_set.endswith("nearest") or "nearest" in parameter_set else "+="
    return Rule(
        "triplet_stdp",
        model=f"""
            dr1/dt = -r1 / taup : 1 (event-driven)
            dr2/dt = -r2 / taux : 1 (event-driven)
            do1/dt = -o1 / taum : 1 (event-driven)
            do2/dt = -o2 / tauy : 1 (event-driven)
            {weight_declaration(unit)}
        """,
        on_pre=f"w = clip(w - o1 * (A2m + A3m * r2), {_zero(unit)}, wmax)\nr1 {op} 1\nr2 {op} 1",
        on_post=f"w = clip(w + r1 * (A2p + A3p * o2), {_zero(unit)}, wmax)\no1 {op} 1\no2 {op} 1",
        params=params,
        doc=triplet_stdp.__doc__,
        reference="Pfister & Gerstner (2006) J Neurosci 26:9673",
    )
