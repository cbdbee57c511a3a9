"""A spiking cortical layer for map development: LIF units on a ring or sheet, fixed lateral
interactions, arbor-restricted feedforward projections learning by a Hebbian rule with
subtractive normalisation.

Neurons (dimensionless membrane variable, threshold 1, reset 0, docs/validation.md)::

    dv/dt = (mu - v) / tau_m + sigma_n * sqrt(2 / tau_m) * xi        (unless refractory)

Lateral synapses are fixed delta synapses, ``v_post += w``: a Mexican hat (check O3) or local
excitation plus global inhibition (check T2). Feedforward synapses are delta synapses too,
``v_post += w``, built with :func:`snnlearn.connect` from one of the two rules declared here.
Both rules accumulate Hebbian pair counts ``h`` from spike traces (``tau_h``), and every
``interval`` apply

    w <- clip(w + eta * act * (h - sum_act h / n_act), 0, w_max)

the Hebbian change minus its mean over the *active* synapses of the same cortical unit
(subtractive normalisation, Miller & MacKay 1994), so that the summed weight of every unit stays
constant while weights compete. The two sums are Brian2 summed variables on the cortical group
(``h_sum``, ``n_act``). Because Brian2 computes summed variables once per time step, the update
at ``t_k`` applies the counts of the *previous* interval (held in ``h_prev``), whose sums are
then exactly up to date: learning lags by one interval (100 ms, negligible against the minutes
of development) and the normalisation is exact up to the clipping at the bounds.

* :func:`od_rule` (check O3): the **acausal** Hebbian term (post-before-pre pairs only: on a
  presynaptic spike ``h += y_post``) and Miller-style freezing: a synapse that reaches a bound
  leaves the active set for good (``act <- act * [0.001 w_max < w < 0.999 w_max]``).
* :func:`map_rule` (check T2): the **symmetric** pair term (``h += y_post`` on a pre spike and
  ``h += x_pre`` on a post spike) with non-freezing bounds: a synapse at a bound stays active
  while its Hebbian drive points back inside.

Several independent replicas (seeds, conditions) run side by side in one network: block ``b`` of
``n`` cortical units occupies indices ``b*n .. (b+1)*n - 1``, and all connections stay inside a
block. :func:`build_od_network` and :func:`build_map_network` assemble complete networks.

References: Miller, Keller & Stryker (1989), Science 245:605; Willshaw & von der Malsburg (1976),
Proc R Soc B 194:431; Song & Abbott (2001), Neuron 32:339; Miller & MacKay (1994), Neural Comput
6:100. docs/validation.md (Miller, Keller & Stryker 1989; Topographic maps: checks O3 and T2).
"""
from dataclasses import dataclass, field

import numpy as np
from brian2 import Hz, Network, NeuronGroup, SpikeMonitor, StateMonitor, Synapses, TimedArray, ms, second

import snnlearn as sl
from snnlearn.inputs import bump_inputs, lattice_positions, periodic_offsets, two_eye_retina

__all__ = [
    "CORTEX_EQS", "od_rule", "map_rule", "normalised_hebbian",
    "cortical_layer", "mexican_hat_lateral", "local_global_lateral", "lateral_synapses",
    "annealing_schedule", "lateral_gain", "annealed_lateral_synapses",
    "arbor_pairs", "feedforward",
    "ODNetwork", "build_od_network", "MapNetwork", "build_map_network", "coarse_bias",
]

#: Cortical LIF unit, dimensionless (threshold 1, reset 0), with the accumulators of the rules.
CORTEX_EQS = """
dv/dt = (mu - v) / tau_m + sigma_n * sqrt(2 / tau_m) * xi : 1 (unless refractory)
h_sum : 1
n_act : 1
"""


# --------------------------------------------------------------------------------------------
# plasticity rules (model specific, so declared here rather than in the catalog)
# --------------------------------------------------------------------------------------------

