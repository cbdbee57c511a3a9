"""Measures of cortical maps: ocular dominance, topographic order, ring maps.

All functions are plain numpy (no simulation). Conventions:

* A weight matrix ``w`` has shape ``(n_inputs, n_units)``: ``w[i, j]`` is the weight from
  input ``i`` to unit ``j`` (Brian2's ``Synapses.w[i, j]`` order, presynaptic first).
* A *codebook* has shape ``(n_units, dim)``: row ``j`` is unit ``j``'s weight vector (or its
  receptive-field centre). Units are laid out on a lattice of ``shape`` (``(n,)`` for a chain or
  ring, ``(rows, cols)`` for a sheet) in row-major order, so unit ``j`` sits at
  ``numpy.unravel_index(j, shape)``.
* Distances on the cortex are in lattice units ("cells"); wavelengths are returned in cells.

Sections of ``docs/validation.md``: ocular dominance (Miller, Keller & Stryker 1989) and
topographic maps (Kohonen 1982; Kiviluoto 1996; Bauer & Pawelzik 1992; the ring-map measures of
check T2).
"""
import numpy as np
from scipy import optimize, stats

__all__ = [
    "od_index", "mean_abs_odi", "segregation", "fraction_left",
    "od_spectrum", "od_wavelength", "od_growth_rate", "od_wavelength_theory",
    "mexican_hat", "effective_interaction",
    "lattice_coordinates", "lattice_distances", "rf_centres", "topographic_order",
    "topographic_spearman", "quantisation_error", "topographic_error", "topographic_product",
    "som_measures",
    "ring_rf_centres", "ring_selectivity", "circular_correlation", "circular_association",
    "neighbour_fraction", "winding_number", "ring_map_measures",
]


# --------------------------------------------------------------------------------------------
# input checking
# --------------------------------------------------------------------------------------------

