"""`sl.poisson_source`: the Bernoulli-per-step Poisson process of PoissonGroup, drawn at the spikes.

With p = rate*dt, the steps between spikes are geometric, P(K = k) = (1-p)^(k-1) p, and
the first spike comes at step K - 1 >= 0. The checks compare measured statistics with
these laws, within 5 standard errors (a false failure about once in 10^6 runs).
"""

import numpy as np
import pytest
from brian2 import Hz, Network, SpikeMonitor, ms, second, seed
from brian2.units.fundamentalunits import DimensionMismatchError

import snnlearn as sl

DT = 0.1e-3


def _spikes(rates, duration=4 * second, run_seed=5, n=None):
    seed(run_seed)
    n = n or np.size(rates)
    group = sl.poisson_source(n, rates)
    mon = SpikeMonitor(group)
    Network(group, mon).run(duration)
    return mon.spike_trains(), group


def test_rates_and_intervals_follow_the_bernoulli_process():
    rate, n, T = 40.0, 400, 4.0
    trains, _ = _spikes(rate * Hz, T * second, n=n)
    p = rate * DT
    counts = np.array([len(trains[i]) for i in range(n)], dtype=float)
    steps = int(round(T / DT))
    # spike counts: binomial(steps, p) per train
    mean, var = steps * p, steps * p * (1 - p)
    assert abs(counts.mean() - mean) < 5 * np.sqrt(var / n)
    assert abs(counts.var(ddof=1) / var - 1) < 5 * np.sqrt(2 / (n - 1))
    # intervals in steps: geometric with parameter p (mean 1/p, P(K = 1) = p, never 0)
    isi = np.concatenate([np.diff(np.round(np.asarray(trains[i] / ms) / 0.1)) for i in range(n)])
    assert isi.min() >= 1
    assert abs(isi.mean() * p - 1) < 5 * np.sqrt(1 - p) / np.sqrt(isi.size)
    assert abs(np.mean(isi == 1) - p) < 5 * np.sqrt(p * (1 - p) / isi.size)
    # first spike at step K - 1: mean (1 - p)/p
    first = np.array([trains[i][0] / ms / 0.1 for i in range(n) if len(trains[i])])
    assert abs(first.mean() - (1 - p) / p) < 5 * np.sqrt(1 - p) / p / np.sqrt(first.size)


def test_each_train_has_its_own_rate_and_zero_is_silent():
    rates = np.r_[np.zeros(50), np.full(50, 10.0), np.full(50, 100.0)] * Hz
    trains, _ = _spikes(rates, 2 * second)
    counts = np.array([len(trains[i]) for i in range(150)])
    assert counts[:50].sum() == 0
    for block, rate in ((slice(50, 100), 10.0), (slice(100, 150), 100.0)):
        mean = rate * 2.0
        assert abs(counts[block].mean() - mean) < 5 * np.sqrt(mean / 50)


def test_same_seed_same_spikes():
    a, _ = _spikes(20 * Hz, 1 * second, run_seed=9, n=30)
    b, _ = _spikes(20 * Hz, 1 * second, run_seed=9, n=30)
    c, _ = _spikes(20 * Hz, 1 * second, run_seed=10, n=30)
    assert all(np.array_equal(a[i], b[i]) for i in range(30))
    assert not all(np.array_equal(a[i], c[i]) for i in range(30))


@pytest.mark.parametrize("args, kwargs, error, words", [
    ((10, 20), {}, DimensionMismatchError, "rates must be in Hz"),
    ((10, 20 * ms), {}, DimensionMismatchError, "rates must be in Hz"),
    ((0, 20 * Hz), {}, ValueError, "n must be a positive integer"),
    ((10, np.ones(3) * Hz), {}, ValueError, "length n = 10"),
    ((10, -1 * Hz), {}, ValueError, "non-negative"),
    ((10, 10000 * Hz), {}, ValueError, "rates * dt must be below 1"),
    ((10, 600 * Hz), {"dt": 2 * ms}, ValueError, "rates * dt must be below 1"),
    ((10, 10 * Hz), {"dt": 0.1}, DimensionMismatchError, "dt must be a positive time"),
    ((10, 10 * Hz), {"dt": -1 * ms}, DimensionMismatchError, "dt must be a positive time"),
])
def test_bad_input_is_named(args, kwargs, error, words):
    with pytest.raises(error) as info:
        sl.poisson_source(*args, **kwargs)
    assert words in str(info.value)