def normalised_hebbian(name, pairing, freeze, eta, tau_h, wmax, interval, freeze_low=0.001, freeze_high=0.999,
                       rate_factor=False):
    r"""Hebbian pair counting with subtractive normalisation over the active synapses of each unit.

    Spike traces (per synapse, event-driven) ``x`` (pre) and ``y`` (post) jump by 1 at a spike and
    decay with ``tau_h``. Pair counts accumulate in ``h``:

    * ``pairing="acausal"``: pre spike ``h += y`` (post-before-pre pairs only);
    * ``pairing="symmetric"``: pre spike ``h += y``, post spike ``h += x`` (both orders).

    Every ``interval`` (``regular`` code), with ``h_prev`` the previous interval's count and the
    sums over the active synapses of the same postsynaptic unit as Brian2 summed variables
    ``h_sum_post = sum act*h_prev``, ``n_act_post = sum act``:

    .. math::
        w \leftarrow \mathrm{clip}\big(w + \eta\, a\, (h_{prev} - \textstyle\sum_{act} h_{prev}/n_{act}),
        \ 0,\ w_{max}\big)

    then the active flag ``a`` is updated and ``h_prev <- h``, ``h <- 0``. With ``rate_factor=True``
    the synapses carry a learning-rate factor ``eta_factor`` (dimensionless, set from outside, e.g.
    by the annealed schedule of :func:`build_map_network`) and the change is ``eta * eta_factor``
    times the normalised count. With ``freeze=True``
    (Miller, Keller & Stryker 1989): ``a <- a [f_lo w_max < w < f_hi w_max]`` (a saturated
    synapse stays frozen). With ``freeze=False``: ``a = 1`` strictly inside the bounds, and at a
    bound while the new count points back inside (``h > mean`` at 0, ``h < mean`` at w_max).

    ===========  ======  ========================================================
    parameter    unit    meaning
    ===========  ======  ========================================================
    eta          1       weight change per (pair count - mean)
    tau_h        second  pairing window (trace time constant)
    wmax         1       upper bound (lower bound 0)
    interval     second  how often the normalised update is applied
    freeze_low   1       freezing threshold at the lower bound (fraction of w_max)
    freeze_high  1       freezing threshold at the upper bound (fraction of w_max)
    ===========  ======  ========================================================

    The postsynaptic group must declare ``h_sum : 1`` and ``n_act : 1`` (:data:`CORTEX_EQS`).
    """
    if pairing not in ("acausal", "symmetric"):
        raise ValueError(f"normalised_hebbian: pairing must be 'acausal' or 'symmetric', got {pairing!r}")
    if not 0 < float(wmax):
        raise ValueError(f"normalised_hebbian: wmax must be > 0, got {wmax!r}")
    if not 0 <= freeze_low < freeze_high <= 1:
        raise ValueError(f"normalised_hebbian: need 0 <= freeze_low < freeze_high <= 1, got {freeze_low}, "
                         f"{freeze_high}")
    model = """
        dypost/dt = -ypost / tau_h : 1 (event-driven)
        h : 1
        h_prev : 1
        act : 1
        h_sum_post = act * h_prev : 1 (summed)
        n_act_post = act : 1 (summed)
    """
    if rate_factor:
        model += "    eta_factor : 1\n"
    on_pre = "h += ypost"
    on_post = "ypost += 1"
    if pairing == "symmetric":
        model = "dxpre/dt = -xpre / tau_h : 1 (event-driven)\n" + model
        on_pre += "\nxpre += 1"
        on_post = "h += xpre\n" + on_post
    params = {"eta": eta, "tau_h": tau_h, "wmax": wmax}
    regular = ("h_mean = h_sum_post / clip(n_act_post, 1, inf)\n"
               f"w = clip(w + eta{' * eta_factor' if rate_factor else ''} * act * (h_prev - h_mean), 0, wmax)\n")
    if freeze:
        regular += "act = act * int(w > freeze_low * wmax) * int(w < freeze_high * wmax)\n"
        params.update(freeze_low=float(freeze_low), freeze_high=float(freeze_high))
    else:
        regular += ("act = int(w > 0) * int(w < wmax) + int(w <= 0) * int(h > h_mean)"
                    " + int(w >= wmax) * int(h < h_mean)\n")
    regular += "h_prev = h\nh = 0"
    term = ("acausal (post-before-pre pairs only)" if pairing == "acausal"
            else "symmetric (both pair orders)")
    bounds = "frozen at the bounds" if freeze else "non-freezing bounds"
    return sl.Rule(name, model=model, on_pre=on_pre, on_post=on_post, params=params, regular=regular,
                   regular_dt=interval,
                   doc=f"Hebbian pair rule, {term} term, subtractive normalisation over the active "
                       f"synapses of each unit every {interval}, {bounds}.\n\n" + normalised_hebbian.__doc__,
                   reference="Miller, Keller & Stryker (1989) Science 245:605; Miller & MacKay (1994) "
                             "Neural Comput 6:100; docs/validation.md")


def od_rule(eta=0.002, tau_h=20 * ms, wmax=0.2, interval=100 * ms):
    """The ocular-dominance rule of check O3 (docs/validation.md): **acausal** Hebbian term,
    subtractive normalisation over the active synapses every 100 ms, Miller-style freezing.

    Defaults: eta = 0.002, tau_h = 20 ms, w_max = 0.2. See :func:`normalised_hebbian`.

    Equivalent ``Rule``::

        sl.Rule("od_hebbian",
            model='''dypost/dt = -ypost / tau_h : 1 (event-driven)
                     h : 1
                     h_prev : 1
                     act : 1
                     h_sum_post = act * h_prev : 1 (summed)
                     n_act_post = act : 1 (summed)''',
            on_pre="h += ypost", on_post="ypost += 1",
            regular='''h_mean = h_sum_post / clip(n_act_post, 1, inf)
                       w = clip(w + eta * act * (h_prev - h_mean), 0, wmax)
                       act = act * int(w > freeze_low * wmax) * int(w < freeze_high * wmax)
                       h_prev = h
                       h = 0''',
            regular_dt=100*ms,
            params=dict(eta=0.002, tau_h=20*ms, wmax=0.2, freeze_low=0.001, freeze_high=0.999))
    """
    return normalised_hebbian("od_hebbian", "acausal", True, eta, tau_h, wmax, interval)


