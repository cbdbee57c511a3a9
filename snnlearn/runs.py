"""Run directories: running an experiment safely and leaving everything needed to check it.

An experiment is a module in the ``experiments`` package with

* a docstring (its first line is the one-line description),
* ``PARAMS``: every parameter with its default (quantities carry units),
* ``QUICK``: overrides for a scaled-down run (``--quick``, under a minute),
* ``run(p, ctx)``: simulates, saves arrays through ``ctx``, returns the metrics dict,
* ``plot(data, metrics, p)``: draws the figures from saved data only.

A run directory holds::

    status.json       running | complete | failed | interrupted (+ error)
    params.json       every resolved parameter, quantities with units
    rules.json/.txt   the plasticity rules used, as equation text
    metrics.json      the numbers the experiment measured
    arrays.npz        weights, spikes, traces
    *.png             figures
    log.txt           what happened, with timings
    provenance.json   package versions, git commit, seed, device, start and end time

Every file is written atomically; ``status.json`` says ``complete`` only after all of
them exist. A run that raises, or is interrupted, is marked so; a run killed outright
stays ``running`` with no end time, and is never mistaken for a complete one.
"""

import datetime
import importlib
import os
import pkgutil
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass

import numpy as np

from .guard import check_network
from .io import atomic_save_figure, atomic_save_npz, atomic_write_json, atomic_write_text, read_json
from .params import ParameterError, Params, params_from_json, params_to_json, resolve_params
from .progress import Progress, format_duration

__all__ = [
    "UsageError", "RunContext", "RunResult", "list_experiments", "load_experiment", "run_experiment",
    "resume_experiment",
    "replot", "read_run",
]

STATUS_FILE = "status.json"


class UsageError(ValueError):
    """Bad input from the user (unknown experiment, bad parameter, unwritable directory)."""


def list_experiments():
    """Names of the experiments in the ``experiments`` package, sorted."""
    import experiments

    names = []
    for info in pkgutil.iter_modules(experiments.__path__):
        if not info.name.startswith("_"):
            names.append(info.name)
    return sorted(names)


def load_experiment(name):
    """Import ``experiments.<name>`` and check that it follows the experiment contract."""
    available = list_experiments()
    if name not in available:
        raise UsageError(f"unknown experiment '{name}'; available: {', '.join(available)}")
    module = importlib.import_module(f"experiments.{name}")
    for attr in ("PARAMS", "run", "plot"):
        if not hasattr(module, attr):
            raise UsageError(f"experiment '{name}' does not define {attr}")
    return module


def describe(module):
    """First line of the module docstring."""
    doc = (module.__doc__ or "").strip().splitlines()
    return doc[0] if doc else ""


