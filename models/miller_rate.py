"""Correlation-based development of ocular dominance (Miller, Keller & Stryker 1989), numpy.

The rate model of docs/validation.md (ocular dominance). Two eyes (mu in {L, R}) project onto a cortical ring
(``shape = (N,)``) or periodic sheet (``shape = (H, W)``); there is one geniculate (LGN) input
per eye at every cortical lattice position. ``S^mu(x, alpha)`` is the weight from the LGN input
of eye mu at position alpha onto cortical cell x, nonzero only inside the arbor
``A(x, alpha) = [|x - alpha| <= R]``. One step of the dynamics is

1. Hebbian drive  ``H^L = I * (C_same S^L + C_opp S^R)`` (and L <-> R),
   ``H^mu(x, alpha) = sum_y sum_beta I(x - y) C(alpha - beta) S(y, beta)``, with the intracortical
   interaction ``I(d) = G(d; sigma_E) - 1/3 G(d; 3 sigma_E)`` (``G`` the unnormalised Gaussian,
   peak 1), within-eye correlation ``C_same(d) = G(d; sigma_C)`` and between-eye correlation
   ``C_opp = opp_corr * C_same`` (0: independent eyes, 1: identical eyes, -0.5: anticorrelated);
2. ``dS = eta * act * H`` on the active (not yet saturated) synapses ``act``;
3. subtractive normalisation over the active synapses of each cell:
   ``dS <- act * (dS - sum_act dS / n_act)``, so that ``sum_{alpha, mu} S`` is unchanged;
4. ``S <- clip(S + dS, 0, s_max)``; a synapse that reaches 0 or ``s_max`` is frozen for good;
5. stop when ``stop_fraction`` (90 %) of the synapses are frozen, or after ``max_steps``.

The drive is computed in arbor coordinates ``S(x, a) = S(x, x + a)`` with Fourier transforms
over x: ``H^(k, a) = sum_b K_k(a, b) S^(k, b)`` with the same matrix
``K_k(a, b) = sum_d I(d) e^{-ikd} C(d + a - b)`` whose top eigenvalue gives the linear-stability
prediction of the OD wavelength (:func:`snnlearn.metrics.maps.od_wavelength_theory`).
Cost per step: O(N_cells (n_a^2 + n_a log N_cells)) with n_a synapses per arbor and eye.

Reference: Miller KD, Keller JB, Stryker MP (1989), Ocular dominance column development:
analysis and simulation, Science 245:605-615. Checks O1 and O2 of docs/validation.md.
"""
from dataclasses import dataclass, field, asdict

import numpy as np

from snnlearn.metrics.maps import mexican_hat, od_index

__all__ = ["MillerParams", "MillerResult", "MillerModel", "simulate", "arbor_offsets"]


def _check(cond, msg):
    if not cond:
        raise ValueError(msg)


