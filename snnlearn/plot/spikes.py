"""Spike rasters with optional population colours and a population-rate trace."""

import numpy as np

from ._util import as_seconds, get_ax, time_axis_unit

__all__ = ["raster"]


def raster(spikes, ax=None, groups=None, rate=False, rate_bin=0.01, n_neurons=None, marker_size=2.0, **kwargs):
    """Draw a spike raster.

    Parameters
    ----------
    spikes : brian2.SpikeMonitor or tuple (indices, times_s)
        Times in seconds (or a Brian2 time quantity).
    ax : matplotlib Axes, optional
    groups : list of (label, start, stop, colour), optional
        Colour neurons ``start <= i < stop`` as one population (e.g. excitatory / inhibitory).
    rate : bool
        Add the population rate (Hz, bins of ``rate_bin`` seconds) on a twin axis.
    n_neurons : int, optional
        Number of neurons (for the rate normalisation and y limits).
    **kwargs
        Passed to ``Axes.scatter``.

    Returns
    -------
    matplotlib Axes
    """
    if hasattr(spikes, "i") and hasattr(spikes, "t"):
        indices, times = np.asarray(spikes.i[:]), as_seconds(spikes.t[:])
        n_neurons = n_neurons or getattr(spikes.source, "N", None)
    else:
        indices, times = (np.asarray(a) for a in spikes)
        times = as_seconds(times)
    if indices.shape != times.shape:
        raise ValueError(f"raster: indices and times differ in shape: {indices.shape} vs {times.shape}")
    ax = get_ax(ax)
    # line markers ('|') are drawn by their edge; filled dots look best without one
    kwargs.setdefault("linewidths", 1.0 if kwargs.get("marker") in ("|", "_") else 0.0)
    t_max = float(times.max()) if times.size else 1.0
    unit, scale = time_axis_unit(t_max)
    if groups:
        for label, start, stop, colour in groups:
            sel = (indices >= start) & (indices < stop)
            ax.scatter(times[sel] * scale, indices[sel], s=marker_size, c=colour, label=label, **kwargs)
        ax.legend(loc="upper right", fontsize="small", markerscale=4, frameon=True)
    else:
        ax.scatter(times * scale, indices, s=marker_size, c=kwargs.pop("c", "k"), **kwargs)
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("neuron index")
    if n_neurons:
        ax.set_ylim(-0.5, n_neurons - 0.5)
    if rate and times.size:
        n = n_neurons or (int(indices.max()) + 1)
        edges = np.arange(0, t_max + rate_bin, rate_bin)
        counts, _ = np.histogram(times, edges)
        twin = ax.twinx()
        twin.plot(edges[:-1] * scale, counts / (n * rate_bin), color="tab:red", lw=1)
        twin.set_ylabel("population rate (Hz)", color="tab:red")
        twin.tick_params(axis="y", colors="tab:red")
    return ax
