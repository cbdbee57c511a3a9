"""Plots of cortical maps: ocular-dominance maps, receptive-field meshes, ring maps, development.

Each function takes plain numpy arrays and an optional matplotlib ``ax``, draws, labels the axes
with units, passes extra keywords to the main matplotlib call, returns matplotlib objects, and
never runs a simulation. Measures come from :mod:`snnlearn.metrics.maps`.
"""
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.collections import LineCollection

from snnlearn.metrics.maps import (circular_association, mean_abs_odi, neighbour_fraction,
                                   od_spectrum, od_wavelength, winding_number)

__all__ = ["od_map", "odi_histogram", "od_spectrum_plot", "map_mesh", "ring_map", "map_snapshots"]

ODI_LABEL = "ODI = (L − R)/(L + R)"


def _new_ax(ax, figsize=(6, 3)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _odi_array(odi):
    a = np.asarray(odi, dtype=float)
    if a.ndim not in (1, 2) or a.size == 0:
        raise ValueError(f"od_map: odi must be a 1-D (ring) or 2-D (sheet) array, got shape {a.shape}")
    return a


def odi_histogram(odi, ax=None, bins=20, cmap="RdBu_r", **kwargs):
    """Histogram of ODI values over cells, bars coloured by ODI; returns the Axes.

    Extra keywords go to ``Axes.bar``. NaN values (cells without input) are left out.
    """
    a = np.asarray(odi, dtype=float).ravel()
    a = a[np.isfinite(a)]
    ax = _new_ax(ax, (3.5, 3))
    edges = np.linspace(-1, 1, int(bins) + 1)
    counts, _ = np.histogram(np.clip(a, -1, 1), bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    colours = plt.get_cmap(cmap)((centres + 1) / 2)
    kwargs.setdefault("edgecolor", "0.3")
    kwargs.setdefault("linewidth", 0.5)
    ax.bar(centres, counts, width=np.diff(edges), color=colours, **kwargs)
    ax.set_xlim(-1, 1)
    ax.set_xlabel(ODI_LABEL)
    ax.set_ylabel("cells")
    ax.set_title("ODI histogram" + (f" ({a.size} cells)" if a.size else ""), fontsize="medium")
    return ax


def od_map(odi, ax=None, hist=False, cmap="RdBu_r", colorbar=True, title=None, **kwargs):
    """Ocular-dominance map: a 2-D ODI image, or a 1-D ring as a colour strip.

    The diverging colour map is centred on ODI = 0 (binocular) with limits ±1 (red: left eye,
    blue: right eye, with the default ``cmap``). Extra keywords go to ``Axes.imshow``.

    Parameters
    ----------
    odi : array (N,) or (H, W)
        ODI per cortical cell, e.g. from :func:`snnlearn.metrics.maps.od_index`.
    ax : Axes, optional
        Axes for the map (a new figure if None).
    hist : bool or Axes
        Also draw an ODI histogram (:func:`odi_histogram`): on this Axes, or, with ``True``, on
        a second panel beside the map (only when ``ax`` is None).
    colorbar : bool
        Add a colour bar labelled with the ODI definition.

    Returns
    -------
    ax, or ``(ax, hist_ax)`` when a histogram is drawn.
    """
    a = _odi_array(odi)
    hist_ax = None
    if hist is True:
        if ax is not None:
            raise ValueError("od_map: with ax given, pass the histogram's Axes as hist=<Axes>")
        fig, (ax, hist_ax) = plt.subplots(
            1, 2, figsize=(9, 3.2) if a.ndim == 1 else (8, 3.6), layout="constrained",
            gridspec_kw={"width_ratios": [3, 1] if a.ndim == 1 else [1.3, 1]})
    elif hist is not False and hist is not None:
        hist_ax = hist
    ax = _new_ax(ax, (7, 1.8) if a.ndim == 1 else (4.5, 4))
    kwargs.setdefault("interpolation", "nearest")
    if a.ndim == 1:
        n = a.size
        im = ax.imshow(a[None, :], cmap=cmap, vmin=-1, vmax=1, aspect="auto",
                       extent=(-0.5, n - 0.5, 0, 1), **kwargs)
        ax.set_yticks([])
        ax.set_xlabel("cortical position (cells)")
    else:
        im = ax.imshow(a, cmap=cmap, vmin=-1, vmax=1, origin="lower", **kwargs)
        ax.set_xlabel("cortical position x (cells)")
        ax.set_ylabel("cortical position y (cells)")
    if colorbar:
        cb = ax.figure.colorbar(im, ax=ax, ticks=[-1, 0, 1],
                                fraction=0.05 if a.ndim == 1 else 0.046, pad=0.02)
        cb.ax.set_yticklabels(["−1\nright", "0", "+1\nleft"], fontsize="small")
        cb.set_label("ODI", fontsize="small")
    finite = a[np.isfinite(a)]
    if title is None and finite.size:
        title = f"ocular dominance map, mean |ODI| = {np.mean(np.abs(finite)):.2f}"
    if title:
        ax.set_title(title, fontsize="medium")
    if hist_ax is not None:
        odi_histogram(a, ax=hist_ax, cmap=cmap)
        return ax, hist_ax
    return ax


def od_spectrum_plot(odi, ax=None, theory=None, title=None, **kwargs):
    """Seed-pooled ODI power spectrum against spatial frequency, with the measured peak and
    centroid wavelengths and, optionally, the linear-stability prediction ``theory`` (in cells).

    ``odi``: one map or a list of maps, as for :func:`snnlearn.metrics.maps.od_spectrum`.
    The top axis shows the period (cells). Extra keywords go to ``Axes.plot``. Returns the Axes.
    """
    freq, power = od_spectrum(odi)
    ax = _new_ax(ax, (6, 3.5))
    kwargs.setdefault("color", "k")
    kwargs.setdefault("lw", 1.2)
    ax.plot(freq[1:], power[1:], label="pooled power spectrum", **kwargs)
    peak, centroid = od_wavelength(odi, "peak"), od_wavelength(odi, "centroid")
    ax.axvline(1 / peak, color="C3", ls="-", lw=1, label=f"peak: Λ = {peak:.1f} cells")
    ax.axvline(1 / centroid, color="C0", ls="--", lw=1, label=f"centroid: Λ = {centroid:.1f} cells")
    if theory is not None:
        ax.axvline(1 / float(theory), color="C2", ls=":", lw=2,
                   label=f"linear stability: Λ* = {float(theory):.1f} cells")
    cum = np.cumsum(power) / max(power.sum(), 1e-300)
    f_hi = min(freq[-1], 1.5 * freq[min(np.searchsorted(cum, 0.995), freq.size - 1)])
    ax.set_xlim(0, max(f_hi, 1.2 / min(peak, centroid)))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("spatial frequency (cycles/cell)")
    ax.set_ylabel("ODI power")
    top = ax.secondary_xaxis("top", functions=(lambda f: 1 / np.maximum(f, 1e-9),
                                               lambda lam: 1 / np.maximum(lam, 1e-9)))
    f_max, ticks = ax.get_xlim()[1], []
    for t in (2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 64):          # readable, non-crowded periods
        if 1 / t <= f_max and all(abs(1 / t - 1 / u) >= 0.07 * f_max for u in ticks):
            ticks.append(t)
    top.set_xticks(ticks)
    top.set_xlabel("period (cells)")
    n_maps = len(odi) if isinstance(odi, (list, tuple)) else 1
    ax.set_title(title if title is not None else f"ODI power spectrum ({n_maps} map(s) pooled)",
                 fontsize="medium")
    ax.legend(fontsize="small", framealpha=0.8)
    return ax


def map_mesh(centres, shape, ax=None, data=None, periodic=False, units="a.u.", nodes=True,
             title=None, **kwargs):
    """Receptive-field centres drawn as a deformed grid: a line between every pair of lattice
    neighbours (Kohonen's classic picture of a map).

    Parameters
    ----------
    centres : array (n_units, 2)
        RF centre (or codebook vector) of each unit, in row-major lattice order of ``shape``.
    shape : (rows, cols) or (n,)
        The lattice; ``(n,)`` draws a chain (closed into a ring with ``periodic=True``).
    data : array (n_samples, 2), optional
        Input samples drawn as light grey dots behind the mesh.
    units : str
        Unit of the input space, used in the axis labels.
    nodes : bool
        Also mark the unit positions with dots.
    Extra keywords go to the ``LineCollection`` of the mesh (e.g. ``color``, ``linewidth``).

    Returns the Axes.
    """
    c = np.asarray(centres, dtype=float)
    if c.ndim != 2 or c.shape[1] != 2:
        raise ValueError(f"map_mesh: centres must have shape (n_units, 2), got {c.shape}")
    sh = tuple(int(s) for s in np.atleast_1d(shape))
    if len(sh) not in (1, 2) or int(np.prod(sh)) != c.shape[0]:
        raise ValueError(f"map_mesh: shape {shape!r} does not match {c.shape[0]} units")
    ax = _new_ax(ax, (4.5, 4.5))
    if data is not None:
        d = np.asarray(data, dtype=float)
        if d.ndim != 2 or d.shape[1] != 2:
            raise ValueError(f"map_mesh: data must have shape (n_samples, 2), got {d.shape}")
        ax.scatter(d[:, 0], d[:, 1], s=2, color="0.8", zorder=0, label="input samples",
                   rasterized=True)
    grid = c.reshape(sh + (2,))
    if len(sh) == 1:
        a, b = grid[:-1], grid[1:]
        if periodic and sh[0] > 2:
            a, b = np.concatenate([a, grid[-1:]]), np.concatenate([b, grid[:1]])
        segments = np.stack([a, b], axis=1)
    else:
        a = np.concatenate([grid[:, :-1].reshape(-1, 2), grid[:-1, :].reshape(-1, 2)])
        b = np.concatenate([grid[:, 1:].reshape(-1, 2), grid[1:, :].reshape(-1, 2)])
        segments = np.stack([a, b], axis=1)
    kwargs.setdefault("color", "C0")
    kwargs.setdefault("linewidth", 1.0)
    lc = LineCollection(segments, label="lattice neighbours", **kwargs)
    ax.add_collection(lc)
    if nodes:
        ax.plot(c[:, 0], c[:, 1], "o", ms=2.5, color=kwargs["color"], zorder=3)
    ax.autoscale_view()
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel(f"RF centre, input dimension 1 ({units})")
    ax.set_ylabel(f"RF centre, input dimension 2 ({units})")
    if title:
        ax.set_title(title, fontsize="medium")
    if data is not None:
        ax.legend(loc="upper right", fontsize="small", markerscale=3, framealpha=0.8)
    return ax


def ring_map(theta, ax=None, n_inputs=None, ideal=True, annotate=True, title=None, **kwargs):
    """Ring map: RF centre of each unit against its index.

    Parameters
    ----------
    theta : array (N,)
        RF centres in radians (e.g. :func:`snnlearn.metrics.maps.ring_rf_centres`).
    n_inputs : int, optional
        Show the centre in input-index units (``theta n_inputs / 2 pi``) instead of degrees.
    ideal : bool
        Overlay the best-fitting perfect map ``theta = ±2 pi j/N + theta_0`` (dashed).
    annotate : bool
        Put the winding number and neighbour fraction in the title.
    Extra keywords go to ``Axes.scatter``.

    Returns the Axes.
    """
    t = np.mod(np.asarray(theta, dtype=float), 2 * np.pi)
    if t.ndim != 1 or t.size < 2 or not np.all(np.isfinite(t)):
        raise ValueError(f"ring_map: theta must be a finite 1-D array of >= 2 angles, got shape {t.shape}")
    n = t.size
    scale, unit = ((n_inputs / (2 * np.pi), "input index") if n_inputs
                   else (180 / np.pi, "deg"))
    ax = _new_ax(ax, (5, 4))
    j = np.arange(n)
    kwargs.setdefault("s", 14)
    kwargs.setdefault("color", "C0")
    ax.scatter(j, t * scale, label="RF centre", zorder=3, **kwargs)
    if ideal:
        phi = 2 * np.pi * j / n
        plus, minus = np.mean(np.exp(1j * (t - phi))), np.mean(np.exp(1j * (t + phi)))
        sign, z = (1, plus) if abs(plus) >= abs(minus) else (-1, minus)
        fit = np.mod(sign * phi + np.angle(z), 2 * np.pi)
        jumps = np.flatnonzero(np.abs(np.diff(fit)) > np.pi) + 1          # break lines at wraps
        for seg_j, seg_f in zip(np.split(j, jumps), np.split(fit, jumps)):
            ax.plot(seg_j, seg_f * scale, "--", color="0.5", lw=1,
                    label="ideal map (best rotation)" if seg_j[0] == 0 else None)
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylim(0, 2 * np.pi * scale)
    if not n_inputs:
        ax.set_yticks([0, 90, 180, 270, 360])
    ax.set_xlabel("unit index j")
    ax.set_ylabel(f"RF centre θ ({unit})")
    if title is None:
        title = "ring map"
        if annotate:
            title += (f": winding {winding_number(t):+d}, neighbour fraction "
                      f"{neighbour_fraction(t):.2f}, assoc. {circular_association(2 * np.pi * j / n, t):.2f}")
    ax.set_title(title, fontsize="medium")
    ax.legend(loc="best", fontsize="small", framealpha=0.8)
    return ax


def map_snapshots(maps, times, kind="od", shape=None, time_unit="steps", axes=None, data=None,
                  n_inputs=None, suptitle=None, **kwargs):
    """Map development: one panel per snapshot, in a row.

    Parameters
    ----------
    maps : list of arrays
        ``kind="od"``: ODI maps (1-D or 2-D); ``kind="mesh"``: RF centres ``(n_units, 2)``
        (``shape`` required); ``kind="ring"``: RF-centre angles ``(N,)``.
    times : list
        Time of each snapshot, shown in the panel titles with ``time_unit``.
    axes : sequence of Axes, optional
        One per snapshot (a new row of panels if None).
    data, n_inputs : passed to :func:`map_mesh` / :func:`ring_map`.
    Extra keywords go to the per-panel function. ``kind="od"`` panels share one colour bar.

    Returns the array of Axes.
    """
    if kind not in ("od", "mesh", "ring"):
        raise ValueError(f"map_snapshots: kind must be 'od', 'mesh' or 'ring', got {kind!r}")
    maps = list(maps)
    times = list(times)
    if len(maps) == 0 or len(maps) != len(times):
        raise ValueError(f"map_snapshots: need one time per map, got {len(maps)} maps and {len(times)} times")
    if kind == "mesh" and shape is None:
        raise ValueError("map_snapshots: kind='mesh' needs the lattice shape")
    n = len(maps)
    if axes is None:
        one_d = kind == "od" and np.ndim(maps[0]) == 1
        size = (2.2 * n + 1, 2.4) if one_d else (2.8 * n + (0.8 if kind == "od" else 0), 3.2)
        fig, axes = plt.subplots(1, n, figsize=size, layout="constrained", squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(np.asarray(axes, dtype=object))
        if axes.size != n:
            raise ValueError(f"map_snapshots: got {axes.size} axes for {n} maps")
        fig = axes[0].figure
    im = None
    for k, (m, t, ax) in enumerate(zip(maps, times, axes)):
        label = f"t = {t:g} {time_unit}" if np.isscalar(t) else f"t = {t} {time_unit}"
        if kind == "od":
            od_map(m, ax=ax, colorbar=False, title=label, **kwargs)
            finite = np.asarray(m, dtype=float)
            finite = finite[np.isfinite(finite)]
            if finite.size:
                ax.set_title(f"{label}\nmean |ODI| = {mean_abs_odi(np.clip(finite, -1, 1)):.2f}",
                             fontsize="medium")
            im = ax.images[-1]
        elif kind == "mesh":
            map_mesh(m, shape, ax=ax, data=data, title=label, **kwargs)
            if ax.get_legend() is not None and k > 0:
                ax.get_legend().remove()
        else:
            ring_map(m, ax=ax, n_inputs=n_inputs, annotate=False, title=label, **kwargs)
            if k > 0:
                ax.get_legend().remove()
        if k > 0:
            ax.set_ylabel("")
    if kind == "od" and im is not None:
        cb = fig.colorbar(im, ax=list(axes), ticks=[-1, 0, 1], fraction=0.03, pad=0.02)
        cb.ax.set_yticklabels(["−1 R", "0", "+1 L"], fontsize="small")
        cb.set_label("ODI", fontsize="small")
    if suptitle:
        fig.suptitle(suptitle)
    return axes
