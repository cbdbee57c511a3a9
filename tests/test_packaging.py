"""The installed layout: a non-editable install puts nothing named models, experiments or benchmarks at the
top level of site-packages, and the built-in experiments are still found (as ``snnlearn.experiments``)."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_non_editable_install_keeps_models_and_experiments_inside_snnlearn(tmp_path):
    target = tmp_path / "site-packages"
    build = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), ROOT],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    top = sorted(name for name in os.listdir(target) if not name.endswith((".dist-info", ".egg-info")) and name != "bin")
    assert top == ["snnlearn"], top
    assert {"models", "experiments"} <= set(os.listdir(target / "snnlearn"))
    assert not (target / "snnlearn" / "benchmarks").exists()
    probe = ("import importlib.util, snnlearn, snnlearn.registry as r\n"
             "assert snnlearn.__file__.startswith(%r), snnlearn.__file__\n"
             "names = r.list_experiments()\n"
             "assert 'stdp_competition' in names and len(names) >= 14, names\n"
             "for name in names: r.load_experiment(name)\n"
             "assert importlib.util.find_spec('models') is None and importlib.util.find_spec('experiments') is None\n"
             "print(len(names))\n") % str(target)
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    listed = subprocess.run([sys.executable, "-m", "snnlearn.cli", "list"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0 and "stdp_competition" in listed.stdout, listed.stderr


def test_a_clone_runs_an_experiment_file_directly(tmp_path):
    """``python experiments/NAME.py`` from a clone still works (through the installed snnlearn)."""
    result = subprocess.run([sys.executable, os.path.join("experiments", "hebbian_pca.py"), "--quick", "--device",
                             "numpy", "--set", "n_samples=2000", "--set", "n_samples_annealed=500", "--out",
                             str(tmp_path / "run"), "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "metrics.json").exists()