def map_rule(eta=5e-4, tau_h=20 * ms, wmax=0.08, interval=100 * ms, rate_factor=False):
    """The topographic-map rule of check T2 (docs/validation.md): **symmetric** Hebbian pair
    term, subtractive normalisation over the active synapses every 100 ms, non-freezing bounds.

    Defaults: eta = 5e-4, tau_h = 20 ms, w_max = 0.08. See :func:`normalised_hebbian`; the
    hand-written ``Rule`` is that of :func:`od_rule` with ``xpre`` added (``h += xpre`` on a post
    spike) and the active flag ``act = [0 < w < wmax] + [w <= 0][h > h_mean] + [w >= wmax][h < h_mean]``.
    With ``rate_factor=True`` each synapse carries a learning-rate factor ``eta_factor`` (the
    annealed learning rate of :func:`build_map_network`'s ``rate_factors``).
    """
    return normalised_hebbian("map_hebbian", "symmetric", False, eta, tau_h, wmax, interval, rate_factor=rate_factor)


# --------------------------------------------------------------------------------------------
# groups and fixed connectivity
# --------------------------------------------------------------------------------------------

def cortical_layer(n, rng, mu=0.3, sigma_n=0.3, tau_m=20 * ms, refractory=2 * ms, name="cortex", dt=None):
    """``n`` cortical LIF units (:data:`CORTEX_EQS`), ``v(0) ~ U(0, 1)`` drawn from ``rng``.

    ==========  ======  ===========================================
    parameter   unit    meaning
    ==========  ======  ===========================================
    mu          1       mean drive (threshold = 1)
    sigma_n     1       membrane noise amplitude (stationary s.d.)
    tau_m       second  membrane time constant
    refractory  second  absolute refractory period
    ==========  ======  ===========================================
    """
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"cortical_layer: n must be a positive integer, got {n!r}")
    if float(tau_m) <= 0 or float(refractory) < 0 or float(sigma_n) < 0:
        raise ValueError("cortical_layer: tau_m must be > 0, refractory and sigma_n >= 0")
    kw = {} if dt is None else {"dt": dt}
    group = NeuronGroup(int(n), CORTEX_EQS, threshold="v > 1", reset="v = 0", refractory=refractory,
                        method="euler", namespace={"mu": float(mu), "sigma_n": float(sigma_n), "tau_m": tau_m},
                        name=name, **kw)
    group.v = rng.uniform(0, 1, int(n))
    return group


def _lattice_dist(shape, periodic):
    pos = lattice_positions(shape)
    if periodic:
        d = periodic_offsets(shape, pos[:, None, :], pos[None, :, :])
    else:
        d = pos[None, :, :] - pos[:, None, :]
    return np.sqrt(np.sum(d.astype(float) ** 2, axis=-1))


def mexican_hat_lateral(shape, sigma_E, J0=1.5, prune=1e-4):
    r"""Fixed Mexican-hat lateral weights on a ring or torus (check O3).

    :math:`W(d) = J_0\,[e^{-d^2/2\sigma_E^2} - \tfrac13 e^{-d^2/18\sigma_E^2}] / \max_k \hat W(k)`,
    no self connection; :math:`\hat W` is the lattice Fourier transform of the bracket (with
    :math:`W(0) = 0`), so that the largest eigenvalue of the lateral matrix is :math:`J_0`.
    Weights with :math:`|W| <` ``prune`` (before :math:`J_0`) are dropped. Distances are wrapped
    (periodic lattice, in cells). Returns ``(i, j, w)`` arrays (pre, post, weight).
    """
    d = _lattice_dist(shape, True)
    s = float(sigma_E)
    if not s > 0:
        raise ValueError(f"mexican_hat_lateral: sigma_E must be > 0, got {sigma_E!r}")
    W = np.exp(-d ** 2 / (2 * s ** 2)) - np.exp(-d ** 2 / (18 * s ** 2)) / 3.0
    np.fill_diagonal(W, 0.0)
    row = W[0].reshape(tuple(np.atleast_1d(shape)))
    W = W / np.fft.fftn(row).real.max()
    i, j = np.nonzero(np.abs(W) >= prune)
    return i, j, float(J0) * W[i, j]


def local_global_lateral(shape, Je=0.6, sigma=2.0, Ji=0.08, periodic=True):
    r"""Local excitation plus global inhibition (check T2): ``w(d) = Je exp(-d^2 / 2 sigma^2) - Ji``
    between every pair of distinct units (``d`` in cells, wrapped when ``periodic``).
    Returns ``(i, j, w)`` arrays."""
    d = _lattice_dist(shape, periodic)
    W = float(Je) * np.exp(-d ** 2 / (2 * float(sigma) ** 2)) - float(Ji)
    i, j = np.nonzero(~np.eye(d.shape[0], dtype=bool))
    return i, j, W[i, j]


def lateral_synapses(cortex, i, j, w, name="lateral"):
    """Fixed delta synapses ``v_post += w`` inside the cortex, from index arrays (no plasticity)."""
    S = Synapses(cortex, cortex, "w : 1 (constant)", on_pre="v_post += w", name=name, dt=cortex.clock.dt)
    S.connect(i=np.asarray(i, dtype=int), j=np.asarray(j, dtype=int))
    S.w = np.asarray(w, dtype=float)
    return S


