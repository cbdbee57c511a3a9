"""`snnlearn sweep` on a local Dask cluster, through a real subprocess."""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest


def test_sweep_grid_with_seeds_failure_and_rerun(tmp_path):
    """A 2×2 grid with 2 seeds; n_inputs=2 is invalid (fewer inputs than top eigenvalues), so its 4 points
    fail and are recorded while the other 4 complete, and the sweep exits 1 with the count. Re-running skips the
    complete points."""
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "snnlearn.cli", "sweep", "hebbian_pca", "--grid", "n_inputs=2,6",
           "--grid", "eta_per_sample=0.002,0.004", "--seeds", "2", "--quick", "--device", "numpy",
           "--out", str(out), "--workers", "2", "--quiet"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert first.returncode == 1, first.stderr  # a sweep with failed points fails, and says how many
    assert "4 of 8 sweep points failed" in first.stderr
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert len(rows) == 8
    failed = [r for r in rows if r["status"] == "failed"]
    done = [r for r in rows if r["status"] == "complete"]
    assert {r["n_inputs"] for r in failed} == {"2"} and len(failed) == 4
    assert "smaller than the number of top eigenvalues" in failed[0]["error"]
    assert len(done) == 4 and all(float(r["cos_top_pc"]) > 0.9 for r in done)
    assert {r["seed"] for r in done} == {"0", "1"}
    assert (out / "summary.png").exists()
    assert (out / done[0]["point"] / "metrics.json").exists()

    again = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert again.returncode == 1, again.stderr
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert sum(r["skipped"] == "True" for r in rows) == 4


def test_sweep_rejects_unknown_grid_key(tmp_path):
    out = subprocess.run([sys.executable, "-m", "snnlearn.cli", "sweep", "hebbian_pca", "--grid", "n_input=2,3",
                          "--out", str(tmp_path / "s")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 2
    assert "unknown parameter 'n_input' in --grid; valid parameters:" in out.stderr


@pytest.mark.slow
@pytest.mark.standalone
def test_standalone_sweep_compiles_once_and_matches_separate_runs(tmp_path, counting_compiler):
    """A 2×2 grid over run-time parameters of stdp_competition (corr_c: the input correlations; gmax: the rule's
    bound and amplitudes and the initial weights) × 2 seeds in cpp_standalone on 2 workers: the compiler runs for the
    first point only (make's $(CXX) is a counting wrapper: one link); then each worker builds its batch's first point
    in a copy of the compiled project (make compiles nothing) and runs its other points with run_args and their own
    seed. A point run through run_args (other values and another seed than the compiled one) gives exactly the
    metrics and arrays of a separate run of that point; the two seeds differ."""
    cache = tmp_path / "cache"
    cxx, compiler_log = counting_compiler
    env = {**os.environ, "SNNLEARN_BUILD_CACHE": str(cache), "CXX": cxx}
    small = ["--quick", "--set", "duration=2s", "--set", "corr_time=2s", "--set", "rate_window=1s",
             "--set", "record_dt=1s", "--set", "frozen_duration=1s"]
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "snnlearn.cli", "sweep", "stdp_competition", "--grid", "corr_c=0.1,0.2",
           "--grid", "gmax=0.012,0.015", "--seeds", "2", "--device", "cpp_standalone", *small, "--out", str(out),
           "--workers", "2", "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert len(rows) == 8 and all(r["status"] == "complete" for r in rows), [r["error"] for r in rows]
    programs = [r["program"] for r in rows]
    assert programs[0] == "compiled" and programs.count("compiled") == 1
    assert programs.count("copied") == 2 and programs.count("reused") == 5
    calls = compiler_log.read_text().splitlines()
    assert sum(" -o main " in c + " " for c in calls) == 1  # the program was linked once, and nothing recompiled
    other_seed = out / "corr_c=0.2_gmax=0.015_seed0" / "metrics.json"
    assert other_seed.read_text() != (out / "corr_c=0.2_gmax=0.015_seed1" / "metrics.json").read_text()
    prov = json.loads((out / "corr_c=0.2_gmax=0.015_seed1" / "provenance.json").read_text())
    assert prov["program"]["reused"] and "song_stdp.wmax" in prov["program"]["run_args"]

    # a reused point and a copied one (built with its own values, run by the program compiled for other values)
    for (corr_c, gmax, seed), kind in (((0.2, 0.015, 1), "reused"), ((0.1, 0.015, 0), "copied")):
        point = f"corr_c={corr_c}_gmax={gmax}_seed{seed}"
        assert next(r for r in rows if r["point"] == point)["program"] == kind
        separate = tmp_path / f"separate-{point}"
        alone = subprocess.run([sys.executable, "-m", "snnlearn.cli", "run", "stdp_competition", *small, "--set",
                                f"corr_c={corr_c}", "--set", f"gmax={gmax}", "--seed", str(seed), "--out",
                                str(separate), "--quiet"], capture_output=True, text=True, timeout=900, env=env)
        assert alone.returncode == 0, alone.stderr
        assert (separate / "metrics.json").read_text() == (out / point / "metrics.json").read_text(), point
        a, b = np.load(separate / "arrays.npz"), np.load(out / point / "arrays.npz")
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{point}: {key}")


def test_structure_key_separates_run_time_values_from_structure():
    """Runs that differ only in RUN_ARGS values (and seed) share a program; durations, the number of rates and
    whether correlated inputs exist do not."""
    from brian2 import Hz, second

    from snnlearn.params import resolve_params
    from snnlearn.runs import load_experiment, structure_key

    module = load_experiment("stdp_competition")

    def key(**overrides):
        return structure_key(module, resolve_params(module.PARAMS, module.QUICK, overrides, use_quick=True))

    base = key()
    assert key(gmax=0.012, corr_c=0.2, frozen_rate=30 * Hz, rates=[5 * Hz, 20 * Hz]) == base
    assert key(duration=30 * second, corr_time=30 * second) != base
    assert key(rates=[10 * Hz]) != base
    assert key(corr_c=0.0) != base


def test_chunk_seeds_are_deterministic_and_distinct():
    from snnlearn.standalone import chunk_seed

    seeds = [chunk_seed(s, k) for s in range(3) for k in range(50)]
    assert seeds == [chunk_seed(s, k) for s in range(3) for k in range(50)]
    assert len(set(seeds)) == len(seeds) and all(0 <= x < 2**32 for x in seeds)
