"""Runs that never lie (issue #14): bad input, damaged or untrusted run directories, Ctrl-C, two processes on one
directory, runaway simulations, closed pipes. Signals and processes are tested through real subprocesses."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import snnlearn as sl
from snnlearn.runs import RunContext

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_PCA = ["--set", "n_samples=400", "--set", "n_samples_annealed=200", "--set", "hebb_samples=50",
            "--set", "n_inputs=6"]


def _cmd(*args):
    return [sys.executable, "-m", "snnlearn.cli", *args]


def _status(path):
    return json.loads((path / "status.json").read_text())["status"]


@pytest.fixture
def cli(capsys):
    """Run ``snnlearn.cli.main`` in this process; returns (exit status, non-empty stderr lines)."""
    from snnlearn.cli import main

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def run(*args, cwd=None):
        old = os.getcwd()
        try:
            if cwd is not None:
                os.chdir(cwd)
            capsys.readouterr()
            code = main(list(args))
        finally:
            os.chdir(old)
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        err = capsys.readouterr().err
        return code, [line for line in err.splitlines() if line.strip()]

    return run


# ---------------------------------------------------------------------------------------------------------------
# run directories to damage: one complete run, one interrupted after two checkpoints (both runtime, numpy)
# ---------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def made_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("made")
    complete = base / "complete"
    sl.run("hebbian_pca", seed=1, quick=True, device="numpy", out=str(complete), n_samples=400, n_samples_annealed=200,
           hebb_samples=50, n_inputs=6)
    interrupted = base / "interrupted"
    original = RunContext._write_checkpoint

    def write_then_stop(self, net, t):
        original(self, net, t)
        if self.checkpoints_written >= 2:
            raise KeyboardInterrupt("stopped by the test after two checkpoints")

    RunContext._write_checkpoint = write_then_stop
    try:
        with pytest.raises(KeyboardInterrupt):
            sl.run("hebbian_pca", seed=1, quick=True, device="numpy", out=str(interrupted), checkpoint_every=1.0,
                   n_samples=400, n_samples_annealed=200, hebb_samples=50, n_inputs=6)
    finally:
        RunContext._write_checkpoint = original
    assert _status(interrupted) == "interrupted"
    return complete, interrupted


def _copy(src, tmp_path, name):
    dst = tmp_path / name
    shutil.copytree(src, dst)
    return dst


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _checkpoint_state(run):
    return run / json.loads((run / "checkpoint.json").read_text())["state"]


def _damage(kind, run):
    """Damage a copied run directory in one way; returns the words the refusal must contain."""
    ckpt = run / "checkpoint.json"
    if kind == "missing state file":
        _checkpoint_state(run).unlink()
        return "is missing"
    if kind == "truncated state file":
        _truncate(_checkpoint_state(run))
        return "does not match its checksum"
    if kind == "state file of another checkpoint":
        state = _checkpoint_state(run)
        other = dict(np.load(state))
        other["a0"] = other["a0"] + 1  # a different (readable) state in place of the recorded one
        with open(state, "wb") as fh:
            np.savez(fh, **other)
        return "does not match its checksum"
    if kind == "checkpoint.json time disagrees with the state":
        record = json.loads(ckpt.read_text())
        record["t_s"] = record["t_s"] + 1.0
        ckpt.write_text(json.dumps(record))
        return "but checkpoint.json says"
    if kind == "truncated checkpoint.json":
        _truncate(ckpt)
        return "checkpoint.json cannot be read"
    if kind == "missing checkpoint.json after a checkpoint":
        ckpt.unlink()
        return "checkpoint.json is missing"
    if kind == "missing params.json":
        (run / "params.json").unlink()
        return "params.json is missing"
    if kind == "truncated params.json":
        _truncate(run / "params.json")
        return "params.json cannot be read"
    if kind == "truncated provenance.json":
        _truncate(run / "provenance.json")
        return "provenance.json cannot be read"
    if kind == "truncated status.json":
        _truncate(run / "status.json")
        return "status.json cannot be read"
    if kind == "a run of another experiment":
        prov = json.loads((run / "provenance.json").read_text())
        prov["experiment"] = "stdp_competition"
        (run / "provenance.json").write_text(json.dumps(prov))
        return "does not hold a run of 'stdp_competition'"
    if kind == "an unknown experiment":
        prov = json.loads((run / "provenance.json").read_text())
        prov["experiment"] = "no_such_experiment"
        (run / "provenance.json").write_text(json.dumps(prov))
        return "unknown experiment 'no_such_experiment'"
    if kind == "missing arrays.npz":
        (run / "arrays.npz").unlink()
        return "arrays.npz is missing"
    if kind == "truncated arrays.npz":
        _truncate(run / "arrays.npz")
        return "arrays.npz cannot be read"
    if kind == "missing metrics.json":
        (run / "metrics.json").unlink()
        return "metrics.json is missing"
    if kind == "truncated metrics.json":
        _truncate(run / "metrics.json")
        return "metrics.json cannot be read"
    raise AssertionError(kind)


RESUME_DAMAGE = ["missing state file", "truncated state file", "state file of another checkpoint",
                 "checkpoint.json time disagrees with the state", "truncated checkpoint.json",
                 "missing checkpoint.json after a checkpoint", "missing params.json", "truncated params.json",
                 "truncated provenance.json", "truncated status.json", "a run of another experiment",
                 "an unknown experiment"]
PLOT_DAMAGE = ["missing arrays.npz", "truncated arrays.npz", "missing metrics.json", "truncated metrics.json",
               "truncated params.json", "truncated provenance.json", "a run of another experiment"]


@pytest.mark.parametrize("kind", RESUME_DAMAGE)
def test_resume_refuses_a_damaged_run_directory_in_one_line(kind, made_runs, tmp_path, cli):
    run = _copy(made_runs[1], tmp_path, "run")
    words = _damage(kind, run)
    before = {p.name: p.stat().st_mtime_ns for p in run.iterdir()}
    code, lines = cli("run", "--resume", str(run))
    assert code == 2 and len(lines) == 1, lines
    assert words in lines[0], lines[0]
    assert {p.name: p.stat().st_mtime_ns for p in run.iterdir()} == before  # nothing was written


@pytest.mark.parametrize("kind", PLOT_DAMAGE)
def test_plot_refuses_a_damaged_run_directory_in_one_line(kind, made_runs, tmp_path, cli):
    run = _copy(made_runs[0], tmp_path, "run")
    words = _damage(kind, run)
    code, lines = cli("plot", str(run))
    assert code == 2 and len(lines) == 1, lines
    assert words in lines[0], lines[0]


def test_plot_and_resume_refuse_runs_in_the_wrong_state(made_runs, cli):
    complete, interrupted = made_runs
    code, lines = cli("run", "--resume", str(complete))
    assert code == 2 and len(lines) == 1 and "already complete; nothing to resume" in lines[0]
    code, lines = cli("plot", str(interrupted))
    assert code == 2 and len(lines) == 1 and "is interrupted, not complete" in lines[0]


def test_resume_never_unpickles_anything_from_the_run_directory(made_runs, tmp_path, cli):
    """A crafted pickle (as an old checkpoint.pkl, and inside a state file whose checksum was fixed to match) must
    not execute: resume ignores the first and refuses the second (np.load with allow_pickle=False)."""
    import hashlib
    import pickle

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    run = _copy(made_runs[1], tmp_path, "run")
    (run / "checkpoint.pkl").write_bytes(pickle.dumps({"checkpoint": Evil()}))
    state = _checkpoint_state(run)
    arrays = dict(np.load(state))
    arrays["a0"] = np.array([Evil()], dtype=object)
    with open(state, "wb") as fh:
        np.savez(fh, **arrays)
    record = json.loads((run / "checkpoint.json").read_text())
    record["sha256"][record["state"]] = hashlib.sha256(state.read_bytes()).hexdigest()
    (run / "checkpoint.json").write_text(json.dumps(record))
    code, lines = cli("run", "--resume", str(run))
    assert not marker.exists(), "the pickle was executed"
    assert code == 2 and len(lines) == 1 and "cannot be read" in lines[0], lines

    # a clean copy with only the stray pickle resumes (and still executes nothing)
    run2 = _copy(made_runs[1], tmp_path, "run2")
    (run2 / "checkpoint.pkl").write_bytes(pickle.dumps({"checkpoint": Evil()}))
    out = subprocess.run(_cmd("run", "--resume", str(run2), "--quiet"), capture_output=True, text=True, timeout=300,
                         env=ENV)
    assert out.returncode == 0, out.stderr
    assert not marker.exists(), "the pickle was executed"
    assert _status(run2) == "complete"


def test_resumed_interrupted_run_equals_the_uninterrupted_one(made_runs, tmp_path, cli):
    """Item 1/10: the run interrupted after its second checkpoint resumes bit for bit; stray temporaries are
    removed; provenance keeps the original start time and records the resumption."""
    complete, interrupted = made_runs
    run = _copy(interrupted, tmp_path, "run")
    (run / ".tmp-abcdef").write_bytes(b"half a file")
    (run / "checkpoint" / ".tmp-123456").write_bytes(b"half a state")
    start = json.loads((run / "provenance.json").read_text())["start"]
    out = subprocess.run(_cmd("run", "--resume", str(run), "--quiet"), capture_output=True, text=True, timeout=300,
                         env=ENV)
    assert out.returncode == 0, out.stderr
    assert _status(run) == "complete"
    assert not list(run.glob(".tmp-*")) and not (run / "checkpoint").exists() and not (run / "checkpoint.json").exists()
    prov = json.loads((run / "provenance.json").read_text())
    assert prov["start"] == start and len(prov["resumed"]) == 1 and prov["resumed"][0]["from_s"] > 0
    assert "removed 2 temporary file(s)" in (run / "log.txt").read_text()
    assert (run / "metrics.json").read_text() == (complete / "metrics.json").read_text()
    with np.load(run / "arrays.npz") as a, np.load(complete / "arrays.npz") as b:
        for key in b.files:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)


# ---------------------------------------------------------------------------------------------------------------
# item 7/8: every bad input in one line, exit status 2, nothing left behind
# ---------------------------------------------------------------------------------------------------------------

SCHED = "tcp://127.0.0.1:9"  # the discard port: nothing listens there

BAD_INPUT = [
    (["run", "stdp_competition", "--set", "duration=0s"], "parameter 'duration': 0 second is out of range"),
    (["run", "stdp_competition", "--set", "duration=-5s"], "parameter 'duration': -5.0 * second is out of range"),
    (["run", "stdp_competition", "--set", "rates="], "parameter 'rates': give at least 1 value"),
    (["run", "stdp_competition", "--set", "rates=10Hz,-1Hz"], "parameter 'rates': -1.0 * hertz is out of range"),
    (["run", "hebbian_pca", "--set", "n_inputs=0"], "parameter 'n_inputs': 0 is out of range"),
    (["run", "hebbian_pca", "--set", "n_inputs=-3"], "parameter 'n_inputs': -3 is out of range"),
    (["run", "hebbian_pca", "--set", "n_inputs=1e300"], "parameter 'n_inputs': 1e300 is too large"),
    (["run", "hebbian_pca", "--set", "eta_per_sample=1e400"], "parameter 'eta_per_sample': '1e400' is not a finite"),
    (["run", "hebbian_pca", "--set", "sample_dt=0*ms"], "parameter 'sample_dt': 0 second is out of range"),
    (["run", "hebbian_pca", "--set", "sample_dt=-10*ms"], "parameter 'sample_dt': -10.0 * msecond is out of range"),
    (["run", "hebbian_pca", "--set", "n_inputs=3", "--set", "n_inputs=4"], "--set n_inputs is given twice"),
    (["run", "triplet_frequency", "--set", "parameter_sets=bogus"], "parameter 'parameter_sets': bogus is not allowed"),
    (["run", "hebbian_pca", "--seed", "-1"], "--seed must be an integer from 0 to 4294967295, got -1"),
    (["run", "hebbian_pca", "--seed", "4294967296"], "--seed must be an integer from 0 to 4294967295"),
    (["run", "hebbian_pca", "--seed", "1.5"], "argument --seed: invalid int value"),
    (["run", "hebbian_pca", "--threads", "-1"], "--threads must be an integer from 0"),
    (["run", "hebbian_pca", "--threads", "1000"], "--threads must be an integer from 0"),
    (["run", "hebbian_pca", "--device", "gpu9000"], "unknown device 'gpu9000'"),
    (["run", "hebbian_pca", "--checkpoint-every", "5mV"], "--checkpoint-every must be a time"),
    (["run", "hebbian_pca", "--checkpoint-every", "1us"], "--checkpoint-every must be a time of at least 10 ms"),
    (["run", "hebbian_pca", "--checkpoint-every=-20s"], "--checkpoint-every must be a time of at least"),
    (["run", "hebbian_pca", "--max-rate=-5Hz"], "--max-rate must be a positive rate"),
    (["run", "hebbian_pca", "--out", "../../../../../../../../.."], "is not empty and holds no run"),
    (["run", "hebbian_pca", "--out", "user-files"], "is not empty and holds no run"),
    (["run", "hebbian_pca", "--out", "user-files/notes.txt"], "cannot write to output directory"),
    (["run", "--resume", "user-files"], "is not a run directory"),
    (["plot", "user-files"], "is not a run directory"),
    (["run"], "give an experiment NAME"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["sweep", "hebbian_pca", "--grid", "n_inputs=3", "--grid", "n_inputs=4"], "--grid n_inputs is given twice"),
    (["sweep", "hebbian_pca", "--grid", "n_inputs=3,3"], "--grid n_inputs: a value is given twice"),
    (["sweep", "hebbian_pca", "--grid", "n_inputs=3,0"], "parameter 'n_inputs': 0 is out of range"),
    (["sweep", "hebbian_pca", "--grid", "n_inputs=3", "--workers", "0"], "--workers must be from 1"),
    (["sweep", "hebbian_pca", "--grid", "n_inputs=3", "--seeds", "0"], "--seeds must be from 1"),
    (["sweep", "hebbian_pca", "--grid", "n_inputs=3", "--device", "bogus"], "unknown device 'bogus'"),
    (["sweep", "hebbian_pca", "--grid", "n_inputs=3", "--scheduler", SCHED], "cannot reach a Dask scheduler"),
]


@pytest.mark.parametrize("args, words", BAD_INPUT, ids=[" ".join(a[1:]) or a[0] for a, _ in BAD_INPUT])
def test_bad_input_is_one_line_status_2_and_leaves_nothing(args, words, tmp_path, cli, monkeypatch):
    import snnlearn.sweep

    monkeypatch.setattr(snnlearn.sweep, "SCHEDULER_TIMEOUT_S", 2)
    user = tmp_path / "user-files"
    user.mkdir()
    (user / "notes.txt").write_text("the user's own file\n")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    code, lines = cli(*args, cwd=str(tmp_path))
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert words in lines[0], lines[0]
    assert lines[0].startswith("snnlearn: error: ")
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # no run directory, no lock file, nothing
    assert (user / "notes.txt").read_text() == "the user's own file\n"


def test_errors_never_show_brians_bug_banner(tmp_path):
    """Issue #15: a user's mistake (a bad parameter, a rule that cannot be built) prints snnlearn's one line through
    a real process, without Brian2's "Brian 2 encountered an unexpected error" banner; an experiment that raises
    prints one line saying the run failed (traceback in log.txt)."""
    bad = subprocess.run(_cmd("run", "hebbian_pca", "--set", "sample_dt=5*mV"), capture_output=True, text=True,
                         timeout=300, env=ENV, cwd=str(tmp_path))
    assert bad.returncode == 2 and "Brian 2 encountered" not in bad.stderr + bad.stdout
    assert len(bad.stderr.strip().splitlines()) == 1
    failed = subprocess.run(_cmd("run", "hebbian_pca", "--quick", "--device", "numpy", "--set", "n_inputs=2",
                                 "--out", "r"), capture_output=True, text=True, timeout=300, env=ENV, cwd=str(tmp_path))
    assert failed.returncode == 1, failed.stderr
    assert "Brian 2 encountered" not in failed.stderr + failed.stdout and "Traceback" not in failed.stderr
    lines = [x for x in failed.stderr.splitlines() if x.startswith("snnlearn:")]
    assert len(lines) == 1 and "run failed: ValueError: n_inputs = 2 is smaller" in lines[0]
    assert _status(tmp_path / "r") == "failed" and "Traceback" in (tmp_path / "r" / "log.txt").read_text()


def test_a_rule_error_prints_one_line_without_brians_banner(cli, monkeypatch):
    import snnlearn.cli as cli_module
    from snnlearn.errors import RuleError

    def bad_command(args):
        raise RuleError("my_rule", "on_pre: unbalanced parenthesis in 'w += (apost'")

    monkeypatch.setattr(cli_module, "cmd_list", bad_command)
    code, lines = cli("list")
    assert code == 1
    assert lines == ["snnlearn: error: rule 'my_rule': on_pre: unbalanced parenthesis in 'w += (apost'"]


def test_an_internal_error_prints_a_traceback_under_a_bug_line(cli, monkeypatch):
    import snnlearn.cli as cli_module

    def broken(args):
        raise ZeroDivisionError("division by zero in the runner")

    monkeypatch.setattr(cli_module, "cmd_list", broken)
    code, lines = cli("list")
    assert code == 70
    assert lines[0].startswith("snnlearn: internal error: this is a bug in snnlearn")
    assert lines[1].startswith("Traceback") and lines[-1] == "ZeroDivisionError: division by zero in the runner"


# ---------------------------------------------------------------------------------------------------------------
# item 2: runaway simulations fail, metrics.json is strict JSON
# ---------------------------------------------------------------------------------------------------------------

def test_runaway_weights_fail_the_run_in_one_line(tmp_path, cli):
    """Oja's rule with a learning rate far too large overflows: the run ends 'failed', naming variable, object,
    index and simulated time, exit status 1, and no metrics.json."""
    code, lines = cli("run", "hebbian_pca", "--quick", "--device", "numpy", "--set", "eta_per_sample=1.0",
                      "--out", str(tmp_path / "r"), "--quiet", *TINY_PCA)
    assert code == 1, lines
    assert len(lines) == 1 and "run failed: RunawayError: 'oja" in lines[0], lines
    assert "at index" in lines[0] and "s of simulated time" in lines[0]
    assert _status(tmp_path / "r") == "failed" and not (tmp_path / "r" / "metrics.json").exists()


def test_rate_ceiling_fails_a_run_and_can_be_overridden(tmp_path):
    import brian2

    G = brian2.NeuronGroup(3, "v : 1", threshold="i == 1", reset="", name="bursting")  # neuron 1 fires every step
    mon = brian2.SpikeMonitor(G)
    net = brian2.Network(G, mon)
    ctx = RunContext(str(tmp_path), seed=0, device="numpy", quiet=True)
    ctx.run(net, 20 * brian2.ms)
    with pytest.raises(sl.RunawayError, match=r"'bursting' neuron 1 fired at 10000 Hz on average over 0.02 s of "
                                              r"simulated time \(ceiling 1000 Hz"):
        ctx.check_networks()
    ctx.max_rate = 20000 * brian2.Hz
    ctx.check_networks()
    ctx.max_rate = None
    ctx.check_networks()


def test_metrics_json_is_strict_json(tmp_path):
    from snnlearn.io import atomic_write_json, strict_json

    clean, where = strict_json({"a": float("inf"), "b": [1.0, float("nan")], "c": {"d": np.float64("-inf")}, "e": 2})
    assert clean == {"a": None, "b": [1.0, None], "c": {"d": None}, "e": 2}
    assert sorted(where) == ["a", "b[1]", "c.d"]
    with pytest.raises(ValueError):
        atomic_write_json(str(tmp_path / "x.json"), {"w_max": float("inf")})
    assert not (tmp_path / "x.json").exists()


# ---------------------------------------------------------------------------------------------------------------
# items 1, 5, 10: real processes: Ctrl-C, two runs on one directory, a live run, a closed pipe
# ---------------------------------------------------------------------------------------------------------------

def _wait_for(predicate, proc, timeout=300, what="the condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the process ended (status {proc.returncode}) before {what}")
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def _checkpoint_t(run):
    try:
        return json.loads((run / "checkpoint.json").read_text())["t_s"]
    except (OSError, ValueError, KeyError):
        return -1.0


def _sigint_run(tmp_path, device, args, min_checkpoint_t, extra_env=None, sig=signal.SIGINT):
    """Start a checkpointed run, signal it after a checkpoint at >= min_checkpoint_t; check 'interrupted', 130."""
    run = tmp_path / f"sigint-{device}"
    env = {**ENV, **(extra_env or {})}
    proc = subprocess.Popen(_cmd("run", *args, "--device", device, "--out", str(run), "--quiet"), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _checkpoint_t(run) >= min_checkpoint_t, proc, what="a checkpoint")
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Brian 2 encountered" not in err and "Traceback" not in err
    assert "continue it with snnlearn run --resume" in err
    assert _status(run) == "interrupted"
    assert not (run / "metrics.json").exists()
    return run, env


def test_sigint_numpy_marks_interrupted_and_resumes(tmp_path):
    run, env = _sigint_run(tmp_path, "numpy", ["hebbian_pca", "--seed", "5", "--set", "n_samples=100000",
                                               "--checkpoint-every", "20s"], 20)
    t = _checkpoint_t(run)
    assert 20 <= t < 1000
    out = subprocess.run(_cmd("run", "--resume", str(run), "--quiet", "--set", "n_samples=1"), capture_output=True,
                         text=True, timeout=120, env=env)
    assert out.returncode == 2 and "give no NAME or --set with it" in out.stderr
    assert f"resumed from the checkpoint at {t:g} s" not in (run / "log.txt").read_text()


def test_sigterm_ends_a_run_interrupted_like_ctrl_c(tmp_path):
    run, _ = _sigint_run(tmp_path, "numpy", ["hebbian_pca", "--seed", "5", "--set", "n_samples=100000",
                                             "--checkpoint-every", "20s"], 20, sig=signal.SIGTERM)
    assert "SIGTERM" in json.loads((run / "status.json").read_text())["error"]


def test_concurrent_runs_on_one_directory_and_resume_of_a_live_run(tmp_path):
    """Two runs started together on one --out: exactly one runs, the other is refused in one line (exit 2); a
    --resume of the live run is refused; after a kill -9 the kernel has released the directory's lock."""
    run = tmp_path / "shared"
    args = ["run", "hebbian_pca", "--device", "numpy", "--seed", "3", "--set", "n_samples=100000",
            "--set", "n_samples_annealed=200", "--set", "hebb_samples=50", "--checkpoint-every", "5s", "--quiet",
            "--out", str(run)]
    procs = [subprocess.Popen(_cmd(*args), env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    # whichever got the directory: wait until it runs, then ask to resume it
    _wait_for(lambda: _checkpoint_t(run) >= 5, None, timeout=120, what="the first checkpoint")
    live = subprocess.run(_cmd("run", "--resume", str(run)), capture_output=True, text=True, timeout=120, env=ENV)
    assert live.returncode == 2 and "is still running (process" in live.stderr, live.stderr
    assert len(live.stderr.strip().splitlines()) == 1
    results = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=5)
            results.append((proc.returncode, err))
        except subprocess.TimeoutExpired:
            results.append((None, None))
    refused = [r for r in results if r[0] == 2]
    assert len(refused) == 1, results
    assert ("in use by another snnlearn run" in refused[0][1] or "already holds a run" in refused[0][1])
    assert len(refused[0][1].strip().splitlines()) == 1
    runner = [p for p, r in zip(procs, results) if r[0] != 2][0]
    assert runner.poll() is None, "the run that got the directory ended early"
    runner.send_signal(signal.SIGKILL)
    runner.wait(timeout=60)
    assert _status(run) == "running"
    from snnlearn.runs import RunLock

    lock = RunLock(str(run))
    assert lock.acquire(), "the killed run still holds its directory"  # so --resume may now continue it
    lock.release()


def test_closed_pipe_does_not_leave_a_run_reading_running(tmp_path):
    """`snnlearn run ... 2>&1 | head -1`: the pipe closes after one line; the run still completes and says so."""
    run = tmp_path / "piped"
    cmd = " ".join(_cmd("run", "hebbian_pca", "--device", "numpy", "--quick", "--out", str(run), *TINY_PCA))
    out = subprocess.run(["bash", "-c", f"{cmd} 2>&1 | head -1; echo \"${{PIPESTATUS[0]}}\""], capture_output=True,
                         text=True, timeout=300, env=ENV, cwd=ROOT)
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2, out
    assert lines[-1] in ("0", "141"), out  # finished, or ended by SIGPIPE after finishing its bookkeeping
    assert _status(run) == "complete"
    assert (run / "metrics.json").exists()


# ---------------------------------------------------------------------------------------------------------------
# slow: SIGINT on cython and cpp_standalone, SIGKILL at many points, orphans, runaway in cpp_standalone
# ---------------------------------------------------------------------------------------------------------------

SMALL_SONG = ["--quick", "--set", "duration=10s", "--set", "corr_time=10s", "--set", "rate_window=5s",
              "--set", "record_dt=5s", "--set", "frozen_duration=2s"]


@pytest.mark.slow
def test_sigint_cython_marks_interrupted_and_resumes(tmp_path):
    run, env = _sigint_run(tmp_path, "cython", ["hebbian_pca", "--seed", "5", "--set", "n_samples=100000",
                                                "--checkpoint-every", "20s"], 20)
    out = subprocess.run(_cmd("run", "--resume", str(run), "--quiet", "--set", "n_samples=1"), capture_output=True,
                         text=True, timeout=120, env=env)
    assert out.returncode == 2


def _children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                kids.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return kids


def _program_processes(cache):
    """Pids of compiled programs running in (a project of) the build cache ``cache``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
            exe = os.path.basename(os.readlink(f"/proc/{entry}/exe"))
        except OSError:
            continue
        if cwd.startswith(str(cache)) and exe == "main":
            found.append(int(entry))
    return found


@pytest.mark.slow
@pytest.mark.standalone
def test_sigint_and_kill9_of_the_parent_of_a_compiled_program(tmp_path):
    """cpp_standalone: SIGINT to snnlearn while its compiled program runs ends the run 'interrupted' (exit 130) and
    stops the program; kill -9 of snnlearn takes the program with it (no orphan writing into the build cache)."""
    cache = tmp_path / "cache"
    env = {**ENV, "SNNLEARN_BUILD_CACHE": str(cache)}
    long_song = ["--quick", "--set", "duration=600s", "--set", "corr_time=600s", "--set", "record_dt=60s"]
    for how in ("SIGINT", "SIGKILL"):
        run = tmp_path / how
        proc = subprocess.Popen(_cmd("run", "stdp_competition", *long_song, "--out", str(run), "--quiet"), env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _wait_for(lambda: _program_processes(cache), proc, timeout=600, what="the compiled program")
        programs = _program_processes(cache)
        time.sleep(0.5)
        proc.send_signal(getattr(signal, how))
        proc.communicate(timeout=120)
        deadline = time.time() + 10
        while time.time() < deadline and any(os.path.exists(f"/proc/{p}") for p in programs):
            time.sleep(0.05)
        assert not _program_processes(cache), f"the compiled program outlived its parent ({how})"
        if how == "SIGINT":
            assert proc.returncode == 130 and _status(run) == "interrupted"
        else:
            assert _status(run) == "running"


def _arrays(path):
    with np.load(os.path.join(path, "arrays.npz")) as npz:
        return {k: npz[k] for k in npz.files}


def _kill_points(tmp_path, name, args, env, n_points, seed, wall):
    """SIGKILL a run at n_points moments (random, spread over a warm run's wall time; the last one right after the
    last checkpoint), each in its own directory, and --resume each: it must complete bit-identical to an
    uninterrupted reference run, or refuse in one line. Returns what happened at each kill point."""
    rng = np.random.default_rng(seed)
    reference = tmp_path / "reference"
    subprocess.run(_cmd("run", name, *args, "--out", str(reference)), check=True, timeout=900, env=env,
                   capture_output=True)
    # the wall time of a warm run (the reference may have compiled): kill moments spread over it
    t0 = time.time()
    subprocess.run(_cmd("run", name, *args, "--out", str(tmp_path / "timing")), check=True, timeout=900, env=env,
                   capture_output=True)
    duration = time.time() - t0 if wall is None else wall
    assert (tmp_path / "timing" / "metrics.json").read_text() == (reference / "metrics.json").read_text()
    import re

    final_t = max(float(x) for x in re.findall(r"checkpoint at ([0-9.e+-]+) s", (reference / "log.txt").read_text()))
    outcomes, attempt = [], 0
    while len(outcomes) < n_points and attempt < n_points + 6:
        run = tmp_path / f"kill{attempt:02d}"
        attempt += 1
        proc = subprocess.Popen(_cmd("run", name, *args, "--out", str(run)), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        if len(outcomes) == n_points - 1:  # right after the last checkpoint, before 'complete'
            _wait_for(lambda: _checkpoint_t(run) >= final_t - 1e-9, proc, what="the last checkpoint")
        else:
            # the kill moment counts from the run directory's creation: on a loaded machine Python's start-up
            # can take most of the warm run's time, and a kill before it is not a kill point of a run
            started = time.time()
            while not (run / "status.json").exists() and proc.poll() is None and time.time() < started + 300:
                time.sleep(0.01)
            deadline = time.time() + rng.uniform(0.05, 0.95) * duration
            while time.time() < deadline and proc.poll() is None:
                time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        if not (run / "status.json").exists():
            continue  # killed before the run directory existed: not a kill point of a run
        t_killed = _checkpoint_t(run)
        out = subprocess.run(_cmd("run", "--resume", str(run), "--quiet"), capture_output=True, text=True,
                             timeout=900, env=env)
        if out.returncode == 2:  # a refusal must be one line (e.g. killed after completing)
            assert len(out.stderr.strip().splitlines()) == 1, out.stderr
            assert _status(run) == "complete", out.stderr
            outcomes.append("refused: already complete")
        else:
            assert out.returncode == 0, out.stderr
            outcomes.append(f"resumed from the checkpoint at {t_killed:g} s" if t_killed >= 0
                            else "resumed from the start (killed before its first checkpoint)")
        assert _status(run) == "complete"
        res, ref = _arrays(run), _arrays(reference)
        assert sorted(res) == sorted(ref)
        for key in ref:
            np.testing.assert_array_equal(res[key], ref[key], err_msg=f"kill point {attempt}: {key}")
        assert (run / "metrics.json").read_text() == (reference / "metrics.json").read_text()
    print(f"{name} kill points: {outcomes}")
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize("device", ["numpy", "cython"])
def test_kill9_at_ten_points_runtime_resumes_bit_identical(tmp_path, device):
    args = ["hebbian_pca", "--device", device, "--seed", "4", "--set", "n_samples=3000", "--set",
            "n_samples_annealed=1000", "--set", "hebb_samples=50", "--checkpoint-every", "4s", "--quiet"]
    outcomes = _kill_points(tmp_path, args[0], args[1:], ENV, 10, seed=1, wall=None)
    assert len(outcomes) == 10 and sum(o.startswith("resumed from the checkpoint") for o in outcomes) >= 3


@pytest.mark.slow
@pytest.mark.standalone
def test_kill9_at_ten_points_cpp_standalone_resumes_bit_identical(tmp_path):
    """Includes a kill right after the last checkpoint (item 4: resumable, not NotImplementedError)."""
    env = {**ENV, "SNNLEARN_BUILD_CACHE": str(tmp_path / "cache")}
    args = ["--device", "cpp_standalone", "--seed", "2", *SMALL_SONG, "--checkpoint-every", "2s", "--quiet"]
    outcomes = _kill_points(tmp_path, "stdp_competition", args, env, 10, seed=2, wall=None)
    assert len(outcomes) == 10 and outcomes[-1] == "resumed from the checkpoint at 12 s"


@pytest.mark.slow
@pytest.mark.standalone
@pytest.mark.parametrize("chunked", [False, True])
def test_runaway_fails_the_run_in_cpp_standalone(tmp_path, chunked):
    """A weight bound of 1e308 overflows the rule's traces to inf: on the default device the run ends 'failed'
    (exit 1) naming the variable, object, index and simulated time (chunked: after the first chunk, before it is
    checkpointed), and no metrics are written; a rate ceiling fails a run too."""
    env = {**ENV, "SNNLEARN_BUILD_CACHE": str(tmp_path / "cache")}
    extra = ["--checkpoint-every", "2s"] if chunked else []
    out = subprocess.run(_cmd("run", "stdp_competition", *SMALL_SONG, "--set", "gmax=1e308", *extra, "--quiet",
                              "--out", str(tmp_path / "inf")), capture_output=True, text=True, timeout=900, env=env)
    assert out.returncode == 1, out.stderr
    line = [x for x in out.stderr.splitlines() if x.startswith("snnlearn:")][0]
    assert "RunawayError" in line and ("is inf at index" in line or "is nan at index" in line), line
    assert ("after 2 s of simulated time" if chunked else "after 12 s of simulated time") in line, line
    assert _status(tmp_path / "inf") == "failed" and not (tmp_path / "inf" / "metrics.json").exists()
    if not chunked:
        out = subprocess.run(_cmd("run", "stdp_competition", *SMALL_SONG, "--max-rate", "1Hz", "--quiet", "--out",
                                  str(tmp_path / "rate")), capture_output=True, text=True, timeout=900, env=env)
        assert out.returncode == 1 and "fired at" in out.stderr and "ceiling 1 Hz" in out.stderr, out.stderr


def _guarded_make_running(session):
    """True while snnlearn's make_guard.py (Brian2's make, wrapped) runs in the process group ``session``."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ")
            if b"make_guard.py" in cmdline and os.getpgid(int(pid)) == session:
                return True
        except (OSError, ProcessLookupError):
            continue
    return False


