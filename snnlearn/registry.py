"""Finding experiments: the built-in ones, those other packages register, and a user's own file.

An experiment is referred to by

* a name: a built-in experiment (a module of the repository's ``experiments/`` folder), or
  one registered by an installed package under the entry-point group
  ``snnlearn.experiments`` (``my_experiment = "my_package.my_experiment"`` in that
  package's ``pyproject.toml``, ``[project.entry-points."snnlearn.experiments"]``);
* a path to a Python file (``snnlearn run path/to/my_experiment.py``), which is imported
  from that file and recorded in the run directory by its absolute path, so that
  ``--resume``, ``plot`` and ``sweep`` find it again.

Whatever its origin, an experiment module follows one contract (see :mod:`snnlearn.runs`):
``PARAMS``, ``simulate(p, ctx)``, ``measure(data, p)`` and ``plot(data, metrics, p)`` (or,
where measuring needs more than the saved arrays, one ``run(p, ctx)`` in place of the first
two), and optionally ``QUICK``, ``validate``, ``structure``, ``summary``, ``HEADLINE`` and
``MAX_RATE``; a parameter declared ``Param(..., runtime=True)`` reaches a compiled program
only as a value.
"""

import importlib
import importlib.metadata
import importlib.util
import os
import pkgutil
import sys

from .errors import UsageError

__all__ = ["ENTRY_POINT_GROUP", "BUILTIN_PACKAGE", "list_experiments", "load_experiment", "experiment_label",
           "is_experiment_file", "describe"]

#: Entry-point group under which installed packages register experiments.
ENTRY_POINT_GROUP = "snnlearn.experiments"
#: The package that holds the built-in experiments (the repository's experiments/ folder, installed as snnlearn.experiments).
BUILTIN_PACKAGE = "snnlearn.experiments"
#: What an experiment module must define, beside ``simulate`` and ``measure`` (the runner saves the data
#: between the two) or one ``run`` that does both (see :func:`science_functions`).
REQUIRED = ("PARAMS", "plot")
CONTRACT = ("an experiment defines PARAMS, simulate(p, ctx), measure(data, p) and plot(data, metrics, p), "
            "or run(p, ctx) in place of simulate and measure")


def science_functions(module):
    """The functions that do an experiment's science: ``("simulate", "measure")`` or ``("run",)``.

    ``run`` takes precedence: an experiment that defines it does its own measuring."""
    return ("run",) if hasattr(module, "run") else ("simulate", "measure")


def is_experiment_file(ref):
    """True if ``ref`` names a Python file rather than an experiment by name."""
    return isinstance(ref, str) and (ref.endswith(".py") or os.sep in ref or (os.altsep or os.sep) in ref)


def experiment_label(ref):
    """A short name for ``ref``: the name itself, or a file's stem (used in default directory names)."""
    return os.path.splitext(os.path.basename(ref))[0] if is_experiment_file(ref) else ref


def _builtin_names():
    package = importlib.import_module(BUILTIN_PACKAGE)
    return sorted(info.name for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_"))


def _entry_points():
    """name -> entry point, for experiments registered by installed packages."""
    try:
        found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    except TypeError:  # pragma: no cover - Python < 3.10 API
        found = importlib.metadata.entry_points().get(ENTRY_POINT_GROUP, [])
    return {ep.name: ep for ep in found}


def list_experiments():
    """Names of every experiment known by name: built-in first, then registered ones, each sorted."""
    builtin = _builtin_names()
    registered = sorted(name for name in _entry_points() if name not in builtin)
    return builtin + registered


def _checked(module, label):
    missing = [attr for attr in ("PARAMS",) + science_functions(module) + ("plot",) if not hasattr(module, attr)]
    if missing:
        raise UsageError(f"{label} is not an snnlearn experiment: it does not define {', '.join(missing)} "
                         f"({CONTRACT})")
    if not isinstance(module.PARAMS, dict):
        raise UsageError(f"{label}: PARAMS must be a dict of parameter defaults or Param declarations")
    for attr in science_functions(module) + ("plot",) + (("summary",) if hasattr(module, "summary") else ()):
        if not callable(getattr(module, attr)):
            raise UsageError(f"{label}: {attr} must be a function")
    return module


def _import_error(label, exc):
    text = " ".join(str(exc).split())
    return UsageError(f"{label} raised {type(exc).__name__} on import: {text}" if text else
                      f"{label} raised {type(exc).__name__} on import")


def _load_file(path):
    path = os.path.abspath(path)
    label = f"experiment file '{path}'"
    if not os.path.isfile(path):
        raise UsageError(f"{label} does not exist")
    if not path.endswith(".py"):
        raise UsageError(f"{label} is not a Python file (.py)")
    module_name = f"snnlearn_user_experiment_{experiment_label(path)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look a module up by name
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        raise UsageError(f"{label} does not parse: {exc.msg} (line {exc.lineno})") from None
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise _import_error(label, exc) from None
    module.EXPERIMENT_REF = path
    return _checked(module, label)


def load_experiment(ref):
    """The experiment module for ``ref`` (a name or a file path), checked against the contract.

    Raises :class:`~snnlearn.errors.UsageError` in one line for an unknown name, a file
    that is not an experiment, or one that raises when imported.
    """
    if is_experiment_file(ref):
        return _load_file(ref)
    if ref in _builtin_names():
        label = f"experiment '{ref}'"
        try:
            module = importlib.import_module(f"{BUILTIN_PACKAGE}.{ref}")
        except Exception as exc:
            raise _import_error(label, exc) from None
        module.EXPERIMENT_REF = ref
        return _checked(module, label)
    registered = _entry_points()
    if ref in registered:
        label = f"experiment '{ref}' (registered by {registered[ref].value})"
        try:
            module = registered[ref].load()
        except Exception as exc:
            raise _import_error(label, exc) from None
        module.EXPERIMENT_REF = ref
        return _checked(module, label)
    raise UsageError(f"unknown experiment '{ref}'; available: {', '.join(list_experiments())} "
                     f"(or give the path of an experiment file)")


def capabilities(module):
    """What the runner can do with experiment ``module``, in words, one line each.

    * checkpoints: whether ``--checkpoint-every`` / ``--resume`` apply (an experiment that
      cannot says why in ``NO_CHECKPOINTS``; its simulations must go through ``ctx.run``);
    * sweeps: which parameters a ``cpp_standalone`` sweep changes without recompiling
      (the seed always; the ``Param(..., runtime=True)`` ones when the experiment simulates
      through ``ctx.program``).
    """
    from .params import runtime_parameters

    why = getattr(module, "NO_CHECKPOINTS", None)
    lines = [f"checkpoints: no ({why})" if why else
             "checkpoints: yes (--checkpoint-every TIME, --resume RUN_DIR; cpp_standalone resumes without recompiling)"]
    runtime = runtime_parameters(getattr(module, "PARAMS", {})) + tuple(getattr(module, "RUN_ARGS", ()))
    if runtime:
        lines.append(f"sweeps compile once per structure: seeds and {', '.join(dict.fromkeys(runtime))} "
                     f"are run-time values")
    else:
        lines.append("sweeps compile once per structure over seeds (every other parameter is structure)")
    return lines


def describe(module):
    """First line of the module docstring."""
    doc = (module.__doc__ or "").strip().splitlines()
    return doc[0] if doc else ""
