"""Weights: receptive-field tiles, histograms, and the measured STDP window."""

import math

import numpy as np

from ._util import get_ax

__all__ = ["weight_matrix", "weight_map", "weight_hist", "stdp_window"]


def weight_matrix(synapses, n_source=None, n_target=None, fill=np.nan):
    """Dense (n_source, n_target) matrix of ``synapses.w`` (``fill`` where unconnected)."""
    i, j, w = np.asarray(synapses.i[:]), np.asarray(synapses.j[:]), np.asarray(synapses.w[:], dtype=float)
    n_source = n_source or synapses.source.N
    n_target = n_target or synapses.target.N
    W = np.full((n_source, n_target), fill, dtype=float)
    W[i, j] = w
    return W


def weight_map(weights, shape, fig=None, targets=None, ncols=None, cmap="viridis", vmin=None, vmax=None,
               label="weight", tile_size=1.3, **kwargs):
    """Tile each target's incoming weights as an image, with one shared colour bar.

    Parameters
    ----------
    weights : brian2.Synapses or array (n_source, n_target)
    shape : (rows, cols)
        How a target's n_source incoming weights are laid out (rows*cols == n_source),
        e.g. the input sheet's geometry. ``(1, n)`` draws 1-D receptive fields as strips.
    targets : sequence of int, optional
        Which targets to show (default: all).
    label : str
        Colour-bar label (give the unit, e.g. "weight (nS)").

    Returns
    -------
    (Figure, array of Axes)
    """
    import matplotlib.pyplot as plt

    W = weight_matrix(weights) if hasattr(weights, "w") else np.asarray(weights, dtype=float)
    rows, cols = shape
    if W.ndim != 2 or W.shape[0] != rows * cols:
        raise ValueError(f"weight_map: weights have shape {W.shape}, but shape {shape} needs {rows * cols} sources")
    targets = list(range(W.shape[1])) if targets is None else list(targets)
    if not targets:
        raise ValueError("weight_map: no targets to show")
    n = len(targets)
    ncols = ncols or min(n, max(1, int(math.ceil(math.sqrt(n * rows / max(cols, 1))))))
    nrows = int(math.ceil(n / ncols))
    aspect = rows / cols
    if fig is None:
        fig = plt.figure(figsize=(min(14, ncols * tile_size + 1.2), min(14, nrows * tile_size * max(aspect, 0.25) + 0.6)))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    vmin = np.nanmin(W) if vmin is None else vmin
    vmax = np.nanmax(W) if vmax is None else vmax
    image = None
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(False)
    for ax, t in zip(axes, targets):
        image = ax.imshow(W[:, t].reshape(rows, cols), cmap=cmap, vmin=vmin, vmax=vmax,
                          interpolation="nearest", aspect="auto" if rows == 1 else "equal", **kwargs)
        ax.set_title(f"{t}", fontsize="x-small", pad=2)
    fig.colorbar(image, ax=list(axes), shrink=0.8, label=label)
    return fig, axes


def weight_hist(w, ax=None, wmax=None, bins=40, label="weight", **kwargs):
    """Histogram of weights as a fraction of synapses; ``wmax`` fixes the range to [0, wmax]."""
    w = np.asarray(w, dtype=float).ravel()
    ax = get_ax(ax)
    range_ = (0.0, float(wmax)) if wmax is not None else None
    ax.hist(w, bins=bins, range=range_, weights=np.full(w.size, 1.0 / max(w.size, 1)),
            color=kwargs.pop("color", "tab:blue"), edgecolor="white", linewidth=0.5, **kwargs)
    ax.set_xlabel(label)
    ax.set_ylabel("fraction of synapses")
    return ax


def stdp_window(delta_t_ms, delta_w, ax=None, theory=None, label="measured", **kwargs):
    """Measured weight change against spike timing Δt = t_post − t_pre (ms).

    ``theory``: optional callable Δt (ms) -> Δw, drawn as a line for comparison.
    """
    dt = np.asarray(delta_t_ms, dtype=float)
    dw = np.asarray(delta_w, dtype=float)
    if dt.shape != dw.shape:
        raise ValueError(f"stdp_window: delta_t and delta_w differ in shape: {dt.shape} vs {dw.shape}")
    ax = get_ax(ax)
    if theory is not None:
        grid = np.linspace(dt.min(), dt.max(), 400)
        grid = grid[grid != 0]
        pos, neg = grid[grid > 0], grid[grid < 0]
        ax.plot(pos, [theory(x) for x in pos], color="0.5", lw=1, label="theory")
        ax.plot(neg, [theory(x) for x in neg], color="0.5", lw=1)
    ax.scatter(dt, dw, s=kwargs.pop("s", 18), zorder=3, label=label, **kwargs)
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel(r"$\Delta t = t_{post} - t_{pre}$ (ms)")
    ax.set_ylabel(r"$\Delta w$")
    ax.legend(fontsize="small")
    return ax
