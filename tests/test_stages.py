"""Experiments that run several programs resume stage by stage (``RunContext.stage``).

A two-stage experiment file (a Poisson-driven neuron per stage, numpy draws between the stages)
is interrupted inside its second stage and resumed: the finished first stage is loaded, not run
again, the random generator continues where it stood after it, what the stage recorded
(arrays, rules) is back, and the result equals the uninterrupted run. A damaged stage file is
refused in one line, and stage names must be unique.
"""

import json
import os

import numpy as np
import pytest

from snnlearn.errors import UsageError
from snnlearn.runs import RunContext, resume_experiment, run_experiment

EXPERIMENT = '''
import os

import numpy as np
from brian2 import Hz, NeuronGroup, PoissonGroup, Network, SpikeMonitor, Synapses, ms, second

import snnlearn as sl
from snnlearn.params import Param

PARAMS = {"rate": Param(40 * Hz, unit=Hz, low=0 * Hz, doc="input rate"),
          "duration": Param(1 * second, unit=second, low=0 * second, doc="per stage")}


def one_stage(p, ctx, k, weight):
    def simulate(ctx):
        with ctx.use_device(cache_key=("two_stages", k)):
            ctx.brian_seed(k)
            source = PoissonGroup(20, p.rate)
            target = NeuronGroup(1, "dv/dt = -v / (10*ms) : 1", threshold="v > 1", reset="v = 0", method="exact")
            rule = sl.rules.stdp_additive()
            syn = sl.connect(source, target, rule, transmit="v_post += w", w=weight, name=f"syn{k}")
            syn.w = weight * ctx.rng.uniform(0.8, 1.2, 20)  # drawn in the stage: resume restores the generator
            ctx.record_rule(rule, f"stage {k}")
            spikes = SpikeMonitor(target)
            net = Network(source, target, syn, spikes)
            if os.environ.get("STOP_IN_STAGE") == str(k):
                ctx.run(net, p.duration / 2)
                raise KeyboardInterrupt("stopped inside a stage")
            ctx.run(net, p.duration)
            ctx.save_arrays(**{f"w{k}": np.asarray(syn.w[:])})
            return {"count": int(spikes.num_spikes), "times": np.asarray(spikes.t / second)}
    return ctx.stage(f"stage {k}", simulate)


def run(p, ctx):
    first = one_stage(p, ctx, 0, float(ctx.rng.uniform(0.2, 0.3)))
    second = one_stage(p, ctx, 1, float(ctx.rng.uniform(0.2, 0.3)))  # drawn after stage 0: must survive a resume
    ctx.save_arrays(times0=first["times"], times1=second["times"])
    return {"counts": [first["count"], second["count"]], "draw": float(ctx.rng.uniform())}


def plot(data, metrics, p):
    return {}
'''


@pytest.fixture
def experiment(tmp_path):
    path = tmp_path / "two_stages.py"
    path.write_text(EXPERIMENT)
    return str(path)


def _arrays(path):
    with np.load(os.path.join(path, "arrays.npz")) as npz:
        return {k: npz[k] for k in npz.files}


def _interrupted_in_stage_1(experiment, out, monkeypatch):
    monkeypatch.setenv("STOP_IN_STAGE", "1")
    with pytest.raises(KeyboardInterrupt):
        run_experiment(experiment, seed=5, out=str(out), device="numpy", checkpoint_every=0.2)
    monkeypatch.delenv("STOP_IN_STAGE")
    return json.loads((out / "stages.json").read_text())


