"""Gradient estimators for feedforward rate networks: the numpy reference.

This module is the ground truth against which the spiking learning rules of snnlearn are
compared. It estimates the gradient of a per-pattern error with respect to the weights in
five ways and counts what each costs in forward passes.

Networks (``y`` output, ``x`` input, ``t`` target, squared error ``E = ½‖y − t‖²``):

* :class:`LinearNetwork`: ``y = W x`` with ``W`` of shape ``(M, N)``.
* :class:`TwoLayerNetwork`: ``y = W2 f(W1 x)`` with ``f = tanh``, ``W1`` ``(H, N)``,
  ``W2`` ``(M, H)``, no biases.
* :class:`BernoulliLogisticLayer`: stochastic binary units, ``P(y_i = 1) = p_i =
  1/(1 + exp(−(W x)_i))``, for REINFORCE.

Estimators (all share the signature ``estimator(net, x, target, rng, sigma)`` and return a
:class:`GradientEstimate` ``(grad, n_forward)``; ``grad`` has the structure of
``net.weights`` and estimates ``∂E/∂W``, so a learning step is ``W ← W − η·grad``):

=======================  =================================================================  =========
method                   estimate ĝ                                                         passes
=======================  =================================================================  =========
``gradient``             backprop: ``δ_L = (y − t)⊙f'(a_L)``, ``δ_l = (W_{l+1}ᵀ δ_{l+1})⊙     1
                         f'(a_l)``, ``g_l = δ_l h_{l−1}ᵀ``
``node_perturbation``    ``ξ_l ~ 𝒩(0, σ²I)`` added to every unit's summed input ``a_l``;     2
                         ``ĝ_l = (E(ξ) − E(0))/σ² · ξ_l h_{l−1}ᵀ``
``weight_perturbation``  ``Ψ_l ~ 𝒩(0, σ²I)`` added to every weight at once (parallel);       2
                         ``ĝ_l = (E(W + Ψ) − E(W))/σ² · Ψ_l``
``serial_perturbation``  one weight ``k`` of the ``K`` weights, chosen uniformly, moved by    2
                         ``ψ = ±σ``; ``ĝ = K·(E(W + ψ e_k) − E(W))/σ² · ψ e_k``
=======================  =================================================================  =========

``E(0)`` is the unperturbed error measured on the *same* input ``x`` in the same call (the
baseline pass, counted in ``n_forward``); ``h_{l−1}`` is the unperturbed presynaptic
activity (``h_0 = x``). To first order in σ every perturbation estimate is unbiased,
``E[ĝ] = g``. For a fixed pattern the second moment is (Werfel, Xie & Seung 2005; derived
in docs/validation.md (Werfel, Xie & Seung 2005))::

    E‖ĝ‖² = (K + 2)‖g‖²   Gaussian perturbation of K dimensions
                          (node perturbation of a linear net: K = M; weight perturbation: K = MN)
    E‖ĝ‖² = K‖g‖²         serial perturbation (K = number of weights)
    E‖ĝ‖² = ‖g‖²          exact gradient: zero variance

The factor ``K`` in the serial estimate makes it unbiased for the whole gradient. Werfel et al.
write the serial update per weight, ``ΔW_k = −η'·∂E/∂W_k``; the two conventions are related by
``η' = K·η`` (so their optimal ``η' = 1/(N+2)`` is ``η = 1/(MN(N+2))`` here).

REINFORCE (Williams 1992): for Bernoulli-logistic units the eligibility is
``e_ij = ∂ln P(y)/∂W_ij = (y_i − p_i)·x_j`` and ``ĝ = (r − b)·e`` estimates ``∇_W E[r]``
(an *ascent* direction on the reward: ``W ← W + α·ĝ``), for any baseline ``b`` that does not
depend on ``y``. One stochastic forward pass per estimate.

Batches: leading dimensions of the weights, ``x`` and ``target`` are batch dimensions that
broadcast like numpy arrays; every batch element is an independent network and trial, with
its own perturbation. ``n_forward`` counts passes *per batch element*. Batches run many seeds,
or many perturbations of one pattern, in one call.

Learning curves (Werfel et al. 2005, linear teacher–student setting, ``x ~ 𝒩(0, I_N)``, one new
pattern per trial, ``D = W − W*``, expected error ``Ē = ½‖D‖²_F``). For an unbiased estimator with
``E‖ĝ‖² = c‖g‖²`` one trial multiplies the expected error by ``1 − 2η + η²c(N+2)``; the optimal
``η = 1/(c(N+2))`` gives the learning time (trials per e-fold of Ē) ``τ ≈ c(N+2)``:
``N+2`` (gradient), ``(M+2)(N+2)`` (node), ``(MN+2)(N+2)`` (parallel weight),
``MN(N+2)`` (serial weight). See :func:`learning_time_theory` and :func:`train`.

References: Werfel J, Xie X, Seung HS (2005) Neural Comput 17:2699–2718. Williams RJ (1992)
Machine Learning 8:229–256.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

__all__ = [
    "METHODS",
    "ESTIMATORS",
    "GradientEstimate",
    "LinearNetwork",
    "TwoLayerNetwork",
    "BernoulliLogisticLayer",
    "exact_gradient",
    "node_perturbation",
    "weight_perturbation",
    "serial_perturbation",
    "reinforce",
    "expected_reward",
    "expected_reward_gradient",
    "get_estimator",
    "perturbation_dimension",
    "second_moment_factor",
    "optimal_learning_rate",
    "decay_factor",
    "learning_time_theory",
    "LearningCurve",
    "train",
    "fit_learning_time",
]

#: The four estimators compared by Werfel et al. (2005), in order of increasing noise.
METHODS = ("gradient", "node_perturbation", "weight_perturbation", "serial_perturbation")


class GradientEstimate(NamedTuple):
    """An estimate of ``∂E/∂W`` and its cost.

    grad: same structure as ``net.weights`` (an array for a one-layer network, a tuple of
        arrays for :class:`TwoLayerNetwork`), with the batch shape of the call in front.
    n_forward: forward passes used per batch element (the backward pass of backprop is not
        counted; a perturbation estimate counts its baseline pass and its perturbed pass).
    """

    grad: object
    n_forward: int


# ----------------------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------------------


def _check_sigma(sigma) -> float:
    try:
        s = float(sigma)
    except (TypeError, ValueError):
        raise ValueError(f"sigma must be a positive number, got {sigma!r}") from None
    if not (math.isfinite(s) and s > 0):
        raise ValueError(f"sigma must be a positive finite number (perturbation size), got {sigma!r}")
    return s


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(seed)), got {type(rng).__name__}"
        )
    return rng


def _as_weight(w, name: str) -> np.ndarray:
    """Float array of at least 2 dimensions, finite; not copied when already float64."""
    a = np.asarray(w, dtype=float)
    if a.ndim < 2:
        raise ValueError(f"{name} must have at least 2 dimensions (..., outputs, inputs), got shape {a.shape}")
    if a.shape[-1] == 0 or a.shape[-2] == 0:
        raise ValueError(f"{name} must have at least one input and one output, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def _outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched outer product a bᵀ over the last axis."""
    return a[..., :, None] * b[..., None, :]


