"""snnlearn: learning in spiking neural networks with local plasticity, on Brian2.

Declare a plasticity rule as Brian2 equation strings (:class:`Rule`) or take one from
the catalog (:mod:`snnlearn.rules`), attach it to a projection with :func:`connect`,
and run the returned ``brian2.Synapses`` in an explicit ``brian2.Network``.
"""

from . import rules
from .connect import connect, plasticity_schedule
from .errors import RuleError, RunawayError
from .poisson import poisson_source
from .rules.base import Rule

__version__ = "0.1.0"


def _bounded_parallel_make():
    """Brian2's default 'make -j' starts one compiler per source file at once; on a small machine that
    thrashes. Bound it to one job per core, unless the user changed the preference."""
    import os

    from brian2 import prefs

    if list(prefs.devices.cpp_standalone.extra_make_args_unix) == ["-j"]:
        prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]


_bounded_parallel_make()


def _report_user_errors_without_brian_banner():
    """An error that snnlearn raises is a user's mistake that snnlearn caught (a malformed rule, a bad
    parameter), not a bug in Brian2: print it as Python does, without the "Brian 2 encountered an
    unexpected error ... please report" banner that Brian2's exception hook adds. Other exceptions keep
    Brian2's hook."""
    import sys

    previous = sys.excepthook

    def excepthook(exc_type, exc, tb):
        if getattr(exc_type, "__module__", "").split(".")[0] == __name__:
            return sys.__excepthook__(exc_type, exc, tb)
        return previous(exc_type, exc, tb)

    sys.excepthook = excepthook


_report_user_errors_without_brian_banner()

__all__ = ["Rule", "RuleError", "RunawayError", "connect", "plasticity_schedule", "poisson_source", "rules", "plot", "run"]


def __getattr__(name):
    # Heavy or optional submodules load on first use (matplotlib only when plotting).
    if name == "plot":
        import importlib

        return importlib.import_module("snnlearn.plot")
    if name == "run":
        from .runs import run_experiment
        return run_experiment
    raise AttributeError(f"module 'snnlearn' has no attribute {name!r}")
