"""The `snnlearn` command through a real subprocess: list, run, plot, and bad input (exit status 2)."""

import json
import os
import re
import subprocess
import sys

import pytest

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def snnlearn(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "snnlearn.cli", *args], capture_output=True, text=True,
                          timeout=600, env=ENV, cwd=cwd)


def test_list_is_one_line_per_experiment():
    from snnlearn.registry import list_experiments

    out = snnlearn("list")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    names = list_experiments()
    assert len(lines) == len(names) + 1  # and one line saying how to see parameters
    for name, line in zip(names, lines):
        assert line.split()[0] == name and len(line.split()) > 3, line


def test_show_gives_parameters_with_units_bounds_and_docs():
    out = snnlearn("show", "stdp_competition")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("stdp_competition: Competitive Hebbian learning through STDP")
    assert re.search(r"duration\s+1000\.0 \* second\s+a quantity in second \(> 0 second\)\s+learning time",
                     out.stdout), out.stdout
    assert "rates  " in out.stdout and "10.0 * hertz,20.0 * hertz,40.0 * hertz" in out.stdout
    assert snnlearn("list", "stdp_competition").stdout == out.stdout


def test_run_quick_then_plot(tmp_path):
    run_dir = tmp_path / "pca"
    out = snnlearn("run", "hebbian_pca", "--quick", "--device", "numpy", "--seed", "3", "--out", str(run_dir),
                   "--quiet", "--set", "n_inputs=10")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith(str(run_dir))
    for name in ("status.json", "params.json", "metrics.json", "arrays.npz", "log.txt", "provenance.json",
                 "rules.json", "rules.txt", "oja_pca.png"):
        assert (run_dir / name).exists(), name
    assert json.loads((run_dir / "status.json").read_text())["status"] == "complete"
    params = json.loads((run_dir / "params.json").read_text())
    assert params["n_inputs"] == 10 and params["sample_dt"] == {"quantity": "10.0 * msecond"}
    prov = json.loads((run_dir / "provenance.json").read_text())
    assert prov["seed"] == 3 and prov["device"] == "numpy" and prov["end"] is not None
    assert "brian2" in prov["versions"]
    assert "dw/dt = eta * y_post * (x_pre - y_post * w)" in (run_dir / "rules.txt").read_text()
    os.unlink(run_dir / "oja_pca.png")
    replot = snnlearn("plot", str(run_dir))
    assert replot.returncode == 0, replot.stderr
    assert (run_dir / "oja_pca.png").exists()


@pytest.mark.parametrize("args, words", [
    (["run", "no_such_experiment"], "unknown experiment 'no_such_experiment'; available:"),
    (["run", "hebbian_pca", "--set", "n_input=3"], "unknown parameter 'n_input'; valid parameters:"),
    (["run", "hebbian_pca", "--set", "sample_dt=5*mV"], "parameter 'sample_dt': '5*mV' has the wrong unit"),
    (["run", "hebbian_pca", "--set", "n_inputs=many"], "parameter 'n_inputs': cannot read 'many'"),
    (["run", "hebbian_pca", "--set", "sample_dt=__import__('os').system('touch /tmp/snnlearn_pwned')"],
     "parameter 'sample_dt': cannot read"),
    (["run", "hebbian_pca", "--out", "/proc/snnlearn-cannot-write-here"], "cannot write to output directory"),
    (["plot", "/nonexistent/run"], "is not a run directory"),
    # a declared choice, and an experiment's own check of a combination (its validate), before the run directory
    (["run", "digits", "--set", "routes=['stdp', 'bogus']", "--out", "runs/x"],
     "parameter 'routes': bogus is not allowed"),
    (["run", "maps_vs_reward", "--set", "sizes=[10, 10]", "--out", "runs/x"], "sizes must not repeat"),
])
def test_bad_input_gives_one_line_and_status_2(args, words, tmp_path):
    if os.path.exists("/tmp/snnlearn_pwned"):
        os.unlink("/tmp/snnlearn_pwned")
    out = snnlearn(*args, cwd=str(tmp_path))
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert words in lines[0]
    assert not os.path.exists("/tmp/snnlearn_pwned")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_headline_prints_the_declared_metrics_or_the_top_level_scalars():
    from snnlearn.cli import headline

    metrics = {"score": 0.123456, "label": "x", "nested": {"N10": {"hits": 3, "per_seed": [1.0, 2.5]},
                                                           "N20": {"hits": 2, "per_seed": [4, None]}}}
    assert headline(metrics) == ["  score = 0.1235", "  label = x"]
    assert headline(metrics, ["nested.*.hits"]) == ["  nested.N10.hits = 3", "  nested.N20.hits = 2"]
    assert headline(metrics, ["nested.N20.per_seed"]) == ["  nested.N20.per_seed = [4, None]"]
    assert headline({f"m{i}": i for i in range(25)}, limit=20)[-1] == "  ... and 5 more"
