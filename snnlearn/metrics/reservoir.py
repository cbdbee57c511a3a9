"""Readout-side metrics for reservoir computing: ridge readout, memory capacity, NARMA-10, NRMSE.

A reservoir (echo-state network, liquid-state machine, FORCE network) is a fixed dynamical system
whose states ``x(t)`` are read out by a trained linear map.  This module holds everything that
happens *after* the states are collected, in plain numpy, so that the same code scores rate and
spiking reservoirs:

- :func:`fit_ridge` / :class:`Readout`: ridge regression with an unpenalised intercept,
  ``W = argmin (1/T) ||Y - X W - b||^2 + lam ||W||^2``, lam relative to the feature variance.
- :func:`loo_ridge`: picks the ridge strength by exact leave-one-out error on the training set.
- :func:`memory_capacity`: Jaeger's short-term memory capacity on held-out data,
  ``MC = sum_k r^2(u(t-k), y_k(t))`` (Jaeger 2002, GMD Report 152), which is at most the number
  of state dimensions N for i.i.d. input; an estimate above N flags train/test leakage or a bug
  in the time alignment (Ballarin et al. 2023, arXiv 2305.01457).
- :func:`narma10` / :func:`narma10_input`: the NARMA-10 benchmark (Atiya & Parlos 2000; used
  for ESNs by Jaeger 2003, NIPS 15).
- :func:`nrmse`, :func:`squared_correlation`, :func:`classification_accuracy`,
  :func:`delay_embedding`.

All functions take arrays with time along axis 0.
"""
from __future__ import annotations

import contextlib
import ctypes
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Readout",
    "fit_ridge",
    "loo_ridge",
    "nrmse",
    "squared_correlation",
    "memory_capacity",
    "MemoryCapacity",
    "narma10",
    "narma10_input",
    "delay_embedding",
    "classification_accuracy",
    "one_blas_thread",
]


