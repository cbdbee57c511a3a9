"""What the runner can do with each built-in experiment, as the README's table says (issue 13).

An experiment checkpoints when all it simulates goes through ``ctx.run`` (or ``ctx.program``);
one that cannot says why in ``NO_CHECKPOINTS``, and the runner prints that in one line before
starting. Sweeps reuse a compiled program across seeds, and across the parameters declared
``Param(..., runtime=True)``. The README's table is compared with the declarations, so neither
can drift.
"""

import inspect
import os
import re
import subprocess
import sys

import pytest

from snnlearn.registry import capabilities, list_experiments, load_experiment
from snnlearn.runs import run_time_names

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPERIMENTS = list_experiments()


def _readme_table():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text.split("### Which experiments checkpoint and sweep", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_the_readme_table_lists_every_built_in_experiment_as_declared():
    rows = _readme_table()
    assert set(rows) == set(EXPERIMENTS)
    for name in EXPERIMENTS:
        module = load_experiment(name)
        checkpoints, sweeps = rows[name]
        why = getattr(module, "NO_CHECKPOINTS", None)
        assert checkpoints == (f"no: {why}" if why else "yes"), name
        runtime = run_time_names(module)
        assert sweeps == ", ".join(("seeds",) + tuple(f"`{r}`" for r in runtime)), name
        assert capabilities(module)[0].startswith("checkpoints: no" if why else "checkpoints: yes")


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_an_experiment_said_to_checkpoint_simulates_through_the_run_context(name):
    """'yes' in the table must be true: the experiment's simulations go through ctx.run (checkpoints, resume)
    and no Network.run is called directly in it."""
    module = load_experiment(name)
    if getattr(module, "NO_CHECKPOINTS", None):
        pytest.skip(f"{name} says why it cannot checkpoint")
    source = inspect.getsource(module)
    assert "ctx.run(" in source or "ctx.program(" in source, name
    assert not re.search(r"\bnet\.run\(|\]\.run\(|\)\.run\(", source), f"{name} runs a network outside ctx.run"


def test_the_runner_says_in_one_line_before_starting_that_an_experiment_cannot_checkpoint(tmp_path):
    out = subprocess.run([sys.executable, "-m", "snnlearn.cli", "run", "perturbation_scaling", "--quick",
                          "--checkpoint-every", "1s", "--out", str(tmp_path / "run")],
                         capture_output=True, text=True, timeout=600, env={**os.environ, "MPLBACKEND": "Agg"})
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    notice = [k for k, line in enumerate(lines) if "cannot checkpoint" in line]
    assert len(notice) == 1 and "numpy model" in lines[notice[0]]
    started = [k for k, line in enumerate(lines) if "experiment " in line and "seed 0" in line]
    assert started and notice[0] == started[0] + 1  # right after the run is announced, before any work