@pytest.mark.slow
@pytest.mark.standalone
def test_ctrl_c_while_compiling_is_an_interruption_not_a_failed_compilation(tmp_path):
    """A terminal's Ctrl-C reaches the whole process group, make included, while Brian2's os.system makes Python
    ignore it: the run must still read 'interrupted' (exit 130), not 'failed: Project compilation failed'."""
    run = tmp_path / "compiling"
    env = {**ENV, "SNNLEARN_BUILD_CACHE": str(tmp_path / "cache")}
    proc = subprocess.Popen(_cmd("run", "maps_vs_reward", "--quick", "--out", str(run), "--quiet"), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    _wait_for(lambda: _guarded_make_running(proc.pid), proc, timeout=300, what="the compilation")
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert _status(run) == "interrupted" and "interrupted while compiling" in err
    resumed = subprocess.run(_cmd("run", "--resume", str(run), "--quiet"), env=env, capture_output=True, text=True,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert _status(run) == "complete"


def _processes_working_in(directory):
    """Pids of processes whose working directory is inside ``directory`` (make and its compilers)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/cwd").startswith(str(directory)):
                    found.append(int(pid))
    return found


@pytest.mark.slow
@pytest.mark.standalone
def test_kill9_while_compiling_leaves_no_compiler_running(tmp_path):
    """kill -9 of snnlearn during make: the compilation (make and its compilers) stops within a second or so."""
    cache = tmp_path / "cache"
    env = {**ENV, "SNNLEARN_BUILD_CACHE": str(cache)}
    proc = subprocess.Popen(_cmd("run", "maps_vs_reward", "--quick", "--out", str(tmp_path / "run"), "--quiet"),
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    _wait_for(lambda: _guarded_make_running(proc.pid), proc, timeout=300, what="the compilation")
    time.sleep(1.0)
    assert _processes_working_in(cache), "make should be compiling in the build cache"
    proc.kill()
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and _processes_working_in(cache):
        time.sleep(0.1)
    assert not _processes_working_in(cache), "a compiler outlived snnlearn"
