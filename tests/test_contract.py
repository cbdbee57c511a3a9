"""The experiment contract the runner drives: simulate -> (arrays.npz written) -> measure -> summary -> plot.

An experiment's ``simulate(p, ctx)`` returns the arrays it recorded, ``measure(data, p)`` turns them into
metrics. The runner writes ``arrays.npz`` between the two, so a measure that raises loses no simulation:
``snnlearn measure RUN_DIR`` measures the saved arrays again once it is fixed. Each case below is a
user's small experiment file run through the command line on the numpy target.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from snnlearn.params import resolve_params
from snnlearn.registry import load_experiment
from snnlearn.runs import RunContext, execute

EXPERIMENT = '''"""Leaky neurons driven above threshold: a tiny experiment for the runner's contract."""
import brian2 as b2
import matplotlib.pyplot as plt
import numpy as np

from snnlearn.params import Param

PARAMS = {"n": Param(4, low=1, doc="neurons"),
          "drive": Param(1.5, low=0.0, doc="steady input (threshold 1)")}
MEASURE_FAILS = False


def simulate(p, ctx):
    g = b2.NeuronGroup(p.n, "dv/dt = (drive * (1 + i) / N - v) / (10*ms) : 1", threshold="v > 1", reset="v = 0",
                       method="exact", namespace={"drive": p.drive, "N": p.n}, name="cells")
    spikes = b2.SpikeMonitor(g, name="spikes")
    ctx.run(b2.Network(g, spikes), 200 * b2.ms)
    return {"count": np.array(spikes.count[:]), "labels": np.array(["cell"] * p.n)}


def measure(data, p):
    if MEASURE_FAILS:
        raise ZeroDivisionError("a bug in the analysis")
    return {"mean_count": float(np.mean(data["count"])), "silent": int(np.sum(data["count"] == 0))}


def summary(metrics, p):
    return f"SUMMARY mean count {metrics['mean_count']:.2f}, {metrics['silent']} silent"


def plot(data, metrics, p):
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ax.bar(np.arange(len(data["count"])), data["count"])
    ax.set(xlabel="neuron", ylabel="spikes in 200 ms")
    return {"counts": fig}
