"""A user's own experiment: the README's example file, run through the command line like a built-in.

The example is read from the README itself (section "Write your own experiment"), so the
README cannot drift from what is tested. Also: an experiment registered by another
installed package (an entry point), and the one-line refusals of files that are not
experiments.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_example():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text[text.index("## Write your own experiment"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture
def example(tmp_path):
    path = tmp_path / "my_stdp.py"
    path.write_text(readme_example())
    return path


def snnlearn(*args, cwd, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "snnlearn.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def status(run_dir):
    return json.loads((run_dir / "status.json").read_text())["status"]


def test_the_readme_example_runs_shows_and_replots_from_its_file(example, tmp_path):
    shown = snnlearn("show", example, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"rate\s+15\.0 \* hertz\s+a quantity in hertz \(>= 0 hertz, <= 100\.0 \* hertz\)\s+input rate",
                     shown.stdout), shown.stdout
    done = snnlearn("run", example, "--quick", "--device", "numpy", "--out", "mine",
                    cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run_dir = tmp_path / "mine"
    assert status(run_dir) == "complete"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert 0 <= metrics["bimodal_fraction"] <= 1 and metrics["output_rate_hz"] > 0
    assert "bimodal_fraction = " in done.stdout and done.stdout.strip().endswith("mine")
    provenance = json.loads((run_dir / "provenance.json").read_text())
    assert provenance["experiment"] == str(example)  # recorded by absolute path, for resume/plot/sweep
    (run_dir / "weights.png").unlink()
    replot = snnlearn("plot", "mine", cwd=tmp_path)
    assert replot.returncode == 0, replot.stderr
    assert (run_dir / "weights.png").exists()


@pytest.mark.parametrize("set_value, words", [
    ("rate=5mV", "rate"),
    ("rate=200Hz", "<= 100.0 * hertz"),
    ("duration=0s", "> 0"),
    ("n_inputs=many", "n_inputs"),
])
def test_the_example_validates_its_parameters_before_anything_runs(example, tmp_path, set_value, words):
    bad = snnlearn("run", example, "--set", set_value, "--out", "never", cwd=tmp_path)
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and words in bad.stderr, bad.stderr
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("content, words", [
    ("x = 1\n", "is not an snnlearn experiment: it does not define PARAMS, simulate, measure, plot"),
    ("PARAMS = {}\ndef simulate(p, ctx): pass\ndef plot(d, m, p): pass\n", "it does not define measure ("),
    ("PARAMS = {}\nrun = plot = 3\n", "run must be a function"),
    ("PARAMS = {}\nsimulate = measure = plot = 3\n", "simulate must be a function"),
    ("raise RuntimeError('no GPU here')\n", "raised RuntimeError on import: no GPU here"),
    ("import numpy as np\nPARAMS = {\n", "does not parse"),
])
def test_a_file_that_is_not_an_experiment_is_one_line(tmp_path, content, words):
    path = tmp_path / "thing.py"
    path.write_text(content)
    for command in (("run", path), ("show", path), ("sweep", path, "--grid", "a=1,2")):
        result = snnlearn(*command, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and str(path) in lines[0], result.stderr


def test_a_missing_file_or_not_python_is_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("PARAMS = {}")
    for ref, words in ((tmp_path / "gone.py", "does not exist"), (tmp_path / "notes.txt", "not a Python file")):
        result = snnlearn("run", ref, cwd=tmp_path)
        assert result.returncode == 2 and words in result.stderr, result.stderr


def test_an_experiment_registered_by_an_installed_package_is_listed_and_runs(example, tmp_path):
    """A package that declares the entry point snnlearn.experiments (here: a dist-info on PYTHONPATH)."""
    site = tmp_path / "site"
    package = site / "my_lab"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "bimodal.py").write_text(readme_example())
    info = site / "my_lab-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-lab\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[snnlearn.experiments]\nlab_bimodal = my_lab.bimodal\n")
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    listed = snnlearn("list", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if x.startswith("lab_bimodal"))
    assert "Additive STDP makes a neuron's input weights bimodal" in line
    assert len([x for x in listed.stdout.splitlines() if x.strip()]) <= 30, "one line per experiment"
    done = snnlearn("run", "lab_bimodal", "--quick", "--device", "numpy", "--set", "n_inputs=20",
                    "--set", "duration=1s", "--out", "lab", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert status(tmp_path / "lab") == "complete"


@pytest.mark.slow
@pytest.mark.standalone
def test_the_example_sweeps_two_points_with_one_compilation(example, tmp_path):
    swept = snnlearn("sweep", example, "--grid", "rate=10Hz,20Hz", "--quick", "--workers", "1", "--set",
                     "n_inputs=50", "--out", "sweep", cwd=tmp_path, env={"SNNLEARN_BUILD_CACHE": str(tmp_path / "cache")})
    assert swept.returncode == 0, swept.stderr
    rows = (tmp_path / "sweep" / "results.csv").read_text().strip().splitlines()
    header = rows[0].split(",")
    table = [dict(zip(header, r.split(","))) for r in rows[1:]]
    assert [r["status"] for r in table] == ["complete", "complete"]
    assert sorted(r["program"] for r in table) == ["compiled", "reused"]


@pytest.mark.slow
def test_the_example_resumes_after_kill_9_bit_identical(example, tmp_path):
    args = ["--device", "numpy", "--checkpoint-every", "1s", "--set", "duration=6s", "--set", "n_inputs=50"]
    reference = snnlearn("run", example, *args, "--out", "whole", "--quiet", cwd=tmp_path)
    assert reference.returncode == 0, reference.stderr
    proc = subprocess.Popen([sys.executable, "-m", "snnlearn.cli", "run", str(example), *args, "--out", "killed",
                             "--quiet"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (tmp_path / "killed" / "checkpoint.json").exists():
        assert proc.poll() is None and time.time() < deadline, "the run ended before its first checkpoint"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert status(tmp_path / "killed") == "running"
    resumed = snnlearn("run", "--resume", "killed", "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert status(tmp_path / "killed") == "complete"
    with np.load(tmp_path / "whole" / "arrays.npz") as a, np.load(tmp_path / "killed" / "arrays.npz") as b:
        np.testing.assert_array_equal(a["w"], b["w"])
    assert json.loads((tmp_path / "whole" / "metrics.json").read_text()) == \
        json.loads((tmp_path / "killed" / "metrics.json").read_text())
