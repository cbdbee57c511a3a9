"""`snnlearn sweep` on a local Dask cluster, through a real subprocess."""

import csv
import subprocess
import sys


def test_sweep_grid_with_seeds_failure_and_rerun(tmp_path):
    """A 2×2 grid with 2 seeds; n_inputs=2 is invalid (fewer inputs than top eigenvalues), so its 4 points
    fail and are recorded while the other 4 complete. Re-running skips the complete points."""
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "snnlearn.cli", "sweep", "hebbian_pca", "--grid", "n_inputs=2,6",
           "--grid", "eta_per_sample=0.002,0.004", "--seeds", "2", "--quick", "--device", "numpy",
           "--out", str(out), "--workers", "2", "--quiet"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr
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
    assert again.returncode == 0, again.stderr
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert sum(r["skipped"] == "True" for r in rows) == 4


def test_sweep_rejects_unknown_grid_key(tmp_path):
    out = subprocess.run([sys.executable, "-m", "snnlearn.cli", "sweep", "hebbian_pca", "--grid", "n_input=2,3",
                          "--out", str(tmp_path / "s")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 2
    assert "unknown parameter 'n_input' in --grid; valid parameters:" in out.stderr
