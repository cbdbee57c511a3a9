"""Run directories: same seed same output, kill and resume, progress, failures marked as such."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import snnlearn as sl
from snnlearn.runs import RunContext, UsageError


def _arrays(path):
    with np.load(os.path.join(path, "arrays.npz")) as npz:
        return {k: npz[k] for k in npz.files}


def test_same_seed_same_output_different_seed_different_output(tmp_path):
    runs = {}
    for label, seed in (("a", 4), ("b", 4), ("c", 5)):
        runs[label] = sl.run("hebbian_pca", seed=seed, quick=True, device="numpy", out=str(tmp_path / label))
    metrics = {k: (tmp_path / k / "metrics.json").read_text() for k in runs}
    assert metrics["a"] == metrics["b"]
    assert metrics["a"] != metrics["c"]
    a, b, c = (_arrays(tmp_path / k) for k in "abc")
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert not np.array_equal(a["w"], c["w"])


def test_failed_run_is_marked_failed_and_not_complete(tmp_path):
    with pytest.raises(ValueError, match="smaller than the number of top eigenvalues"):
        sl.run("hebbian_pca", quick=True, device="numpy", out=str(tmp_path / "bad"), n_inputs=2)
    status = json.loads((tmp_path / "bad" / "status.json").read_text())
    assert status["status"] == "failed" and "ValueError" in status["error"]
    assert not (tmp_path / "bad" / "metrics.json").exists()
    with pytest.raises(UsageError, match="is failed, not complete"):
        sl.runs.replot(str(tmp_path / "bad"))


def test_existing_run_directory_is_not_overwritten(tmp_path):
    sl.run("hebbian_pca", quick=True, device="numpy", out=str(tmp_path / "r"))
    with pytest.raises(UsageError, match="already holds a run \\(complete\\)"):
        sl.run("hebbian_pca", quick=True, device="numpy", out=str(tmp_path / "r"))


def test_progress_reporter_is_called_and_silent_when_quiet(tmp_path, capsys):
    import brian2

    ctx = RunContext(str(tmp_path), seed=0, device="numpy", quiet=True)
    ctx._progress.enabled = False
    G = brian2.NeuronGroup(1, "dv/dt = -v/(10*ms) : 1", method="exact")
    net = brian2.Network(G)
    ctx.run(net, 50 * brian2.ms, report_period=0.001 * brian2.second)
    list(ctx.progress(range(5)))
    assert ctx.progress_calls >= 5 + 2  # Brian2 called the report hook; the loop advanced the bar
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def _snnlearn(*args):
    return [sys.executable, "-m", "snnlearn.cli", *args]


def test_kill_and_resume_is_bit_for_bit(tmp_path):
    """SIGKILL a runtime run after its first checkpoint; --resume finishes it with the uninterrupted weights."""
    common = ["--device", "numpy", "--seed", "2", "--checkpoint-every", "20s", "--quiet"]
    reference = tmp_path / "reference"
    subprocess.run(_snnlearn("run", "hebbian_pca", "--out", str(reference), *common), check=True, timeout=600)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(_snnlearn("run", "hebbian_pca", "--out", str(killed), *common))
    checkpoint = killed / "checkpoint.json"
    deadline = time.time() + 300
    while time.time() < deadline:
        if checkpoint.exists() and json.loads(checkpoint.read_text())["t_s"] >= 20:
            break
        if proc.poll() is not None:
            pytest.fail("the run finished before it could be killed")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert json.loads((killed / "status.json").read_text())["status"] == "running"  # incomplete, not complete
    assert not (killed / "metrics.json").exists()
    t_killed = json.loads(checkpoint.read_text())["t_s"]
    assert t_killed < 300

    out = subprocess.run(_snnlearn("run", "--resume", str(killed), "--quiet"), capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    assert json.loads((killed / "status.json").read_text())["status"] == "complete"
    assert "resumed from the checkpoint" in (killed / "log.txt").read_text()
    ref, res = _arrays(reference), _arrays(killed)
    np.testing.assert_array_equal(res["w"], ref["w"])
    np.testing.assert_array_equal(res["cos_history"][-1], ref["cos_history"][-1])
    assert (killed / "metrics.json").read_text() == (reference / "metrics.json").read_text()


def test_resume_refuses_a_complete_run(tmp_path):
    sl.run("hebbian_pca", quick=True, device="numpy", out=str(tmp_path / "done"))
    out = subprocess.run(_snnlearn("run", "--resume", str(tmp_path / "done")), capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 2 and "already complete" in out.stderr


def test_runaway_weights_raise_a_one_line_error(tmp_path):
    """A Hebbian rule with no bound and a large rate blows up; the run context names the variable."""
    import brian2

    ctx = RunContext(str(tmp_path), seed=0, device="numpy", quiet=True)
    G = brian2.PoissonGroup(20, 200 * brian2.Hz)
    N = brian2.NeuronGroup(1, "dv/dt = -v/(10*ms) : 1", threshold="v > 1", reset="v = 0", method="exact")
    rule = sl.Rule("runaway_hebb", model="dx/dt = -x/(20*ms) : 1 (event-driven)", on_pre="x += 1",
                   on_post="w = w * (1 + 1e3*x)")
    S = sl.connect(G, N, rule, transmit="v_post += w", connect=True, w=0.5, name="runaway")
    with pytest.raises(sl.RunawayError, match=r"'runaway.w' is (inf|nan) at index \d+ after"):
        ctx.run(brian2.Network(G, N, S), 2 * brian2.second)


# A small Song et al. (2000) network (3 neurons x 1000 plastic synapses) for 10 s of learning and 2 s of the frozen
# control: 12 s of simulated time, 6 chunks of 2 s.
SMALL_SONG = ["--quick", "--set", "duration=10s", "--set", "corr_time=10s", "--set", "rate_window=5s",
              "--set", "record_dt=5s", "--set", "frozen_duration=2s"]


def _binaries(cache):
    return {str(p): p.stat().st_mtime_ns for p in cache.glob("*/main")}


@pytest.mark.slow
@pytest.mark.standalone
def test_standalone_kill_and_resume_without_recompiling(tmp_path, counting_compiler):
    """cpp_standalone checkpoints (compiled chunks, state passed back in with run_args): SIGKILL a run after its
    first checkpoint; it reads as incomplete; --resume finishes it without running the compiler (the binary is
    unchanged), and its weights, spikes and metrics equal those of the uninterrupted run with the same seed and
    the same --checkpoint-every bit for bit. (Bit identity holds because each chunk of both runs starts from the
    same state, read back exactly from the program's binary output, with the same per-chunk seed.)"""
    cache = tmp_path / "cache"
    cxx, compiler_log = counting_compiler
    env = {**os.environ, "SNNLEARN_BUILD_CACHE": str(cache), "CXX": cxx}
    common = ["--device", "cpp_standalone", "--seed", "2", *SMALL_SONG, "--checkpoint-every", "2s", "--quiet"]
    reference = tmp_path / "reference"
    subprocess.run(_snnlearn("run", "stdp_competition", "--out", str(reference), *common), check=True, timeout=900,
                   env=env, capture_output=True)
    assert compiler_log.read_text().strip(), "the first run compiled nothing: the compiler wrapper was not used"
    compilations = len(compiler_log.read_text().splitlines())
    binaries = _binaries(cache)
    assert len(binaries) == 1
    prov = json.loads((reference / "provenance.json").read_text())
    assert prov["program"]["chunks"] == 6 and prov["program"]["chunk_s"] == 2.0

    killed = tmp_path / "killed"
    proc = subprocess.Popen(_snnlearn("run", "stdp_competition", "--out", str(killed), *common), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoint = killed / "checkpoint.json"
    deadline = time.time() + 600
    log_file = killed / "log.txt"
    while time.time() < deadline:
        # kill once the checkpoint and its log line are both on disk (the line follows the record by a few ms)
        if checkpoint.exists() and json.loads(checkpoint.read_text())["t_s"] >= 2 and log_file.exists() \
                and f"checkpoint at {json.loads(checkpoint.read_text())['t_s']:g} s" in log_file.read_text():
            break
        if proc.poll() is not None:
            pytest.fail("the run finished before it could be killed")
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert json.loads((killed / "status.json").read_text())["status"] == "running"  # incomplete, not complete
    assert not (killed / "metrics.json").exists()
    t_killed = json.loads(checkpoint.read_text())["t_s"]
    assert 2 <= t_killed < 12
    assert f"checkpoint at {t_killed:g} s" in (killed / "log.txt").read_text()  # the log up to the checkpoint

    out = subprocess.run(_snnlearn("run", "--resume", str(killed), "--quiet"), capture_output=True, text=True,
                         timeout=900, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads((killed / "status.json").read_text())["status"] == "complete"
    log = (killed / "log.txt").read_text()
    assert f"resumed from the checkpoint at {t_killed:g} s" in log
    assert "with the compiled program unchanged" in log
    assert len(compiler_log.read_text().splitlines()) == compilations  # neither the killed run nor the resume compiled
    assert _binaries(cache) == binaries
    assert not (killed / "checkpoint").exists()  # the complete results replace the checkpoint's state
    ref, res = _arrays(reference), _arrays(killed)
    for key in ("w_final", "w_history", "w_time_s", "spike_i", "spike_t_s"):
        np.testing.assert_array_equal(res[key], ref[key], err_msg=key)
    assert (killed / "metrics.json").read_text() == (reference / "metrics.json").read_text()


def test_run_sets_variables_between_runs(tmp_path):
    """ctx.run(..., set={view: value}) changes a variable just before the run (the form that also works in a
    chunked cpp_standalone run); model identifiers come from the caller's namespace, not from RunContext.run."""
    import brian2

    ctx = RunContext(str(tmp_path), seed=0, device="numpy", quiet=True)
    drive = 2.0  # noqa: F841  (looked up by the model through the caller's namespace)
    G = brian2.NeuronGroup(2, "dv/dt = (drive - v)/(10*ms) : 1\nI : 1", method="euler")
    net = brian2.Network(G)
    ctx.run(net, 1 * brian2.ms)
    assert np.all(G.I[:] == 0)
    ctx.run(net, 1 * brian2.ms, set={G.I: [1.0, 3.0]})
    np.testing.assert_array_equal(G.I[:], [1.0, 3.0])
    assert np.all(G.v[:] > 0)


@pytest.mark.slow
@pytest.mark.standalone
@pytest.mark.parametrize("period_ms", [0, 50])
def test_spike_generators_emit_each_spike_once_across_chunks(tmp_path, monkeypatch, period_ms):
    """A SpikeGeneratorGroup carries its position in the spike list from chunk to chunk: every spike is
    emitted once, at its time (once the first chunk's position was lost, every later chunk replayed all earlier
    spikes at its first step; and passing the spike list back in crashed the program)."""
    import brian2
    from brian2 import ms, second

    monkeypatch.setenv("SNNLEARN_BUILD_CACHE", str(tmp_path / "cache"))
    ctx = RunContext(str(tmp_path), seed=0, device="cpp_standalone", quiet=True, checkpoint_every=0.1 * second)
    step = 7
    times = np.arange(0, 300 if period_ms == 0 else period_ms, step)
    with ctx.use_device(cache_key=("generator_chunks", period_ms)) as sim:
        gen = brian2.SpikeGeneratorGroup(2, np.arange(times.size) % 2, times * ms, period=period_ms * ms, name="gen")
        mon = brian2.SpikeMonitor(gen, name="gen_spikes")
        ctx.run(brian2.Network(gen, mon), 0.3 * second)
        sim.build()
        got = np.round(np.asarray(mon.t / ms), 6)
    expected = times if period_ms == 0 else np.concatenate([times + k * period_ms for k in range(300 // period_ms)])
    assert ctx.checkpoints_written == 3
    np.testing.assert_array_equal(got, expected)


def test_planned_run_reports_progress_with_an_eta_over_the_whole_run():
    """ctx.plan(total) makes every stretch of simulation report the whole run's progress: done out of the plan,
    elapsed, and the time left (absent once done), across several ctx.run calls."""
    import brian2

    ctx = RunContext(None, seed=0, device="numpy", quiet=True, checkpoint_every=None)
    G = brian2.NeuronGroup(1, "dv/dt = -v/(10*ms) : 1", method="exact")
    net = brian2.Network(G)
    ctx.plan(40 * brian2.ms)
    ctx.run(net, 10 * brian2.ms)
    ctx.run(net, 30 * brian2.ms)
    lines = [line for line in ctx._log_lines if "progress:" in line]
    assert len(lines) == 2
    assert "10 of 0.04 s" not in lines[0] and "0.01 of 0.04 s simulated (25 %)" in lines[0] and "left" in lines[0]
    assert "0.04 of 0.04 s simulated (100 %)" in lines[1] and "left" not in lines[1]
