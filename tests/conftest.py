"""Shared test set-up: quiet Brian2 logs, the numpy target by default, a headless matplotlib."""

import os

import matplotlib

matplotlib.use("Agg")

import brian2  # noqa: E402
import pytest  # noqa: E402
from brian2.devices.device import RuntimeDevice  # noqa: E402

brian2.BrianLogger.log_level_warn()
brian2.prefs.codegen.target = "numpy"


@pytest.fixture(autouse=True)
def _clean_brian_state():
    """Each test starts on the runtime device with the numpy target and closes its figures."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
    if not isinstance(brian2.get_device(), RuntimeDevice):
        brian2.get_device().reinit()
        brian2.set_device("runtime")
    brian2.prefs.codegen.target = "numpy"


@pytest.fixture
def standalone_dir(tmp_path):
    """A fresh directory for a cpp_standalone project."""
    path = tmp_path / "standalone"
    path.mkdir()
    return str(path)


def pytest_report_header(config):
    return f"brian2 {brian2.__version__}, build cache {os.environ.get('SNNLEARN_BUILD_CACHE', '(temp)')}"


class StandaloneTestContext:
    """The parts of :class:`snnlearn.runs.RunContext` that the experiments' ``run``/``simulate`` use,
    with a test-owned ``cpp_standalone`` project directory and no run directory (results stay in memory)."""

    def __init__(self, seed, directory):
        import numpy as np

        self.seed, self.rng, self.directory = seed, np.random.default_rng(seed), str(directory)
        self.device, self.report, self.arrays, self.rules, self.lines = "cpp_standalone", None, {}, {}, []

    def log(self, msg):
        self.lines.append(msg)

    def use_device(self, cache_key=None):
        from snnlearn.devices import use_device

        return use_device("cpp_standalone", directory=self.directory)

    def brian_seed(self, offset=0):
        brian2.seed(self.seed + offset)

    def save_arrays(self, **arrays):
        self.arrays.update(arrays)

    def record_rule(self, rule, projection=None):
        self.rules[projection or rule.name] = rule

    def progress(self, iterable, total=None, desc=""):
        return iterable


@pytest.fixture(scope="session")
def standalone_context():
    """The class :class:`StandaloneTestContext` (a session fixture, so module fixtures can use it)."""
    return StandaloneTestContext


@pytest.fixture
def counting_compiler(tmp_path):
    """A C++ compiler wrapper for make's ``$(CXX)`` that logs each invocation (counts compilations without
    timing anything). Returns ``(path to the wrapper, path of its log)``."""
    log = tmp_path / "compiler-calls.txt"
    log.write_text("")
    wrapper = tmp_path / "cxx"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "${{SNNLEARN_REAL_CXX:-g++}}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper), log