@contextlib.contextmanager
def one_blas_thread():
    """Limit the loaded OpenBLAS libraries to one thread inside the block (restored after).

    Reservoir code calls BLAS on small or memory-bound problems (SVDs of a few thousand x a few
    hundred, rank-1 updates), where a multi-threaded OpenBLAS only spin-waits; on a shared 2-core
    machine it made these runs 10x slower.  Uses threadpoolctl when it is installed, else the
    OpenBLAS C API through ctypes on the libraries listed in /proc/self/maps (Linux); anywhere
    else it does nothing (it changes speed, and results only at the rounding level).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
        return
    restore = []
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line})
        for path in paths:
            lib = ctypes.CDLL(path)
            for get, put in (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                             ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
                             ("openblas_get_num_threads", "openblas_set_num_threads")):
                if hasattr(lib, get) and hasattr(lib, put):
                    restore.append((getattr(lib, put), getattr(lib, get)()))
                    getattr(lib, put)(1)
                    break
    except OSError:
        pass
    try:
        yield
    finally:
        for put, n_threads in restore:
            put(n_threads)


def _as_2d(a, name):
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 1-D or 2-D array (time along axis 0), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf")
    return a


@dataclass(frozen=True)
class Readout:
    """A trained linear readout ``y = X @ weights + intercept``.

    ``weights`` has shape (n_features, n_outputs); ``intercept`` has shape (n_outputs,).
    ``predict`` returns a 1-D array when the readout was fitted to a 1-D target.
    """

    weights: np.ndarray
    intercept: np.ndarray
    ridge: float
    one_output: bool = False

    def predict(self, X):
        X = _as_2d(X, "X")
        if X.shape[1] != self.weights.shape[0]:
            raise ValueError(
                f"X has {X.shape[1]} features but the readout was fitted on {self.weights.shape[0]}"
            )
        Y = X @ self.weights + self.intercept
        return Y[:, 0] if self.one_output else Y


def _check_xy(X, Y):
    one = np.ndim(Y) == 1
    X = _as_2d(X, "X")
    Y = _as_2d(Y, "Y")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but Y has {Y.shape[0]}")
    if X.shape[0] < 2:
        raise ValueError(f"need at least 2 samples to fit a readout, got {X.shape[0]}")
    return X, Y, one


def fit_ridge(X, Y, ridge=1e-8):
    """Ridge regression with an unpenalised intercept.

    Minimises ``(1/T) * ||Y - X W - b||^2 + lam * ||W||^2`` over W and b, i.e.
    ``W = (C + lam I)^-1 Xc^T Yc / T`` with Xc, Yc the centred data and ``C = Xc^T Xc / T``,
    solved through the SVD of Xc so that ill-conditioned reservoir states (linear ESNs) stay
    accurate.  The penalty is relative, ``lam = ridge * trace(C) / n_features`` (ridge times the
    mean feature variance), so one ``ridge`` suits states of any scale and any number of samples;
    ``ridge = 0`` gives the minimum-norm least-squares solution.

    X: (T, n_features); Y: (T,) or (T, n_outputs).  Returns a :class:`Readout`.
    """
    X, Y, one = _check_xy(X, Y)
    if not np.isfinite(ridge) or ridge < 0:
        raise ValueError(f"ridge must be a finite number >= 0, got {ridge}")
    T = X.shape[0]
    x_mean = X.mean(axis=0)
    y_mean = Y.mean(axis=0)
    with one_blas_thread():
        U, s, Vt = np.linalg.svd(X - x_mean, full_matrices=False)
    s2 = s**2 / T
    lam = ridge * s2.sum() / X.shape[1]  # ridge relative to the mean feature variance
    if lam > 0:
        filt = (s / T) / (s2 + lam)
    else:
        tol = s.max(initial=0.0) * max(X.shape) * np.finfo(float).eps
        filt = np.where(s > tol, 1.0 / np.where(s > tol, s, 1.0), 0.0)
    W = Vt.T @ (filt[:, None] * (U.T @ (Y - y_mean)))
    b = y_mean - x_mean @ W
    return Readout(weights=W, intercept=b, ridge=float(ridge), one_output=one)


def loo_ridge(X, Y, ridges=(1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)):
    """Choose the ridge strength by exact leave-one-out error on the training data only.

    For ridge regression the leave-one-out residual of sample i is ``e_i / (1 - h_ii)`` with ``h``
    the hat matrix (Allen 1974), so the whole grid costs one SVD.  The intercept is handled by
    centring (its leverage 1/T is added to h_ii).  ``ridges`` are relative, as in :func:`fit_ridge`.
    Returns ``(best_ridge, loo_mse)`` with ``loo_mse`` the mean squared LOO error for each entry
    of ``ridges``.
    """
    X, Y, _ = _check_xy(X, Y)
    ridges = np.asarray(ridges, dtype=float).ravel()
    if ridges.size == 0 or np.any(~np.isfinite(ridges)) or np.any(ridges <= 0):
        raise ValueError("ridges must be a non-empty list of finite numbers > 0")
    T = X.shape[0]
    Xc = X - X.mean(axis=0)
    Yc = Y - Y.mean(axis=0)
    with one_blas_thread():
        U, s, _ = np.linalg.svd(Xc, full_matrices=False)
    UtY = U.T @ Yc
    mean_var = (s**2).sum() / T / X.shape[1] or 1.0  # all-constant features: any scale will do
    mse = np.empty(ridges.size)
    for j, ridge in enumerate(ridges):
        d = s**2 / (s**2 + T * ridge * mean_var)
        fitted = U @ (d[:, None] * UtY)
        h = (U**2) @ d + 1.0 / T
        loo = (Yc - fitted) / np.maximum(1.0 - h, 1e-12)[:, None]
        mse[j] = np.mean(loo**2)
    return float(ridges[int(np.argmin(mse))]), mse


def nrmse(y_true, y_pred):
    """Normalised root-mean-square error ``sqrt(mean((y - y_hat)^2) / var(y))``.

    Predicting the mean of ``y`` gives 1; a perfect prediction gives 0.  For several outputs
    (2-D arrays) the squared errors and variances are pooled over outputs.
    """
    y = np.asarray(y_true, dtype=float)
    yp = np.asarray(y_pred, dtype=float)
    if y.shape != yp.shape:
        raise ValueError(f"y_true has shape {y.shape} but y_pred has shape {yp.shape}")
    if y.size < 2:
        raise ValueError("nrmse needs at least 2 samples")
    var = np.var(y, axis=0).mean()
    if var == 0:
        raise ValueError("y_true is constant: NRMSE is undefined")
    return float(np.sqrt(np.mean((y - yp) ** 2) / var))


def squared_correlation(a, b):
    """Squared Pearson correlation r^2 of two 1-D arrays (0 if either is constant)."""
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"arrays differ in length: {a.size} vs {b.size}")
    a = a - a.mean()
    b = b - b.mean()
    den = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return 0.0 if den == 0 else float(np.dot(a, b) ** 2 / den**2)


@dataclass(frozen=True)
class MemoryCapacity:
    """Result of :func:`memory_capacity`: ``total = r2.sum()``, ``r2[i]`` for delay ``delays[i]``."""

    total: float
    delays: np.ndarray
    r2: np.ndarray


def memory_capacity(states, u, k_max=100, washout=100, train_fraction=0.5, ridge=0.0):
    """Jaeger's short-term memory capacity, measured on held-out data.

    ``MC = sum_{k=0}^{k_max} r^2(u(t-k), y_k(t))`` where ``y_k = X w_k + b_k`` is a ridge readout
    trained to recall the input k steps back and ``r^2`` is the squared correlation on test data
    (Jaeger 2002, GMD Report 152).  Convention: ``states[t]`` has already received ``u[t]``, so
    delay 0 is the current input; a pure delay line ``x_i(t) = u(t - i)``, i < n, has MC = n.  For
    i.i.d. input MC <= N (number of state dimensions); a held-out estimate above N means leakage.

    states: (T, N) reservoir states; u: (T,) i.i.d. scalar input that drove them.  The first
    ``max(washout, k_max)`` steps are dropped (transient, and so that every delay uses the same
    samples); the rest is split in time into a training part (``train_fraction``) and a test part.
    ``ridge`` as in :func:`fit_ridge`.  Returns a :class:`MemoryCapacity`.
    """
    X = _as_2d(states, "states")
    u = np.asarray(u, dtype=float)
    if u.ndim != 1:
        raise ValueError(f"u must be a 1-D input sequence, got shape {u.shape}")
    if u.shape[0] != X.shape[0]:
        raise ValueError(f"states have {X.shape[0]} time steps but u has {u.shape[0]}")
    if int(k_max) != k_max or k_max < 0:
        raise ValueError(f"k_max must be an integer >= 0, got {k_max}")
    if int(washout) != washout or washout < 0:
        raise ValueError(f"washout must be an integer >= 0, got {washout}")
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must lie in (0, 1), got {train_fraction}")
    k_max, washout = int(k_max), int(washout)
    start = max(washout, k_max)
    n = X.shape[0] - start
    if n < 20:
        raise ValueError(
            f"washout/k_max ({start} steps) longer than the data allows: {X.shape[0]} steps "
            "leave fewer than 20 samples"
        )
    delays = np.arange(k_max + 1)
    t = np.arange(start, X.shape[0])
    targets = u[t[:, None] - delays[None, :]]  # (n, k_max + 1)
    n_train = int(round(train_fraction * n))
    if n_train < 2 or n - n_train < 2:
        raise ValueError(f"train_fraction {train_fraction} leaves an empty training or test set")
    readout = fit_ridge(X[t[:n_train]], targets[:n_train], ridge=ridge)
    pred = readout.predict(X[t[n_train:]])
    r2 = np.array([squared_correlation(targets[n_train:, i], pred[:, i]) for i in range(delays.size)])
    return MemoryCapacity(total=float(r2.sum()), delays=delays, r2=r2)


def narma10_input(n_steps, rng, low=0.0, high=0.5):
    """Input for NARMA-10: ``u(t)`` i.i.d. uniform on [low, high] (standard: [0, 0.5])."""
    if int(n_steps) != n_steps or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps}")
    if not high > low:
        raise ValueError(f"high ({high}) must exceed low ({low})")
    return rng.uniform(low, high, size=int(n_steps))


def narma10(u):
    """NARMA-10 target sequence driven by input ``u`` (Atiya & Parlos 2000; Jaeger 2003).

    ``y(t+1) = 0.3 y(t) + 0.05 y(t) * sum_{i=0}^{9} y(t-i) + 1.5 u(t-9) u(t) + 0.1``,
    with ``y`` and ``u`` zero before t = 0 (so y(0) = 0).  Alignment: ``y(t)`` depends on inputs up
    to ``u(t-1)`` only, and the reservoir state ``x(t)`` (which has seen ``u(t)``) is trained to
    output ``y(t)``.  With this standard alignment a memoryless reservoir explains nothing
    (NRMSE about 1), which is the control of docs/validation.md (Reservoirs), E2.  Raises ValueError if the
    recursion diverges (it can for inputs outside [0, 0.5]).
    """
    u = np.asarray(u, dtype=float)
    if u.ndim != 1:
        raise ValueError(f"u must be 1-D, got shape {u.shape}")
    T = u.size
    y = np.zeros(T + 9)  # 9 leading zeros hold the pre-history y(-9) .. y(-1); y[9] is y(0)
    for t in range(T - 1):
        i = t + 9
        u9 = u[t - 9] if t >= 9 else 0.0
        y[i + 1] = 0.3 * y[i] + 0.05 * y[i] * y[i - 9 : i + 1].sum() + 1.5 * u9 * u[t] + 0.1
        if not abs(y[i + 1]) < 1e3:
            raise ValueError(f"NARMA-10 recursion diverged at step {t}; use inputs in [0, 0.5]")
    return y[9:]


def delay_embedding(u, n_taps):
    """Tapped delay line: column i holds ``u(t - i)`` (zero before t = 0), i = 0 .. n_taps-1."""
    u = np.asarray(u, dtype=float)
    if u.ndim != 1:
        raise ValueError(f"u must be 1-D, got shape {u.shape}")
    if int(n_taps) != n_taps or n_taps < 1:
        raise ValueError(f"n_taps must be a positive integer, got {n_taps}")
    out = np.zeros((u.size, int(n_taps)))
    for i in range(int(n_taps)):
        out[i:, i] = u[: u.size - i]
    return out


def classification_accuracy(labels, scores, threshold=0.0):
    """Fraction of correct decisions of a readout.

    Binary case: ``labels`` in {0, 1} or {-1, +1}; a 1-D ``score`` above ``threshold`` means
    class +1 (the readout is typically trained on +/-1 targets, threshold 0).  Multi-class case:
    ``scores`` is 2-D with one column per class, ``labels`` are 0 .. n_classes-1, and the arg-max
    column is the decision.
    """
    labels = np.asarray(labels).ravel()
    scores = np.asarray(scores, dtype=float)
    if labels.size == 0:
        raise ValueError("no samples to classify")
    if scores.shape[0] != labels.size:
        raise ValueError(f"{labels.size} labels but {scores.shape[0]} scores")
    if scores.ndim == 2:
        if np.any((labels < 0) | (labels >= scores.shape[1])):
            raise ValueError(f"labels must lie in 0 .. {scores.shape[1] - 1} for {scores.shape[1]} score columns")
        return float(np.mean(np.argmax(scores, axis=1) == labels))
    if scores.ndim != 1:
        raise ValueError(f"scores must be 1-D or 2-D, got shape {scores.shape}")
    if not (np.all(np.isin(labels, (0, 1))) or np.all(np.isin(labels, (-1, 1)))):
        raise ValueError("binary labels must be in {0, 1} or {-1, +1}")
    return float(np.mean((scores > threshold) == (labels == 1)))
