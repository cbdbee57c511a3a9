"""Plot functions: axes labelled with units, optional ax honoured, shape errors caught."""

import numpy as np
import pytest
from brian2 import Hz, Network, NeuronGroup, PoissonGroup, SpikeMonitor, ms

import snnlearn as sl


def test_raster_from_monitor_and_arrays():
    G = PoissonGroup(20, 50 * Hz)
    mon = SpikeMonitor(G)
    Network(G, mon).run(200 * ms)
    ax = sl.plot.raster(mon, rate=True)
    assert ax.get_xlabel() == "time (ms)" and ax.get_ylabel() == "neuron index"
    assert ax.get_ylim() == (-0.5, 19.5)
    twin = [a for a in ax.figure.axes if a is not ax][0]
    assert twin.get_ylabel() == "population rate (Hz)"
    ax2 = sl.plot.raster((np.array([0, 1, 2]), np.array([0.5, 1.5, 3.0])),
                         groups=[("E", 0, 2, "tab:blue"), ("I", 2, 3, "tab:red")])
    assert ax2.get_xlabel() == "time (s)"
    with pytest.raises(ValueError, match="indices and times differ in shape"):
        sl.plot.raster((np.array([0, 1]), np.array([0.1])))


def test_weight_map_tiles_each_target_with_one_colourbar():
    G = PoissonGroup(16, 10 * Hz)
    N = NeuronGroup(6, "v : 1", threshold="v > 1")
    S = sl.connect(G, N, sl.rules.stdp_additive(), connect=True, w="rand()")
    fig, axes = sl.plot.weight_map(S, shape=(4, 4), label="weight (a.u.)")
    images = [ax for ax in axes if ax.images]
    assert len(images) == 6
    colourbars = [ax for ax in fig.axes if ax.get_ylabel() == "weight (a.u.)"]
    assert len(colourbars) == 1
    np.testing.assert_allclose(images[2].images[0].get_array(), np.asarray(S.w[:]).reshape(16, 6)[:, 2].reshape(4, 4))
    with pytest.raises(ValueError, match=r"shape \(3, 3\) needs 9 sources"):
        sl.plot.weight_map(S, shape=(3, 3))


def test_weight_hist_stdp_window_and_learning_curve_label_axes():
    ax = sl.plot.weight_hist(np.random.default_rng(0).uniform(0, 1, 100), wmax=1.0, label=r"$w/g_{max}$")
    assert ax.get_ylabel() == "fraction of synapses"
    heights = [p.get_height() for p in ax.patches]
    assert sum(heights) == pytest.approx(1.0)
    ax = sl.plot.stdp_window([-20, -10, 10, 20], [-0.3, -0.6, 0.6, 0.3], theory=lambda t: np.sign(t) * np.exp(-abs(t) / 20))
    assert "ms" in ax.get_xlabel()
    curves = np.random.default_rng(1).uniform(size=(3, 50))
    ax = sl.plot.learning_curve(curves, label="node perturbation", spread="sem", logy=True)
    assert ax.get_xlabel() == "trial" and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="spread must be"):
        sl.plot.learning_curve(curves, spread="iqr")
    ax = sl.plot.modulator_trace(np.linspace(0, 1, 10), np.exp(-np.linspace(0, 1, 10)), events_s=[0.2, 0.5])
    assert ax.get_xlabel() == "time (s)"