def annealing_schedule(sigma_start, sigma_end, anneal_time, duration, step=1 * second, shape="exponential"):
    r"""Width of the lateral excitation over development: Kohonen's shrinking neighbourhood.

    Kohonen (1982), Biol Cybern 43:59, orders a map from random initial weights by starting
    with a wide neighbourhood and narrowing it: the wide phase fixes the global arrangement
    (no twist or double winding can survive when every unit drags most of the map with it),
    the narrow phase refines it. Here the neighbourhood is the width ``sigma`` of the
    cortical lateral excitation (in cells), changed in steps of ``step``:

    * ``shape="exponential"``: :math:`\sigma(t) = \sigma_0 (\sigma_1/\sigma_0)^{t/T_a}` for
      :math:`t < T_a` (``anneal_time``), then :math:`\sigma_1`;
    * ``shape="linear"``: linear from :math:`\sigma_0` to :math:`\sigma_1` over :math:`T_a`.

    Returns the widths of the ``ceil(duration / step)`` steps (a 1-D array); step ``k`` holds the
    value at its start ``k * step``. With ``sigma_start == sigma_end`` it is constant (no annealing).
    """
    s0, s1 = float(sigma_start), float(sigma_end)
    if not (s0 > 0 and s1 > 0):
        raise ValueError(f"annealing_schedule: widths must be > 0, got {sigma_start!r}, {sigma_end!r}")
    if float(step) <= 0 or float(duration) <= 0 or float(anneal_time) < 0:
        raise ValueError("annealing_schedule: step and duration must be > 0, anneal_time >= 0")
    if shape not in ("exponential", "linear"):
        raise ValueError(f"annealing_schedule: shape must be 'exponential' or 'linear', got {shape!r}")
    n = int(np.ceil(float(duration / step) - 1e-9))
    frac = np.clip(np.arange(n) * float(step / second) / max(float(anneal_time / second), 1e-12), 0, 1)
    if float(anneal_time) == 0:
        frac = np.ones(n)
    if shape == "exponential":
        return s0 * (s1 / s0) ** frac
    return s0 + (s1 - s0) * frac


def lateral_gain(shape, sigma, sigma_ref, Je, periodic=True, exponent=1.0):
    r"""Peak lateral excitation for width ``sigma`` that keeps the summed excitation a unit receives
    equal to that of width ``sigma_ref`` with peak ``Je``: ``Je * S(sigma_ref) / S(sigma)``, with
    :math:`S(\sigma) = \sum_{d \neq 0} e^{-d^2/2\sigma^2}` over the lattice (wrapped when
    ``periodic``). With ``exponent`` :math:`\gamma` the gain is ``Je * (S(sigma_ref) / S(sigma))**gamma``:
    1 holds the summed excitation, 0 the peak. ``sigma`` may be an array; returns the same shape."""
    d = _lattice_dist(shape, periodic)[0]
    d = d[d > 0]
    sig = np.asarray(sigma, dtype=float)
    S = np.exp(-d[None, :] ** 2 / (2 * sig.reshape(-1, 1) ** 2)).sum(axis=1)
    S_ref = np.exp(-d ** 2 / (2 * float(sigma_ref) ** 2)).sum()
    return (float(Je) * (S_ref / S) ** float(exponent)).reshape(sig.shape)


def annealed_lateral_synapses(cortex, shape, widths, step, sigma_ref, Je, Ji, replicas, periodic=True,
                              gain_exponent=1.0, name="lateral"):
    r"""Local excitation plus global inhibition whose excitation width shrinks during development,
    inside the compiled program (no Python in the loop).

    Between distinct units of the same replica, ``v_post += w`` with

    .. math:: w = J_e(t)\, e^{-d^2 / 2\sigma(t)^2} - J_i,
       \qquad J_e(t) = J_e\, S(\sigma_{ref}) / S(\sigma(t))

    (summed excitation held constant, :func:`lateral_gain`). ``widths`` is ``(n_steps,)`` (one
    schedule for every replica) or ``(n_steps, replicas)`` (one per replica, e.g. an annealed
    condition next to a fixed-width control in one network); widths and gains are two
    :class:`brian2.TimedArray` s of step ``step`` read by a ``run_regularly`` operation on the
    synapses every ``step`` (Kohonen 1982's shrinking neighbourhood, see
    :func:`annealing_schedule`). ``shape`` is the lattice of one replica. Returns the Synapses.
    """
    n = int(np.prod(shape))
    W = np.asarray(widths, dtype=float)
    if W.ndim == 1:
        W = np.repeat(W[:, None], replicas, axis=1)
    if W.ndim != 2 or W.shape[1] != replicas or W.shape[0] < 1 or np.any(W <= 0):
        raise ValueError(f"annealed_lateral_synapses: widths must be positive, shape (n_steps,) or (n_steps, "
                         f"{replicas}), got {np.shape(widths)}")
    gains = lateral_gain(shape, W, sigma_ref, Je, periodic, gain_exponent)
    d = _lattice_dist(shape, periodic)
    i0, j0 = np.nonzero(~np.eye(n, dtype=bool))
    S = Synapses(cortex, cortex, """w : 1
                                    d2 : 1 (constant)
                                    replica : integer (constant)""",
                 on_pre="v_post += w", name=name, dt=cortex.clock.dt,
                 namespace={"lat_sigma": TimedArray(W, dt=step), "lat_gain": TimedArray(gains, dt=step),
                            "lat_Ji": float(Ji)})
    S.connect(i=np.concatenate([i0 + b * n for b in range(replicas)]),
              j=np.concatenate([j0 + b * n for b in range(replicas)]))
    S.d2 = np.tile(d[i0, j0] ** 2, replicas)
    S.replica = np.repeat(np.arange(replicas), i0.size)
    S.w = np.concatenate([gains[0, b] * np.exp(-d[i0, j0] ** 2 / (2 * W[0, b] ** 2)) - float(Ji)
                          for b in range(replicas)])
    S.run_regularly("w = lat_gain(t, replica) * exp(-d2 / (2 * lat_sigma(t, replica)**2)) - lat_Ji", dt=step,
                    when="start", name=f"{name}_anneal")
    return S