def test_a_resumed_run_loads_finished_stages_and_equals_the_uninterrupted_run(experiment, tmp_path, monkeypatch):
    reference = run_experiment(experiment, seed=5, out=str(tmp_path / "reference"), device="numpy",
                               checkpoint_every=0.2)
    out = tmp_path / "interrupted"
    stages = _interrupted_in_stage_1(experiment, out, monkeypatch)
    assert list(stages) == ["stage 0"] and json.loads((out / "status.json").read_text())["status"] == "interrupted"
    assert json.loads((out / "checkpoint.json").read_text())["stage"] == "stage 1"

    resumed = resume_experiment(str(out))
    log = (out / "log.txt").read_text()
    assert "stage 'stage 0': finished before the interruption, its results loaded" in log
    assert "resumed from the checkpoint at 0.4 s" in log
    assert resumed.metrics == reference.metrics  # the generator's draws after the stages included
    ref, res = _arrays(tmp_path / "reference"), _arrays(out)
    assert sorted(ref) == sorted(res) == ["times0", "times1", "w0", "w1"]
    for key in ref:
        np.testing.assert_array_equal(res[key], ref[key], err_msg=key)
    rules = json.loads((out / "rules.json").read_text())
    assert sorted(rules) == sorted(json.loads((tmp_path / "reference" / "rules.json").read_text()))
    assert rules["stage 0"]["name"] == "stdp_additive"
    # a complete run keeps no stage files
    assert not (out / "stages.json").exists() and not (out / "stages").exists()


def test_a_resume_without_checkpoints_still_skips_finished_stages(experiment, tmp_path, monkeypatch):
    monkeypatch.setenv("STOP_IN_STAGE", "1")
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run_experiment(experiment, seed=2, out=str(out), device="numpy")
    monkeypatch.delenv("STOP_IN_STAGE")
    resume_experiment(str(out))
    log = (out / "log.txt").read_text()
    assert log.count("finished stage 'stage 0'") == 1 and "its results loaded" in log
    reference = run_experiment(experiment, seed=2, out=str(tmp_path / "reference"), device="numpy")
    assert json.loads((out / "metrics.json").read_text()) == reference.metrics


def test_a_damaged_stage_file_is_refused_in_one_line(experiment, tmp_path, monkeypatch):
    out = tmp_path / "run"
    stages = _interrupted_in_stage_1(experiment, out, monkeypatch)
    with open(out / stages["stage 0"]["file"], "ab") as fh:
        fh.write(b"x")
    with pytest.raises(UsageError, match=r"stage 'stage 0' .* do not match their checksum in stages.json"):
        resume_experiment(str(out))
    os.unlink(out / stages["stage 0"]["file"])
    with pytest.raises(UsageError, match=r"the results of stage 'stage 0' .* are missing"):
        resume_experiment(str(out))


def test_stage_names_are_unique_and_in_memory_stages_just_run():
    ctx = RunContext.in_memory(0, device="numpy")
    assert ctx.stage("a", lambda c: {"x": np.arange(3)})["x"].tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="stage names must be unique within a run: 'a' is used twice"):
        ctx.stage("a", lambda c: {})


def test_what_a_stage_returns_and_saves_outlives_its_brian2_objects():
    """Since Brian2 2.11 ``S.w[:]`` is a view on memory the Synapses free when collected, which the
    next stage's start does: the stage's results and saved arrays must be copies."""
    from brian2 import NeuronGroup, Synapses

    ctx = RunContext.in_memory(seed=0, device="numpy")

    def build(ctx):
        with ctx.use_device(cache_key="views"):
            group = NeuronGroup(30, "v : 1")
            syn = Synapses(group, group, "w : 1")
            syn.connect()
            syn.w = "i + 0.001 * j"
            ctx.save_arrays(pre=syn.i[:])
            return {"w": syn.w[:], "nested": [syn.j[:]]}

    data = ctx.stage("views", build)
    ctx.stage("after", lambda ctx: [np.ones(10_000) for _ in range(50)] and None)  # releases and reuses memory
    i, j = np.divmod(np.arange(900), 30)
    np.testing.assert_array_equal(data["w"], i + 0.001 * j)
    np.testing.assert_array_equal(data["nested"][0], j)
    np.testing.assert_array_equal(ctx.arrays["pre"], i)
