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


def memory_context(seed, directory=None, device="cpp_standalone"):
    """:meth:`snnlearn.runs.RunContext.in_memory`: the production run context with no run directory.
    ``directory`` is accepted for callers that used to pass a project directory (compiled programs
    now go to the build cache, as in ``snnlearn run``)."""
    from snnlearn.runs import RunContext

    return RunContext.in_memory(seed, device=device)


@pytest.fixture(scope="session")
def standalone_context():
    """:func:`memory_context` (a session fixture, so module fixtures can use it): the real runner's context."""
    return memory_context


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
