"""Plots: small functions that take data (or monitors) and an optional ``ax``, label
their axes with units, return matplotlib objects, and never run a simulation."""

from .learning import learning_curve, modulator_trace
from .spikes import raster
from .weights import stdp_window, weight_hist, weight_map, weight_matrix

__all__ = ["raster", "weight_map", "weight_matrix", "weight_hist", "stdp_window", "learning_curve",
           "modulator_trace"]