def arbor_pairs(n, radius):
    """Arbor of a ring with one input position per cortical position: pairs ``(alpha, x)`` with
    wrapped ``|x - alpha| <= radius``. Returns ``(alpha, x, offset)`` arrays, offset = alpha - x."""
    if not (isinstance(radius, (int, np.integer)) and 0 <= radius and 2 * radius < n):
        raise ValueError(f"arbor_pairs: radius must be an integer in [0, n/2), got {radius!r} for n = {n}")
    off = np.arange(-radius, radius + 1)
    x = np.repeat(np.arange(n), off.size)
    o = np.tile(off, n)
    return (x + o) % n, x, o


def feedforward(source, target, rule, i, j, w0, name="feedforward", plasticity=1.0, record_dt=None,
                variable_params=()):
    """The plastic feedforward projection ``v_post += w`` (:func:`snnlearn.connect`) on the pairs
    ``(i, j)`` with initial weights ``w0``; ``act`` starts at 1 (and a learning-rate factor
    ``eta_factor``, where the rule has one, at 1). Optionally a StateMonitor of ``w`` every
    ``record_dt`` (returned as the second value, else None). ``variable_params``: rule parameters
    made shared variables of the synapses (e.g. ``("eta",)``, for ``run_args``)."""
    S = sl.connect(source, target, rule, transmit="v_post += w", connect={"i": np.asarray(i), "j": np.asarray(j)},
                   w=np.asarray(w0, dtype=float), name=name, plasticity=plasticity, dt=target.clock.dt,
                   variable_params=variable_params)
    S.act = 1.0
    if "eta_factor" in S.variables:
        S.eta_factor = 1.0
    mon = None
    if record_dt is not None:
        mon = StateMonitor(S, "w", record=True, dt=record_dt, name=f"{name}_w_monitor")
    return S, mon


# --------------------------------------------------------------------------------------------
# ocular-dominance network (check O3)
# --------------------------------------------------------------------------------------------

