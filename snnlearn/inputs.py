"""Input generators that run inside the simulation: two-eye retinal activity and localized bumps.

Everything here is Brian2 code (stochastic differential equations, summed variables, rate
expressions reading a :class:`brian2.TimedArray`); no Python runs per time step, so the inputs
compile into a ``cpp_standalone`` program with the rest of the network. Each builder returns a
small dataclass holding the Brian2 objects; ``.objects`` lists those to ``add`` to an explicit
:class:`brian2.Network` (a Brian2 pitfall: objects held only in a container are dropped by
the magic network).

Layout conventions
------------------
* A layer of ``shape = (n,)`` is a ring of ``n`` positions; ``shape = (rows, cols)`` is a
  periodic sheet (torus for the retina; open or periodic for bumps, see ``periodic``). Position
  ``p`` sits at ``numpy.unravel_index(p, shape)`` (row-major); distances are in cells.
* Several independent *copies* (replicas) can live side by side in one group, so that seeds and
  conditions share one compiled network. Index layout:

  - :func:`two_eye_retina`: LGN unit ``(copy * n_eyes + eye) * n_pos + p``
    (``eye`` 0 = left, 1 = right);
  - :func:`bump_inputs`: unit ``copy * n_pos + p``.

Spike generation is Bernoulli per time step, ``rand() < rate * dt`` (a Poisson process for
``rate * dt << 1``), and Brian2's random numbers come from ``brian2.seed``. Every random draw
made here in numpy (initial OU state, bump schedule) takes an explicit
:class:`numpy.random.Generator`.

References: Miller, Keller & Stryker (1989), Science 245:605 (correlated activity within each
eye); Song & Abbott (2001), Neuron 32:339 and Willshaw & von der Malsburg (1976), Proc R Soc B
194:431 (localized moving stimuli for topographic maps). docs/validation.md (Miller, Keller & Stryker 1989; Topographic maps) and the
appendix (checks O3 and T2).
"""
from dataclasses import dataclass, field

import numpy as np
from brian2 import Hz, NeuronGroup, Quantity, Synapses, TimedArray, ms, second

__all__ = [
    "lattice_positions", "periodic_offsets", "smoothing_kernel",
    "RetinaInputs", "two_eye_retina", "field_correlation",
    "BumpSchedule", "bump_schedule", "BumpInputs", "bump_inputs",
]


# --------------------------------------------------------------------------------------------
# checking helpers
# --------------------------------------------------------------------------------------------

def _shape(shape, func):
    try:
        sh = tuple(int(s) for s in np.atleast_1d(shape))
    except (TypeError, ValueError):
        raise ValueError(f"{func}: shape must be (n,) or (rows, cols), got {shape!r}") from None
    if len(sh) not in (1, 2) or min(sh) < 2 or any(float(s) != s for s in np.atleast_1d(shape)):
        raise ValueError(f"{func}: shape must be (n,) or (rows, cols) of integers >= 2, got {shape!r}")
    return sh


