"""Kohonen self-organising map (SOM) and its no-neighbourhood control (online k-means), numpy.

Online training, one sample ``x(t)`` per step ``t = 0 .. T-1``:

    ``c = argmin_j |x(t) - w_j|``                               (best-matching unit, BMU)
    ``w_j <- w_j + eta(t) h_jc(t) (x(t) - w_j)``
    ``h_jc(t) = exp(-|r_j - r_c|^2 / (2 sigma(t)^2))``          (Gaussian neighbourhood)

with lattice positions ``r_j`` (row-major on ``shape``) and ``sigma`` and ``eta`` decaying
exponentially from their first to their last value: ``sigma(t) = sigma_0 (sigma_1/sigma_0)^(t/(T-1))``.
Without a neighbourhood (``h_jc = delta_jc``) this is online k-means (MacQueen-style competitive
learning), which quantises as well but has no topographic order.

Reference: Kohonen T (1982), Self-organized formation of topologically correct feature maps,
Biol Cybern 43:59-69. docs/validation.md (Topographic maps), check T1: a 10 x 10 map on U[0,1]^2, 20 k samples,
sigma 5 -> 0.5, eta 0.5 -> 0.01.
"""
from dataclasses import dataclass, field

import numpy as np

from snnlearn.metrics.maps import lattice_coordinates

__all__ = ["SOMResult", "train_som", "train_kmeans_online", "grid_codebook", "random_codebook"]


@dataclass
class SOMResult:
    """Trained map: ``codebook`` (n_units, dim) in row-major lattice order of ``shape``;
    ``history_steps``/``history_codebooks``: snapshots taken every ``record_every`` samples."""

    codebook: np.ndarray
    shape: tuple
    periodic: bool
    history_steps: list = field(default_factory=list)
    history_codebooks: list = field(default_factory=list)


def _schedule(pair, name, n_steps):
    try:
        start, end = (float(v) for v in pair)
    except (TypeError, ValueError):
        raise ValueError(f"train_som: {name} must be a (start, end) pair, got {pair!r}") from None
    if not (start > 0 and end > 0 and np.isfinite(start) and np.isfinite(end)):
        raise ValueError(f"train_som: {name} values must be > 0, got {pair!r}")
    frac = np.arange(n_steps) / max(n_steps - 1, 1)
    return start * (end / start) ** frac


def _check_shape(shape):
    try:
        sh = tuple(int(s) for s in np.atleast_1d(shape))
    except (TypeError, ValueError):
        raise ValueError(f"train_som: shape must be (n,) or (rows, cols), got {shape!r}") from None
    if len(sh) not in (1, 2) or min(sh) < 1 or int(np.prod(sh)) < 2:
        raise ValueError(f"train_som: shape must be (n,) or (rows, cols) with >= 2 units, got {shape!r}")
    return sh


def train_som(data, shape, sigma=(5.0, 0.5), eta=(0.5, 0.01), rng=None, init=None,
              periodic=False, neighbourhood=True, record_every=0):
    """Train a Kohonen map with one online pass over ``data`` (rows in the given order).

    Parameters
    ----------
    data : array (n_samples, dim)
        Training samples, presented in order (shuffle beforehand if needed).
    shape : (n,) or (rows, cols)
        Lattice of units.
    sigma, eta : (start, end)
        Neighbourhood width (lattice units) and learning rate, both decaying exponentially.
    rng : numpy.random.Generator
        Source of the random initial codebook (required unless ``init`` is given).
    init : array (n_units, dim), optional
        Initial codebook; default uniform in the bounding box of ``data``.
    periodic : bool
        Lattice distances on a ring (1-D) or torus (2-D).
    neighbourhood : bool
        ``False``: update only the BMU (online k-means control).
    record_every : int
        Keep a copy of the codebook every this many samples (0: none).
    """
    x = np.asarray(data, dtype=float)
    if x.ndim != 2 or x.shape[0] < 1 or not np.all(np.isfinite(x)):
        raise ValueError(f"train_som: data must be a finite (n_samples, dim) array, got shape {x.shape}")
    sh = _check_shape(shape)
    n_units = int(np.prod(sh))
    if init is None:
        if not isinstance(rng, np.random.Generator):
            raise ValueError("train_som: rng must be a numpy.random.Generator (or give init)")
        w = rng.uniform(x.min(axis=0), x.max(axis=0), size=(n_units, x.shape[1]))
    else:
        w = np.array(init, dtype=float)
        if w.shape != (n_units, x.shape[1]):
            raise ValueError(f"train_som: init must have shape {(n_units, x.shape[1])}, got {w.shape}")
    if isinstance(record_every, bool) or int(record_every) != record_every or record_every < 0:
        raise ValueError(f"train_som: record_every must be a non-negative integer, got {record_every!r}")
    n = x.shape[0]
    sig = _schedule(sigma, "sigma", n)
    lr = _schedule(eta, "eta", n)
    r = lattice_coordinates(sh).astype(float)
    d = np.abs(r[:, None, :] - r[None, :, :])
    if periodic:
        d = np.minimum(d, np.asarray(sh, dtype=float) - d)
    d2 = np.sum(d ** 2, axis=-1)                                # squared lattice distances
    steps, books = [], []
    for t in range(n):
        diff = x[t] - w
        c = int(np.argmin(np.einsum("ij,ij->i", diff, diff)))
        if neighbourhood:
            h = lr[t] * np.exp(-d2[c] / (2 * sig[t] ** 2))
            w += h[:, None] * diff
        else:
            w[c] += lr[t] * diff[c]
        if record_every and (t + 1) % record_every == 0:
            steps.append(t + 1)
            books.append(w.copy())
    return SOMResult(codebook=w, shape=sh, periodic=bool(periodic), history_steps=steps,
                     history_codebooks=books)


def train_kmeans_online(data, n_units, eta=(0.5, 0.01), rng=None, init=None):
    """Online k-means: :func:`train_som` without a neighbourhood (only the BMU moves).

    The T1 control of docs/validation.md (Topographic maps): it quantises as well as (or better than) a SOM but
    its units, read in lattice order, have no topographic order. Returns a :class:`SOMResult`
    with ``shape=(n_units,)``.
    """
    return train_som(data, (int(n_units),), sigma=(1.0, 1.0), eta=eta, rng=rng, init=init,
                     neighbourhood=False)


def grid_codebook(shape, low=0.0, high=1.0):
    """Ideal lattice codebook: the centres of a regular partition of ``[low, high]^dim`` into
    ``shape`` cells (row-major), e.g. ``(i + 0.5)/10`` for a 10 x 10 map on the unit square.
    Its quantisation error is the T1 reference "ideal lattice QE" (0.0383 on U[0,1]^2 for 10 x 10).
    """
    sh = _check_shape(shape)
    lo, hi = float(low), float(high)
    if not hi > lo:
        raise ValueError(f"grid_codebook: high ({high!r}) must exceed low ({low!r})")
    c = lattice_coordinates(sh).astype(float)
    return lo + (c + 0.5) / np.asarray(sh, dtype=float) * (hi - lo)


def random_codebook(n_units, dim, rng, low=0.0, high=1.0):
    """Random control map: ``n_units`` vectors uniform in ``[low, high]^dim`` (T1 control)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError("random_codebook: rng must be a numpy.random.Generator")
    if int(n_units) < 1 or int(dim) < 1:
        raise ValueError(f"random_codebook: n_units and dim must be >= 1, got {n_units!r}, {dim!r}")
    return rng.uniform(low, high, size=(int(n_units), int(dim)))
