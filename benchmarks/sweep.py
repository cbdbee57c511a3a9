"""Case ``sweep``: a 16-point parameter sweep of a standalone experiment, compiled once vs recompiled per point.

The experiment: ``models/song2000.py`` (one block, snnlearn's ``sl.connect`` +
``stdp_additive``) run for ``duration_s`` at each of ``n_points`` input rates between 5
and 40 Hz; each point reports its output rate.

* :func:`run_with_run_args` -- build and compile the program once, then run it once per
  point with ``device.run(run_args={inputs.rate: rate})`` (Brian2 >= 2.6 sets initial
  values of variables from the command line, without recompiling);
* :func:`run_recompiling` -- build the network anew for each point with the rate set in
  Python, in a fresh project directory each time (a full compile per point); with
  ``cached=True`` in one project directory reused by every point (as snnlearn's
  ``use_device(cache_key=...)`` does), so that ``make`` recompiles only the files whose
  contents changed. Each point's Brian2 objects are released before the next is built:
  objects still alive make Brian2 give the new ones other automatic names
  (``..._codeobject_1``), which changes every source file and defeats the cache.

With the same seed, a point gives the same spikes whichever way it was run: the
fingerprints (output spike counts of every point) are compared.
"""

import gc
import time

import numpy as np

from .common import brian_seed, fresh_directory, remove_directory, standalone_timings

__all__ = ["rates", "run_with_run_args", "run_recompiling"]


def rates(n_points):
    """The swept input rates in Hz: ``n_points`` values evenly spaced in [5, 40]."""
    return [float(r) for r in np.linspace(5.0, 40.0, n_points)]


def _build(rate_hz):
    from brian2 import Hz

    from snnlearn.models.song2000 import Block, build_song_network, song_rule

    return build_song_network([Block(rate=rate_hz * Hz)], song_rule())


def _summary(points, total, first_compile):
    walls = np.array([p["wall_s"] for p in points])
    loops = np.array([p["loop_s"] for p in points])
    return {
        "n_points": len(points), "total_s": total, "first_compile_s": first_compile,
        "per_point_wall_s": float(np.median(walls)),
        "per_point_loop_s": float(np.median(loops)),
        # what a point costs beyond simulating: compile (recompiling) or start-up and I/O (run_args)
        "per_point_overhead_s": float(np.median(walls - loops)),
        "output_rates_hz": [p["rate_out_hz"] for p in points],
        "fingerprint": [p["n_spikes"] for p in points],
        "loop_s": float(loops.sum()),
    }


def run_with_run_args(n_points=16, duration_s=10.0, seed=1):
    """Compile once, run every point through ``device.run(run_args=...)``."""
    from brian2 import Hz, get_device, second

    from snnlearn.devices import use_device

    t0 = time.perf_counter()
    directory = fresh_directory()
    points = []
    try:
        with use_device("cpp_standalone", directory=directory):
            brian_seed(seed)
            m = _build(rates(n_points)[0])
            m["net"].run(duration_s * second)
            device = get_device()
            t = time.perf_counter()
            device.build(directory=directory, compile=True, run=False, with_output=False)
            first_compile = time.perf_counter() - t
            setup = t - t0
            for r in rates(n_points):
                t = time.perf_counter()
                device.run(directory=directory, with_output=False, run_args={m["inputs"].rate: r * Hz})
                n = int(m["spikes"].num_spikes)
                wall = time.perf_counter() - t
                points.append({"rate_in_hz": r, "n_spikes": n, "rate_out_hz": n / duration_s, "wall_s": wall,
                               "loop_s": float(device._last_run_time)})
    finally:
        remove_directory(directory)
    out = _summary(points, time.perf_counter() - t0, first_compile)
    out.update({"setup_s": setup, "compile_s": first_compile, "device": "cpp_standalone, compiled once + run_args"})
    return out


def run_recompiling(n_points=16, duration_s=10.0, seed=1, cached=False):
    """Build, compile and run every point anew (fresh directory, or one reused directory if ``cached``)."""
    from brian2 import second

    from snnlearn.devices import use_device

    t0 = time.perf_counter()
    shared = fresh_directory() if cached else None
    points = []
    first_compile = None
    try:
        for r in rates(n_points):
            directory = shared or fresh_directory()
            t = time.perf_counter()
            try:
                with use_device("cpp_standalone", directory=directory) as sim:
                    brian_seed(seed)
                    m = _build(r)
                    m["net"].run(duration_s * second)
                    tb = time.perf_counter()
                    sim.build()
                    timings = standalone_timings(time.perf_counter() - tb)
                    n = int(m["spikes"].num_spikes)
                # Release this point's Brian2 objects before building the next: while they live, the new
                # objects get other automatic names ("..._codeobject_1"), every source file changes, and a
                # cached directory recompiles everything.
                del m, sim
                gc.collect()
            finally:
                if not cached:
                    remove_directory(directory)
            wall = time.perf_counter() - t
            if first_compile is None:
                first_compile = timings["compile_s"]
            points.append({"rate_in_hz": r, "n_spikes": n, "rate_out_hz": n / duration_s, "wall_s": wall,
                           "loop_s": timings["loop_s"], "compile_s": timings["compile_s"], "make_s": timings["make_s"]})
    finally:
        remove_directory(shared)
    out = _summary(points, time.perf_counter() - t0, first_compile)
    out["compile_s"] = float(sum(p["compile_s"] for p in points))
    out["per_point_compile_s"] = float(np.median([p["compile_s"] for p in points]))
    # of which make (the C++ compiler); the rest is Brian2's code generation, done at every build
    out["per_point_make_s"] = float(np.median([p["make_s"] for p in points]))
    out["device"] = "cpp_standalone, " + ("recompiled per point in one cached directory" if cached
                                          else "recompiled per point from scratch")
    return out
