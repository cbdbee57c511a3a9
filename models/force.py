"""FORCE learning in a chaotic rate network with output feedback (Sussillo & Abbott 2009).

Sussillo D, Abbott LF (2009). Generating coherent patterns of activity from chaotic neural
networks. Neuron 63:544-557, Figs. 2-5 ("architecture A": the readout is fed back).  numpy
reference implementation following the authors' published script::

    tau dx/dt = -x + J r + w_f z,     r = tanh(x),     z = w . r

- ``J``: sparse N x N, each entry non-zero with probability p, then Gaussian with standard
  deviation g / sqrt(p N) (g > 1: chaotic spontaneous activity).
- ``w_f``: feedback weights, uniform on [-1, 1] (g_Gz = 1).
- ``w``: readout, starts at 0 and is trained online by recursive least squares (RLS) every
  ``learn_every`` Euler steps::

      k = P r;  c = 1 / (1 + r.k);  P <- P - c k k^T;  e = z - f(t);  w <- w - c e k,

  with ``P(0) = I / alpha``.  The error ``e`` uses the output *before* the update (e_-), so the
  feedback carries a nearly correct z from the first step ("first-order reduced and controlled
  error").

Defaults are the paper's: N = 1000, p = 0.1, g = 1.5, alpha = 1, tau = 10 ms, dt = 0.1 tau,
RLS every 2 steps.  P stays symmetric, so the RLS step uses the BLAS routines ``dsymv`` and
``dsyr`` on one triangle (about 0.3 ms per update for N = 1000 instead of several ms with
``numpy.outer``).  The RLS loop runs with OpenBLAS limited to one thread: level-2 BLAS on a
1000 x 1000 matrix is memory-bound, and a multi-threaded OpenBLAS on a shared machine spin-waits
(measured here: 10x slower with 2 threads under load).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse
from brian2 import ms, second
from scipy.linalg import blas

from snnlearn.metrics.reservoir import one_blas_thread

__all__ = ["ForceNetwork", "ForceResult", "make_force_network", "sum_of_sines", "run_force"]


@dataclass(frozen=True)
class ForceNetwork:
    """A drawn network: recurrent ``J`` (scipy CSR, N x N), feedback ``w_f`` (N,), initial ``x0``, ``z0``."""

    J: scipy.sparse.csr_matrix
    w_f: np.ndarray
    x0: np.ndarray
    z0: float

    @property
    def n(self):
        """Number of units N."""
        return self.J.shape[0]


@dataclass(frozen=True)
class ForceResult:
    """Outputs of :func:`run_force`.

    z_train, z_test: readout z(t) in the training phase and in the test phase (learning off,
    feedback loop still closed); w: final readout weights; w_norm: |w| after each RLS update;
    r_sample: rates of a few units over the whole run (n_steps, n_sample), for plots.
    """

    z_train: np.ndarray
    z_test: np.ndarray
    w: np.ndarray
    w_norm: np.ndarray
    r_sample: np.ndarray


def make_force_network(rng, n=1000, p=0.1, g=1.5):
    """Draw a FORCE network (see the module docstring) from the numpy Generator ``rng``.

    Initial state as in the authors' script: x0 ~ N(0, 0.5^2) per unit, z0 ~ N(0, 0.5^2).
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(seed))")
    if int(n) != n or n < 2:
        raise ValueError(f"n (number of units) must be an integer >= 2, got {n}")
    if not 0 < p <= 1:
        raise ValueError(f"p (connection probability) must lie in (0, 1], got {p}")
    if not np.isfinite(g) or g < 0:
        raise ValueError(f"g (recurrent gain) must be >= 0, got {g}")
    n = int(n)
    mask = rng.random((n, n)) < p
    rows, cols = np.nonzero(mask)
    vals = rng.standard_normal(rows.size) * g / np.sqrt(p * n)
    J = scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
    w_f = rng.uniform(-1.0, 1.0, size=n)
    x0 = 0.5 * rng.standard_normal(n)
    z0 = 0.5 * float(rng.standard_normal())
    return ForceNetwork(J=J, w_f=w_f, x0=x0, z0=z0)


