"""snnlearn on Brian2's OpenMP back-end (``use_device(..., threads=2)``) and its build cache.

An STDP network made with ``sl.connect`` (inputs from ``sl.poisson_source``) must give
hand-written Brian2's OpenMP result bit for bit, and a cached project must never be
reused across thread counts.
"""

import os

import numpy as np
import pytest
from brian2 import Hz, NeuronGroup, Network, SpikeMonitor, Synapses, mV, ms, prefs, second, seed

import snnlearn as sl
from snnlearn.devices import standalone_directory, use_device

LIF = """
dv/dt = (ge * (Ee - v) + El - v) / taum : volt
dge/dt = -ge / taue : 1
"""
NS = dict(taum=10 * ms, Ee=0 * mV, El=-74 * mV, taue=5 * ms)
STDP = dict(Ap=0.001, Am=0.00105, taupre=20 * ms, taupost=20 * ms, wmax=1.0)
WMAX = 0.1


def test_thread_count_is_part_of_the_build_cache_key():
    # a project compiled without -fopenmp must never be reused for an OpenMP build (make would
    # keep the old objects: a half-OpenMP program)
    dirs = []
    for threads in (0, 2, 0):
        with use_device("cpp_standalone", threads=threads, cache_key=("test_openmp", 1)) as sim:
            dirs.append(sim.directory)
    assert dirs[0] == dirs[2] != dirs[1]
    # the sweep's project copies look the directories up the same way
    assert [standalone_directory(("test_openmp", 1), threads) for threads in (0, 2)] == dirs[:2]


def _connectivity():
    """200 inputs, each onto 20 of the 40 neurons (sorted), and initial weights: the same in every call."""
    rng = np.random.default_rng(3)
    pre = np.repeat(np.arange(200), 20)
    post = np.concatenate([np.sort(rng.choice(40, 20, replace=False)) for _ in range(200)])
    return pre, post, rng.uniform(0, WMAX, pre.size)


def _network(build_synapses, inputs_seed=7):
    seed(inputs_seed)
    inputs = sl.poisson_source(200, 30 * Hz, name="inputs")
    neurons = NeuronGroup(40, LIF, threshold="v > -54*mV", reset="v = -60*mV", method="euler", namespace=NS,
                          name="neurons")
    neurons.v = -74 * mV
    S = build_synapses(inputs, neurons, *_connectivity())
    out = SpikeMonitor(neurons)
    Network(inputs, neurons, S, out).run(2 * second)
    return S, out


def _plain(inputs, neurons, pre, post, w0):
    S = Synapses(inputs, neurons, "w : 1\ndapre/dt = -apre/taupre : 1 (event-driven)\n"
                                  "dapost/dt = -apost/taupost : 1 (event-driven)",
                 on_pre="ge_post += w\napre += Ap\nw = clip(w - apost, 0, wmax)",
                 on_post="apost += Am\nw = clip(w + apre, 0, wmax)", namespace={**STDP, "wmax": WMAX}, name="stdp")
    S.connect(i=pre, j=post)
    S.w = w0
    return S


def _snnlearn(inputs, neurons, pre, post, w0):
    rule = sl.rules.stdp_additive(**{**STDP, "wmax": WMAX})
    return sl.connect(inputs, neurons, rule, transmit="ge_post += w", connect={"i": pre, "j": post}, w=w0,
                      name="stdp")


def _run_openmp(build_synapses, directory, threads=2):
    with use_device("cpp_standalone", directory=directory, threads=threads) as sim:
        S, out = _network(build_synapses)
        sim.build()
        return np.asarray(S.w[:]).copy(), np.asarray(out.i[:]).copy(), np.asarray(out.t[:] / ms).copy()


@pytest.mark.standalone
def test_openmp_run_equals_hand_written_brian2_bit_for_bit(tmp_path):
    assert prefs.devices.cpp_standalone.openmp_threads == 0
    plain = _run_openmp(_plain, str(tmp_path / "plain"))
    mine = _run_openmp(_snnlearn, str(tmp_path / "snnlearn"))
    with open(os.path.join(tmp_path, "snnlearn", "makefile")) as f:
        assert "-fopenmp" in f.read()  # really an OpenMP build
    assert prefs.devices.cpp_standalone.openmp_threads == 0  # restored
    assert plain[1].size > 50  # the network fires and learns
    assert not np.allclose(plain[0], _connectivity()[2])
    for a, b in zip(plain, mine):
        np.testing.assert_array_equal(a, b)