def _positive_number(value, name, func, allow_zero=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{func}: {name} must be a number, got {value!r}") from None
    if isinstance(value, Quantity) and not value.dim.is_dimensionless:
        raise ValueError(f"{func}: {name} must be dimensionless (cells), got {value!r}")
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{func}: {name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return v


def _quantity(value, unit, name, func, allow_zero=False):
    if not (isinstance(value, Quantity) and value.dim == unit.dim):
        raise ValueError(f"{func}: {name} must be a quantity in {unit!r}, got {value!r}")
    v = float(value)
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{func}: {name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return value


def _rng(rng, func):
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"{func}: rng must be a numpy.random.Generator (numpy.random.default_rng(seed)), "
                         f"got {type(rng).__name__}")
    return rng


# --------------------------------------------------------------------------------------------
# lattice geometry
# --------------------------------------------------------------------------------------------

def lattice_positions(shape):
    """Integer coordinates of the positions of a ring or sheet, row-major, shape ``(n_pos, ndim)``."""
    sh = _shape(shape, "lattice_positions")
    grids = np.meshgrid(*[np.arange(s) for s in sh], indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)


def periodic_offsets(shape, a, b):
    """Wrapped displacement ``b - a`` on the periodic lattice ``shape`` (ring or torus).

    ``a`` and ``b`` are coordinate arrays of shape ``(..., ndim)``; each component of the result
    lies in ``[-n/2, n/2)``. Distances are in cells.
    """
    sh = np.asarray(_shape(shape, "periodic_offsets"))
    d = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    return (d + sh // 2) % sh - sh // 2


def smoothing_kernel(sigma_C, ndim=1, radius=None):
    """Gaussian smoothing kernel of the retinal field, normalised to unit energy.

    ``g(o) = exp(-|o|^2 / (2 sigma_C^2)) / sqrt(sum_o exp(-|o|^2 / sigma_C^2))`` for integer
    offsets ``|o| <= radius`` (a segment on a ring, a disc on a sheet), so that ``sum_o g^2 = 1``
    and a field ``sum_o g(o) z(p + o)`` of independent unit-variance sources has unit variance.
    ``radius`` defaults to ``round(5 sigma_C)`` (10 for sigma_C = 2, as in docs/validation.md).

    Returns ``(offsets, g)``: integer offsets of shape ``(n_o, ndim)`` and weights ``(n_o,)``.
    """
    f = "smoothing_kernel"
    s = _positive_number(sigma_C, "sigma_C", f)
    if ndim not in (1, 2):
        raise ValueError(f"{f}: ndim must be 1 or 2, got {ndim!r}")
    r = int(round(5 * s)) if radius is None else radius
    r = _positive_number(r, "radius", f, allow_zero=True)
    ri = int(np.floor(r))
    grids = np.meshgrid(*[np.arange(-ri, ri + 1)] * ndim, indexing="ij")
    off = np.stack([g.ravel() for g in grids], axis=1)
    off = off[np.sum(off ** 2, axis=1) <= r ** 2 + 1e-9]
    g = np.exp(-np.sum(off ** 2, axis=1) / (2 * s ** 2))
    return off, g / np.sqrt(np.sum(g ** 2))


def field_correlation(d, sigma_C):
    """Correlation of the smoothed retinal field at distance ``d`` within one eye (continuum).

    Convolving white unit-variance sources with the kernel of :func:`smoothing_kernel` gives
    ``corr(d) = exp(-d^2 / (4 sigma_C^2))``: a Gaussian of width ``sqrt(2) sigma_C``. (The
    rate model of docs/validation.md (Miller, Keller & Stryker 1989) writes the within-eye correlation ``C_same`` as a Gaussian
    of width ``sigma_C`` directly.) Between the eyes the correlation at the same distance is
    ``eye_correlation * corr(d)``.
    """
    s = _positive_number(sigma_C, "sigma_C", "field_correlation")
    return np.exp(-np.asarray(d, dtype=float) ** 2 / (4 * s ** 2))


# --------------------------------------------------------------------------------------------
# two-eye retinal activity
# --------------------------------------------------------------------------------------------

@dataclass
class RetinaInputs:
    """The Brian2 objects of :func:`two_eye_retina`.

    ``sources``: the Ornstein-Uhlenbeck units ``z`` (copy ``c``, eye ``e``, position ``p`` at
    index ``(c * 2 + e) * n_pos + p``); ``smoothing``: the synapses computing each LGN unit's
    ``field`` as a summed variable; ``lgn``: the spiking geniculate units (variables ``field``
    (1), ``rate`` (Hz), ``eye``, ``copy``, ``pos``). ``objects``: everything to add to a Network.
    """

    sources: NeuronGroup
    smoothing: Synapses
    lgn: NeuronGroup
    shape: tuple
    copies: int
    n_pos: int
    eye_correlation: np.ndarray
    objects: list = field(default_factory=list)

    def index(self, copy, eye, pos=None):
        """LGN index (array) of ``copy``, ``eye`` (0 left, 1 right) and positions ``pos`` (all if None)."""
        pos = np.arange(self.n_pos) if pos is None else np.asarray(pos)
        return (int(copy) * 2 + int(eye)) * self.n_pos + pos


def two_eye_retina(shape, rng, copies=1, sigma_C=2.0, tau_c=20 * ms, r0=15 * Hz, gain=0.8, rate_cap=4.0,
                   eye_correlation=0.0, kernel_radius=None, name="retina", dt=None):
    r"""Spiking activity of two eyes' geniculate (LGN) inputs with correlations within each eye.

    Each eye has one Ornstein-Uhlenbeck source per position,

    .. math:: \tau_c\, \dot z = -z + \sqrt{2 \tau_c}\, \xi(t), \qquad z(0) \sim \mathcal N(0, 1)

    (unit variance, correlation time :math:`\tau_c`), smoothed in space into a unit-variance
    field with the kernel :math:`g` of :func:`smoothing_kernel` (a Brian2 summed variable):

    .. math::
        f_L(p) = \sum_o g(o)\, z_L(p + o), \qquad
        f_R(p) = \rho\, \sum_o g(o)\, z_L(p + o) + \sqrt{1 - \rho^2}\, \sum_o g(o)\, z_R(p + o)

    with :math:`\rho` = ``eye_correlation``. Within an eye the field correlation at distance
    :math:`d` is :math:`e^{-d^2/4\sigma_C^2}` (:func:`field_correlation`); between the eyes it is
    :math:`\rho` times that: 0 for independent eyes, 1 for identical eyes (both eyes then read
    the left-eye sources and get *equal rates* with independent spikes: the control of
    docs/validation.md), negative for anticorrelated eyes. Each LGN unit spikes with the rate

    .. math:: r(p) = r_0\, \mathrm{clip}(1 + a f(p),\ 0,\ \text{rate\_cap})

    (Bernoulli per time step). The defaults are the calibrated model of check O3 (docs/validation.md
    appendix): sigma_C = 2, tau_c = 20 ms, r0 = 15 Hz, a = 0.8 (measured mean 15.6 Hz).

    ===============  ======  ===================================================================
    parameter        unit    meaning
    ===============  ======  ===================================================================
    shape            cells   ``(n,)`` ring or ``(rows, cols)`` torus of positions per eye
    rng              --      numpy Generator for the initial source values ``z(0)``
    copies           --      independent replicas side by side (their own sources and spikes)
    sigma_C          cells   width of the smoothing kernel (correlation length sqrt(2) sigma_C)
    tau_c            second  correlation time of the sources
    r0               Hz      mean rate (before clipping)
    gain             1       modulation depth a of the rate by the field
    rate_cap         1       upper clip of the rate factor 1 + a f
    eye_correlation  1       rho in [-1, 1]: a number, or one per copy
    kernel_radius    cells   truncation of the kernel (default round(5 sigma_C))
    ===============  ======  ===================================================================

    Returns a :class:`RetinaInputs`; add ``.objects`` to the Network. Use ``.lgn`` as the
    presynaptic group of the feedforward projection.
    """
    f = "two_eye_retina"
    sh = _shape(shape, f)
    rng = _rng(rng, f)
    if isinstance(copies, bool) or not isinstance(copies, (int, np.integer)) or copies < 1:
        raise ValueError(f"{f}: copies must be a positive integer, got {copies!r}")
    _positive_number(sigma_C, "sigma_C", f)
    _quantity(tau_c, second, "tau_c", f)
    _quantity(r0, Hz, "r0", f, allow_zero=True)
    _positive_number(gain, "gain", f, allow_zero=True)
    if not float(rate_cap) > 1:
        raise ValueError(f"{f}: rate_cap must be > 1, got {rate_cap!r}")
    rho = np.broadcast_to(np.asarray(eye_correlation, dtype=float), (copies,)).copy() \
        if np.ndim(eye_correlation) == 0 else np.asarray(eye_correlation, dtype=float)
    if rho.shape != (copies,):
        raise ValueError(f"{f}: eye_correlation must be a number or one value per copy ({copies}), "
                         f"got {len(rho)} values")
    if np.any(~np.isfinite(rho)) or np.any(np.abs(rho) > 1):
        raise ValueError(f"{f}: eye_correlation must lie in [-1, 1], got {rho.tolist()}")

    pos = lattice_positions(sh)
    n_pos = pos.shape[0]
    off, g = smoothing_kernel(sigma_C, len(sh), kernel_radius)
    if np.any(2 * np.max(np.abs(off), axis=0) >= np.asarray(sh)):
        raise ValueError(f"{f}: the kernel (radius {np.max(np.abs(off))}) wraps around the lattice {sh}; "
                         "use a larger lattice or a smaller kernel_radius")
    kw = {} if dt is None else {"dt": dt}
    n_src = copies * 2 * n_pos
    sources = NeuronGroup(n_src, "dz/dt = -z / tau_c + sqrt(2 / tau_c) * xi : 1",
                          method="euler", namespace={"tau_c": tau_c}, name=f"{name}_sources", **kw)
    sources.z = rng.standard_normal(n_src)

    lgn = NeuronGroup(
        n_src,
        """field : 1
           rate = r0 * clip(1 + gain * field, 0, rate_cap) : Hz
           eye : integer (constant)
           copy : integer (constant)
           pos : integer (constant)""",
        threshold="rand() < rate * dt", namespace={"r0": r0, "gain": float(gain), "rate_cap": float(rate_cap)},
        name=f"{name}_lgn", **kw)
    unit = np.arange(n_src)
    lgn.pos = unit % n_pos
    lgn.eye = (unit // n_pos) % 2
    lgn.copy = unit // (2 * n_pos)

    # connectivity of the smoothing: source (copy, eye_s, p + o) -> lgn (copy, eye, p), weight coef*g(o)
    flat = np.ravel_multi_index(tuple(((pos[:, None, :] + off[None, :, :]) % np.asarray(sh)).T), sh).T
    # flat[p, k] = position index of p + off[k]
    pre, post, wts = [], [], []
    for c in range(copies):
        blocks = [(0, 0, 1.0), (0, 1, rho[c]), (1, 1, np.sqrt(max(0.0, 1.0 - rho[c] ** 2)))]
        for eye_src, eye_dst, coef in blocks:
            if coef == 0:
                continue
            base_src = (c * 2 + eye_src) * n_pos
            base_dst = (c * 2 + eye_dst) * n_pos
            pre.append((base_src + flat).ravel())
            post.append(np.repeat(base_dst + np.arange(n_pos), off.shape[0]))
            wts.append(np.tile(coef * g, n_pos))
    smoothing = Synapses(sources, lgn, "g : 1 (constant)\nfield_post = g * z_pre : 1 (summed)",
                         name=f"{name}_smoothing", **kw)
    smoothing.connect(i=np.concatenate(pre), j=np.concatenate(post))
    smoothing.g = np.concatenate(wts)
    return RetinaInputs(sources=sources, smoothing=smoothing, lgn=lgn, shape=sh, copies=copies, n_pos=n_pos,
                        eye_correlation=rho, objects=[sources, lgn, smoothing])


# --------------------------------------------------------------------------------------------
# localized bumps (moving or flashed)
# --------------------------------------------------------------------------------------------

@dataclass
class BumpSchedule:
    """Where the stimulus bump is, bin by bin.

    ``centres``: array ``(n_bins, copies, ndim)`` of centre coordinates in cells (continuous);
    ``on``: array ``(n_bins, copies)``, 1 while a bump is shown and 0 during blanks;
    ``bin_dt``: the bin length (a time quantity); ``extent``: the lattice size per axis (cells).
    """

    centres: np.ndarray
    on: np.ndarray
    bin_dt: Quantity
    extent: tuple

    @property
    def n_bins(self):
        return self.centres.shape[0]

    @property
    def duration(self):
        return self.n_bins * self.bin_dt


def bump_schedule(rng, duration, extent, copies=1, bin_dt=5 * ms, dwell_bins=(10, 20), blank_bins=(0, 0),
                  speed=0.0, periodic=True):
    r"""Random centres of a localized stimulus: redrawn after a random dwell (the T2 stimulus).

    The centre is drawn uniformly on the lattice (``[0, n)`` per axis on a ring or torus,
    ``[-0.5, n - 0.5)`` on an open sheet whose units sit at ``0 .. n-1``), held (or moved, see
    ``speed``) for a dwell of ``U{dwell_bins[0] .. dwell_bins[1]}`` bins, then redrawn; between
    dwells a blank of ``U{blank_bins}`` bins with no bump may follow (flashed stimuli). With
    ``speed > 0`` the bump drifts during each dwell at ``speed`` cells per bin in a random
    direction (a moving bar on a ring: a random sign), wrapping around when ``periodic``
    (clipped to the lattice otherwise). Defaults: docs/validation.md, check T2 (bins of 5 ms,
    dwell 10-20 bins, i.e. 50-100 ms, no blanks, no drift).

    Every draw comes from ``rng`` (a numpy Generator): the same seed gives the same schedule.
    Returns a :class:`BumpSchedule` of ``ceil(duration / bin_dt)`` bins per copy.
    """
    f = "bump_schedule"
    rng = _rng(rng, f)
    _quantity(duration, second, "duration", f)
    _quantity(bin_dt, second, "bin_dt", f)
    ext = tuple(float(e) for e in np.atleast_1d(extent))
    if len(ext) not in (1, 2) or min(ext) <= 0:
        raise ValueError(f"{f}: extent must be (n,) or (rows, cols) of positive sizes, got {extent!r}")
    if isinstance(copies, bool) or not isinstance(copies, (int, np.integer)) or copies < 1:
        raise ValueError(f"{f}: copies must be a positive integer, got {copies!r}")
    for name, pair, low in (("dwell_bins", dwell_bins, 1), ("blank_bins", blank_bins, 0)):
        if (len(pair) != 2 or any(int(v) != v for v in pair) or pair[0] < low or pair[1] < pair[0]):
            raise ValueError(f"{f}: {name} must be a pair of integers (min, max) with {low} <= min <= max, "
                             f"got {pair!r}")
    spd = _positive_number(speed, "speed", f, allow_zero=True)
    n_bins = int(np.ceil(float(duration / bin_dt) - 1e-9))
    ndim = len(ext)
    size = np.asarray(ext)
    centres = np.zeros((n_bins, copies, ndim))
    on = np.zeros((n_bins, copies))
    for c in range(copies):
        k = 0
        while k < n_bins:
            dwell = int(rng.integers(dwell_bins[0], dwell_bins[1] + 1))
            start = rng.uniform(0, 1, ndim) * size - (0.0 if periodic else 0.5)
            if spd > 0:
                if ndim == 1:
                    direction = np.array([rng.choice([-1.0, 1.0])])
                else:
                    angle = rng.uniform(0, 2 * np.pi)
                    direction = np.array([np.cos(angle), np.sin(angle)])
            else:
                direction = np.zeros(ndim)
            steps = np.arange(dwell)[:, None] * spd * direction[None, :]
            path = start[None, :] + steps
            path = np.mod(path, size) if periodic else np.clip(path, -0.5, size - 0.5)
            stop = min(n_bins, k + dwell)
            centres[k:stop, c] = path[: stop - k]
            on[k:stop, c] = 1.0
            k = stop
            blank = int(rng.integers(blank_bins[0], blank_bins[1] + 1))
            if blank and k < n_bins:
                stop = min(n_bins, k + blank)
                centres[k:stop, c] = centres[k - 1, c]
                k = stop
    return BumpSchedule(centres=centres, on=on, bin_dt=bin_dt, extent=ext)


@dataclass
class BumpInputs:
    """The Brian2 objects of :func:`bump_inputs`.

    ``group``: the spiking input units (variables ``rate`` (Hz), ``copy``, ``x`` (and ``y``)
    in cells); ``timed_arrays``: the TimedArrays of the centre coordinates and the on/off
    switch (already in the group's namespace); ``objects``: what to add to a Network.
    """

    group: NeuronGroup
    timed_arrays: dict
    schedule: BumpSchedule
    shape: tuple
    n_pos: int
    objects: list = field(default_factory=list)


def bump_inputs(shape, schedule, sigma=5.0, peak=38 * Hz, baseline=2 * Hz, periodic=True, name="bump", dt=None,
                width_schedule=None, width_step=1 * second):
    r"""Input units on a ring or sheet driven by a localized Gaussian bump of rate.

    Unit at position :math:`x` (copy :math:`c`) spikes with

    .. math:: r(x, t) = r_{base} + \mathrm{on}_c(t)\; r_{peak}\, e^{-|x - c_c(t)|^2 / 2\sigma^2}

    where the centre :math:`c_c(t)` and the switch :math:`\mathrm{on}_c(t)` are
    :class:`brian2.TimedArray` s built from ``schedule`` (:func:`bump_schedule`), and the
    distance is wrapped around the ring / torus when ``periodic`` (open sheet otherwise). The
    defaults are the T2 stimulus of docs/validation.md: 2 Hz + 38 Hz exp(-d^2/(2 * 5^2)).

    ==========  ======  ==============================================================
    parameter   unit    meaning
    ==========  ======  ==============================================================
    shape       cells   ``(n,)`` ring or ``(rows, cols)`` sheet of input positions
    schedule    --      :class:`BumpSchedule` (its ``copies`` replicas, its extent)
    sigma       cells   bump width
    peak        Hz      rate added at the bump centre
    baseline    Hz      background rate of every unit
    periodic    --      wrap distances (ring/torus) or not (open sheet)
    ==========  ======  ==============================================================

    With ``width_schedule`` (an array of factors, ``(n_steps,)`` or ``(n_steps, copies)``, one per
    ``width_step``) the width during step ``k`` is ``sigma * f_k`` and the peak ``peak / f_k**ndim``,
    so that the summed rate of the bump stays that of ``sigma`` (a wide, weak bump first, as the
    long-range correlations of spontaneous activity before vision); a TimedArray inside the run.

    Returns a :class:`BumpInputs`; ``.group`` is the presynaptic group for a projection.
    """
    f = "bump_inputs"
    sh = _shape(shape, f)
    if not isinstance(schedule, BumpSchedule):
        raise ValueError(f"{f}: schedule must be a BumpSchedule (from bump_schedule), got {type(schedule).__name__}")
    if len(schedule.extent) != len(sh) or any(abs(e - s) > 1e-9 for e, s in zip(schedule.extent, sh)):
        raise ValueError(f"{f}: the schedule's extent {schedule.extent} does not match shape {sh}")
    _positive_number(sigma, "sigma", f)
    _quantity(peak, Hz, "peak", f, allow_zero=True)
    _quantity(baseline, Hz, "baseline", f, allow_zero=True)
    copies = schedule.centres.shape[1]
    pos = lattice_positions(sh)
    n_pos = pos.shape[0]
    axes = ["x", "y"][: len(sh)]
    tas = {}
    for k, ax in enumerate(axes):
        tas[f"{name}_c{ax}"] = TimedArray(schedule.centres[:, :, k], dt=schedule.bin_dt, name=f"{name}_c{ax}")
    tas[f"{name}_on"] = TimedArray(schedule.on, dt=schedule.bin_dt, name=f"{name}_on")
    width, gain = "sigma", ""
    if width_schedule is not None:
        fac = np.asarray(width_schedule, dtype=float)
        if fac.ndim == 1:
            fac = np.repeat(fac[:, None], copies, axis=1)
        if fac.ndim != 2 or fac.shape[1] != copies or fac.shape[0] < 1 or not np.all(fac > 0):
            raise ValueError(f"{f}: width_schedule must hold positive factors, shape (n_steps,) or (n_steps, {copies}), "
                             f"got shape {np.shape(width_schedule)}")
        _quantity(width_step, second, "width_step", f)
        tas[f"{name}_width"] = TimedArray(fac, dt=width_step, name=f"{name}_width")
        width = f"(sigma * {name}_width(t, copy))"
        gain = f" / {name}_width(t, copy)**{len(sh)}"
    terms = []
    for k, ax in enumerate(axes):
        c = f"{name}_c{ax}(t, copy)"
        if periodic:
            n = float(sh[k])
            terms.append(f"(({ax} - {c}) - {n!r} * floor(({ax} - {c}) / {n!r} + 0.5))**2")
        else:
            terms.append(f"({ax} - {c})**2")
    eqs = (f"rate = baseline + {name}_on(t, copy) * peak{gain} * exp(-({' + '.join(terms)}) / (2 * {width}**2)) : Hz\n"
           "copy : integer (constant)\n" + "".join(f"{ax} : 1 (constant)\n" for ax in axes))
    kw = {} if dt is None else {"dt": dt}
    group = NeuronGroup(copies * n_pos, eqs, threshold="rand() < rate * dt",
                        namespace={"baseline": baseline, "peak": peak, "sigma": float(sigma), **tas},
                        name=f"{name}_inputs", **kw)
    unit = np.arange(copies * n_pos)
    group.copy = unit // n_pos
    for k, ax in enumerate(axes):
        setattr(group, ax, np.tile(pos[:, k], copies).astype(float))
    return BumpInputs(group=group, timed_arrays=tas, schedule=schedule, shape=sh, n_pos=n_pos, objects=[group])