def _array(x, name, func, ndim=None, min_size=1):
    """Float array from ``x``; ValueError naming ``func`` and ``name`` if empty or non-finite."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{func}: {name} must be numeric array-like ({err})") from None
    if ndim is not None and a.ndim not in np.atleast_1d(ndim):
        raise ValueError(f"{func}: {name} must have {ndim} dimension(s), got shape {a.shape}")
    if a.size < min_size:
        raise ValueError(f"{func}: {name} needs at least {min_size} element(s), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{func}: {name} contains NaN or inf")
    return a


def _positive(value, name, func, allow_zero=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{func}: {name} must be a number, got {value!r}") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{func}: {name} must be {bound}, got {value!r}")
    return v


def _odi_values(odi, func):
    a = np.asarray(odi, dtype=float)
    if a.size == 0:
        raise ValueError(f"{func}: odi is empty")
    if np.any(np.isnan(a)):
        raise ValueError(f"{func}: odi contains NaN (cells with zero total weight); drop them first")
    if np.any(np.abs(a) > 1 + 1e-9):
        raise ValueError(f"{func}: odi values must lie in [-1, 1], got max |odi| = {np.abs(a).max():.3g}")
    return a


# --------------------------------------------------------------------------------------------
# ocular dominance
# --------------------------------------------------------------------------------------------

def od_index(w_left, w_right, axis=0):
    """Ocular-dominance index of each cortical cell.

    ``ODI(x) = (L(x) - R(x)) / (L(x) + R(x))`` with ``L(x) = sum_a w_left[a, x]`` and
    ``R(x) = sum_a w_right[a, x]`` the summed feedforward weights from the left and right eye
    (Miller, Keller & Stryker 1989; docs/validation.md (Miller, Keller & Stryker 1989)). ODI = +1 is a purely left-eye cell,
    -1 purely right-eye, 0 binocular.

    Parameters
    ----------
    w_left, w_right : array, same shape, values >= 0
        Weights with the input (presynaptic) axis ``axis`` (default 0: shape
        ``(n_inputs, n_cells)``), or, with ``axis=None``, already-summed weights or responses
        (firing rates) of any shape, e.g. a 2-D cortical sheet.
    axis : int or None
        Axis summed over. ``None``: no summation.

    Returns
    -------
    odi : array
        One value per cell, in [-1, 1]; NaN for a cell whose total weight is 0.
    """
    f = "od_index"
    left = _array(w_left, "w_left", f)
    right = _array(w_right, "w_right", f)
    if left.shape != right.shape:
        raise ValueError(f"{f}: w_left has shape {left.shape} but w_right has shape {right.shape}")
    if np.any(left < 0) or np.any(right < 0):
        raise ValueError(f"{f}: weights (or responses) must be >= 0")
    if axis is not None:
        if not -left.ndim <= axis < left.ndim:
            raise ValueError(f"{f}: axis {axis} is out of range for arrays of shape {left.shape}")
        left = left.sum(axis=axis)
        right = right.sum(axis=axis)
    total = left + right
    out = np.full(total.shape, np.nan)
    np.divide(left - right, total, out=out, where=total > 0)
    return out


def mean_abs_odi(odi):
    """Mean absolute ODI, ``<|ODI|>`` over cells: 0 = binocular cortex, 1 = fully monocular.

    The segregation measure of docs/validation.md (Miller, Keller & Stryker 1989) (checks O1-O3). ``odi`` must not contain
    NaN (cells without input): drop them first.
    """
    return float(np.mean(np.abs(_odi_values(odi, "mean_abs_odi"))))


def segregation(odi, threshold=0.5):
    """Fraction of cells with ``|ODI| > threshold`` (monocular cells).

    docs/validation.md (Miller, Keller & Stryker 1989) also records this fraction with ``threshold=0.8``.
    """
    a = _odi_values(odi, "segregation")
    t = float(threshold)
    if not 0 <= t < 1:
        raise ValueError(f"segregation: threshold must be in [0, 1), got {threshold!r}")
    return float(np.mean(np.abs(a) > t))


def fraction_left(odi):
    """Fraction of cells dominated by the left eye (ODI > 0); docs/validation.md, check O3."""
    return float(np.mean(_odi_values(odi, "fraction_left") > 0))


def _map_stack(odi, func):
    """(n_maps, *shape) array from one 1-D/2-D map or a list/tuple of equal-shaped maps."""
    if isinstance(odi, (list, tuple)):
        if len(odi) == 0:
            raise ValueError(f"{func}: the list of maps is empty")
        maps = [np.asarray(m, dtype=float) for m in odi]
        shapes = {m.shape for m in maps}
        if len(shapes) != 1:
            raise ValueError(f"{func}: all maps must have the same shape, got {sorted(shapes)}")
        stack = np.stack(maps)
    else:
        a = np.asarray(odi, dtype=float)
        stack = a[None] if a.ndim in (1, 2) else a
    if stack.ndim not in (2, 3):
        raise ValueError(f"{func}: a map must be 1-D (ring) or 2-D (sheet), got shape {stack.shape[1:]}")
    if min(stack.shape[1:]) < 4:
        raise ValueError(f"{func}: a map needs at least 4 cells per axis, got shape {stack.shape[1:]}")
    if not np.all(np.isfinite(stack)):
        raise ValueError(f"{func}: map contains NaN or inf")
    return stack


def od_spectrum(odi):
    """Power spectrum of one ODI map, or the seed-pooled (averaged) spectrum of several.

    Each map ``x`` is mean-subtracted and Fourier transformed on its periodic lattice; the power
    ``|FFT(x - <x>)|^2 / n_cells^2`` is pooled over the maps (mean) and then collected by
    spatial frequency ``f``:

    * 1-D ring of ``N`` cells: ``f = m/N`` for ``m = 0 .. N//2``, the powers of ``+m`` and
      ``-m`` added together;
    * 2-D sheet of ``H x W`` cells: radial spectrum, the power summed over annuli
      ``|f| = sqrt(fx^2 + fy^2)`` of width ``1/max(H, W)``.

    With this normalisation the powers sum to the mean spatial variance of the maps
    (Parseval). docs/validation.md (Miller, Keller & Stryker 1989) (check O1: "average the power spectrum of ODI(x) over
    seeds").

    Parameters
    ----------
    odi : array or list of arrays
        One map (a 1-D array is a ring, a 2-D array a sheet; a 3-D array is a stack of 2-D
        maps) or a list of maps of equal shape (e.g. one per seed).

    Returns
    -------
    freq : array
        Spatial frequency in cycles per cell (``freq[0] = 0``).
    power : array
        Pooled power at each frequency (``power[0] = 0`` after mean subtraction).
    """
    stack = _map_stack(odi, "od_spectrum")
    axes = tuple(range(1, stack.ndim))
    x = stack - stack.mean(axis=axes, keepdims=True)
    n_cells = int(np.prod(stack.shape[1:]))
    p2 = np.abs(np.fft.fftn(x, axes=axes)) ** 2 / n_cells ** 2
    p2 = p2.mean(axis=0)
    if p2.ndim == 1:
        n = p2.size
        m = np.arange(n)
        idx = np.minimum(m, n - m)          # +m and -m fold onto |m|
        power = np.bincount(idx, weights=p2, minlength=n // 2 + 1)
        freq = np.arange(power.size) / n
    else:
        h, w = p2.shape
        fy = np.fft.fftfreq(h)[:, None]
        fx = np.fft.fftfreq(w)[None, :]
        df = 1.0 / max(h, w)
        idx = np.rint(np.hypot(fx, fy) / df).astype(int)
        power = np.bincount(idx.ravel(), weights=p2.ravel())
        freq = np.arange(power.size) * df
    return freq, power


def od_wavelength(odi, method="centroid"):
    """Dominant spatial period (in cells) of an ODI map or of several maps pooled.

    From the pooled spectrum of :func:`od_spectrum` restricted to ``f > 0`` (``m >= 1``):

    * ``method="peak"``: ``Lambda = 1/f_peak``, with ``f_peak`` the frequency of maximal
      power (on a ring of N cells: ``N/m_peak``);
    * ``method="centroid"``: ``Lambda = 1/f_c`` with the spectral centroid
      ``f_c = sum_f f P(f) / sum_f P(f)`` (on a ring: ``N / <m>``).

    docs/validation.md (Miller, Keller & Stryker 1989) (check O1; check O3: use the centroid when the spectrum is
    broad or the peak is quantised by a small ring). Use at least ~10 periods in the domain.
    """
    if method not in ("centroid", "peak"):
        raise ValueError(f"od_wavelength: method must be 'centroid' or 'peak', got {method!r}")
    freq, power = od_spectrum(odi)
    f, p = freq[1:], power[1:]
    total = p.sum()
    if not total > 1e-14 * max(1.0, power.sum()):
        raise ValueError("od_wavelength: the map(s) are spatially constant; there is no period")
    if method == "peak":
        return float(1.0 / f[np.argmax(p)])
    return float(1.0 / (np.sum(f * p) / total))


# --------------------------------------------------------------------------------------------
# linear-stability prediction of the OD wavelength
# --------------------------------------------------------------------------------------------

def _ring_offsets(n):
    """Ring displacements 0, 1, ..., n/2-1, -n/2, ..., -1 (FFT order)."""
    z = np.arange(n)
    return np.where(z < (n + 1) // 2, z, z - n)


def mexican_hat(d, sigma_E):
    """Intracortical interaction ``I(d) = G(d; sigma_E) - (1/3) G(d; 3 sigma_E)``.

    ``G(d; s) = exp(-d^2 / (2 s^2))`` is the *unnormalised* Gaussian (peak 1), so that
    ``sum_d I(d) = 0`` in the continuum (no DC component): short-range excitation, longer-range
    inhibition. ``d``: distance(s) in cells, a scalar or an array (for a 2-D sheet pass the
    Euclidean lengths of the displacements). docs/validation.md (Miller, Keller & Stryker 1989).
    """
    s = _positive(sigma_E, "sigma_E", "mexican_hat")
    d2 = np.asarray(d, dtype=float) ** 2
    return np.exp(-d2 / (2 * s ** 2)) - np.exp(-d2 / (18 * s ** 2)) / 3.0


def effective_interaction(sigma_E, n, loop_gain=0.5):
    """Effective interaction of a recurrent network, ``I_eff = (1 - c W)^-1`` on a ring.

    ``W`` is the Mexican hat of :func:`mexican_hat` on a ring of ``n`` cells without its self
    term (``W(0) = 0``), normalised so that ``max_k W^(k) = 1``; ``c`` (``loop_gain``, in
    [0, 1)) is the loop gain of the linearised network. The circulant inverse is taken in
    Fourier space, ``I_eff^(k) = 1 / (1 - c W^(k))``; it includes the identity (direct) term.
    docs/validation.md, "Effective interaction in the spiking network".

    Returns ``I_eff(z)`` for ring offsets ``z`` in FFT order (``z = 0, 1, ..., -1``).
    """
    f = "effective_interaction"
    _positive(sigma_E, "sigma_E", f)
    n = _ring_size(n, f)
    c = float(loop_gain)
    if not 0 <= c < 1:
        raise ValueError(f"{f}: loop_gain must be in [0, 1) for a stable network, got {loop_gain!r}")
    w = mexican_hat(_ring_offsets(n), sigma_E)
    w[0] = 0.0
    w_hat = np.fft.fft(w).real
    w = w / w_hat.max()
    i_hat = 1.0 / (1.0 - c * np.fft.fft(w).real)
    return np.fft.ifft(i_hat).real


def _ring_size(n, func):
    if (isinstance(n, bool) or not isinstance(n, (int, np.integer, float)) or not np.isfinite(n)
            or int(n) != n or n < 8):
        raise ValueError(f"{func}: n (ring size) must be an integer >= 8, got {n!r}")
    return int(n)


def _interaction_on_ring(interaction, sigma_E, n, loop_gain, func):
    z = _ring_offsets(n)
    if isinstance(interaction, str):
        if interaction == "mexican_hat":
            return mexican_hat(z, sigma_E)
        if interaction == "effective":
            return effective_interaction(sigma_E, n, loop_gain)
        raise ValueError(f"{func}: interaction must be 'mexican_hat', 'effective' or an array of "
                         f"length n, got {interaction!r}")
    arr = _array(interaction, "interaction", func, ndim=1)
    if arr.size != n:
        raise ValueError(f"{func}: an interaction array must have length n={n}, got {arr.size}")
    return arr


def od_growth_rate(k, sigma_E, sigma_C, arbor_radius, interaction="mexican_hat", n=256,
                   loop_gain=0.5):
    """Growth rate of the left-minus-right weight mode of wavenumber ``k`` (linear stability).

    In the Miller, Keller & Stryker (1989) model (docs/validation.md, Miller, Keller & Stryker 1989) the difference
    ``S_D = S_L - S_R`` obeys, in the linear phase, ``dS_D/dt ∝ A ⊙ (C_D S_D I)``;
    subtractive normalisation acts only on the sum mode. For ``S_D(x, x + a) = e^{ikx} s(a)``
    with arbor offsets ``a in [-R, R]`` this is the eigenproblem of the Hermitian matrix

        ``K_k(a, b) = sum_z I(z) e^{-ikz} C_D(b - a - z)``,   ``a, b in [-R, R]``,

    with ``C_D(d) = exp(-d^2 / (2 sigma_C^2))`` (same-eye minus opposite-eye correlation, peak 1;
    an opposite-eye correlation proportional to the same-eye one only rescales ``K_k``) and
    ``I`` the intracortical interaction on a ring of ``n`` cells (``z`` runs over the ring).
    Returns the top eigenvalue ``lambda_max(K_k)`` for each ``k`` (radians per cell).

    ``interaction``: ``"mexican_hat"`` (:func:`mexican_hat`), ``"effective"``
    (:func:`effective_interaction` with ``loop_gain``) or an array ``I(z)`` of length ``n`` in
    FFT order.
    """
    f = "od_growth_rate"
    _positive(sigma_E, "sigma_E", f)
    sc = _positive(sigma_C, "sigma_C", f)
    n = _ring_size(n, f)
    r = _arbor(arbor_radius, n, f)
    i_z = _interaction_on_ring(interaction, sigma_E, n, loop_gain, f)
    k = np.atleast_1d(np.asarray(k, dtype=float))
    z = _ring_offsets(n)
    delta = np.arange(-2 * r, 2 * r + 1)                       # b - a
    d = delta[:, None] - z[None, :]
    d = (d + n // 2) % n - n // 2                              # wrapped ring distance
    m = i_z[None, :] * np.exp(-d ** 2 / (2 * sc ** 2))         # (n_delta, n)
    t = np.exp(-1j * np.outer(k, z)) @ m.T                     # (n_k, n_delta)
    a = np.arange(-r, r + 1)
    kk = t[:, (a[None, :] - a[:, None]) + 2 * r]               # K_k[a, b] = t[k, b - a]
    return np.linalg.eigvalsh(kk)[:, -1]


def _arbor(arbor_radius, n, func):
    if (isinstance(arbor_radius, bool) or not isinstance(arbor_radius, (int, np.integer, float))
            or not np.isfinite(arbor_radius) or int(arbor_radius) != arbor_radius or arbor_radius < 0):
        raise ValueError(f"{func}: arbor_radius must be a non-negative integer, got {arbor_radius!r}")
    r = int(arbor_radius)
    if 2 * r >= n:
        raise ValueError(f"{func}: arbor_radius={r} must be < n/2 = {n / 2:g} (the arbor would wrap "
                         "around the ring)")
    return r


def od_wavelength_theory(sigma_E, sigma_C, arbor_radius, interaction="mexican_hat", n=256,
                         loop_gain=0.5, discrete=False):
    """Linear-stability prediction of the OD wavelength, ``Lambda* = 2 pi / k*``, in cells.

    ``k*`` maximises the top eigenvalue of the arbor-restricted matrix ``K_k`` of
    :func:`od_growth_rate` (docs/validation.md, Miller, Keller & Stryker 1989, "Prediction"). With ``discrete=False`` ``k``
    is continuous in ``(0, pi]`` (a grid search refined by a bounded scalar optimiser);
    with ``discrete=True`` only the ring's own wavenumbers ``k = 2 pi m / n`` are allowed, and
    ``Lambda* = n / m*``.

    Reference values (docs/validation.md; sigma_C = 2, R = 6, Mexican hat): 7.97
    (sigma_E = 1), 14.8 (sigma_E = 2), 21.3 (sigma_E = 3); on the n = 256 ring's wavenumbers
    8.0, 15.1, 21.3 (section 3). Effective interaction with loop gain 0.5: about 8.1 and 15.1.

    Raises ValueError if no difference mode grows (all ``lambda_max(K_k) <= 0``).
    """
    f = "od_wavelength_theory"
    _positive(sigma_E, "sigma_E", f)
    _positive(sigma_C, "sigma_C", f)
    n_ = _ring_size(n, f)
    _arbor(arbor_radius, n_, f)

    def growth(k):
        return od_growth_rate(k, sigma_E, sigma_C, arbor_radius, interaction, n_, loop_gain)

    if discrete:
        m = np.arange(1, n_ // 2 + 1)
        g = growth(2 * np.pi * m / n_)
        if g.max() <= 0:
            raise ValueError(f"{f}: no growing left-right mode (max growth {g.max():.3g} <= 0)")
        return float(n_ / m[np.argmax(g)])
    k_grid = np.linspace(np.pi / 512, np.pi, 512)
    g = growth(k_grid)
    if g.max() <= 0:
        raise ValueError(f"{f}: no growing left-right mode (max growth {g.max():.3g} <= 0)")
    i = int(np.argmax(g))
    lo, hi = k_grid[max(i - 1, 0)], k_grid[min(i + 1, k_grid.size - 1)]
    res = optimize.minimize_scalar(lambda k: -growth(k)[0], bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-7})
    k_star = res.x if -res.fun >= g[i] else k_grid[i]
    return float(2 * np.pi / k_star)


# --------------------------------------------------------------------------------------------
# lattices and topographic order (Kohonen maps, RF-centre maps)
# --------------------------------------------------------------------------------------------

def _shape(shape, func):
    try:
        sh = tuple(int(s) for s in np.atleast_1d(shape))
    except (TypeError, ValueError):
        raise ValueError(f"{func}: shape must be a tuple of positive integers, got {shape!r}") from None
    if len(sh) not in (1, 2) or min(sh) < 1:
        raise ValueError(f"{func}: shape must be (n,) or (rows, cols) with positive sizes, got {shape!r}")
    return sh


def lattice_coordinates(shape):
    """Integer lattice coordinates of units in row-major order, shape ``(n_units, len(shape))``."""
    sh = _shape(shape, "lattice_coordinates")
    grids = np.meshgrid(*[np.arange(s) for s in sh], indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)


def _periodic(periodic, sh):
    return len(sh) == 1 if periodic is None else bool(periodic)


def _lattice_displacements(sh, periodic):
    c = lattice_coordinates(sh)
    d = np.abs(c[:, None, :] - c[None, :, :])
    if periodic:
        d = np.minimum(d, np.asarray(sh)[None, None, :] - d)
    return d


def lattice_distances(shape, periodic=None):
    """Euclidean distances between all lattice units, shape ``(n_units, n_units)``.

    ``periodic=None`` means a ring for 1-D shapes and an open sheet for 2-D shapes;
    ``True``/``False`` force a ring/torus or an open chain/sheet.
    """
    sh = _shape(shape, "lattice_distances")
    d = _lattice_displacements(sh, _periodic(periodic, sh))
    return np.sqrt(np.sum(d.astype(float) ** 2, axis=-1))


def rf_centres(weights, positions):
    """Receptive-field centres: weight-weighted mean input position of each unit.

    ``c_j = sum_i w_ij x_i / sum_i w_ij`` with ``weights`` of shape ``(n_inputs, n_units)``
    (>= 0) and input ``positions`` of shape ``(n_inputs,)`` or ``(n_inputs, dim)``.
    Returns ``(n_units, dim)``. For inputs on a ring use :func:`ring_rf_centres`.
    docs/validation.md (Topographic maps), "For receptive-field (RF) centre maps".
    """
    f = "rf_centres"
    w = _array(weights, "weights", f, ndim=2)
    x = _array(positions, "positions", f, ndim=(1, 2))
    x = x[:, None] if x.ndim == 1 else x
    if x.shape[0] != w.shape[0]:
        raise ValueError(f"{f}: weights has {w.shape[0]} inputs (rows) but positions has {x.shape[0]}")
    if np.any(w < 0):
        raise ValueError(f"{f}: weights must be >= 0")
    tot = w.sum(axis=0)
    if np.any(tot <= 0):
        raise ValueError(f"{f}: unit(s) {np.flatnonzero(tot <= 0)[:5].tolist()} have zero total weight")
    return (w.T @ x) / tot[:, None]


def _spearman(a, b, func, what):
    ra, rb = stats.rankdata(a), stats.rankdata(b)
    if np.ptp(ra) == 0 or np.ptp(rb) == 0:
        raise ValueError(f"{func}: {what} is constant; the rank correlation is undefined")
    return float(np.corrcoef(ra, rb)[0, 1])


def topographic_order(unit_positions, centres):
    """Spearman rank correlation between unit position and RF centre, per axis.

    ``rho_k = Spearman(unit_positions[:, k], centres[:, k])`` for each axis ``k``: +1 for a map
    ordered like the lattice, -1 for a map flipped along that axis, about 0 for a scrambled
    map. ``unit_positions`` (e.g. :func:`lattice_coordinates`) and ``centres`` (e.g.
    :func:`rf_centres`) have shape ``(n_units, dim)`` (or ``(n_units,)``). Returns an array of
    ``dim`` correlations. docs/validation.md (Topographic maps) ("the correlation between unit index and RF
    centre").
    """
    f = "topographic_order"
    u = _array(unit_positions, "unit_positions", f, ndim=(1, 2), min_size=3)
    c = _array(centres, "centres", f, ndim=(1, 2), min_size=3)
    u = u[:, None] if u.ndim == 1 else u
    c = c[:, None] if c.ndim == 1 else c
    if u.shape != c.shape:
        raise ValueError(f"{f}: unit_positions has shape {u.shape} but centres has shape {c.shape}")
    return np.array([_spearman(u[:, k], c[:, k], f, f"axis {k}") for k in range(u.shape[1])])


def _codebook(codebook, func, shape=None):
    cb = _array(codebook, "codebook", func, ndim=(1, 2))
    cb = cb[:, None] if cb.ndim == 1 else cb
    if shape is not None:
        sh = _shape(shape, func)
        if int(np.prod(sh)) != cb.shape[0]:
            raise ValueError(f"{func}: codebook has {cb.shape[0]} units but shape {sh} has "
                             f"{int(np.prod(sh))}")
        return cb, sh
    return cb


def _data(data, cb, func):
    x = _array(data, "data", func, ndim=(1, 2))
    x = x[:, None] if x.ndim == 1 else x
    if x.shape[1] != cb.shape[1]:
        raise ValueError(f"{func}: data has dimension {x.shape[1]} but the codebook has {cb.shape[1]}")
    return x


def _pairwise(a, b):
    d2 = np.sum(a ** 2, 1)[:, None] + np.sum(b ** 2, 1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(d2, 0.0))


def topographic_spearman(codebook, shape, periodic=None):
    """Spearman rho between lattice distances and weight-space distances over all unit pairs.

    ``rho = Spearman({|r_i - r_j|}, {|w_i - w_j|})`` over pairs ``i < j`` of units with lattice
    positions ``r`` and codebook vectors ``w``: near 1 for a topographic map, about 0 for a
    scrambled map or online k-means. Invariant to reflections of the map. docs/validation.md section
    4, check T1 (threshold rho >= 0.9; controls < 0.3).
    """
    f = "topographic_spearman"
    cb, sh = _codebook(codebook, f, shape)
    if cb.shape[0] < 3:
        raise ValueError(f"{f}: need at least 3 units")
    iu = np.triu_indices(cb.shape[0], k=1)
    d_lat = lattice_distances(sh, periodic)[iu]
    d_w = _pairwise(cb, cb)[iu]
    return _spearman(d_lat, d_w, f, "the weight-space distance")


def _two_bmus(cb, x, chunk=4096):
    first = np.empty(x.shape[0], dtype=int)
    second = np.empty(x.shape[0], dtype=int)
    dist = np.empty(x.shape[0])
    for s in range(0, x.shape[0], chunk):
        d = _pairwise(x[s:s + chunk], cb)
        order = np.argsort(d, axis=1)[:, :2]
        first[s:s + chunk], second[s:s + chunk] = order[:, 0], order[:, 1]
        dist[s:s + chunk] = d[np.arange(order.shape[0]), order[:, 0]]
    return first, second, dist


def quantisation_error(codebook, data):
    """Mean Euclidean distance from each sample to its best-matching unit (BMU).

    ``QE = <min_j |x - w_j|>`` over the samples ``data`` (shape ``(n_samples, dim)``).
    docs/validation.md (Topographic maps): QE does not discriminate a SOM from k-means (which beats it).
    """
    f = "quantisation_error"
    cb = _codebook(codebook, f)
    x = _data(data, cb, f)
    d = np.concatenate([_pairwise(x[s:s + 4096], cb).min(axis=1) for s in range(0, x.shape[0], 4096)])
    return float(d.mean())


def topographic_error(codebook, data, shape, periodic=None):
    """Topographic error (Kohonen; Kiviluoto 1996): fraction of samples whose first and
    second best-matching units are not lattice neighbours.

    Neighbours: the 8-neighbourhood (``max(|dr|, |dc|) == 1``) on a 2-D lattice; adjacent
    units of the ring (``periodic=None`` or ``True``) or chain (``periodic=False``) on a 1-D
    lattice. ``periodic=True`` on a 2-D lattice makes it a torus. docs/validation.md (Topographic maps), check T1
    (threshold TE <= 0.05; controls > 0.5).
    """
    f = "topographic_error"
    cb, sh = _codebook(codebook, f, shape)
    if cb.shape[0] < 2:
        raise ValueError(f"{f}: need at least 2 units")
    x = _data(data, cb, f)
    first, second, _ = _two_bmus(cb, x)
    cf = np.stack(np.unravel_index(first, sh), axis=1)
    cs = np.stack(np.unravel_index(second, sh), axis=1)
    d = np.abs(cf - cs)
    if _periodic(periodic, sh):
        d = np.minimum(d, np.asarray(sh)[None, :] - d)
    adjacent = d.max(axis=1) == 1
    return float(1.0 - adjacent.mean())


def topographic_product(codebook, shape, periodic=None):
    """Topographic product P of Bauer & Pawelzik (1992).

    For unit ``j`` let ``n_k^A(j)`` be its k-th nearest neighbour on the lattice (output space
    A) and ``n_k^V(j)`` its k-th nearest neighbour in weight space V (ties broken by unit
    index). With

        ``Q1(j,k) = d^V(w_j, w_{n_k^A(j)}) / d^V(w_j, w_{n_k^V(j)})``,
        ``Q2(j,k) = d^A(j, n_k^A(j)) / d^A(j, n_k^V(j))``,
        ``P3(j,k) = [prod_{l<=k} Q1(j,l) Q2(j,l)]^(1/(2k))``,

    ``P = 1/(N(N-1)) sum_j sum_{k=1}^{N-1} log P3(j,k)``. P is about 0 when the map fits the
    data, < 0 when the lattice dimension is too low, > 0 when it is too high. docs/validation.md
    section 4, check T1 (|P| <= 0.01). Cost O(N^2 log N) memory/time in the number of units N.
    """
    f = "topographic_product"
    cb, sh = _codebook(codebook, f, shape)
    n = cb.shape[0]
    if n < 3:
        raise ValueError(f"{f}: need at least 3 units")
    d_a = lattice_distances(sh, periodic)
    d_v = _pairwise(cb, cb)
    if np.any(d_v[~np.eye(n, dtype=bool)] <= 0):
        raise ValueError(f"{f}: two units have identical weight vectors; P is undefined")
    big = np.inf
    np.fill_diagonal(d_a, big)
    np.fill_diagonal(d_v, big)
    rows = np.arange(n)[:, None]
    nn_a = np.argsort(d_a, axis=1, kind="stable")[:, :n - 1]
    nn_v = np.argsort(d_v, axis=1, kind="stable")[:, :n - 1]
    log_q1 = np.log(d_v[rows, nn_a]) - np.log(d_v[rows, nn_v])
    log_q2 = np.log(d_a[rows, nn_a]) - np.log(d_a[rows, nn_v])
    k = np.arange(1, n)[None, :]
    log_p3 = np.cumsum(log_q1 + log_q2, axis=1) / (2 * k)
    return float(log_p3.sum() / (n * (n - 1)))


def som_measures(codebook, data, shape, periodic=None):
    """All T1 measures of a lattice map at once: ``{"qe", "te", "rho", "p"}``
    (:func:`quantisation_error`, :func:`topographic_error`, :func:`topographic_spearman`,
    :func:`topographic_product`)."""
    return {
        "qe": quantisation_error(codebook, data),
        "te": topographic_error(codebook, data, shape, periodic),
        "rho": topographic_spearman(codebook, shape, periodic),
        "p": topographic_product(codebook, shape, periodic),
    }


# --------------------------------------------------------------------------------------------
# ring maps (check T2)
# --------------------------------------------------------------------------------------------

def _ring_resultant(weights, func):
    w = _array(weights, "weights", func, ndim=2)
    if np.any(w < 0):
        raise ValueError(f"{func}: weights must be >= 0")
    tot = w.sum(axis=0)
    if np.any(tot <= 0):
        raise ValueError(f"{func}: unit(s) {np.flatnonzero(tot <= 0)[:5].tolist()} have zero total weight")
    n_in = w.shape[0]
    z = np.exp(2j * np.pi * np.arange(n_in) / n_in) @ w
    return z, tot


def ring_rf_centres(weights):
    """RF centre of each unit for inputs on a ring: ``theta_j = arg sum_i w_ij e^{2 pi i i/n_in}``.

    ``weights`` has shape ``(n_inputs, n_units)``, inputs evenly spaced around the ring.
    Returns angles in ``[0, 2 pi)``; input ``i`` sits at angle ``2 pi i / n_in``.
    docs/validation.md, check T2.
    """
    z, _ = _ring_resultant(weights, "ring_rf_centres")
    return np.mod(np.angle(z), 2 * np.pi)


def ring_selectivity(weights):
    """RF selectivity (resultant length) ``s_j = |sum_i w_ij e^{2 pi i i/n_in}| / sum_i w_ij``.

    0 for flat weights, 1 for a single input. For ``w_i = 1 + a cos(2 pi i/n_in - theta)``
    (``n_in >= 3``) ``s = a/2``. docs/validation.md, check T2 (learned s >= 0.6; frozen
    control <= 0.1).
    """
    z, tot = _ring_resultant(weights, "ring_selectivity")
    return np.abs(z) / tot


def _angles(x, name, func):
    return _array(x, name, func, ndim=1, min_size=2)


def circular_correlation(phi, theta):
    """Fisher-Lee circular correlation between two sets of angles (radians).

    ``rho_FL = sum_{i<j} sin(phi_i - phi_j) sin(theta_i - theta_j) /
    sqrt(sum_{i<j} sin^2(phi_i - phi_j) sum_{i<j} sin^2(theta_i - theta_j))``
    (Fisher & Lee 1983). Invariant to rotating either set; +1 for ``theta = phi + const``,
    -1 for ``theta = -phi + const``. Use ``phi_j = 2 pi j / N`` (unit position on the ring) and
    ``theta_j`` the RF centre. docs/validation.md, check T2.
    """
    f = "circular_correlation"
    p = _angles(phi, "phi", f)
    t = _angles(theta, "theta", f)
    if p.shape != t.shape:
        raise ValueError(f"{f}: phi has shape {p.shape} but theta has shape {t.shape}")
    # sum_{i<j} sin(a_i - a_j) sin(b_i - b_j)
    #   = 1/4 (|sum_i e^{i(a_i - b_i)}|^2 - |sum_i e^{i(a_i + b_i)}|^2)       (O(N))
    def cross(a, b):
        return (abs(np.sum(np.exp(1j * (a - b)))) ** 2 - abs(np.sum(np.exp(1j * (a + b)))) ** 2) / 4.0
    num = cross(p, t)
    den = np.sqrt(cross(p, p) * cross(t, t))
    if den <= 0:
        raise ValueError(f"{f}: the angles of one set are all equal (or opposite); rho is undefined")
    return float(num / den)


def circular_association(phi, theta):
    """Rotation- and reflection-tolerant association ``max(|<e^{i(theta-phi)}>|, |<e^{i(theta+phi)}>|)``.

    1 for ``theta = ±phi + const``; about ``1/sqrt(N)`` for unrelated angles. docs/validation.md
    appendix, check T2.
    """
    f = "circular_association"
    p = _angles(phi, "phi", f)
    t = _angles(theta, "theta", f)
    if p.shape != t.shape:
        raise ValueError(f"{f}: phi has shape {p.shape} but theta has shape {t.shape}")
    return float(max(abs(np.mean(np.exp(1j * (t - p)))), abs(np.mean(np.exp(1j * (t + p))))))


def _wrap(a):
    return (a + np.pi) % (2 * np.pi) - np.pi


def neighbour_fraction(theta, factor=3.0):
    """Fraction of the ``N`` neighbouring unit pairs ``(j, j+1 mod N)`` of a ring whose RF centres
    differ by ``|wrap(theta_{j+1} - theta_j)| < factor * 2 pi / N``.

    1 for a smooth map; about ``2 factor / N`` for random centres. docs/validation.md (Topographic maps) and
    appendix (T2: ``factor = 3``).
    """
    t = _angles(theta, "theta", "neighbour_fraction")
    fac = _positive(factor, "factor", "neighbour_fraction")
    d = _wrap(np.roll(t, -1) - t)
    return float(np.mean(np.abs(d) < fac * 2 * np.pi / t.size))


def winding_number(theta):
    """Winding number of a ring map: ``sum_j wrap(theta_{j+1} - theta_j) / 2 pi`` over the closed
    ring (``j+1`` taken mod N). +1 for RF centres going once round in the unit order, -1 for the
    reversed map, 0 for a map with a defect or no order. Returns an int. docs/validation.md, T2.
    """
    t = _angles(theta, "theta", "winding_number")
    return int(np.rint(np.sum(_wrap(np.roll(t, -1) - t)) / (2 * np.pi)))


def ring_map_measures(weights, factor=3.0):
    """All T2 measures of a ring map from weights of shape ``(n_inputs, n_units)``.

    Returns a dict: ``theta`` (RF centres, array), ``selectivity`` (array), ``mean_selectivity``,
    ``rho_fl`` (:func:`circular_correlation` of ``phi_j = 2 pi j/N`` and ``theta``),
    ``association``, ``neighbour_fraction`` and ``winding``.
    """
    theta = ring_rf_centres(weights)
    s = ring_selectivity(weights)
    phi = 2 * np.pi * np.arange(theta.size) / theta.size
    return {
        "theta": theta,
        "selectivity": s,
        "mean_selectivity": float(s.mean()),
        "rho_fl": circular_correlation(phi, theta),
        "association": circular_association(phi, theta),
        "neighbour_fraction": neighbour_fraction(theta, factor),
        "winding": winding_number(theta),
    }