def _git_commit():
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(["git", "-C", here, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        if out.returncode == 0:
            dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
                                   capture_output=True, text=True, timeout=5).stdout.strip()
            return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return None


def _versions():
    versions = {"python": platform.python_version()}
    for pkg in ("brian2", "numpy", "matplotlib", "scipy", "snnlearn"):
        try:
            versions[pkg] = importlib.import_module(pkg).__version__
        except Exception:  # a missing optional package is recorded as absent
            versions[pkg] = None
    return versions


class RunContext:
    """What an experiment's ``run(p, ctx)`` gets: seed, RNG, logging, progress, saving.

    Attributes
    ----------
    seed : int
    rng : numpy.random.Generator seeded from ``seed``
    device : str, the Brian2 back-end requested (``cpp_standalone`` or a runtime target)
    threads : int, OpenMP threads for ``cpp_standalone``
    directory : str, the run directory
    """

    def __init__(self, directory, seed, device="cpp_standalone", threads=0, quiet=False, log_stream=None,
                 checkpoint_every=None, resume_from=None):
        self.directory = directory
        self.checkpoint_every = checkpoint_every
        self._resume_t = resume_from  # simulated time (s) of the checkpoint to continue from
        self._sim_time = 0.0
        self._last_checkpoint = 0.0
        self.checkpoints_written = 0
        self._networks = []
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        self.device = device
        self.threads = int(threads)
        self.quiet = quiet
        self._progress = Progress(quiet=quiet)
        self._arrays = {}
        self._rules = {}
        self._log_lines = []
        self._log_stream = log_stream
        self._t0 = time.perf_counter()

    # -- logging and progress ---------------------------------------------------------
    def log(self, message):
        """Append a timestamped line to the run's log (and print it unless quiet)."""
        line = f"[{time.perf_counter() - self._t0:8.1f} s] {message}"
        self._log_lines.append(line)
        if not self.quiet and self._log_stream is not None:
            print(line, file=self._log_stream, flush=True)

    def progress(self, iterable, total=None, desc=""):
        """A progress bar around ``iterable`` (quiet off a terminal or with ``--quiet``)."""
        return self._progress.iterate(iterable, total=total, desc=desc)

    @property
    def report(self):
        """Value for ``Network.run(report=...)``.

        Runtime: a progress bar driven by Brian2's ``report`` hook. ``cpp_standalone``: the
        compiled program cannot call Python, so it prints Brian2's own text report (percent
        done, elapsed, estimated time left) while it runs, when progress is shown at all.
        """
        if self.device == "cpp_standalone":
            return "text" if self._progress.enabled else None
        return self._progress.brian_report()

    @property
    def progress_calls(self):
        return self._progress.calls

    def use_device(self, cache_key=None):
        """Context manager putting Brian2 on this run's device (see :func:`snnlearn.devices.use_device`)."""
        from .devices import use_device

        return use_device(self.device, threads=self.threads, cache_key=cache_key,
                          show_output=self._progress.enabled)

    # -- simulating with checkpoints ----------------------------------------------------
    @property
    def checkpoint_path(self):
        return os.path.join(self.directory, "checkpoint.pkl")

    def run(self, net, duration, report_period=None):
        """``net.run(duration)`` with progress, checkpoints and resume.

        With ``checkpoint_every`` (runtime devices), the run proceeds in chunks and the
        whole network state (including Brian2's random-number state) is stored with
        ``Network.store`` before each chunk once that much simulated time has passed
        since the last checkpoint. When the run is resumed, calls that ended before the
        checkpoint are skipped, and the checkpoint is restored at the chunk where it was
        taken: the continuation is bit-for-bit the uninterrupted run. Experiments must
        build their network and make their Python-side changes deterministically (from
        the seed) so that the same calls happen again.
        """
        import brian2

        duration_s = float(duration / brian2.second)
        start, end = self._sim_time, self._sim_time + duration_s
        kwargs = {"report": self.report}
        if report_period is not None:
            kwargs["report_period"] = report_period
        if self._resume_t is not None:
            if end <= self._resume_t + 1e-12:
                self._sim_time = end  # done before the interruption
                return
            net.restore("checkpoint", filename=self.checkpoint_path, restore_random_state=True)
            self.log(f"resumed from the checkpoint at {self._resume_t:g} s")
            self._sim_time = self._last_checkpoint = self._resume_t
            self._resume_t = None
        every = None
        if self.checkpoint_every is not None and self.device != "cpp_standalone":
            every = float(self.checkpoint_every / brian2.second)
        t = self._sim_time
        while t < end - 1e-12:
            if every is not None and t - self._last_checkpoint >= every - 1e-12:
                self._write_checkpoint(net, t)
            chunk = end - t if every is None else min(every, end - t)
            net.run(chunk * brian2.second, **kwargs)
            t += chunk
            if self.device != "cpp_standalone":
                check_network(net)
        self._sim_time = end
        if net not in self._networks:
            self._networks.append(net)

    def check_networks(self):
        """Runaway check of every network run through :meth:`run` (after a standalone build)."""
        for net in self._networks:
            check_network(net)

    def _write_checkpoint(self, net, t):
        tmp = os.path.join(self.directory, ".checkpoint.pkl.tmp")
        if os.path.exists(tmp):
            os.unlink(tmp)
        net.store("checkpoint", filename=tmp)
        os.replace(tmp, self.checkpoint_path)
        atomic_write_json(os.path.join(self.directory, "checkpoint.json"), {"t_s": t, "seed": self.seed})
        self._last_checkpoint = t
        self.checkpoints_written += 1
        self.log(f"checkpoint at {t:g} s of simulated time")

    def brian_seed(self, offset=0):
        """Seed Brian2's random generator from the run seed."""
        import brian2

        brian2.seed(self.seed + offset)

    # -- saving -----------------------------------------------------------------------
    def save_arrays(self, **arrays):
        """Keep arrays for ``arrays.npz`` (written when the run completes)."""
        for key, value in arrays.items():
            self._arrays[key] = np.asarray(value)

    def record_rule(self, rule, projection=None):
        """Record a plasticity rule used by the run (saved as rules.json and rules.txt)."""
        self._rules[projection or rule.name] = rule


@dataclass
class RunResult:
    """What :func:`run_experiment` returns."""

    path: str
    metrics: dict
    params: Params
    status: str


def _default_directory(name, seed, quick):
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return os.path.join("runs", f"{name}{'-quick' if quick else ''}-seed{seed}-{stamp}")


def _prepare_directory(path):
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, ".write-test")
        with open(probe, "w") as fh:
            fh.write("")
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"cannot write to output directory '{path}': {exc.strerror or exc}") from None
    if os.path.exists(os.path.join(path, STATUS_FILE)):
        status = read_json(os.path.join(path, STATUS_FILE)).get("status")
        raise UsageError(f"output directory '{path}' already holds a run ({status}); choose another --out")