'''


def snnlearn(*args, cwd):
    return subprocess.run([sys.executable, "-m", "snnlearn.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "MPLBACKEND": "Agg"})


def read(run_dir, name):
    return json.loads((run_dir / name).read_text())


@pytest.fixture
def experiment(tmp_path):
    path = tmp_path / "tiny.py"
    path.write_text(EXPERIMENT)
    return path


def test_a_measure_that_raises_loses_no_simulation_and_snnlearn_measure_completes_the_run(experiment, tmp_path):
    experiment.write_text(EXPERIMENT.replace("MEASURE_FAILS = False", "MEASURE_FAILS = True"))
    failed = snnlearn("run", experiment, "--device", "numpy", "--out", "r", cwd=tmp_path)
    assert failed.returncode == 1
    last = failed.stderr.strip().splitlines()[-1]
    assert "ZeroDivisionError: a bug in the analysis" in last and "snnlearn measure" in last, failed.stderr
    run_dir = tmp_path / "r"
    state = read(run_dir, "status.json")
    assert state["status"] == "failed" and state["measurable"] is True
    assert not (run_dir / "metrics.json").exists()
    with np.load(run_dir / "arrays.npz") as saved:
        count = saved["count"]
    assert count.shape == (4,) and count.sum() > 0  # the simulation is on disk
    # the bug is fixed: measured again from the saved arrays, no simulation
    experiment.write_text(EXPERIMENT)
    again = snnlearn("measure", run_dir, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "mean_count = " in again.stdout
    assert read(run_dir, "status.json") == {"status": "complete"}
    assert read(run_dir, "metrics.json") == {"mean_count": float(np.mean(count)), "silent": int(np.sum(count == 0))}
    assert (run_dir / "counts.png").exists()
    log = (run_dir / "log.txt").read_text()
    assert "--- measured again" in log and "ZeroDivisionError" in log


def test_measuring_a_complete_run_again_gives_the_same_metrics_and_the_summary_is_logged(experiment, tmp_path):
    done = snnlearn("run", experiment, "--device", "numpy", "--set", "n=6", "--out", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run_dir = tmp_path / "r"
    first = read(run_dir, "metrics.json")
    assert 0 < first["silent"] < 6  # the weakest inputs stay below threshold (drive (1 + i) / N x 1.5 <= 1)
    assert "SUMMARY mean count" in (run_dir / "log.txt").read_text() and "SUMMARY" in done.stderr
    again = snnlearn("measure", run_dir, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert read(run_dir, "metrics.json") == first


def test_a_measure_that_raises_again_leaves_a_complete_run_as_it_was(experiment, tmp_path):
    assert snnlearn("run", experiment, "--device", "numpy", "--out", "r", cwd=tmp_path).returncode == 0
    run_dir = tmp_path / "r"
    before = (run_dir / "metrics.json").read_text()
    experiment.write_text(EXPERIMENT.replace("MEASURE_FAILS = False", "MEASURE_FAILS = True"))
    failed = snnlearn("measure", run_dir, cwd=tmp_path)
    assert failed.returncode == 1 and len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert "measure failed: ZeroDivisionError: a bug in the analysis (the run is unchanged" in failed.stderr
    assert read(run_dir, "status.json") == {"status": "complete"}
    assert (run_dir / "metrics.json").read_text() == before
    assert "measured again" in (run_dir / "log.txt").read_text()


def test_measure_refuses_in_one_line_what_it_cannot_measure(experiment, tmp_path):
    assert snnlearn("run", experiment, "--device", "numpy", "--out", "r", cwd=tmp_path).returncode == 0
    run_dir = tmp_path / "r"
    (run_dir / "status.json").write_text(json.dumps({"status": "interrupted"}))
    cases = [(run_dir, "is interrupted"), (tmp_path / "nowhere", "is not a run directory")]
    for target, words in cases:
        refused = snnlearn("measure", target, cwd=tmp_path)
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert words in refused.stderr, refused.stderr
    # an experiment that measures inside its own run(): there is nothing to measure again from
    own = tmp_path / "own.py"
    own.write_text(EXPERIMENT.replace("def simulate(p, ctx):", "def run(p, ctx):").replace(
        '    return {"count": np.array(spikes.count[:]), "labels": np.array(["cell"] * p.n)}',
        '    ctx.save_arrays(count=spikes.count[:])\n    return {"mean_count": float(np.mean(spikes.count[:])), '
        '"silent": 0}'))
    assert snnlearn("run", own, "--device", "numpy", "--out", "own_run", cwd=tmp_path).returncode == 0
    refused = snnlearn("measure", tmp_path / "own_run", cwd=tmp_path)
    assert refused.returncode == 2 and "measures inside its run()" in refused.stderr, refused.stderr


@pytest.mark.parametrize("returned, words", [
    ("[1, 2, 3]", "simulate() must return a dict of arrays, got list"),
    ('{"count": np.array(spikes.count[:]), "nested": {"a": 1}}', "returned 'nested', which is not an array"),
])
def test_simulate_must_return_plain_arrays(experiment, tmp_path, returned, words):
    experiment.write_text(EXPERIMENT.replace(
        '{"count": np.array(spikes.count[:]), "labels": np.array(["cell"] * p.n)}', returned))
    failed = snnlearn("run", experiment, "--device", "numpy", "--out", "r", cwd=tmp_path)
    assert failed.returncode == 1 and words in failed.stderr.strip().splitlines()[-1], failed.stderr
    assert read(tmp_path / "r", "status.json")["status"] == "failed"
    assert "measurable" not in read(tmp_path / "r", "status.json")


def test_execute_in_memory_measures_exactly_what_it_keeps(experiment):
    """Tests and notebooks drive an experiment through the runner's own path: RunContext.in_memory + execute."""
    module = load_experiment(str(experiment))
    p = resolve_params(module.PARAMS, {}, {"n": 5})
    ctx = RunContext.in_memory(3, device="numpy")
    metrics = execute(module, p, ctx)
    assert set(ctx.arrays) == {"count", "labels"}
    assert metrics == module.measure(ctx.arrays, p)
    assert any("SUMMARY" in line for line in ctx._log_lines)


def test_every_built_in_experiment_is_measured_from_its_arrays_as_the_readme_says():
    """No built-in experiment defines run() in place of simulate and measure, and the README's count is right."""
    import re

    from snnlearn.registry import list_experiments, science_functions

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    text = " ".join(open(os.path.join(root, "README.md"), encoding="utf-8").read().split())
    found = re.search(r"All (\w+) built-in experiments are written this way", text)
    assert found, "the README's sentence on which experiments use simulate and measure"
    builtin = [n for n in list_experiments() if not n.startswith("lab_")]
    own_run = {n for n in builtin if science_functions(load_experiment(n)) != ("simulate", "measure")}
    words = {"fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20}
    assert own_run == set()
    assert words[found.group(1).lower()] == len(builtin)


def test_a_runaway_simulation_is_not_offered_for_measuring_again(experiment, tmp_path):
    """A numpy run is checked for runaway state after it was measured: such a run fails, and is not 'measurable'."""
    # v grows as exp(t / 0.1 ms) and never reaches the threshold: inf within 200 ms
    experiment.write_text(EXPERIMENT.replace('"dv/dt = (drive * (1 + i) / N - v) / (10*ms) : 1", threshold="v > 1"',
                                             '"dv/dt = (v + drive) / (0.1*ms) : 1", threshold="v < -1"'))
    failed = snnlearn("run", experiment, "--device", "numpy", "--out", "r", cwd=tmp_path)
    assert failed.returncode == 1 and "RunawayError" in failed.stderr, failed.stderr
    state = read(tmp_path / "r", "status.json")
    assert state["status"] == "failed" and "measurable" not in state, state
    assert "snnlearn measure" not in failed.stderr