@dataclass(frozen=True)
class MillerParams:
    """Parameters of the Miller-Keller-Stryker rate model (defaults: the reference runs of docs/validation.md, ocular dominance).

    ======================  =========  ==============================================================
    name                    default    meaning (distances in cortical cells; weights dimensionless)
    ======================  =========  ==============================================================
    shape                   (256,)     cortical lattice: (N,) ring or (H, W) periodic sheet
    arbor_radius            6          arbor radius R: |x - alpha| <= R (13 inputs per eye in 1-D)
    sigma_E                 2.0        width of the intracortical Mexican hat I
    sigma_C                 2.0        width of the within-eye correlation C_same
    opp_corr                0.0        C_opp = opp_corr * C_same (1: identical eyes; -0.5: anticorr.)
    s_max                   4.0        upper weight bound
    s_init                  1.0        mean initial weight
    init_noise              0.1        initial weights s_init * (1 + init_noise * U(-1, 1))
    eta                     0.002      learning rate per step
    stop_fraction           0.9        stop when this fraction of synapses is frozen at a bound
    max_steps               20000      hard limit on the number of steps
    ======================  =========  ==============================================================

    The reference runs do not state the initial condition. ``s_init = 1``, ``init_noise = 0.1``
    reproduces its reference runs (N = 256, 4-8 seeds: mean|ODI| 0.92 / 0.58 / 0.77 and about
    980 / 660 / 450 steps for sigma_E = 1 / 2 / 3; reference 0.92 / 0.57 / 0.76 and ~1000 / 670 /
    480; O2 controls 0.003 / 0.93 / 0.99, reference 0.003 / 0.92 / 0.99). Segregation at
    sigma_E = 2 depends on it (init_noise 0.05: 0.42; 0.2: 0.72): the uniform initial weights
    feel a noise-independent drive on the arbor profile that competes with the noise-seeded
    left-minus-right mode for the synapses' way to the bounds.
    """

    shape: tuple = (256,)
    arbor_radius: float = 6
    sigma_E: float = 2.0
    sigma_C: float = 2.0
    opp_corr: float = 0.0
    s_max: float = 4.0
    s_init: float = 1.0
    init_noise: float = 0.1
    eta: float = 0.002
    stop_fraction: float = 0.9
    max_steps: int = 20000

    def __post_init__(self):
        shape = self.shape
        if np.isscalar(shape):
            shape = (shape,)
        try:
            shape = tuple(int(s) for s in shape)
        except (TypeError, ValueError):
            raise ValueError(f"MillerParams: shape must be (N,) or (H, W), got {self.shape!r}") from None
        object.__setattr__(self, "shape", shape)
        _check(len(shape) in (1, 2) and min(shape) >= 4,
               f"MillerParams: shape must be (N,) or (H, W) with sizes >= 4, got {self.shape!r}")
        r = float(self.arbor_radius)
        _check(np.isfinite(r) and r >= 0,
               f"MillerParams: arbor_radius must be >= 0, got {self.arbor_radius!r}")
        _check(2 * r < min(shape), f"MillerParams: arbor_radius={r:g} must be < N/2 = {min(shape) / 2:g} "
               "(the arbor would wrap around the cortex)")
        for name in ("sigma_E", "sigma_C", "s_max", "s_init", "eta"):
            v = float(getattr(self, name))
            _check(np.isfinite(v) and v > 0, f"MillerParams: {name} must be > 0, got {getattr(self, name)!r}")
        _check(np.isfinite(float(self.opp_corr)),
               f"MillerParams: opp_corr must be finite, got {self.opp_corr!r}")
        _check(0 <= float(self.init_noise) < 1,
               f"MillerParams: init_noise must be in [0, 1), got {self.init_noise!r}")
        _check(self.s_init < self.s_max,
               f"MillerParams: s_init={self.s_init!r} must be < s_max={self.s_max!r}")
        _check(self.s_init * (1 + self.init_noise) < self.s_max,
               "MillerParams: s_init * (1 + init_noise) must be < s_max (initial weights at the bound)")
        _check(0 < float(self.stop_fraction) <= 1,
               f"MillerParams: stop_fraction must be in (0, 1], got {self.stop_fraction!r}")
        _check(int(self.max_steps) == self.max_steps and self.max_steps >= 1,
               f"MillerParams: max_steps must be a positive integer, got {self.max_steps!r}")


def arbor_offsets(radius, ndim):
    """Integer offsets ``a`` with ``|a| <= radius`` (Euclidean), shape ``(n_a, ndim)``."""
    r = int(np.floor(radius))
    grids = np.meshgrid(*[np.arange(-r, r + 1)] * ndim, indexing="ij")
    a = np.stack([g.ravel() for g in grids], axis=1)
    return a[np.sum(a ** 2, axis=1) <= radius ** 2 + 1e-9]