def resume_experiment(path, quiet=True, log_stream=None):
    """Continue an interrupted or killed run from its last checkpoint (``snnlearn run --resume``)."""
    status_path = os.path.join(path, STATUS_FILE)
    if not os.path.exists(status_path):
        raise UsageError(f"'{path}' is not a run directory (no {STATUS_FILE})")
    status = read_json(status_path).get("status")
    if status == "complete":
        raise UsageError(f"run '{path}' is already complete; nothing to resume")
    provenance = read_json(os.path.join(path, "provenance.json"))
    with open(os.path.join(path, "params.json"), encoding="utf-8") as fh:
        p = params_from_json(fh.read())
    checkpoint = os.path.join(path, "checkpoint.json")
    resume_t = read_json(checkpoint)["t_s"] if os.path.exists(checkpoint) else None
    every = provenance.get("checkpoint_every_s")
    return run_experiment(provenance["experiment"], seed=provenance["seed"], out=path, quick=provenance["quick"],
                          device=provenance["device"], threads=provenance["threads"], quiet=quiet,
                          log_stream=log_stream, checkpoint_every=every, _resume=(resume_t, p))


def run_experiment(name, seed=0, out=None, quick=False, device="cpp_standalone", threads=0, quiet=True,
                   overrides=None, log_stream=None, checkpoint_every=None, _resume=None, **params):
    """Run experiment ``name`` and write its run directory.

    Parameters given as keyword arguments (``tau=20*ms``) or as text in ``overrides``
    (``{"tau": "20*ms"}``, as from ``--set``) are checked against the experiment's
    ``PARAMS``. Returns a :class:`RunResult` with the metrics and the directory.
    This is the Python mirror of ``snnlearn run``.
    """
    from .devices import DEVICES

    module = load_experiment(name)
    if device not in DEVICES:
        raise UsageError(f"unknown device '{device}'; choose one of {', '.join(DEVICES)}")
    import brian2

    if checkpoint_every is not None and not isinstance(checkpoint_every, brian2.Quantity):
        checkpoint_every = float(checkpoint_every) * brian2.second
    if checkpoint_every is not None and float(checkpoint_every) <= 0:
        raise UsageError(f"--checkpoint-every must be a positive time, got {checkpoint_every}")
    resume_t = None
    if _resume is not None:
        resume_t, p = _resume
        path = out
    else:
        try:
            p = resolve_params(module.PARAMS, getattr(module, "QUICK", {}), {**(overrides or {}), **params},
                               use_quick=quick)
        except ParameterError as exc:
            raise UsageError(f"{name}: {exc}") from None
        path = out or _default_directory(name, seed, quick)
        _prepare_directory(path)

    started = datetime.datetime.now().astimezone()
    provenance = {
        "experiment": name, "seed": int(seed), "device": device, "threads": int(threads), "quick": bool(quick),
        "start": started.isoformat(timespec="seconds"), "end": None, "versions": _versions(),
        "git_commit": _git_commit(), "command": " ".join(sys.argv), "host": platform.node(),
        "checkpoint_every_s": None if checkpoint_every is None else float(checkpoint_every / brian2.second),
        "resumed_from_s": resume_t,
    }
    atomic_write_json(os.path.join(path, STATUS_FILE), {"status": "running", "pid": os.getpid()})
    atomic_write_text(os.path.join(path, "params.json"), params_to_json(p) + "\n")
    atomic_write_json(os.path.join(path, "provenance.json"), provenance)

    ctx = RunContext(path, seed, device=device, threads=threads, quiet=quiet, log_stream=log_stream,
                     checkpoint_every=checkpoint_every, resume_from=resume_t)
    if resume_t is not None or _resume is not None:
        previous = os.path.join(path, "log.txt")
        if os.path.exists(previous):
            with open(previous, encoding="utf-8") as fh:
                ctx._log_lines = fh.read().splitlines() + ["--- resumed ---"]
    ctx.log(f"experiment {name}, seed {seed}, device {device}{' (quick)' if quick else ''}")
    status, error = "complete", None
    try:
        metrics = module.run(p, ctx)
        ctx.check_networks()
        if not isinstance(metrics, dict):
            raise TypeError(f"experiment '{name}': run() must return a dict of metrics, got {type(metrics).__name__}")
        _write_results(path, module, p, ctx, metrics)
        if os.path.exists(ctx.checkpoint_path):
            os.unlink(ctx.checkpoint_path)  # the complete results replace it
    except KeyboardInterrupt:
        status, error = "interrupted", "KeyboardInterrupt"
        raise
    except BaseException as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        ctx.log("FAILED\n" + traceback.format_exc())
        raise
    finally:
        provenance["end"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        provenance["wall_time_s"] = round(time.perf_counter() - ctx._t0, 3)
        ctx.log(f"{status} after {format_duration(provenance['wall_time_s'])}")
        atomic_write_text(os.path.join(path, "log.txt"), "\n".join(ctx._log_lines) + "\n")
        atomic_write_json(os.path.join(path, "provenance.json"), provenance)
        final = {"status": status}
        if error:
            final["error"] = error
        atomic_write_json(os.path.join(path, STATUS_FILE), final)
    return RunResult(path=path, metrics=metrics, params=p, status=status)


def _write_results(path, module, p, ctx, metrics):
    atomic_save_npz(os.path.join(path, "arrays.npz"), ctx._arrays)
    if ctx._rules:
        atomic_write_json(os.path.join(path, "rules.json"), {k: r.to_dict() for k, r in ctx._rules.items()})
        atomic_write_text(os.path.join(path, "rules.txt"), "\n\n".join(str(r) for r in ctx._rules.values()) + "\n")
    _draw(path, module, dict(ctx._arrays), metrics, p)
    atomic_write_json(os.path.join(path, "metrics.json"), metrics)
    ctx.log(f"wrote {path}")


def _draw(path, module, data, metrics, p):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = module.plot(data, metrics, p)
    for fig_name, fig in figures.items():
        atomic_save_figure(os.path.join(path, f"{fig_name}.png"), fig)
        plt.close(fig)
    return sorted(figures)


def read_run(path):
    """Status, parameters, metrics and arrays of a run directory."""
    status_path = os.path.join(path, STATUS_FILE)
    if not os.path.exists(status_path):
        raise UsageError(f"'{path}' is not a run directory (no {STATUS_FILE})")
    status = read_json(status_path)
    with open(os.path.join(path, "params.json"), encoding="utf-8") as fh:
        p = params_from_json(fh.read())
    metrics = read_json(os.path.join(path, "metrics.json")) if os.path.exists(os.path.join(path, "metrics.json")) else None
    data = {}
    if os.path.exists(os.path.join(path, "arrays.npz")):
        with np.load(os.path.join(path, "arrays.npz")) as npz:
            data = {k: npz[k] for k in npz.files}
    provenance = read_json(os.path.join(path, "provenance.json"))
    return status, p, metrics, data, provenance


def replot(path):
    """Redraw a complete run's figures from its saved data, with no simulation."""
    status, p, metrics, data, provenance = read_run(path)
    if status.get("status") != "complete":
        raise UsageError(f"run '{path}' is {status.get('status')}, not complete: nothing to plot")
    module = load_experiment(provenance["experiment"])
    return _draw(path, module, data, metrics, p)