def _matvec(w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Batched matrix–vector product W v (broadcasting leading dimensions)."""
    return np.matmul(w, v[..., None])[..., 0]


# ----------------------------------------------------------------------------------------
# networks
# ----------------------------------------------------------------------------------------


def _identity(a):
    return a


def _identity_prime(a):
    return np.ones_like(a)


def _tanh_prime(a):
    return 1.0 - np.tanh(a) ** 2


class _FeedforwardNetwork:
    """Layers ``a_l = W_l h_{l−1} (+ ξ_l)``, ``h_l = f_l(a_l)``, ``h_0 = x``; error ``½‖h_L − t‖²``."""

    _activations: tuple = ()

    def __init__(self, *layers: np.ndarray) -> None:
        self._layers = list(layers)
        for l in range(1, len(layers)):
            if layers[l].shape[-1] != layers[l - 1].shape[-2]:
                raise ValueError(
                    f"layer {l + 1} expects {layers[l].shape[-1]} inputs but layer {l} has "
                    f"{layers[l - 1].shape[-2]} units (weight shapes {layers[l - 1].shape} and {layers[l].shape})"
                )
        try:
            self._batch_shape = np.broadcast_shapes(*(w.shape[:-2] for w in layers))
        except ValueError:
            raise ValueError(
                "the leading (batch) dimensions of the weight arrays do not broadcast: "
                + ", ".join(str(w.shape) for w in layers)
            ) from None

    # --- structure -----------------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        """Number of input units N."""
        return self._layers[0].shape[-1]

    @property
    def n_outputs(self) -> int:
        """Number of output units M."""
        return self._layers[-1].shape[-2]

    @property
    def batch_shape(self) -> tuple:
        """Leading batch dimensions of the weights (``()`` for a single network)."""
        return self._batch_shape

    @property
    def n_weights(self) -> int:
        """Number of weights K of one network (one batch element)."""
        return int(sum(w.shape[-1] * w.shape[-2] for w in self._layers))

    @property
    def unit_counts(self) -> tuple:
        """Number of units in each layer (the dimensions node perturbation perturbs)."""
        return tuple(w.shape[-2] for w in self._layers)

    def _pack(self, arrays):
        raise NotImplementedError

    def with_weights(self, weights):
        """A network of the same kind with other weights (same structure as ``weights``)."""
        raise NotImplementedError

    # --- computation ---------------------------------------------------------------------
    def _check_io(self, x, target=None):
        x = np.asarray(x, dtype=float)
        if x.ndim < 1 or x.shape[-1] != self.n_inputs:
            raise ValueError(
                f"input x must have {self.n_inputs} entries on its last axis (the network's inputs), got shape {x.shape}"
            )
        shapes = [self._batch_shape, x.shape[:-1]]
        if target is not None:
            target = np.asarray(target, dtype=float)
            if target.ndim < 1 or target.shape[-1] != self.n_outputs:
                raise ValueError(
                    f"target must have {self.n_outputs} entries on its last axis (the network's outputs), "
                    f"got shape {target.shape}"
                )
            shapes.append(target.shape[:-1])
        try:
            batch = np.broadcast_shapes(*shapes)
        except ValueError:
            raise ValueError(
                f"batch shapes of weights {self._batch_shape}, x {x.shape} and target "
                f"{None if target is None else target.shape} do not broadcast"
            ) from None
        return x, target, batch

    def _run(self, x, layers, node_noise=None):
        """Forward pass: presynaptic activities ``[h_0 .. h_L]`` and summed inputs ``[a_1 .. a_L]``."""
        hs, pre = [x], []
        h = x
        for l, w in enumerate(layers):
            a = _matvec(w, h)
            if node_noise is not None:
                a = a + node_noise[l]
            pre.append(a)
            h = self._activations[l][0](a)
            hs.append(h)
        return hs, pre

    @staticmethod
    def _error(y, target):
        return 0.5 * np.sum((y - target) ** 2, axis=-1)

    def forward(self, x) -> np.ndarray:
        """Output ``y`` for input ``x`` (shape ``(..., N)``)."""
        x, _, _ = self._check_io(x)
        return self._run(x, self._layers)[0][-1]

    def loss(self, x, target) -> np.ndarray:
        """Squared error ``E = ½‖y(x) − target‖²`` (one value per batch element)."""
        x, target, _ = self._check_io(x, target)
        return self._error(self._run(x, self._layers)[0][-1], target)

    def _backprop(self, x, target, hs, pre):
        n = len(self._layers)
        grads = [None] * n
        delta = (hs[-1] - target) * self._activations[-1][1](pre[-1])
        grads[-1] = _outer(delta, hs[-2])
        for l in range(n - 2, -1, -1):
            delta = _matvec(np.swapaxes(self._layers[l + 1], -1, -2), delta) * self._activations[l][1](pre[l])
            grads[l] = _outer(delta, hs[l])
        return grads


class LinearNetwork(_FeedforwardNetwork):
    """Linear perceptron ``y = W x`` (Werfel et al. 2005).

    W: weights of shape ``(..., M, N)`` (M outputs, N inputs; leading dimensions are a batch of
        independent networks). Stored without copying when already a float64 array, so the
        caller may update ``net.weights`` in place.
    """

    _activations = ((_identity, _identity_prime),)

    def __init__(self, W) -> None:
        super().__init__(_as_weight(W, "W"))

    @property
    def weights(self) -> np.ndarray:
        """The weight array ``W``."""
        return self._layers[0]

    def _pack(self, arrays):
        return arrays[0]

    def with_weights(self, weights):
        return LinearNetwork(weights)

    def __repr__(self) -> str:
        return f"LinearNetwork(M={self.n_outputs}, N={self.n_inputs}, batch={self.batch_shape})"


class TwoLayerNetwork(_FeedforwardNetwork):
    """Rate network with one hidden layer, ``y = W2 tanh(W1 x)`` (no biases).

    W1: input-to-hidden weights ``(..., H, N)``; W2: hidden-to-output weights ``(..., M, H)``.
    """

    _activations = ((np.tanh, _tanh_prime), (_identity, _identity_prime))

    def __init__(self, W1, W2) -> None:
        super().__init__(_as_weight(W1, "W1"), _as_weight(W2, "W2"))

    @property
    def weights(self) -> tuple:
        """The tuple ``(W1, W2)``."""
        return tuple(self._layers)

    @property
    def n_hidden(self) -> int:
        """Number of hidden units H."""
        return self._layers[0].shape[-2]

    def _pack(self, arrays):
        return tuple(arrays)

    def with_weights(self, weights):
        if not (isinstance(weights, (tuple, list)) and len(weights) == 2):
            raise ValueError("TwoLayerNetwork weights must be a pair (W1, W2)")
        return TwoLayerNetwork(*weights)

    def __repr__(self) -> str:
        return (
            f"TwoLayerNetwork(N={self.n_inputs}, H={self.n_hidden}, M={self.n_outputs}, batch={self.batch_shape})"
        )


def _check_net(net) -> _FeedforwardNetwork:
    if not isinstance(net, _FeedforwardNetwork):
        raise ValueError(f"net must be a LinearNetwork or TwoLayerNetwork, got {type(net).__name__}")
    return net


# ----------------------------------------------------------------------------------------
# estimators of ∂E/∂W
# ----------------------------------------------------------------------------------------


def exact_gradient(net, x, target, rng=None, sigma=None) -> GradientEstimate:
    """Exact gradient ``∂E/∂W`` by backpropagation (one forward pass, one backward pass).

    ``δ_L = (y − t)⊙f'(a_L)``, ``δ_l = (W_{l+1}ᵀ δ_{l+1})⊙f'(a_l)``, ``∂E/∂W_l = δ_l h_{l−1}ᵀ``; for the
    linear network ``∂E/∂W = (W x − t) xᵀ``. ``rng`` and ``sigma`` are accepted (and ignored) so that
    every estimator has the same signature.
    """
    net = _check_net(net)
    x, target, _ = net._check_io(x, target)
    hs, pre = net._run(x, net._layers)
    return GradientEstimate(net._pack(net._backprop(x, target, hs, pre)), 1)


def node_perturbation(net, x, target, rng, sigma) -> GradientEstimate:
    """Node perturbation: perturb every unit's summed input, correlate the error change.

    ``ξ_l ~ 𝒩(0, σ²I)`` is added to ``a_l = W_l h_{l−1}`` in every layer in one perturbed pass;
    ``ĝ_l = (E(ξ) − E(0))/σ² · ξ_l h_{l−1}ᵀ`` with the baseline ``E(0)`` and the presynaptic
    activities ``h_{l−1}`` taken from the unperturbed pass on the same ``x``. Two forward passes.
    For a linear network ``E‖ĝ‖² = (M+2)‖g‖²`` as σ → 0 (Werfel et al. 2005).
    """
    net = _check_net(net)
    sigma = _check_sigma(sigma)
    rng = _check_rng(rng)
    x, target, _ = net._check_io(x, target)
    hs0, pre0 = net._run(x, net._layers)
    e0 = net._error(hs0[-1], target)
    noise = [sigma * rng.standard_normal(a.shape) for a in pre0]
    e1 = net._error(net._run(x, net._layers, node_noise=noise)[0][-1], target)
    coef = (e1 - e0) / sigma**2
    grads = [coef[..., None, None] * _outer(xi, h) for xi, h in zip(noise, hs0[:-1])]
    return GradientEstimate(net._pack(grads), 2)


def weight_perturbation(net, x, target, rng, sigma) -> GradientEstimate:
    """Parallel weight perturbation: perturb all weights at once.

    ``Ψ ~ 𝒩(0, σ²I_K)`` over all K weights; ``ĝ = (E(W + Ψ) − E(W))/σ² · Ψ``, with both errors on
    the same ``x``. Two forward passes. ``E‖ĝ‖² = (K+2)‖g‖²`` as σ → 0, K = MN for a linear network.
    """
    net = _check_net(net)
    sigma = _check_sigma(sigma)
    rng = _check_rng(rng)
    x, target, batch = net._check_io(x, target)
    e0 = net._error(net._run(x, net._layers)[0][-1], target)
    psi = [sigma * rng.standard_normal(batch + w.shape[-2:]) for w in net._layers]
    e1 = net._error(net._run(x, [w + p for w, p in zip(net._layers, psi)])[0][-1], target)
    coef = ((e1 - e0) / sigma**2)[..., None, None]
    return GradientEstimate(net._pack([coef * p for p in psi]), 2)


def serial_perturbation(net, x, target, rng, sigma) -> GradientEstimate:
    """Serial weight perturbation: perturb one weight per trial.

    A weight ``k`` is drawn uniformly among the K weights and moved by ``ψ = ±σ`` (random sign);
    ``ĝ = K·(E(W + ψ e_k) − E(W))/σ² · ψ e_k``. Only entry ``k`` is non-zero. The factor K makes the
    estimate unbiased for the whole gradient (``E[ĝ] = g``) and ``E‖ĝ‖² = K‖g‖²``; a step
    ``−η ĝ`` equals Werfel et al.'s per-weight step with ``η' = K·η``. Two forward passes.
    """
    net = _check_net(net)
    sigma = _check_sigma(sigma)
    rng = _check_rng(rng)
    x, target, batch = net._check_io(x, target)
    e0 = net._error(net._run(x, net._layers)[0][-1], target)
    n_weights = net.n_weights
    index = rng.integers(0, n_weights, size=batch)
    sign = rng.choice(np.array([-1.0, 1.0]), size=batch)
    flat = np.zeros(batch + (n_weights,))
    np.put_along_axis(flat, index[..., None], (sign * sigma)[..., None], axis=-1)
    psi, start = [], 0
    for w in net._layers:
        size = w.shape[-1] * w.shape[-2]
        psi.append(flat[..., start : start + size].reshape(batch + w.shape[-2:]))
        start += size
    e1 = net._error(net._run(x, [w + p for w, p in zip(net._layers, psi)])[0][-1], target)
    coef = (n_weights * (e1 - e0) / sigma**2)[..., None, None]
    return GradientEstimate(net._pack([coef * p for p in psi]), 2)


#: Estimators by method name (see :data:`METHODS`).
ESTIMATORS: dict[str, Callable[..., GradientEstimate]] = {
    "gradient": exact_gradient,
    "node_perturbation": node_perturbation,
    "weight_perturbation": weight_perturbation,
    "serial_perturbation": serial_perturbation,
}


def get_estimator(method: str) -> Callable[..., GradientEstimate]:
    """The estimator function for a method name in :data:`METHODS`."""
    try:
        return ESTIMATORS[method]
    except (KeyError, TypeError):
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}") from None


# ----------------------------------------------------------------------------------------
# REINFORCE
# ----------------------------------------------------------------------------------------


class BernoulliLogisticLayer:
    """Stochastic binary units: ``y_i ∈ {0, 1}``, ``P(y_i = 1) = p_i = 1/(1 + exp(−(W x)_i))``.

    W: weights ``(M, N)`` (M units, N inputs).
    """

    def __init__(self, W) -> None:
        self.W = _as_weight(W, "W")
        if self.W.ndim != 2:
            raise ValueError(f"W must have shape (units, inputs), got {self.W.shape}")

    @property
    def n_inputs(self) -> int:
        return self.W.shape[1]

    @property
    def n_units(self) -> int:
        return self.W.shape[0]

    def _check_x(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if x.ndim < 1 or x.shape[-1] != self.n_inputs:
            raise ValueError(f"input x must have {self.n_inputs} entries on its last axis, got shape {x.shape}")
        return x

    def probabilities(self, x) -> np.ndarray:
        """Firing probabilities ``p = 1/(1 + exp(−W x))``, shape ``(..., M)``."""
        a = _matvec(self.W, self._check_x(x))
        return 0.5 * (1.0 + np.tanh(0.5 * a))  # the logistic function, without overflow

    def sample(self, x, rng) -> np.ndarray:
        """One binary output ``y`` (floats 0/1) per input row."""
        p = self.probabilities(x)
        return (_check_rng(rng).random(p.shape) < p).astype(float)


def reinforce(layer, x, reward: Callable, rng, baseline=0.0) -> GradientEstimate:
    """REINFORCE estimate of ``∇_W E[r]`` for a Bernoulli-logistic layer (Williams 1992).

    Samples ``y`` (one stochastic forward pass), computes ``r = reward(y)`` and returns
    ``ĝ = (r − b)·e`` with the eligibility ``e_ij = ∂ln P(y)/∂W_ij = (y_i − p_i)·x_j``. Unbiased,
    ``E[ĝ] = ∇_W E[r]``, for every baseline ``b`` that does not depend on ``y``; a good baseline
    (``b = E[r]``) only lowers the variance. Ascend the reward with ``W ← W + α·ĝ``.

    reward: function of ``y`` (shape ``(..., M)``) returning one reward per row (shape ``(...)``).
    baseline: scalar or array broadcastable to the batch shape of ``x``.
    """
    if not isinstance(layer, BernoulliLogisticLayer):
        raise ValueError(f"layer must be a BernoulliLogisticLayer, got {type(layer).__name__}")
    if not callable(reward):
        raise ValueError("reward must be a function of the binary output y")
    x = layer._check_x(x)
    p = layer.probabilities(x)
    y = (_check_rng(rng).random(p.shape) < p).astype(float)
    r = np.asarray(reward(y), dtype=float)
    if r.shape != y.shape[:-1]:
        raise ValueError(f"reward(y) must return one value per sample, shape {y.shape[:-1]}, got {r.shape}")
    b = np.asarray(baseline, dtype=float)
    try:
        adv = np.broadcast_to(r - b, r.shape)
    except ValueError:
        raise ValueError(f"baseline of shape {b.shape} does not broadcast to the reward shape {r.shape}") from None
    return GradientEstimate(adv[..., None, None] * _outer(y - p, x), 1)


def _all_outputs(n_units: int) -> np.ndarray:
    if n_units > 16:
        raise ValueError(f"exact enumeration needs at most 16 units (2^M outcomes), got {n_units}")
    codes = np.arange(2**n_units)
    return ((codes[:, None] >> np.arange(n_units)) & 1).astype(float)


def expected_reward(layer, x, reward: Callable) -> float:
    """``E[r] = Σ_y r(y) P(y | x)`` by enumerating all ``2^M`` outputs (single input x)."""
    x = layer._check_x(x)
    if x.ndim != 1:
        raise ValueError(f"expected_reward takes a single input vector, got shape {x.shape}")
    ys = _all_outputs(layer.n_units)
    p = layer.probabilities(x)
    prob = np.prod(np.where(ys > 0, p, 1.0 - p), axis=1)
    return float(np.sum(prob * np.asarray(reward(ys), dtype=float)))


def expected_reward_gradient(layer, x, reward: Callable) -> np.ndarray:
    """Exact ``∇_W E[r] = Σ_y r(y) P(y | x) (y − p) xᵀ`` by enumerating all ``2^M`` outputs."""
    x = layer._check_x(x)
    if x.ndim != 1:
        raise ValueError(f"expected_reward_gradient takes a single input vector, got shape {x.shape}")
    ys = _all_outputs(layer.n_units)
    p = layer.probabilities(x)
    prob = np.prod(np.where(ys > 0, p, 1.0 - p), axis=1)
    weighted = (prob * np.asarray(reward(ys), dtype=float))[:, None] * (ys - p)
    return np.outer(weighted.sum(axis=0), x)


# ----------------------------------------------------------------------------------------
# theory for the linear teacher–student setting (Werfel et al. 2005)
# ----------------------------------------------------------------------------------------


def _check_size(n_inputs, n_outputs):
    for name, v in (("n_inputs", n_inputs), ("n_outputs", n_outputs)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return int(n_inputs), int(n_outputs)


def perturbation_dimension(method: str, n_inputs: int, n_outputs: int) -> int:
    """K, the number of perturbed dimensions of a linear ``M × N`` network: 0 (gradient), M (node), MN (weight)."""
    get_estimator(method)
    n, m = _check_size(n_inputs, n_outputs)
    return {"gradient": 0, "node_perturbation": m}.get(method, m * n)


def second_moment_factor(method: str, n_inputs: int, n_outputs: int) -> int:
    """``c = E‖ĝ‖²/‖g‖²`` for a fixed pattern: 1, M+2, MN+2, MN (gradient, node, weight, serial)."""
    k = perturbation_dimension(method, n_inputs, n_outputs)
    if method == "gradient":
        return 1
    if method == "serial_perturbation":
        return k
    return k + 2


def optimal_learning_rate(method: str, n_inputs: int, n_outputs: int) -> float:
    """``η* = 1/(c(N+2))``, the learning rate that maximises the decay of the expected error."""
    c = second_moment_factor(method, n_inputs, n_outputs)
    return 1.0 / (c * (_check_size(n_inputs, n_outputs)[0] + 2))


def decay_factor(method: str, n_inputs: int, n_outputs: int, eta: float) -> float:
    """``⟨Ē_{t+1}⟩/Ē_t = 1 − 2η + η²c(N+2)`` (σ → 0, Gaussian inputs)."""
    c = second_moment_factor(method, n_inputs, n_outputs)
    return 1.0 - 2.0 * eta + eta**2 * c * (_check_size(n_inputs, n_outputs)[0] + 2)


def learning_time_theory(method: str, n_inputs: int, n_outputs: int, eta: float | None = None) -> float:
    """Learning time τ in trials per e-fold of the expected error.

    With ``eta=None``: the formula at the optimal learning rate, ``τ = c(N+2)`` (docs/validation.md, Werfel, Xie & Seung 2005:
    N+2, (M+2)(N+2), (MN+2)(N+2), MN(N+2)); the exact decay time there is ``c(N+2) − ½ + O(1/c(N+2))``.
    With ``eta``: the exact ``−1/ln(1 − 2η + η²c(N+2))`` (``inf`` when the error does not decay).
    """
    if eta is None:
        return float(second_moment_factor(method, n_inputs, n_outputs) * (_check_size(n_inputs, n_outputs)[0] + 2))
    r = decay_factor(method, n_inputs, n_outputs, float(eta))
    if not (0.0 < r < 1.0):
        return math.inf
    return -1.0 / math.log(r)


# ----------------------------------------------------------------------------------------
# training (linear teacher–student) and learning-time fits
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LearningCurve:
    """Expected error during online training of a linear student on a linear teacher.

    trials: ``(R,)`` trial counts at which the error was recorded (starts with 0).
    errors: ``(R, n_seeds)`` expected error ``Ē = ½‖W − W*‖²_F`` per seed after that many trials.
    forward_passes: ``(R,)`` forward passes used by one network up to that trial.
    """

    method: str
    eta: float
    sigma: float
    n_inputs: int
    n_outputs: int
    trials: np.ndarray
    errors: np.ndarray
    forward_passes: np.ndarray

    @property
    def mean_error(self) -> np.ndarray:
        """Seed-averaged expected error ``⟨Ē⟩`` at each recorded trial."""
        return self.errors.mean(axis=1)

    @property
    def forward_passes_per_trial(self) -> float:
        """Forward passes per trial, as counted by the estimator."""
        if self.trials[-1] == 0:
            return float("nan")
        return float(self.forward_passes[-1] / self.trials[-1])

    def learning_time(self, max_trial: float | None = None) -> float:
        """τ in trials from a fit of ``log⟨Ē⟩`` against trial (see :func:`fit_learning_time`)."""
        return fit_learning_time(self.trials, self.errors, max_trial=max_trial)


def train(
    method: str,
    n_inputs: int,
    n_outputs: int,
    eta: float,
    n_trials: int,
    rng: np.random.Generator,
    sigma: float = 1e-3,
    n_seeds: int = 1,
    record_every: int = 1,
) -> LearningCurve:
    """Online learning of a random linear teacher with one estimator (Werfel et al. 2005).

    Each seed (all run in parallel as a batch) draws a teacher ``W*`` with entries
    ``𝒩(0, 1/N)`` and starts from ``W = 0``. Each trial draws ``x ~ 𝒩(0, I_N)``, sets the target
    ``t = W* x``, estimates the gradient of ``E = ½‖W x − t‖²`` and steps ``W ← W − η ĝ``.
    The teacher and the inputs come from one child stream of ``rng`` and the perturbations from
    another, so methods trained with equal seeds see the same teachers and inputs.

    method: one of :data:`METHODS`. eta: learning rate (see :func:`optimal_learning_rate`).
    sigma: perturbation size (dimensionless, in units of the summed input / weight).
    Returns a :class:`LearningCurve` of ``Ē = ½‖W − W*‖²_F`` every ``record_every`` trials.
    """
    estimator = get_estimator(method)
    n_inputs, n_outputs = _check_size(n_inputs, n_outputs)
    sigma = _check_sigma(sigma)
    rng = _check_rng(rng)
    eta = float(eta)
    if not (math.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be a positive learning rate, got {eta!r}")
    for name, v in (("n_trials", n_trials), ("n_seeds", n_seeds), ("record_every", record_every)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < (0 if name == "n_trials" else 1):
            raise ValueError(f"{name} must be a {'non-negative' if name == 'n_trials' else 'positive'} integer, got {v!r}")
    task_rng, noise_rng = rng.spawn(2)
    w_star = task_rng.standard_normal((n_seeds, n_outputs, n_inputs)) / math.sqrt(n_inputs)
    w = np.zeros_like(w_star)
    net = LinearNetwork(w)  # shares memory with w: the updates below act on net.weights

    n_records = n_trials // record_every + 1
    trials = np.arange(n_records) * record_every
    errors = np.empty((n_records, n_seeds))
    passes = np.zeros(n_records)
    errors[0] = 0.5 * np.sum(w_star**2, axis=(1, 2))
    n_forward = 0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, n_trials + 1):
            x = task_rng.standard_normal((n_seeds, n_inputs))
            target = _matvec(w_star, x)
            grad, used = estimator(net, x, target, noise_rng, sigma)
            w -= eta * grad
            n_forward += used
            if t % record_every == 0:
                r = t // record_every
                errors[r] = 0.5 * np.sum((w - w_star) ** 2, axis=(1, 2))
                passes[r] = n_forward
    return LearningCurve(method, eta, sigma, n_inputs, n_outputs, trials, errors, passes)


def fit_learning_time(trials, errors, max_trial: float | None = None) -> float:
    """Learning time τ from a least-squares line through ``log⟨Ē⟩`` against trial: ``τ = −1/slope``.

    ``errors`` of shape ``(R,)`` or ``(R, n_seeds)``; with seeds, the *seed-averaged* error is
    fitted (fitting the mean of ``log Ē`` instead biases τ low by about 4 %).
    ``max_trial`` limits the fit to trials ≤ max_trial. Returns ``inf`` when the error does not decay.
    """
    t = np.asarray(trials, dtype=float)
    e = np.asarray(errors, dtype=float)
    if e.ndim == 2:
        e = e.mean(axis=1)
    if t.ndim != 1 or e.shape != t.shape:
        raise ValueError(f"trials {t.shape} and errors {np.shape(errors)} do not match")
    keep = np.ones_like(t, dtype=bool) if max_trial is None else t <= max_trial
    if keep.sum() < 3:
        raise ValueError(f"need at least 3 recorded points to fit a learning time, got {int(keep.sum())}")
    t, e = t[keep], e[keep]
    if not np.all(np.isfinite(e)) or np.any(e <= 0):
        raise ValueError("the error is not finite and positive over the fit window (did training diverge?)")
    slope = np.polyfit(t, np.log(e), 1)[0]
    return math.inf if slope >= 0 else float(-1.0 / slope)
