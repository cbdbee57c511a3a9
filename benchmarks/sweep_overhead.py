"""Case ``sweep_overhead``: what a compile-once sweep point costs beyond its simulation, for real experiments.

Each variant runs ``snnlearn sweep``'s code path (:func:`snnlearn.sweep.run_sweep`, one local
worker, ``cpp_standalone``) over a grid of one experiment's run-time parameters
(``Param(..., runtime=True)``). The first point compiles the program; every other point
runs the same binary with Brian2's ``run_args`` (:meth:`snnlearn.runs.RunContext.program`),
and its provenance records two times:

* ``program_wall_s``: the reuse step as a whole (run-time values written as ``run_args``
  files, the program started and run, its results read back);
* ``binary_s``: of that, the compiled program's own run (building its network in C++ and
  simulating).

The overhead per point is ``program_wall_s - binary_s``: what the runner adds to a point
apart from simulating. A point's whole run (metrics, arrays, figures written) is reported
too, as ``per_point_run_s``. The metrics of every point are the fingerprint: the same grid
and seed give the same numbers in every repeat.
"""

import json
import os
import shutil
import tempfile

import numpy as np

__all__ = ["EXPERIMENTS", "sweep_overhead"]

#: Per experiment: the grid (run-time parameters), fixed short settings, seeds.
EXPERIMENTS = {
    "hebbian_pca": {"grid": {"eta_per_sample": ["0.001", "0.002", "0.004"], "anneal_factor": ["0.1", "0.25"]},
                    "fixed": {}, "seeds": 1},
    "biofeedback": {"grid": {"Ap": ["1e-4", "1.3e-4", "2e-4"], "reward_amount": ["1", "2"]},
                    "fixed": {"duration": "10s", "baseline_duration": "10s", "final_window": "10s",
                              "record_dt": "2s"}, "seeds": 1},
    "distal_reward": {"grid": {"raster_window": ["1s", "2s", "3s", "4s", "5s", "6s"]},
                      "fixed": {"duration": "6s", "record_dt": "1s"}, "seeds": 1},
    "stdp_competition": {"grid": {"corr_c": ["0.1", "0.2", "0.3"], "gmax": ["0.012", "0.015"]},
                         "fixed": {"duration": "2s", "corr_time": "2s", "rate_window": "1s", "record_dt": "1s",
                                   "frozen_duration": "1s"}, "seeds": 1},
}


def sweep_overhead(name, quick=True):
    """Run the grid of ``EXPERIMENTS[name]`` as a one-worker sweep; return the per-point times (medians)."""
    from snnlearn.sweep import run_sweep

    spec = EXPERIMENTS[name]
    out = tempfile.mkdtemp(prefix=f"sweep-overhead-{name}-")
    try:
        grid = [f"{key}={','.join(values)}" for key, values in spec["grid"].items()]
        result = run_sweep(name, grid, seeds=spec["seeds"], fixed=spec["fixed"], out=out, quick=quick,
                           device="cpp_standalone", workers=1, log=lambda *args, **kwargs: None)
        if result.failed:
            raise RuntimeError(f"{result.failed} of {result.total} points of the {name} sweep failed")
        points = sorted(d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d)))
        reused, runs, fingerprint = [], [], []
        for point in points:
            with open(os.path.join(out, point, "provenance.json")) as f:
                prov = json.load(f)
            with open(os.path.join(out, point, "metrics.json")) as f:
                fingerprint.append(f.read())
            runs.append(prov["wall_time_s"])
            program = prov.get("program", {})
            if program.get("reused"):
                reused.append((program["program_wall_s"], program["binary_s"]))
        if not reused:
            raise RuntimeError(f"no point of the {name} sweep reused the compiled program")
        walls = np.array([r[0] for r in reused])
        binaries = np.array([r[1] for r in reused])
        return {
            "n_points": len(points), "n_reused": len(reused),
            "per_point_overhead_s": float(np.median(walls - binaries)),
            "max_point_overhead_s": float(np.max(walls - binaries)),
            "per_point_program_s": float(np.median(walls)),
            "per_point_binary_s": float(np.median(binaries)),
            "per_point_run_s": float(np.median(runs)),
            "fingerprint": fingerprint,
        }
    finally:
        shutil.rmtree(out, ignore_errors=True)
