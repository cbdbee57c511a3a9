"""A layer of rate inputs driving linear rate neurons through a plastic projection.

The inputs' activities ``x`` are read from a `TimedArray` of samples (one new sample
every ``sample_dt``); each output's activity is the summed variable
``y = sum_i w_i x_i`` (optionally rectified). The plastic rule reads ``x_pre`` and
``y_post``: this is the setting of Oja's and the BCM rule, run inside Brian2 with no
Python per step.
"""

import numpy as np
from brian2 import NeuronGroup, Network, StateMonitor, TimedArray, second

import snnlearn as sl

__all__ = ["build_rate_readout"]


def build_rate_readout(samples, rule, sample_dt, n_out=1, w0=None, rectify=False, record_dt=None,
                       name="readout", variable_params=()):
    """Build inputs -> outputs with ``rule`` on the projection.

    Parameters
    ----------
    samples : array (n_samples, n_inputs)
        Input activities, one row per presentation.
    rule : snnlearn.Rule reading ``x_pre`` and ``y_post``
    sample_dt : Quantity
        Duration of one presentation (also the integration step: one Euler step per
        sample makes the continuous rule equal to its discrete form).
    w0 : array (n_inputs * n_out,) or None
        Initial weights (synapse k connects input k % n_inputs... in Brian2's order).
    rectify : bool
        ``y = max(0, sum w x)`` instead of the linear sum.
    variable_params : sequence of str
        Rule parameters made shared variables of the projection (see :func:`snnlearn.connect`),
        so that a compiled program can run with other values (``run_args``).

    Returns a dict: ``net``, ``inputs``, ``outputs``, ``synapses``, ``weights`` (the
    monitor, or None), ``samples`` (the ``TimedArray`` of the input activities) and ``duration``.
    """
    samples = np.asarray(samples, dtype=float)
    if samples.ndim != 2:
        raise ValueError(f"build_rate_readout: samples must be 2-D (n_samples, n_inputs), got shape {samples.shape}")
    n_in = samples.shape[1]
    table = TimedArray(samples, dt=sample_dt, name=f"{name}_samples")
    inputs = NeuronGroup(n_in, f"x = {name}_samples(t, i) : 1", dt=sample_dt, name=f"{name}_inputs",
                         namespace={f"{name}_samples": table})
    drive = "y = clip(y_lin, 0, inf) : 1\ny_lin : 1" if rectify else "y : 1"
    outputs = NeuronGroup(n_out, drive, dt=sample_dt, name=f"{name}_outputs")
    summed = "y_lin_post = w * x_pre : 1 (summed)" if rectify else "y_post = w * x_pre : 1 (summed)"
    S = sl.connect(inputs, outputs, rule, connect=True, extra_model=summed, dt=sample_dt, method="euler",
                   namespace={f"{name}_samples": table}, variable_params=variable_params,
                   name=f"{name}_plastic")
    if w0 is not None:
        S.w = np.asarray(w0, dtype=float)
    objects = [inputs, outputs, S]
    monitor = None
    if record_dt is not None:
        # explicit indices: cpp_standalone cannot resolve record=True for synapses before they exist
        monitor = StateMonitor(S, "w", record=np.arange(n_in * n_out), dt=record_dt, name=f"{name}_weights")
        objects.append(monitor)
    return {"net": Network(*objects), "inputs": inputs, "outputs": outputs, "synapses": S, "weights": monitor,
            "samples": table, "duration": samples.shape[0] * sample_dt}
