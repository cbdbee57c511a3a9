"""Experiments whose network lives in a model module checkpoint too: the model runs it through ``ctx.run``.

``distal_reward`` (models/izhikevich2007.py: one run, the raster window recorded from a time set in
the network, not by switching a monitor on from Python) and ``biofeedback`` (models/biofeedback.py: a
baseline and a learning phase, the phasic dopamine switched on through ``ctx.run(..., set=...)``) are
killed with SIGKILL after a checkpoint in ``cpp_standalone`` and resumed: the resume compiles nothing
and ends bit for bit where the uninterrupted run with the same seed and ``--checkpoint-every`` ends.
``digits`` runs one program per route and ``conductance_perturbation`` four (the tutor's song, the
gradient probe, the F1c start matching, learning), each a ``RunContext.stage``: they are killed inside a
later program, and the resume loads the finished programs' results instead of running them again.
"""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.standalone]

SHORT = {
    "distal_reward": ["--set", "duration=12s", "--set", "record_dt=1s", "--set", "raster_window=2s",
                      "--set", "sample_weights=50", "--checkpoint-every", "4s"],
    "biofeedback": ["--set", "baseline_duration=10s", "--set", "duration=20s", "--set", "final_window=10s",
                    "--set", "record_dt=2s", "--checkpoint-every", "10s"],
    # two programs (stages): 40 training + 40 labelling + 40 test images of 0.5 s for stdp, 80 for frozen
    "digits": ["--set", "routes=['stdp', 'frozen']", "--set", "n_train=40", "--set", "n_label=40",
               "--set", "n_test=40", "--set", "online_window=20", "--set", "online_block=10",
               "--checkpoint-every", "20s"],
    # four programs (stages); learning: 200 trials of 0.5 s (3 chunks), RA doubled for F1c
    "conductance_perturbation": ["--set", "n_trials=200", "--set", "size_factor=2", "--set", "f1c_conditions=ra",
                                 "--set", "f1c_match_trials=5", "--set", "tutor_trials=10", "--set",
                                 "k_per_synapse=2", "--set", "fd_samples=5", "--checkpoint-every", "40s"],
}
#: Experiments that run several programs: killed inside this stage, after the ones before it finished.
KILL_IN_STAGE = {"digits": "frozen N25 seed 0", "conductance_perturbation": "learning"}
#: How many programs finished before that stage (the resume loads them).
FINISHED_BEFORE = {"digits": 1, "conductance_perturbation": 3}
#: Chunks of the last program (the others: 3).
LAST_CHUNKS = {"digits": 2}  # the last program: 80 images of 0.5 s
#: Metrics that measure the wall time of the process, not the simulation.
WALL_METRICS = {"digits": ("wall_s",)}
#: Arrays that hold those wall times (the measure reads them there, so a re-measure reproduces them).
WALL_ARRAYS = {"digits": ("wall_s",)}


def _snnlearn(*args):
    return [sys.executable, "-m", "snnlearn.cli", *args]


def _arrays(path):
    with np.load(os.path.join(path, "arrays.npz")) as npz:
        return {k: npz[k] for k in npz.files}


@pytest.mark.parametrize("name", sorted(SHORT))
def test_model_experiment_resumes_after_kill_9_without_recompiling(name, tmp_path, counting_compiler):
    cxx, compiler_log = counting_compiler
    env = {**os.environ, "SNNLEARN_BUILD_CACHE": str(tmp_path / "cache"), "CXX": cxx, "MPLBACKEND": "Agg"}
    common = ["--quick", "--seed", "3", "--device", "cpp_standalone", "--quiet", *SHORT[name]]
    reference = tmp_path / "reference"
    subprocess.run(_snnlearn("run", name, "--out", str(reference), *common), check=True, timeout=900, env=env,
                   capture_output=True)
    compilations = len(compiler_log.read_text().splitlines())
    assert compilations, "the first run compiled nothing: the compiler wrapper was not used"
    chunks = json.loads((reference / "provenance.json").read_text())["program"]["chunks"]
    assert chunks == LAST_CHUNKS.get(name, 3), chunks

    killed = tmp_path / "killed"
    proc = subprocess.Popen(_snnlearn("run", name, "--out", str(killed), *common), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoint, log_file = killed / "checkpoint.json", killed / "log.txt"
    deadline = time.time() + 600
    while time.time() < deadline:
        if checkpoint.exists() and log_file.exists():
            record = json.loads(checkpoint.read_text())
            if f"checkpoint at {record['t_s']:g} s" in log_file.read_text() and \
                    record.get("stage") == KILL_IN_STAGE.get(name):
                break
        if proc.poll() is not None:
            pytest.fail("the run finished before it could be killed")
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert json.loads((killed / "status.json").read_text())["status"] == "running"
    t_killed = json.loads(checkpoint.read_text())["t_s"]
    assert 0 < t_killed < 3 * float(SHORT[name][-1].rstrip("s"))

    out = subprocess.run(_snnlearn("run", "--resume", str(killed), "--quiet"), capture_output=True, text=True,
                         timeout=900, env=env)
    assert out.returncode == 0, out.stderr
    log = (killed / "log.txt").read_text()
    assert f"resumed from the checkpoint at {t_killed:g} s" in log and "with the compiled program unchanged" in log
    if name in KILL_IN_STAGE:
        assert log.count("finished before the interruption, its results loaded") == FINISHED_BEFORE[name], log
    assert len(compiler_log.read_text().splitlines()) == compilations  # nothing compiled after the first run
    ref, res = _arrays(reference), _arrays(killed)
    assert sorted(ref) == sorted(res)
    for key in ref:
        if key not in WALL_ARRAYS.get(name, ()):
            np.testing.assert_array_equal(res[key], ref[key], err_msg=key)
    ref_metrics, res_metrics = (json.loads((d / "metrics.json").read_text()) for d in (reference, killed))
    for key in WALL_METRICS.get(name, ()):
        ref_metrics.pop(key), res_metrics.pop(key)
    assert res_metrics == ref_metrics
