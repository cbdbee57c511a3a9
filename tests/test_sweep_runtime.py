"""Compile-once sweeps of every built-in experiment with run-time parameters, besides stdp_competition
(``tests/test_sweep.py``): through ``snnlearn sweep`` and ``snnlearn run`` in real subprocesses. A file of
its own, so that the test runner can spread these slow tests over its workers."""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest


#: Experiments besides stdp_competition whose sweeps reuse the compiled program: a grid over run-time parameters
#: with short settings. Every one but hebbian_pca draws its connectivity, patterns, initial weights or stimuli
#: from the seed (structure), so its grid runs at one seed.
RUNTIME_SWEEPS = {
    "readout_only": (["--grid", "eta_out=0.001,0.002", "--grid", "eta_rec=1e-3", "--seeds", "1"],
                     ["--set", "grid_lengths=2,4", "--set", "n_passes=100"],
                     ("eta_out=0.002_eta_rec=1e-3_seed0", {"eta_out": "0.002", "eta_rec": "1e-3"}, 0)),
    "reward_baseline": (["--grid", "eta=0.002,0.004", "--grid", "eta_rstdp_scale=2", "--seeds", "1"],
                        ["--set", "n_trials=100", "--set", "final_window=20"],
                        ("eta=0.004_eta_rstdp_scale=2_seed0", {"eta": "0.004", "eta_rstdp_scale": "2"}, 0)),
    "topographic_map": (["--grid", "ring_eta=5e-4,2e-3", "--seeds", "1"],
                        ["--set", "duration=10s", "--set", "record_interval=5s", "--set", "ring_biases=0.0",
                         "--set", "frozen_control=False", "--set", "fixed_width_control=False"],
                        ("ring_eta=2e-3_seed0", {"ring_eta": "2e-3"}, 0)),
    "ocular_dominance": (["--grid", "eta=0.001,0.004", "--seeds", "1"],
                         ["--set", "duration=20s", "--set", "snapshot_interval=10s", "--set", "sigma_E=1.0"],
                         ("eta=0.004_seed0", {"eta": "0.004"}, 0)),
    "perturbation_learning": (["--grid", "eta_node=0.005,0.02", "--grid", "eta_reinforce=0.006", "--seeds", "1"],
                              ["--set", "n_passes=100"], ("eta_node=0.02_eta_reinforce=0.006_seed0",
                                                          {"eta_node": "0.02", "eta_reinforce": "0.006"}, 0)),
    "hebbian_pca": (["--grid", "eta_per_sample=0.004", "--grid", "anneal_factor=0.1,0.25", "--seeds", "2"],
                    [], ("eta_per_sample=0.004_anneal_factor=0.1_seed1", {"eta_per_sample": "0.004",
                                                                         "anneal_factor": "0.1"}, 1)),
    "biofeedback": (["--grid", "Ap=1e-4,2e-4", "--seeds", "1"],
                    ["--set", "duration=10s", "--set", "baseline_duration=10s", "--set", "final_window=10s",
                     "--set", "record_dt=2s"], ("Ap=2e-4_seed0", {"Ap": "2e-4"}, 0)),
    "distal_reward": (["--grid", "raster_window=1s,3s", "--seeds", "1"],
                      ["--set", "duration=5s", "--set", "record_dt=1s"], ("raster_window=3s_seed0",
                                                                          {"raster_window": "3s"}, 0)),
}


@pytest.mark.slow
@pytest.mark.standalone
@pytest.mark.parametrize("name", sorted(RUNTIME_SWEEPS))
def test_runtime_parameter_sweeps_reuse_the_program_and_match_separate_runs(name, tmp_path, counting_compiler):
    """A sweep over an experiment's run-time parameters (declared ``Param(..., runtime=True)``) compiles once: every
    point after the first runs the same binary with run_args (nothing compiled, nothing rebuilt), and a reused
    point's metrics and arrays equal those of a separate run of that point."""
    grid, fixed, (point, values, seed) = RUNTIME_SWEEPS[name]
    cxx, compiler_log = counting_compiler
    env = {**os.environ, "SNNLEARN_BUILD_CACHE": str(tmp_path / "cache"), "CXX": cxx, "MPLBACKEND": "Agg"}
    out = tmp_path / "sweep"
    done = subprocess.run([sys.executable, "-m", "snnlearn.cli", "sweep", name, *grid, "--quick", *fixed,
                           "--device", "cpp_standalone", "--workers", "1", "--out", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert all(r["status"] == "complete" for r in rows), [r["error"] for r in rows]
    assert [r["program"] for r in rows] == ["compiled"] + ["reused"] * (len(rows) - 1)
    calls = compiler_log.read_text().splitlines()
    assert sum(" -o main " in c + " " for c in calls) == 1  # linked once
    prov = json.loads((out / point / "provenance.json").read_text())
    assert prov["program"]["reused"] and prov["program"]["program_wall_s"] >= prov["program"]["binary_s"] > 0

    separate = tmp_path / "separate"
    sets = [arg for key, value in values.items() for arg in ("--set", f"{key}={value}")]
    alone = subprocess.run([sys.executable, "-m", "snnlearn.cli", "run", name, "--quick", *fixed, *sets, "--seed",
                            str(seed), "--out", str(separate), "--quiet"], capture_output=True, text=True,
                           timeout=900, env=env)
    assert alone.returncode == 0, alone.stderr
    assert (separate / "metrics.json").read_text() == (out / point / "metrics.json").read_text()
    a, b = np.load(separate / "arrays.npz"), np.load(out / point / "arrays.npz")
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key], err_msg=f"{point}: {key}")