def _displacements(shape):
    """Wrapped displacement of every lattice site from the origin, shape ``shape + (ndim,)``."""
    axes = [np.where(np.arange(n) < (n + 1) // 2, np.arange(n), np.arange(n) - n) for n in shape]
    grids = np.meshgrid(*axes, indexing="ij")
    return np.stack(grids, axis=-1)


def _wrap(d, shape):
    n = np.asarray(shape)
    return (d + n // 2) % n - n // 2


@dataclass
class MillerResult:
    """Outcome of :func:`simulate`.

    ``s_left``/``s_right``: final weights in arbor coordinates, shape ``(n_cells, n_a)``
    (``s[x, k]`` is the weight from the LGN input at ``x + offsets[k]``); ``odi``: final ODI
    map of ``shape``; ``steps``: steps taken; ``frozen_fraction``: fraction of synapses at a
    bound; ``converged``: ``frozen_fraction >= stop_fraction``; ``history_steps``/``history_odi``:
    ODI maps recorded during development (with ``record_every > 0``).
    """

    params: MillerParams
    offsets: np.ndarray
    s_left: np.ndarray
    s_right: np.ndarray
    odi: np.ndarray
    steps: int
    frozen_fraction: float
    converged: bool
    history_steps: list = field(default_factory=list)
    history_odi: list = field(default_factory=list)

    def full_weights(self):
        """Dense weight matrices ``(w_left, w_right)``, each ``(n_inputs, n_cells)`` with
        ``w[alpha, x]`` the weight from LGN position ``alpha`` (flat, row-major) to cell ``x``."""
        return _to_full(self.s_left, self.offsets, self.params.shape), \
            _to_full(self.s_right, self.offsets, self.params.shape)

    def summary(self):
        """JSON-friendly dict of the parameters and scalar outcomes."""
        d = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self.params).items()}
        return {"params": d, "steps": int(self.steps), "frozen_fraction": float(self.frozen_fraction),
                "converged": bool(self.converged), "mean_abs_odi": float(np.mean(np.abs(self.odi)))}


def _to_full(s, offsets, shape):
    n_cells = int(np.prod(shape))
    cells = np.stack(np.unravel_index(np.arange(n_cells), shape), axis=1)    # (n_cells, ndim)
    src = (cells[:, None, :] + offsets[None, :, :]) % np.asarray(shape)     # (n_cells, n_a, ndim)
    src_flat = np.ravel_multi_index(tuple(np.moveaxis(src, -1, 0)), shape)
    w = np.zeros((n_cells, n_cells))
    np.add.at(w, (src_flat.ravel(), np.repeat(np.arange(n_cells), offsets.shape[0])), s.ravel())
    return w


class MillerModel:
    """Precomputed operators of the model for one :class:`MillerParams`.

    ``drive(s_left, s_right)`` returns the Hebbian drive ``(H^L, H^R)`` in arbor coordinates;
    ``step(state)`` advances one step in place; :func:`simulate` runs to saturation.
    """

    def __init__(self, params=None, **kwargs):
        if params is None:
            params = MillerParams(**kwargs)
        elif kwargs:
            raise ValueError("MillerModel: pass either a MillerParams or keyword parameters, not both")
        if not isinstance(params, MillerParams):
            raise ValueError(f"MillerModel: params must be a MillerParams, got {type(params).__name__}")
        self.params = p = params
        self.shape = p.shape
        self.ndim = len(p.shape)
        self.n_cells = int(np.prod(p.shape))
        self.offsets = arbor_offsets(p.arbor_radius, self.ndim)
        self.n_a = self.offsets.shape[0]
        self._axes = tuple(range(self.ndim))
        # K^_k(a, b) = sum_d I(d) e^{-ikd} C_same(d + a - b): one real kernel per difference a - b
        disp = _displacements(p.shape)                                    # shape + (ndim,)
        i_d = mexican_hat(np.sqrt(np.sum(disp.astype(float) ** 2, -1)), p.sigma_E)
        diffs = self.offsets[:, None, :] - self.offsets[None, :, :]       # (n_a, n_a, ndim)
        uniq, inv = np.unique(diffs.reshape(-1, self.ndim), axis=0, return_inverse=True)
        k_hat = []
        for delta in uniq:
            dd = _wrap(disp + delta, p.shape).astype(float)
            c = np.exp(-np.sum(dd ** 2, -1) / (2 * p.sigma_C ** 2))
            k_hat.append(np.fft.rfftn(i_d * c, axes=self._axes))
        k_hat = np.stack(k_hat, axis=-1)                                   # freq shape + (n_uniq,)
        self._k_hat = k_hat[..., inv.reshape(self.n_a, self.n_a)]          # freq shape + (n_a, n_a)

    def drive(self, s_left, s_right):
        """Hebbian drive ``H^L = I*(C_same S^L + C_opp S^R)``, ``H^R`` likewise, arbor coordinates
        ``(n_cells, n_a)``; see the module docstring."""
        c = float(self.params.opp_corr)
        grid = self.shape + (self.n_a,)
        f_l = np.fft.rfftn(np.reshape(s_left, grid), axes=self._axes)
        f_r = np.fft.rfftn(np.reshape(s_right, grid), axes=self._axes)
        h_l = np.einsum("...ab,...b->...a", self._k_hat, f_l + c * f_r)
        h_r = np.einsum("...ab,...b->...a", self._k_hat, f_r + c * f_l)
        out = [np.fft.irfftn(h, s=self.shape, axes=self._axes).reshape(self.n_cells, self.n_a)
               for h in (h_l, h_r)]
        return out[0], out[1]

    def initial_state(self, rng):
        """Initial weights ``s_init (1 + init_noise U(-1, 1))`` and all synapses active."""
        p = self.params
        size = (2, self.n_cells, self.n_a)
        s = p.s_init * (1 + p.init_noise * rng.uniform(-1.0, 1.0, size=size))
        return {"s": s, "active": np.ones(size, dtype=bool), "step": 0}

    def step(self, state):
        """One step (Hebbian drive, subtractive normalisation over active synapses, clipping,
        freezing) applied to ``state`` in place; returns ``state``."""
        p = self.params
        s, act = state["s"], state["active"]
        h_l, h_r = self.drive(s[0], s[1])
        ds = p.eta * np.stack([h_l, h_r]) * act
        n_act = act.sum(axis=(0, 2))                                     # per cell, both eyes
        mean = np.divide(ds.sum(axis=(0, 2)), n_act, out=np.zeros(self.n_cells), where=n_act > 0)
        ds = act * (ds - mean[None, :, None])
        np.clip(s + ds, 0.0, p.s_max, out=s)
        act &= (s > 0.0) & (s < p.s_max)
        state["step"] += 1
        return state

    def odi(self, state):
        """ODI map of ``shape`` from the state's weights (summed over each arbor)."""
        return od_index(state["s"][0], state["s"][1], axis=-1).reshape(self.shape)

    def run(self, rng, record_every=0, state=None):
        """Run from ``state`` (default: a fresh :meth:`initial_state`) until ``stop_fraction`` of
        the synapses are frozen or ``max_steps`` steps; returns a :class:`MillerResult`."""
        p = self.params
        if isinstance(record_every, bool) or int(record_every) != record_every or record_every < 0:
            raise ValueError("MillerModel.run: record_every must be a non-negative integer, "
                             f"got {record_every!r}")
        state = self.initial_state(rng) if state is None else state
        steps, maps = [], []
        if record_every:
            steps.append(state["step"])
            maps.append(self.odi(state))
        frozen = 1.0 - state["active"].mean()
        while frozen < p.stop_fraction and state["step"] < p.max_steps:
            self.step(state)
            frozen = 1.0 - state["active"].mean()
            if not np.all(np.isfinite(state["s"])):
                raise FloatingPointError(f"MillerModel.run: non-finite weights at step {state['step']}")
            if record_every and state["step"] % record_every == 0:
                steps.append(state["step"])
                maps.append(self.odi(state))
        if record_every and steps[-1] != state["step"]:
            steps.append(state["step"])
            maps.append(self.odi(state))
        return MillerResult(params=p, offsets=self.offsets, s_left=state["s"][0].copy(),
                            s_right=state["s"][1].copy(), odi=self.odi(state), steps=int(state["step"]),
                            frozen_fraction=float(frozen), converged=bool(frozen >= p.stop_fraction),
                            history_steps=steps, history_odi=maps)


def simulate(params=None, rng=None, seed=None, record_every=0, **kwargs):
    """Run the model once: ``simulate(MillerParams(...), rng)`` or ``simulate(sigma_E=1, seed=3)``.

    ``rng`` is a ``numpy.random.Generator`` (or give ``seed``); exactly one of them is required,
    so runs are reproducible. Keyword parameters build a :class:`MillerParams`.
    Returns a :class:`MillerResult`.
    """
    if (rng is None) == (seed is None):
        raise ValueError("simulate: give exactly one of rng (a numpy Generator) or seed")
    if rng is None:
        rng = np.random.default_rng(seed)
    elif not isinstance(rng, np.random.Generator):
        raise ValueError(f"simulate: rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return MillerModel(params, **kwargs).run(rng, record_every=record_every)