@dataclass
class ODNetwork:
    """A built ocular-dominance network (:func:`build_od_network`).

    ``net``: the Network; ``retina``: :class:`snnlearn.inputs.RetinaInputs`; ``cortex``;
    ``lateral``; ``ff``: the plastic projection; ``w_monitor`` (or None); ``cortex_spikes`` and
    ``lgn_spikes``: SpikeMonitors keeping counts only; ``n``: units per replica; ``ff_pre``,
    ``ff_post``: the LGN and cortical index of each feedforward synapse (creation order).
    """

    net: Network
    retina: object
    cortex: NeuronGroup
    lateral: Synapses
    ff: Synapses
    w_monitor: object
    cortex_spikes: SpikeMonitor
    lgn_spikes: SpikeMonitor
    n: int
    replicas: int
    ff_pre: np.ndarray
    ff_post: np.ndarray
    objects: list = field(default_factory=list)

    def eye_weights(self, w, pre=None, post=None):
        """Dense weights per replica and eye from synaptic values ``w`` (length = #synapses):
        returns ``(w_left, w_right)``, each of shape ``(replicas, n_inputs, n_cells)``
        (:func:`snnlearn.metrics.maps.od_index` of ``[b]`` gives replica b's ODI)."""
        pre = self.ff_pre if pre is None else np.asarray(pre)
        post = self.ff_post if post is None else np.asarray(post)
        n = self.n
        out = np.zeros((self.replicas, 2, n, n))
        block = post // n
        eye = (pre // n) % 2
        out[block, eye, pre % n, post % n] = np.asarray(w, dtype=float)
        return out[:, 0], out[:, 1]


def build_od_network(sigma_E, rng, eye_correlation=0.0, n=64, arbor_radius=6, J0=1.5, w_max=0.2, w_init=0.5,
                     w_noise=0.05, rule=None, retina_kw=None, cortex_kw=None, record_dt=None, dt=0.5 * ms,
                     name="od", variable_params=()):
    """Ocular-dominance network of check O3 with one replica per entry of ``sigma_E``.

    Replica ``b``: a ring of ``n`` cortical LIF units with a Mexican hat of width ``sigma_E[b]``
    (:func:`mexican_hat_lateral`, gain ``J0``), two eyes of ``n`` LGN units
    (:func:`snnlearn.inputs.two_eye_retina`, ``eye_correlation[b]``), and an arbor of radius
    ``arbor_radius`` in each eye (26 synapses per unit for R = 6). Initial weights
    ``w_max * (w_init + w_noise * U(-1, 1))`` (unsegregated: |ODI| < 0.1), learning by
    ``rule`` (default :func:`od_rule` with ``w_max``). All random initial values come from
    ``rng``; the spiking noise from ``brian2.seed``. ``variable_params``: rule parameters that the
    compiled program takes as values (:func:`feedforward`). Returns an :class:`ODNetwork`.
    """
    sig = np.atleast_1d(np.asarray(sigma_E, dtype=float))
    B = sig.size
    rho = np.broadcast_to(np.asarray(eye_correlation, dtype=float), (B,)) if np.ndim(eye_correlation) == 0 \
        else np.asarray(eye_correlation, dtype=float)
    if rho.shape != (B,):
        raise ValueError(f"build_od_network: eye_correlation needs one value per replica ({B}), got {rho.size}")
    if not (0 < w_init - w_noise and w_init + w_noise < 1):
        raise ValueError(f"build_od_network: w_init +- w_noise must lie inside (0, 1), got {w_init} +- {w_noise}")
    rule = od_rule(wmax=w_max) if rule is None else rule
    retina = two_eye_retina((n,), rng, copies=B, eye_correlation=rho, name=f"{name}_retina", dt=dt,
                            **(retina_kw or {}))
    cortex = cortical_layer(B * n, rng, name=f"{name}_cortex", dt=dt, **(cortex_kw or {}))
    li, lj, lw = [], [], []
    for b in range(B):
        i, j, w = mexican_hat_lateral((n,), sig[b], J0)
        li.append(i + b * n)
        lj.append(j + b * n)
        lw.append(w)
    lateral = lateral_synapses(cortex, np.concatenate(li), np.concatenate(lj), np.concatenate(lw),
                               name=f"{name}_lateral")
    alpha, x, _ = arbor_pairs(n, arbor_radius)
    pre, post = [], []
    for b in range(B):
        for eye in (0, 1):
            pre.append(retina.index(b, eye, alpha))
            post.append(b * n + x)
    pre, post = np.concatenate(pre), np.concatenate(post)
    w0 = w_max * (w_init + w_noise * rng.uniform(-1, 1, pre.size))
    ff, mon = feedforward(retina.lgn, cortex, rule, pre, post, w0, name=f"{name}_ff", record_dt=record_dt,
                          variable_params=variable_params)
    cortex_spikes = SpikeMonitor(cortex, record=False, name=f"{name}_cortex_counts")
    lgn_spikes = SpikeMonitor(retina.lgn, record=False, name=f"{name}_lgn_counts")
    objects = [*retina.objects, cortex, lateral, ff, cortex_spikes, lgn_spikes] + ([mon] if mon is not None else [])
    net = Network(*objects, name=f"{name}_network")
    return ODNetwork(net=net, retina=retina, cortex=cortex, lateral=lateral, ff=ff, w_monitor=mon,
                     cortex_spikes=cortex_spikes, lgn_spikes=lgn_spikes, n=n, replicas=B, ff_pre=pre, ff_post=post,
                     objects=objects)


# --------------------------------------------------------------------------------------------
# topographic-map network (check T2 and its 2-D sheet version)
# --------------------------------------------------------------------------------------------

def coarse_bias(in_shape, out_shape, periodic=True):
    """Coarse topographic prior ``m(i, j)`` in [-1, 1] between input ``i`` and unit ``j``.

    Ring (``periodic``): ``m = cos(2 pi (i/n_in - j/n_out))`` (docs/validation.md, T2). Sheet:
    the mean over the axes of ``cos(2 pi (u_i - u_j))`` (torus) or ``cos(pi (u_i - u_j))`` (open
    sheet, a gradient over the whole sheet), with ``u`` the position normalised to [0, 1]
    (``(k + 0.5)/n`` per axis). Returns ``(n_in, n_out)``.
    """
    pin = (lattice_positions(in_shape) + 0.5) / np.asarray(in_shape)
    pout = (lattice_positions(out_shape) + 0.5) / np.asarray(out_shape)
    if pin.shape[1] != pout.shape[1]:
        raise ValueError(f"coarse_bias: input shape {in_shape} and output shape {out_shape} differ in dimension")
    du = pin[:, None, :] - pout[None, :, :]
    if periodic:
        if pin.shape[1] == 1:          # exact form of the appendix: i/n_in - j/n_out
            du = (lattice_positions(in_shape) / np.asarray(in_shape))[:, None, :] - \
                 (lattice_positions(out_shape) / np.asarray(out_shape))[None, :, :]
        return np.mean(np.cos(2 * np.pi * du), axis=-1)
    return np.mean(np.cos(np.pi * du), axis=-1)


@dataclass
class MapNetwork:
    """A built topographic-map network (:func:`build_map_network`).

    Replicas ``0 .. n_plastic-1`` learn; replicas ``n_plastic ..`` are the frozen-weights control.
    ``inputs``: :class:`snnlearn.inputs.BumpInputs` (copy ``b`` drives replica ``b``);
    ``cortex`` (replica ``b`` owns units ``b*n_out .. (b+1)*n_out - 1``); ``lateral``;
    ``ff``: ``{"plastic": Synapses, "frozen": Synapses}`` (those present; the frozen one has its
    learning switch ``plasticity`` at 0); ``w_monitors``: the same keys, StateMonitors or None;
    ``pairs``: the same keys, ``(pre, post)`` index arrays of each projection's synapses.
    """

    net: Network
    inputs: object
    cortex: NeuronGroup
    lateral: Synapses
    ff: dict
    w_monitors: dict
    pairs: dict
    cortex_spikes: SpikeMonitor
    in_shape: tuple
    out_shape: tuple
    n_in: int
    n_out: int
    n_plastic: int
    n_frozen: int
    objects: list = field(default_factory=list)

    def dense(self, values, kind="plastic"):
        """Dense weights ``(n_replicas_of_kind, n_in, n_out)`` from the synaptic values of
        projection ``kind`` (``values`` of shape ``(n_synapses,)`` or ``(n_synapses, n_times)``,
        giving ``(..., n_in, n_out, n_times)``)."""
        pre, post = self.pairs[kind]
        vals = np.asarray(values, dtype=float)
        first = 0 if kind == "plastic" else self.n_plastic
        m = self.n_plastic if kind == "plastic" else self.n_frozen
        if vals.shape[0] != pre.size:
            raise ValueError(f"MapNetwork.dense: {kind} projection has {pre.size} synapses, got {vals.shape[0]} values")
        out = np.zeros((m, self.n_in, self.n_out) + vals.shape[1:])
        replica = post // self.n_out                       # absolute replica index
        out[replica - first, pre - replica * self.n_in, post % self.n_out] = vals
        return out


def _anneal_learning_rate(S, factors, step, replicas, n_in, name):
    """Learning-rate factor ``eta_factor`` of the plastic projection ``S`` from ``factors``
    (``(n_steps,)`` or ``(n_steps, replicas)``, one per ``step``): a TimedArray over the
    presynaptic index (input ``i`` belongs to replica ``i // n_in``) read every ``step``."""
    if S is None:
        raise ValueError("build_map_network: rate_factors given but there are no plastic replicas")
    if "eta_factor" not in S.variables:
        raise ValueError("build_map_network: rate_factors needs a rule with a learning-rate factor: "
                         "use map_rule(rate_factor=True)")
    F = np.asarray(factors, dtype=float)
    if F.ndim == 1:
        F = np.repeat(F[:, None], replicas, axis=1)
    if F.ndim != 2 or F.shape[1] < replicas or F.shape[0] < 1 or not np.all(np.isfinite(F)) or np.any(F < 0):
        raise ValueError(f"build_map_network: rate_factors must be finite and >= 0, shape (n_steps,) or (n_steps, "
                         f"{replicas}), got shape {np.shape(factors)}")
    table = TimedArray(np.repeat(F[:, :replicas], n_in, axis=1), dt=step, name=f"{name}_rate_factor")
    S.namespace[table.name] = table
    S.run_regularly(f"eta_factor = {table.name}(t, i)", dt=step, when="start", name=f"{name}_rate_anneal")


def build_map_network(in_shape, out_shape, schedule, w0_plastic, w0_frozen, rng, sigma=5.0, peak=38 * Hz,
                      baseline=2 * Hz, periodic=True, Je=0.6, sigma_lat=2.0, Ji=0.08, rule=None, w_max=0.08,
                      cortex_kw=None, record_dt=None, dt=0.5 * ms, lateral_widths=None, anneal_step=1 * second,
                      gain_exponent=1.0, input_widths=None, rate_factors=None, name="map", variable_params=()):
    """Topographic-map network of check T2 (ring) or its sheet version.

    One replica per copy of ``schedule`` (:func:`snnlearn.inputs.bump_schedule`): the first
    ``len(w0_plastic)`` learn, the remaining ``len(w0_frozen)`` are the frozen-weights control.
    Replica ``b``: inputs on ``in_shape`` driven by a Gaussian bump (``sigma`` cells, ``peak`` on
    ``baseline``; :func:`snnlearn.inputs.bump_inputs`, wrapped distances when ``periodic``),
    cortical LIF units on ``out_shape`` (``mu = 0.2`` unless ``cortex_kw`` says otherwise) with
    local excitation and global inhibition (:func:`local_global_lateral`), and an all-to-all
    feedforward projection with initial weights ``w0[b]`` (shape ``(n_in, n_out)``). The plastic
    replicas learn by ``rule`` (default :func:`map_rule` with ``w_max``); the frozen ones use the
    same rule on a second projection whose learning switch ``plasticity`` is 0, so that their
    weights stay at ``w0`` bit for bit. With ``lateral_widths`` (``(n_steps,)`` or
    ``(n_steps, replicas)``, one width per ``anneal_step``, e.g. :func:`annealing_schedule`) the
    excitation width follows that schedule inside the compiled program, its summed excitation
    held at that of ``sigma_lat`` with peak ``Je`` (:func:`annealed_lateral_synapses`; Kohonen
    1982's shrinking neighbourhood). With ``input_widths`` (factors of ``sigma``, same layout, one per
    ``anneal_step``) the input bump's width follows that schedule too, its peak divided by the
    factor per dimension (summed rate constant; :func:`snnlearn.inputs.bump_inputs`): wide input
    correlations first, as in the spontaneous activity of the developing retina. With
    ``rate_factors`` (learning-rate factors, same layout, one per ``anneal_step``; the rule must
    come from ``map_rule(rate_factor=True)``) the learning rate of each plastic replica is
    ``eta`` times that factor, set every ``anneal_step`` by a ``run_regularly`` operation from a
    TimedArray (Kohonen 1982 anneals the learning rate together with the neighbourhood).
    ``variable_params``: rule parameters that the compiled program takes as values (e.g.
    ``("eta",)``: :func:`feedforward`). Returns a :class:`MapNetwork`.
    """
    in_shape = tuple(int(s) for s in np.atleast_1d(in_shape))
    out_shape = tuple(int(s) for s in np.atleast_1d(out_shape))
    n_in, n_out = int(np.prod(in_shape)), int(np.prod(out_shape))
    w0p = np.zeros((0, n_in, n_out)) if w0_plastic is None else np.asarray(w0_plastic, dtype=float)
    w0f = np.zeros((0, n_in, n_out)) if w0_frozen is None else np.asarray(w0_frozen, dtype=float)
    for label, w0 in (("w0_plastic", w0p), ("w0_frozen", w0f)):
        if w0.ndim != 3 or w0.shape[1:] != (n_in, n_out):
            raise ValueError(f"build_map_network: {label} must have shape (replicas, {n_in}, {n_out}), "
                             f"got {w0.shape}")
        if np.any(w0 < 0) or np.any(w0 > w_max):
            raise ValueError(f"build_map_network: {label} must lie in [0, w_max = {w_max}]")
    P, F = w0p.shape[0], w0f.shape[0]
    B = schedule.centres.shape[1]
    if P + F != B or B == 0:
        raise ValueError(f"build_map_network: the schedule has {B} copies but {P} plastic + {F} frozen replicas "
                         "were given")
    rule = map_rule(wmax=w_max) if rule is None else rule
    inputs = bump_inputs(in_shape, schedule, sigma=sigma, peak=peak, baseline=baseline, periodic=periodic,
                         name=f"{name}_bump", dt=dt, width_schedule=input_widths, width_step=anneal_step)
    cortex = cortical_layer(B * n_out, rng, name=f"{name}_cortex", dt=dt, **({"mu": 0.2} | (cortex_kw or {})))
    if lateral_widths is None:
        li, lj, lw = local_global_lateral(out_shape, Je, sigma_lat, Ji, periodic=periodic)
        lateral = lateral_synapses(cortex, np.concatenate([li + b * n_out for b in range(B)]),
                                   np.concatenate([lj + b * n_out for b in range(B)]), np.tile(lw, B),
                                   name=f"{name}_lateral")
    else:
        lateral = annealed_lateral_synapses(cortex, out_shape, lateral_widths, anneal_step, sigma_lat, Je, Ji, B,
                                            periodic=periodic, gain_exponent=gain_exponent, name=f"{name}_lateral")
    ff, mons, pairs = {}, {}, {}
    ii, jj = np.meshgrid(np.arange(n_in), np.arange(n_out), indexing="ij")
    for kind, w0, first, switch in (("plastic", w0p, 0, 1.0), ("frozen", w0f, P, 0.0)):
        m = w0.shape[0]
        if m == 0:
            continue
        pre = np.concatenate([(first + k) * n_in + ii.ravel() for k in range(m)])
        post = np.concatenate([(first + k) * n_out + jj.ravel() for k in range(m)])
        target = cortex[first * n_out:(first + m) * n_out]
        S, mon = feedforward(inputs.group, target, rule, pre, post - first * n_out, w0.reshape(-1),
                             name=f"{name}_ff_{kind}", plasticity=switch,
                             record_dt=record_dt if kind == "plastic" else None, variable_params=variable_params)
        ff[kind], mons[kind], pairs[kind] = S, mon, (pre, post)
    if rate_factors is not None:
        _anneal_learning_rate(ff.get("plastic"), rate_factors, anneal_step, P, n_in, name)
    cortex_spikes = SpikeMonitor(cortex, record=False, name=f"{name}_cortex_counts")
    objects = [*inputs.objects, cortex, lateral, *ff.values(), cortex_spikes] + \
        [m for m in mons.values() if m is not None]
    net = Network(*objects, name=f"{name}_network")
    return MapNetwork(net=net, inputs=inputs, cortex=cortex, lateral=lateral, ff=ff, w_monitors=mons, pairs=pairs,
                      cortex_spikes=cortex_spikes, in_shape=in_shape, out_shape=out_shape, n_in=n_in, n_out=n_out,
                      n_plastic=P, n_frozen=F, objects=objects)