def sum_of_sines(t, period=1200 * ms, amp=1.3):
    """Target of Sussillo & Abbott's Fig. 2 script: four harmonics of 1/``period``.

    ``f(t) = (amp/1.5) * [sin(w t) + sin(2 w t)/2 + sin(3 w t)/6 + sin(4 w t)/3]`` with
    ``w = 2 pi / period``; the paper's script has period 120 tau = 1.2 s for tau = 10 ms.
    ``t`` is a brian2 time array (or a Quantity).
    """
    if float(period / second) <= 0:
        raise ValueError(f"period must be > 0, got {period}")
    phase = 2 * np.pi * np.asarray(t / period, dtype=float)
    f = np.sin(phase) + np.sin(2 * phase) / 2 + np.sin(3 * phase) / 6 + np.sin(4 * phase) / 3
    return (amp / 1.5) * f


def run_force(net, target_train, n_test, tau=10 * ms, dt=1 * ms, alpha=1.0, learn_every=2,
              learn=True, n_sample=10):
    """Train the readout of ``net`` with FORCE on ``target_train``, then run ``n_test`` steps freely.

    target_train: target f(t) sampled every ``dt`` during training, shape (n_train,).  The
    network is integrated with forward Euler, ``x <- x + (dt/tau) (-x + J r + w_f z)`` (the
    authors' script uses dt = 0.1 tau).  With ``learn=False`` the readout stays at w = 0: the
    control with no learning.  The test phase continues from the final training state with the
    weights frozen and the feedback loop closed, so the network must generate the pattern
    itself.  Returns a :class:`ForceResult`.
    """
    target_train = np.asarray(target_train, dtype=float)
    if target_train.ndim != 1 or target_train.size < 1:
        raise ValueError(f"target_train must be a non-empty 1-D array, got shape {target_train.shape}")
    if not np.all(np.isfinite(target_train)):
        raise ValueError("target_train contains NaN or inf")
    if int(n_test) != n_test or n_test < 0:
        raise ValueError(f"n_test must be an integer >= 0, got {n_test}")
    h = float(dt / tau)
    if not 0 < h <= 1:
        raise ValueError(f"dt/tau must lie in (0, 1] for the Euler step, got dt={dt}, tau={tau}")
    if not np.isfinite(alpha) or alpha <= 0:
        raise ValueError(f"alpha (RLS regulariser, P(0) = I/alpha) must be > 0, got {alpha}")
    if int(learn_every) != learn_every or learn_every < 1:
        raise ValueError(f"learn_every must be a positive integer, got {learn_every}")
    n = net.n
    n_sample = min(int(n_sample), n)
    n_train, n_test = target_train.size, int(n_test)

    x = net.x0.copy()
    r = np.tanh(x)
    z = net.z0
    w = np.zeros(n)
    P = np.asfortranarray(np.eye(n) / alpha)  # only the upper triangle is kept up to date
    z_train = np.empty(n_train)
    z_test = np.empty(n_test)
    w_norm = []
    r_sample = np.empty((n_train + n_test, n_sample))

    with one_blas_thread():
        _integrate(net, target_train, n_test, h, w, P, x, r, z, learn, learn_every,
                   z_train, z_test, w_norm, r_sample)
    return ForceResult(z_train=z_train, z_test=z_test, w=w, w_norm=np.asarray(w_norm), r_sample=r_sample)


def _integrate(net, target_train, n_test, h, w, P, x, r, z, learn, learn_every,
               z_train, z_test, w_norm, r_sample):
    """The Euler / RLS loop of :func:`run_force`; fills the output arrays and ``w`` in place."""
    J, w_f = net.J, net.w_f
    n_train = target_train.size
    for step in range(n_train + n_test):
        x += h * (-x + J @ r + w_f * z)
        r = np.tanh(x)
        z = float(w @ r)
        r_sample[step] = r[: r_sample.shape[1]]
        if step < n_train:
            if learn and (step + 1) % learn_every == 0:
                k = blas.dsymv(1.0, P, r, lower=0)
                c = 1.0 / (1.0 + float(r @ k))
                P = blas.dsyr(-c, k, a=P, lower=0, overwrite_a=1)
                e = z - target_train[step]
                w -= (c * e) * k
                w_norm.append(np.sqrt(w @ w))
            z_train[step] = z
        else:
            z_test[step - n_train] = z
        if not np.isfinite(z):
            raise ValueError(f"FORCE run diverged at step {step} (z = {z}); lower g or raise alpha")
