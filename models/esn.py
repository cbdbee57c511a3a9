"""Rate echo-state network (Jaeger 2001, GMD Report 148; Jaeger & Haas 2004, Science 304:78).

Discrete-time reservoir, numpy reference implementation::

    x(t) = f( W x(t-1) + W_in u(t) + b ),      f = tanh  or  f = identity ("linear")

- ``W``: dense N x N matrix with i.i.d. standard Gaussian entries, rescaled so that its spectral
  radius (largest |eigenvalue|) equals ``spectral_radius``.  ``spectral_radius = 0`` gives W = 0,
  a memoryless reservoir (the NARMA-10 control of docs/validation.md (Reservoirs), E2).
- ``W_in``: N x d, i.i.d. uniform on [-input_scale, +input_scale].
- ``b``: N, i.i.d. uniform on [-bias, +bias] (``bias = 0``: no bias).

The state ``x(t)`` has already received ``u(t)``, which is the convention of
:func:`snnlearn.metrics.reservoir.memory_capacity`.  Only a linear readout of the collected
states is trained (see :mod:`snnlearn.metrics.reservoir`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from snnlearn.metrics.reservoir import one_blas_thread

__all__ = ["EchoStateNetwork", "make_esn"]

_ACTIVATIONS = ("tanh", "linear")


@dataclass(frozen=True)
class EchoStateNetwork:
    """A fixed reservoir: ``W`` (N, N), ``w_in`` (N, d), ``bias`` (N,), ``activation``."""

    W: np.ndarray
    w_in: np.ndarray
    bias: np.ndarray
    activation: str = "tanh"

    @property
    def n(self):
        """Number of reservoir units N."""
        return self.W.shape[0]

    def run(self, u, x0=None):
        """Drive the reservoir with input ``u`` and return the states, shape (T, N).

        u: (T,) for one input channel or (T, d).  x0: initial state x(-1) (default zeros).
        Row t of the result is x(t), which has seen u(0) .. u(t).
        """
        u = np.asarray(u, dtype=float)
        if u.ndim == 1:
            u = u[:, None]
        if u.ndim != 2 or u.shape[1] != self.w_in.shape[1]:
            raise ValueError(
                f"u must have shape (T,) or (T, {self.w_in.shape[1]}) for this reservoir, got {u.shape}"
            )
        if not np.all(np.isfinite(u)):
            raise ValueError("u contains NaN or inf")
        x = np.zeros(self.n) if x0 is None else np.array(x0, dtype=float)
        if x.shape != (self.n,):
            raise ValueError(f"x0 must have shape ({self.n},), got {x.shape}")
        drive = u @ self.w_in.T + self.bias  # (T, N), input part precomputed
        states = np.empty((u.shape[0], self.n))
        W = self.W
        with one_blas_thread():
            if self.activation == "tanh":
                for t in range(u.shape[0]):
                    x = np.tanh(W @ x + drive[t])
                    states[t] = x
            else:
                for t in range(u.shape[0]):
                    x = W @ x + drive[t]
                    states[t] = x
        return states


def make_esn(n, rng, spectral_radius=0.95, input_scale=0.1, bias=0.0, activation="tanh", n_inputs=1):
    """Draw an :class:`EchoStateNetwork` with N = ``n`` units from the numpy Generator ``rng``.

    spectral_radius >= 0 (the echo-state property needs < 1 for a linear reservoir; tanh
    reservoirs are usually run just below 1), input_scale >= 0, bias >= 0,
    activation in {"tanh", "linear"}.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n (number of reservoir units) must be a positive integer, got {n}")
    if not np.isfinite(spectral_radius) or spectral_radius < 0:
        raise ValueError(f"spectral_radius must be >= 0, got {spectral_radius}")
    if not np.isfinite(input_scale) or input_scale < 0:
        raise ValueError(f"input_scale must be >= 0, got {input_scale}")
    if not np.isfinite(bias) or bias < 0:
        raise ValueError(f"bias must be >= 0 (it is the half-width of a uniform draw), got {bias}")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")
    if int(n_inputs) != n_inputs or n_inputs < 1:
        raise ValueError(f"n_inputs must be a positive integer, got {n_inputs}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(seed))")
    n, n_inputs = int(n), int(n_inputs)
    W = rng.standard_normal((n, n))
    if spectral_radius == 0:
        W = np.zeros((n, n))
    else:
        with one_blas_thread():
            W *= spectral_radius / np.max(np.abs(np.linalg.eigvals(W)))
    w_in = rng.uniform(-input_scale, input_scale, size=(n, n_inputs))
    b = rng.uniform(-bias, bias, size=n) if bias > 0 else np.zeros(n)
    return EchoStateNetwork(W=W, w_in=w_in, bias=b, activation=activation)
