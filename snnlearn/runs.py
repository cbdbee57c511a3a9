"""Run directories: running an experiment safely and leaving everything needed to check it.

An experiment (built in, registered by another package, or a user's own file: see
:mod:`snnlearn.registry`) is a module with

* a docstring (its first line is the one-line description),
* ``PARAMS``: every parameter with its default (quantities carry units), plainly or as a
  :class:`snnlearn.params.Param` with bounds or choices and a one-line doc,
* ``QUICK``: overrides for a scaled-down run (``--quick``, under a minute),
* ``simulate(p, ctx)``: builds and runs its networks (through ``ctx.run``, ``ctx.program``
  or ``ctx.stage``) and returns a dict of the arrays it measures and plots,
* ``measure(data, p)``: the metrics dict, from those arrays and the parameters only (the
  runner writes ``arrays.npz`` before measuring, so a measure that fails loses no
  simulation, and ``snnlearn measure RUN_DIR`` measures a run again),
* ``plot(data, metrics, p)``: draws the figures from saved data only,
* optionally ``summary(metrics, p)``: a few lines for the log at the end of the run,
* optionally ``HEADLINE``: dotted metric names (``*`` wildcards) that ``snnlearn run`` prints
  at the end (default: the top-level scalar metrics),
* optionally ``validate(p)``: raises ``ValueError`` for a combination of values that the
  declarations cannot express (checked, like every bound, before any directory exists),
  and ``MAX_RATE``: the ceiling on any monitored neuron's mean rate (default 1000 Hz).
* parameters declared ``Param(..., runtime=True)`` reach its compiled ``cpp_standalone``
  program only as variable values (simulated through :meth:`RunContext.program`), and
  optionally ``structure(p)`` says what else decides the program (see
  :func:`structure_key`). A sweep then compiles once per structure and runs the other
  points with ``run_args``.

An experiment whose measures need more than the saved arrays defines ``run(p, ctx)`` in
place of ``simulate`` and ``measure``: it simulates, saves arrays through ``ctx`` and
returns the metrics itself (:func:`execute` runs either form).

A run directory holds::

    status.json       running | complete | failed | interrupted (+ error)
    params.json       every resolved parameter, quantities with units
    rules.json/.txt   the plasticity rules used, as equation text
    metrics.json      the numbers the experiment measured
    arrays.npz        weights, spikes, traces
    *.png             figures
    log.txt           what happened, with timings
    provenance.json   package versions, git commit, seed, device, start and end time,
                      and for cpp_standalone how the program was obtained (compiled, reused, chunks)
    checkpoint.json   (checkpointed runs) the simulated time of the last checkpoint and the SHA-256
                      of its files; until the run completes, the state is in checkpoint/ as plain
                      arrays (``.npz`` read with ``allow_pickle=False``: a run directory is data, and
                      resuming one never executes anything from it)

Every file is written atomically; ``status.json`` says ``complete`` only after all of
them exist. A run that raises, runs away (NaN/inf, rates above the ceiling) or is
interrupted (Ctrl-C: ``interrupted``, resumable from its last checkpoint) is marked so;
a run killed outright stays ``running`` with no end time, and is never mistaken for a
complete one. A run directory belongs to one process at a time (a lock file): a second
run or a resume of a live run is refused, and so is an output directory that holds
anything but a run. Every parameter is validated before any directory exists.
"""

import contextlib
import datetime
import errno
import fcntl
import importlib
import math
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass

import numpy as np

from .errors import UsageError
from .guard import DEFAULT_MAX_RATE, check_network, check_state
from .io import (atomic_save_figure, atomic_save_npz, atomic_write_json, atomic_write_text, load_tree_npz, read_json,
                 remove_temporaries, save_tree_npz, sha256_file, strict_json)
from .params import (ParameterError, Params, params_from_json, params_to_json, plain_defaults, resolve_params,
                     runtime_parameters)
from .progress import Progress, format_duration
from .registry import experiment_label, list_experiments, load_experiment, science_functions
from .standalone import CheckpointError, read_checkpoint_record

__all__ = [
    "UsageError", "RunContext", "RunResult", "list_experiments", "load_experiment", "run_experiment",
    "resume_experiment", "replot", "remeasure", "execute", "read_run", "structure_key", "ProgramCache", "release_brian_objects",
]

STATUS_FILE = "status.json"
LOCK_FILE = ".snnlearn.lock"
#: Seeds are 32-bit unsigned integers (numpy's and Brian2's generators).
SEED_MAX = 2**32 - 1
#: The shortest --checkpoint-every accepted (100 steps of Brian2's default 0.1 ms).
MIN_CHECKPOINT_S = 0.01
#: The finished stages of a multi-program run (RunContext.stage) and the log line that ends one.
STAGES_FILE = "stages.json"
STAGE_DONE_MARK = "finished stage "


class RunInterrupted(KeyboardInterrupt):
    """The simulation stopped before its end (Ctrl-C, SIGTERM, Brian2's stop): the run is ``interrupted``."""




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
                 checkpoint_every=None, resume_from=None, structure=None, programs=None, max_rate=DEFAULT_MAX_RATE):
        self.directory = directory
        self.max_rate = max_rate  # ceiling on any monitored neuron's mean rate (None: no rate check)
        self.checkpoint_every = checkpoint_every
        self.structure = structure  # structure key of this run's parameters (see structure_key)
        self.program_info = {}  # how the standalone program was obtained (compiled, reused, chunks)
        self._programs = programs  # a ProgramCache in a sweep worker: reuse compiled programs via run_args
        self._sim = None
        self._chunked = None
        self._resume_t = resume_from  # simulated time (s) of the checkpoint to continue from
        self._sim_time = 0.0
        self._planned = None  # total simulated time (s) the experiment said it will run (ctx.plan)
        self._simulated_here = 0.0  # simulated seconds actually run in this process (not skipped on resume)
        self._last_checkpoint = 0.0
        self._checkpoint_record = None  # the verified checkpoint.json of a resumed runtime run
        self._stage = None  # the stage (one compiled program of several, see stage()) now running
        self._stages_done = None  # stages.json of this run directory, read on first use
        self._stage_names = set()
        self._time_offset = 0.0  # simulated seconds of the stages before the current one (for progress)
        # the stage whose checkpoint a resumed run continues from (None: a single-program run)
        self._resume_stage = _checkpoint_stage(directory) if resume_from is not None else None
        self.checkpoints_written = 0
        self._networks = []
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        self.device = device
        self.threads = int(threads)
        self.quiet = quiet
        self._progress = Progress(quiet=quiet)
        self._arrays = {}
        self._arrays_written = None  # the arrays as written to arrays.npz between simulate and measure
        self._phase = None  # what the run is doing: simulate, measure, run (execute), checks, results
        self._measurable = False  # the run failed after its simulation was saved, in its measure or figures
        self._rules = {}
        self._log_lines = []
        self._log_stream = log_stream
        self._t0 = time.perf_counter()

    @classmethod
    def in_memory(cls, seed, device="cpp_standalone", threads=0):
        """A context with no run directory: the seeding, device handling (build cache, run-time
        seeds), runaway checks and progress of ``snnlearn run``, with the saved arrays and rules kept
        in :attr:`arrays` and :attr:`rules` (what tests and notebooks drive an experiment's ``run`` with)."""
        return cls(None, seed, device=device, threads=threads, quiet=True)

    # -- logging and progress ---------------------------------------------------------
    def log(self, message, echo=True):
        """Append a timestamped line to the run's log (and print it unless quiet, or ``echo`` is False).

        ``log.txt`` is rewritten (atomically) at every line, so it shows the run as it goes.
        """
        line = f"[{time.perf_counter() - self._t0:8.1f} s] {message}"
        self._log_lines.append(line)
        if self.directory is not None and os.path.isdir(self.directory):
            self._flush_log()
        if echo and not self.quiet and self._log_stream is not None:
            try:
                print(line, file=self._log_stream, flush=True)
            except (OSError, ValueError):  # a closed pipe (| head) must not stop the run or its bookkeeping
                self._log_stream = None

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

    @property
    def chunked(self):
        """True when runs proceed in compiled chunks with checkpoints (``cpp_standalone`` + ``checkpoint_every``)."""
        return self.device == "cpp_standalone" and self.checkpoint_every is not None

    def use_device(self, cache_key=None):
        """Context manager putting Brian2 on this run's device (see :func:`snnlearn.devices.use_device`).

        A chunked run (checkpoints in ``cpp_standalone``) compiles a different program
        than a run in one piece, so it gets its own cached project directory.
        """
        import brian2

        if self.chunked:
            cache_key = (cache_key, "chunks", float(self.checkpoint_every / brian2.second))
        return self._device_context(cache_key)

    @contextlib.contextmanager
    def _device_context(self, cache_key):
        from .devices import use_device

        with use_device(self.device, threads=self.threads, cache_key=cache_key, show_output=self._progress.enabled,
                        seed=self.seed) as sim:
            self._sim = sim
            if sim.standalone:
                sim.after_run = self.check_networks  # while the program's results are still readable
            try:
                yield sim
            finally:
                self._sim = None
                if sim.standalone and sim.compiled is not None:
                    self.program_info.setdefault("compiled", bool(sim.compiled))
                    self.program_info.setdefault("reused", False)

    def program(self, build, run_args, collect, key=None, seed_is_structure=False):
        """Simulate through a compiled program that later runs may reuse with ``run_args``.

        Parameters
        ----------
        build : callable ``build(ctx) -> model``
            Creates the network with this run's parameter values and simulates it with
            ``ctx.run`` (the random seed is already set).
        run_args : callable ``run_args(model) -> {VariableView: value}``
            Every value that depends on the experiment's run-time parameters, as
            Brian2 ``run_args`` (e.g. ``{model["inputs"].rate: rates}``): what another
            run with the same structure must change in the compiled program.
        collect : callable ``collect(model) -> data``
            Reads the results (after the simulation; in ``cpp_standalone`` from the
            program's output).
        key : hashable, optional
            Structure key (default: :attr:`structure`, computed by
            :func:`structure_key` from the parameters that are not run-time ones).
        seed_is_structure : bool
            The seed draws something compiled into the program (e.g. connectivity made
            from arrays): a run reuses the program only at the same seed. Another seed
            rebuilds in the same cached project, so only what changed is recompiled.

        On its own, this is ``use_device`` + seed + ``build`` + ``sim.build()`` + ``collect``.
        In a sweep worker (``cpp_standalone``, a :class:`ProgramCache`), a run whose
        structure matches the previous run's does not build anything: the compiled
        program runs again with ``run_args(model)`` and this run's seed.
        """
        key = self.structure if key is None else key
        reuse_key = (key, "seed", self.seed) if seed_is_structure else key
        cache = self._programs
        if self.device != "cpp_standalone" or cache is None or self.chunked:
            with self.use_device(cache_key=key) as sim:
                self.brian_seed()
                model = build(self)
                sim.build()
                return collect(model)
        if cache.key == reuse_key:
            from brian2 import get_device

            from .standalone import SEED_ENV, environment

            started = time.perf_counter()
            args = run_args(cache.model)
            with environment(**{SEED_ENV: self.seed}):
                get_device().run(directory=cache.sim.directory, with_output=False, run_args=args)
            if isinstance(cache.model, dict) and "net" in cache.model:
                self._networks = [cache.model["net"]]
                self.check_networks()
            data = collect(cache.model)
            # what a reused point costs: the wall time of this step (run_args written, the program run, its
            # results read) and, of that, the compiled program's own run (building the network and simulating)
            self.program_info = {"compiled": False, "reused": True, "run_args": sorted(
                f"{view.group_name}.{view.name}" if hasattr(view, "group_name") else view.name  # a TimedArray
                for view in args), "program_wall_s": round(time.perf_counter() - started, 6),
                "binary_s": round(float(get_device().timers.get("run_binary") or 0.0), 6)}
            self.log(f"reused the compiled program of an earlier run (same structure) with {len(args)} run_args, "
                     f"seed {self.seed}: nothing rebuilt")
            return data
        cache.close()
        device_key, copied = key, False
        if cache.copy is not None:
            from .devices import copy_project, standalone_directory

            device_key = (key, "copy", cache.copy)
            copied = copy_project(standalone_directory(key, self.threads),
                                  standalone_directory(device_key, self.threads))
        sim = cache.open(self.use_device(cache_key=device_key))
        self.brian_seed()
        model = build(self)
        if copied:  # the compiled program of another point: run it with this point's run_args
            drift = sim.run_copied(run_args(model))
            if drift:
                self.log(f"the copied program differed in {', '.join(drift[:3])}...: recompiled")
        else:
            sim.build()
        self.program_info.update({"compiled": bool(sim.compiled), "reused": False, "copied": copied})
        cache.key, cache.model, cache.sim = reuse_key, model, sim
        return collect(model)

    # -- simulating with checkpoints ----------------------------------------------------
    @property
    def checkpoint_dir(self):
        return os.path.join(self.directory, "checkpoint")

    def run(self, net, duration, report_period=None, set=None, namespace=None):
        """``net.run(duration)`` with progress, checkpoints and resume.

        ``set`` (``{group.var: value}``) sets variables just before this run: use it for
        changes between runs (a test phase), so that they also work in a chunked
        ``cpp_standalone`` run, where Python cannot change a compiled program.
        Identifiers in the model that are not defined anywhere else are looked up in
        ``namespace`` or, by default, in the caller's namespace, as with ``net.run``.

        With ``checkpoint_every`` on runtime devices, the run proceeds in chunks and the
        whole network state (what ``Network.store`` holds, Brian2's random-number state
        included) is written as plain arrays before each chunk once that much simulated time has passed
        since the last checkpoint. When the run is resumed, calls that ended before the
        checkpoint are skipped, and the checkpoint is restored at the chunk where it was
        taken: the continuation is bit-for-bit the uninterrupted run. Experiments must
        build their network and make their Python-side changes deterministically (from
        the seed) so that the same calls happen again.

        With ``checkpoint_every`` on ``cpp_standalone`` the network is compiled once for
        a run of ``checkpoint_every`` and the program is executed chunk by chunk, each
        chunk starting from the previous one's state (passed in through ``run_args``)
        and followed by a checkpoint (:class:`snnlearn.standalone.ChunkedProgram`; its
        docstring says what a chunk boundary does not carry over: the random stream is
        reseeded per chunk, spikes in flight in delay queues are lost). A resumed run
        loads the last checkpoint and runs the remaining chunks with the same binary,
        without recompiling: it equals the uninterrupted run with the same seed and
        ``checkpoint_every`` bit for bit. Everything the experiment simulates must go
        through this method, and changes between runs through ``set``.
        """
        import brian2
        from brian2.core.namespace import get_local_namespace

        if namespace is None:
            namespace = get_local_namespace(1)  # the experiment's frame, not this method's
        duration_s = float(duration / brian2.second)
        if self.chunked:
            return self._run_chunked(net, duration_s, report_period, set, namespace)
        end = self._sim_time + duration_s
        kwargs = {"report": self.report, "namespace": namespace}
        if report_period is not None:
            kwargs["report_period"] = report_period
        if self.device == "cpp_standalone":
            from brian2 import get_device

            if not get_device().run_args_applied:
                get_device().apply_run_args()  # run_args are set before anything the first run prepares
        for view, value in (set or {}).items():
            view[:] = value
        if self._resume_t is not None:
            if end <= self._resume_t + 1e-12:
                self._sim_time = end  # done before the interruption
                return
            self._restore_checkpoint(net)
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
            self._advance(chunk, t)
            if self.device != "cpp_standalone":
                reached = float(net.t / brian2.second)
                if reached < t - 1e-9 * max(1.0, t):  # Brian2 stops early on Ctrl-C (or stop()): not complete
                    raise RunInterrupted(f"the simulation stopped at {reached:g} s of {t:g} s")
                check_network(net)
        self._sim_time = end
        if net not in self._networks:
            self._networks.append(net)

    def _run_chunked(self, net, duration_s, report_period, overrides, namespace):
        import brian2

        from .standalone import ChunkedProgram, StandaloneChunkError

        every = float(self.checkpoint_every / brian2.second)
        prog = self._chunked
        if prog is None:
            if self._sim is None:
                raise StandaloneChunkError("ctx.run in cpp_standalone must be called inside 'with ctx.use_device(...)'")
            prog = ChunkedProgram(net, every, self._sim.directory, self.seed, show_output=self._progress.enabled,
                                  report_period=report_period)
            prog.compile(namespace)
            self._chunked = prog
            self._sim.program = prog
            self.program_info.update({"compiled": bool(prog.recompiled), "reused": False, "chunk_s": every})
            self.log(f"compiled program for chunks of {every:g} s: "
                     f"{'compiled' if prog.recompiled else 'up to date, nothing recompiled'}")
        elif prog.net is not net:
            raise StandaloneChunkError("a chunked cpp_standalone run simulates one Network; got another one")
        else:
            prog.check_unchanged()
        eps = 1e-9 * max(1.0, every)
        start, end = self._sim_time, self._sim_time + duration_s
        apply_overrides = True
        if self._resume_t is not None:
            if end <= self._resume_t + eps:
                if end >= self._resume_t - eps:
                    # this call ended at the checkpoint (the run was killed after its last chunk): load the
                    # state now, so that the results (and any later call) continue from it
                    record = prog.load(self.directory)
                    self.log(f"resumed from the checkpoint at {record['t_s']:g} s (chunk {record['chunk_index']}), "
                             f"{'after recompiling' if prog.recompiled else 'with the compiled program unchanged'}")
                    self._resume_t = None
                    self.program_info["chunks"] = prog.chunk_index
                    if net not in self._networks:
                        self._networks.append(net)
                self._sim_time = end  # done before the interruption
                return
            record = prog.load(self.directory)
            self.log(f"resumed from the checkpoint at {record['t_s']:g} s (chunk {record['chunk_index']}), "
                     f"{'after recompiling' if prog.recompiled else 'with the compiled program unchanged'}")
            apply_overrides = start >= self._resume_t - eps  # else the checkpoint already holds them
            self._resume_t = None
        if apply_overrides:
            for view, value in (overrides or {}).items():
                prog.override(view, value)
        lengths, t = [], prog.t
        while end - t > eps:
            lengths.append(min(every, end - t))
            t += lengths[-1]
        for length in self._progress.iterate(lengths, desc="chunks"):
            prog.run_chunk(length)
            check_state(prog.state, prog.t)  # a runaway chunk ends the run before it is checkpointed
            prog.save(self.directory, extra={"stage": self._stage})
            self.checkpoints_written += 1
            self.log(f"checkpoint at {prog.t:g} s of simulated time")
            self._advance(length, prog.t)
            self._flush_log()
        self.program_info["chunks"] = prog.chunk_index
        self._sim_time = end
        if net not in self._networks:
            self._networks.append(net)

    # -- experiments that run several programs ----------------------------------------------
    def stage(self, name, simulate):
        """Run one of several compiled programs of an experiment as a resumable stage.

        ``simulate(ctx)`` builds one network inside ``with ctx.use_device(...)``, simulates
        it with :meth:`run` and returns what the experiment needs of it: nested dicts,
        lists and tuples of numpy arrays, numbers, strings or None. Each stage starts its
        own simulated time at 0, so checkpoints (``checkpoint_every``) and their resume
        work inside it as in a single-program run.

        When the stage ends, its returned data, the state of :attr:`rng` and its simulated
        time are written to the run directory (``stages/``, listed with their SHA-256 in
        ``stages.json``). A resumed run (``--resume``) loads the stages that ended before
        the interruption instead of simulating them again (with or without
        ``checkpoint_every``), restores :attr:`rng` to where it was after them, and continues
        the first unfinished stage from its checkpoint. So the experiment's Python code
        between stages must be deterministic given the seed, and stage names unique.
        Without a run directory (:meth:`in_memory`) the stage just runs.
        """
        name = str(name)
        if name in self._stage_names:
            raise ValueError(f"stage names must be unique within a run: '{name}' is used twice")
        self._stage_names.add(name)
        done = self._completed_stages()
        if name in done:
            record = done[name]
            saved = load_tree_npz(_verified_stage_file(self.directory, name, record))
            data = saved["data"]
            self._arrays.update(saved["arrays"])
            self._rules.update({key: _RecordedRule(**r) for key, r in record.get("rules", {}).items()})
            self.rng.bit_generator.state = record["rng_state"]
            self._time_offset += float(record["simulated_s"])
            self.log(f"stage '{name}': finished before the interruption, its results loaded")
            return data
        if self._resume_t is not None and self._resume_stage != name:
            self._resume_t = None  # the checkpoint of a stage that had finished: this stage starts afresh
        self._stage, self._sim_time, self._last_checkpoint, self._chunked, self._networks = name, 0.0, 0.0, None, []
        # the earlier stages' Brian2 objects must not rename this stage's (a resume that skips them would then
        # generate other code and recompile)
        release_brian_objects()
        arrays_before, rules_before = dict(self._arrays), dict(self._rules)
        try:
            data = _owned(simulate(self))  # the stage's Brian2 objects are released before the next stage
            if self.device != "cpp_standalone":  # cpp_standalone: checked right after its program ran
                self.check_networks()
            self._record_homeostasis_of_run_networks()
        finally:
            self._stage, self._chunked, self._networks = None, None, []
        if self.directory is not None:  # what the stage kept with save_arrays and record_rule is saved with it
            arrays = {k: v for k, v in self._arrays.items() if arrays_before.get(k) is not v}
            rules = {k: {"as_dict": r.to_dict(), "text": str(r)} for k, r in self._rules.items()
                     if rules_before.get(k) is not r}
            self._save_stage(name, {"data": data, "arrays": arrays}, rules)
        self._time_offset += self._sim_time
        self._sim_time = 0.0
        if self.device == "cpp_standalone" and not self.chunked:  # the program has run: the whole run's progress
            self._report_progress(self._time_offset)
        return data

    def _completed_stages(self):
        if self._stages_done is None:
            path = None if self.directory is None else os.path.join(self.directory, STAGES_FILE)
            self._stages_done = {}
            if path is not None and os.path.exists(path):
                self._stages_done = _read_stages(self.directory)
        return self._stages_done

    def _save_stage(self, name, data, rules):
        """Write a finished stage (data file, then stages.json, then the log), then drop its checkpoint."""
        os.makedirs(os.path.join(self.directory, "stages"), exist_ok=True)
        index = len(self._completed_stages())
        relative = os.path.join("stages", f"{index:03d}.npz")
        try:
            save_tree_npz(os.path.join(self.directory, relative), data)
        except TypeError as exc:
            raise TypeError(f"stage '{name}' returned something that cannot be saved: {exc}") from None
        self._stages_done[name] = {"file": relative, "sha256": sha256_file(os.path.join(self.directory, relative)),
                                   "rng_state": self.rng.bit_generator.state, "simulated_s": self._sim_time,
                                   "rules": strict_json(rules)[0]}
        atomic_write_json(os.path.join(self.directory, STAGES_FILE), self._stages_done)
        self.log(f"{STAGE_DONE_MARK}'{name}' ({self._sim_time:g} s simulated); its results are saved")
        # the checkpoint belonged to this stage (the log line above tells verify_checkpoint so)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(self.directory, "checkpoint.json"))
        shutil.rmtree(self.checkpoint_dir, ignore_errors=True)

    def plan(self, simulated_time):
        """Say how much simulated time the whole run will take (every ``ctx.run`` together).

        Progress then shows the whole run: after each stretch of simulation (each chunk in
        ``cpp_standalone`` with checkpoints, each run or checkpoint interval at run time), a
        log line gives the simulated time done out of the plan, the wall time elapsed and an
        estimate of the time left. A single ``cpp_standalone`` program (no checkpoints) shows
        Brian2's own report of the program, which is then the whole run.
        """
        import brian2

        self._planned = float(simulated_time / brian2.second)
        self._plan_wall0 = time.perf_counter()

    def _advance(self, seconds, reached):
        """Account for ``seconds`` of simulated time just run (the run has reached ``reached`` s) and report."""
        self._simulated_here += float(seconds)
        if self.device == "cpp_standalone" and not self.chunked:
            return  # a whole cpp_standalone program runs at sim.build(): Brian2's report shows it (and stage's end)
        self._report_progress(float(reached) + self._time_offset)

    def _report_progress(self, reached):
        """Log the simulated time done (``reached`` s of the whole run) against the plan, with an ETA."""
        if not self._planned:
            return
        elapsed = time.perf_counter() - self._plan_wall0
        left = max(self._planned - float(reached), 0.0)
        rate = self._simulated_here / elapsed if elapsed > 0 else 0.0
        eta = f", about {format_duration(left / rate)} left" if rate > 0 and left > 0 else ""
        self.log(f"progress: {min(float(reached), self._planned):g} of {self._planned:g} s simulated "
                 f"({100 * min(float(reached) / self._planned, 1.0):.0f} %), {format_duration(elapsed)} elapsed{eta}")

    def check_networks(self):
        """Runaway check of every network run through :meth:`run`: NaN/inf anywhere, rates above :attr:`max_rate`.

        In ``cpp_standalone`` it runs right after the program (``Simulation.after_run``),
        while the results can still be read.
        """
        for net in self._networks:
            t = None
            if self._chunked is not None and self._chunked.net is net:
                t = self._chunked.t
            check_network(net, max_rate=self.max_rate, t=t)

    def _write_checkpoint(self, net, t):
        """Store the whole network state (Brian2's ``Network.store`` content) as plain arrays, then the record.

        The state file gets a new name each time and ``checkpoint.json`` (written last,
        atomically) names it with its SHA-256, so a kill at any point leaves a consistent
        checkpoint: the old one or the new one.
        """
        from brian2 import get_device
        from brian2.core.network import _get_all_objects

        for clock in {obj.clock for obj in _get_all_objects(net.objects)}:
            clock._set_t_update_dt(target_t=net.t)
        state = net._full_state()
        state["_random_generator_state"] = get_device().get_random_state()
        os.makedirs(self.checkpoint_dir, exist_ok=True)
        index = self._checkpoint_index = getattr(self, "_checkpoint_index", 0) + 1
        name = os.path.join("checkpoint", f"runtime-{index:05d}.npz")
        save_tree_npz(os.path.join(self.directory, name), state)
        record = {"t_s": t, "seed": self.seed, "mode": "runtime", "index": index, "state": name,
                  "sha256": {name: sha256_file(os.path.join(self.directory, name))}, "stage": self._stage}
        atomic_write_json(os.path.join(self.directory, "checkpoint.json"), record)
        for old in os.listdir(self.checkpoint_dir):
            if old.startswith("runtime-") and os.path.join("checkpoint", old) != name:
                os.unlink(os.path.join(self.checkpoint_dir, old))
        self._last_checkpoint = t
        self.checkpoints_written += 1
        self.log(f"checkpoint at {t:g} s of simulated time")
        self._flush_log()

    def _restore_checkpoint(self, net):
        """Load the verified runtime checkpoint into ``net`` (``Network.restore`` of plain arrays, never a pickle)."""
        record = verify_runtime_checkpoint(self.directory)
        state = _match_names(load_tree_npz(os.path.join(self.directory, record["state"])), net)
        try:
            net._stored_state["snnlearn-checkpoint"] = state
            net.restore("snnlearn-checkpoint", restore_random_state=True)
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise CheckpointError(f"the checkpoint does not fit this network ({type(exc).__name__}: {exc})") from None
        finally:
            net._stored_state.pop("snnlearn-checkpoint", None)
        self._checkpoint_index = int(record.get("index", 0))

    def _flush_log(self):
        """Write the log so far (a killed run keeps its log up to its last checkpoint)."""
        atomic_write_text(os.path.join(self.directory, "log.txt"), "\n".join(self._log_lines) + "\n")

    def brian_seed(self, offset=0):
        """Seed Brian2's random generator from the run seed (``seed + offset``).

        In ``cpp_standalone`` the seed is read by the compiled program when it runs
        (:func:`snnlearn.standalone.insert_seed`), so a program compiled for one seed
        runs every other seed without recompiling.
        """
        import brian2

        from .devices import is_standalone

        if is_standalone():
            from .standalone import insert_seed

            insert_seed(offset)
        else:
            brian2.seed(self.seed + offset)

    # -- saving -----------------------------------------------------------------------
    def save_arrays(self, **arrays):
        """Keep arrays for ``arrays.npz`` (written when the run completes).

        The arrays are copied: since Brian2 2.11, a synaptic or monitor variable read as
        ``S.w[:]`` is a view on memory that its Brian2 object frees when collected.
        """
        for key, value in arrays.items():
            self._arrays[key] = np.array(value)

    def record_rule(self, rule, projection=None, homeostasis=()):
        """Record a plasticity rule used by the run (saved as rules.json and rules.txt).

        ``rule`` is a :class:`~snnlearn.Rule`, or the Synapses :func:`snnlearn.connect`
        returned (its rule and homeostasis are recorded, under its name by default).
        Each :class:`~snnlearn.rules.homeostasis.Homeostasis` of the projection is
        recorded beside the rule, as ``"<projection> + <homeostasis name>"``. Projections
        run through :meth:`run` have their homeostasis recorded even when only the rule was.
        """
        if hasattr(rule, "rule") and hasattr(rule, "homeostasis"):  # a Synapses made by snnlearn.connect
            projection = projection or rule.name
            homeostasis = tuple(homeostasis) or tuple(rule.homeostasis)
            rule = rule.rule
        key = projection or rule.name
        self._rules[key] = rule
        for h in homeostasis:
            self._rules[f"{key} + {h.name}"] = h

    def write_rules(self, path):
        """Write ``rules.json`` and ``rules.txt`` into directory ``path``: every recorded rule and homeostasis."""
        self._record_homeostasis_of_run_networks()
        if self._rules:
            atomic_write_json(os.path.join(path, "rules.json"),
                              strict_json({k: r.to_dict() for k, r in self._rules.items()})[0])
            atomic_write_text(os.path.join(path, "rules.txt"), "\n\n".join(str(r) for r in self._rules.values()) + "\n")

    def _record_homeostasis_of_run_networks(self):
        """Record the homeostasis of every recorded rule's projection in the networks run through :meth:`run`."""
        from brian2 import Synapses

        recorded = {id(r): key for key, r in self._rules.items()}
        for net in self._networks:
            for obj in net.objects:
                if isinstance(obj, Synapses) and getattr(obj, "homeostasis", ()) and id(getattr(obj, "rule", None)) \
                        in recorded:
                    key = recorded[id(obj.rule)]
                    for h in obj.homeostasis:
                        self._rules.setdefault(f"{key} + {h.name}", h)

    @property
    def arrays(self):
        """The arrays kept so far by :meth:`save_arrays` (a copy of the mapping)."""
        return dict(self._arrays)

    @property
    def rules(self):
        """The rules recorded so far by :meth:`record_rule`, by projection (a copy of the mapping)."""
        return dict(self._rules)



@dataclass(frozen=True)
class _RecordedRule:
    """A rule or homeostasis recorded by a stage that finished before a resume: what rules.json/txt need of it."""

    as_dict: dict
    text: str

    def to_dict(self):
        return dict(self.as_dict)

    def __str__(self):
        return self.text


def _checkpoint_stage(directory):
    """The stage that wrote the checkpoint of run ``directory`` (None: none, or a single-program run)."""
    try:
        return read_json(os.path.join(directory, "checkpoint.json")).get("stage")
    except (OSError, ValueError, AttributeError, TypeError):
        return None


def _read_stages(directory):
    """``stages.json`` of a run directory as ``{name: record}``; CheckpointError if it cannot be read."""
    try:
        stages = read_json(os.path.join(directory, STAGES_FILE))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{STAGES_FILE} cannot be read ({exc})") from None
    if not isinstance(stages, dict) or not all(
            isinstance(r, dict) and {"file", "sha256", "rng_state", "simulated_s"} <= set(r) for r in stages.values()):
        raise CheckpointError(f"{STAGES_FILE} does not list its stages' files, checksums and random states")
    return stages


def _verified_stage_file(directory, name, record):
    """The path of finished stage ``name``'s data file, after checking it against its checksum."""
    relative = str(record["file"])
    full = os.path.join(directory, relative)
    if os.path.dirname(os.path.normpath(relative)) != "stages" or not os.path.isfile(full):
        raise CheckpointError(f"the results of stage '{name}' ({relative}) are missing")
    if sha256_file(full) != record["sha256"]:
        raise CheckpointError(f"the results of stage '{name}' ({relative}) do not match their checksum in "
                              f"{STAGES_FILE}")
    return full


def verify_stages(path):
    """Check every finished stage of run directory ``path`` (files and checksums); returns their names."""
    if not os.path.exists(os.path.join(path, STAGES_FILE)):
        return []
    stages = _read_stages(path)
    for name, record in stages.items():
        _verified_stage_file(path, name, record)
    return list(stages)


def _match_names(state, net):
    """Rename the checkpoint's entries to this network's object names where Brian2 numbered them differently.

    Brian2 appends ``_1``, ``_2`` to a name already taken in the process (a clock
    ``oja_weights_clock`` of a second run in one Python session is ``oja_weights_clock_1``),
    so a run stored in one process may name its objects differently from the resuming
    one. Entries are matched by their name without that suffix, only where the match is
    unique; anything else is left for ``Network.restore`` to refuse.
    """
    import re

    from brian2.core.network import _get_all_objects

    objects = _get_all_objects(net.objects)
    names = {o.name for o in objects} | {o.clock.name for o in objects}
    base = lambda name: re.sub(r"_\d+$", "", name)  # noqa: E731
    missing = [k for k in state if k not in names and not k.startswith(("_", "0_"))]
    spare = [n for n in names if n not in state]
    for key in missing:
        candidates = [n for n in spare if base(n) == base(key)]
        if len(candidates) == 1:
            state[candidates[0]] = state.pop(key)
            spare.remove(candidates[0])
    return state


def verify_runtime_checkpoint(path):
    """Check a runtime checkpoint (files, checksum, simulated time) without loading it; returns its record."""
    record = read_checkpoint_record(path, "runtime",
                                    "checkpoint.json was not written by a runtime run of this snnlearn version")
    try:
        t, name, digest = float(record["t_s"]), str(record["state"]), record["sha256"][record["state"]]
    except (KeyError, TypeError, ValueError):
        raise CheckpointError("checkpoint.json lacks its time, state file or checksum") from None
    full = os.path.join(path, name)
    if os.path.dirname(os.path.normpath(name)) != "checkpoint" or not os.path.isfile(full):
        raise CheckpointError(f"checkpoint state file {name} is missing")
    if sha256_file(full) != digest:
        raise CheckpointError(f"checkpoint state file {name} does not match its checksum in checkpoint.json")
    try:
        state = load_tree_npz(full)
        t_state = float(state["0_t"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"checkpoint state file {name} cannot be read ({type(exc).__name__})") from None
    if abs(t_state - t) > 1e-9 * max(1.0, t):
        raise CheckpointError(f"the checkpoint state is at {t_state:g} s but checkpoint.json says {t:g} s")
    return record


def verify_checkpoint(path):
    """Check the checkpoint of run directory ``path`` (either kind); returns its record, or None if there is none."""
    if not os.path.exists(os.path.join(path, "checkpoint.json")):
        log = os.path.join(path, "log.txt")
        try:
            with open(log, encoding="utf-8", errors="replace") as fh:
                # a stage that finished drops its checkpoint: only checkpoints after the last such line count
                recorded = "] checkpoint at " in fh.read().rsplit("] " + STAGE_DONE_MARK, 1)[-1]
        except OSError:
            recorded = False
        if recorded:  # a checkpoint was completed (the log is written after checkpoint.json): it was removed
            raise CheckpointError("checkpoint.json is missing, although the log records a checkpoint")
        return None  # killed before its first checkpoint: the run starts again from the beginning
    try:
        mode = read_json(os.path.join(path, "checkpoint.json")).get("mode")
    except (OSError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"checkpoint.json cannot be read ({exc})") from None
    if mode == "cpp_standalone chunks":
        from .standalone import verify_chunk_checkpoint

        return verify_chunk_checkpoint(path)
    return verify_runtime_checkpoint(path)


def run_time_names(module):
    """The parameters of experiment ``module`` that reach its compiled program only as values:
    those declared ``Param(..., runtime=True)`` (and, from older experiment files, a ``RUN_ARGS`` list)."""
    declared = runtime_parameters(getattr(module, "PARAMS", {}))
    return tuple(dict.fromkeys(declared + tuple(getattr(module, "RUN_ARGS", ()))))


def structure_key(module, p):
    """What decides the compiled program of experiment ``module`` with parameters ``p``.

    Every parameter except the run-time ones (declared ``Param(..., runtime=True)``:
    values that reach the program only as variable values, so they can be changed with
    Brian2's ``run_args``); of a list-valued run-time parameter, its length. An
    experiment may add to it with a ``structure(p)`` function (e.g. whether an optional
    part of the network exists). Runs with equal keys can share one compiled program.
    """
    run_args = set(run_time_names(module))
    items = []
    for key in sorted(p):
        value = p[key]
        if key in run_args:
            if isinstance(value, (list, tuple)):
                items.append((f"len({key})", len(value)))
            continue
        items.append((key, repr(value)))
    extra = module.structure(p) if hasattr(module, "structure") else None
    return (module.__name__.rsplit(".", 1)[-1], tuple(items), extra)


class ProgramCache:
    """The compiled ``cpp_standalone`` program of the last run in this process, kept for reuse.

    A sweep worker passes one to each :func:`run_experiment` of a group of points with
    the same structure; :meth:`RunContext.program` builds and compiles for the first
    point and runs the same binary with ``run_args`` for the others. :meth:`close`
    releases the device (and the project directory's lock).

    With ``copy=k`` (a batch running in parallel with others of the same structure),
    the program is built in a private copy of the structure's compiled project (copied
    with its timestamps, so ``make`` finds it up to date and compiles nothing).
    """

    def __init__(self, copy=None):
        self.key = self.model = self.sim = None
        self.copy = copy  # None: build in the structure's project; k: in copy k of it (a parallel batch)
        self._stack = contextlib.ExitStack()

    def open(self, context):
        """Enter ``context`` (a device context manager) until :meth:`close`; returns what it yields."""
        return self._stack.enter_context(context)

    def close(self):
        self.key = self.model = self.sim = None
        self._stack.close()
        self._stack = contextlib.ExitStack()
        release_brian_objects()


def _owned(tree):
    """``tree`` (nested dicts, lists and tuples) with every numpy array copied into memory it owns.

    Since Brian2 2.11, ``S.w[:]`` of a synaptic or monitor variable is a view on memory that
    the object frees when it is collected, which :func:`release_brian_objects` does.
    """
    if isinstance(tree, np.ndarray):
        return np.array(tree)
    if isinstance(tree, dict):
        return {key: _owned(value) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_owned(value) for value in tree] if isinstance(tree, list) else tuple(_owned(value) for value in tree)
    return tree


def release_brian_objects():
    """Let the Brian2 objects of finished runs go, so that the next build in this process names its objects
    as a fresh process would.

    Objects still alive make Brian2 name new ones differently (``..._codeobject_1``), which
    changes the generated files and defeats a compiled project. Brian2's statement cache
    holds some (a ``PoissonInput``'s binomial function); Brian2's own test suite clears it
    the same way.
    """
    import gc

    try:
        from brian2.codegen.translation import make_statements

        make_statements._cache.clear()
    except (ImportError, AttributeError):
        pass
    gc.collect()


@dataclass
class RunResult:
    """What :func:`run_experiment` returns."""

    path: str
    metrics: dict
    params: Params
    status: str
    experiment: str = ""  # its name, or the absolute path of its file


def _default_directory(name, seed, quick):
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return os.path.join("runs", f"{experiment_label(name)}{'-quick' if quick else ''}-seed{seed}-{stamp}")


class RunLock:
    """Exclusive ownership of a run directory by this process (``flock`` on a lock file inside it).

    The kernel releases the lock when the process dies, even by ``kill -9``, so a killed
    run can be resumed while a live one cannot be touched by another process.
    """

    def __init__(self, path):
        self.path = path
        self._fh = None

    def acquire(self):
        """Take the lock; False if another process holds it."""
        fh = open(os.path.join(self.path, LOCK_FILE), "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            fh.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        self._fh = fh
        return True

    def release(self):
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def _owner_pid(path):
    try:
        return read_json(os.path.join(path, STATUS_FILE)).get("pid")
    except (OSError, ValueError, AttributeError):
        return None


def _prepare_directory(path):
    """Create (or take over an empty) run directory and lock it; refuse anything else, in one line."""
    created = not os.path.exists(path)
    try:
        os.makedirs(path, exist_ok=True)
        if not os.path.isdir(path):
            raise NotADirectoryError(errno.ENOTDIR, "not a directory")
        entries = [e for e in os.listdir(path) if e != LOCK_FILE]
    except OSError as exc:
        raise UsageError(f"cannot write to output directory '{path}': {exc.strerror or exc}") from None
    if entries and STATUS_FILE not in entries:  # refused before the lock file is created: the user's files stay as they were
        raise UsageError(f"output directory '{path}' is not empty and holds no run ({len(entries)} entries, e.g. "
                         f"'{sorted(entries)[0]}'); choose a new or empty directory")
    try:
        lock = RunLock(path)
        locked = lock.acquire()
    except OSError as exc:
        raise UsageError(f"cannot write to output directory '{path}': {exc.strerror or exc}") from None
    if not locked:
        raise UsageError(f"output directory '{path}' is in use by another snnlearn run (process {_owner_pid(path)}); "
                         f"choose another --out")
    try:
        entries = [e for e in os.listdir(path) if e != LOCK_FILE]
        if STATUS_FILE in entries:
            try:
                status = read_json(os.path.join(path, STATUS_FILE)).get("status")
            except (OSError, ValueError, AttributeError):
                status = "unreadable status"
            hint = "" if status == "complete" else ", or continue it with --resume"
            raise UsageError(f"output directory '{path}' already holds a run ({status}); choose another --out{hint}")
        if entries:
            raise UsageError(f"output directory '{path}' is not empty and holds no run ({len(entries)} entries, e.g. "
                             f"'{sorted(entries)[0]}'); choose a new or empty directory")
        probe = os.path.join(path, ".write-test")
        try:
            with open(probe, "w") as fh:
                fh.write("")
            os.unlink(probe)
        except OSError as exc:
            raise UsageError(f"cannot write to output directory '{path}': {exc.strerror or exc}") from None
    except BaseException:
        lock.release()
        if created:
            shutil.rmtree(path, ignore_errors=True)
        raise
    return lock


def _damaged(path, what, exc=None):
    reason = f": {type(exc).__name__}: {' '.join(str(exc).split())}" if exc is not None else ""
    return UsageError(f"run directory '{path}' is damaged: {what}{reason}")


def _read_json_file(path, name):
    try:
        data = read_json(os.path.join(path, name))
    except FileNotFoundError:
        raise _damaged(path, f"{name} is missing") from None
    except (OSError, ValueError) as exc:
        raise _damaged(path, f"{name} cannot be read", exc) from None
    if not isinstance(data, dict):
        raise _damaged(path, f"{name} does not hold a JSON object")
    return data


def _read_params(path, module=None):
    try:
        with open(os.path.join(path, "params.json"), encoding="utf-8") as fh:
            p = params_from_json(fh.read())
    except FileNotFoundError:
        raise _damaged(path, "params.json is missing") from None
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise _damaged(path, "params.json cannot be read", exc) from None
    if module is not None:
        declared = plain_defaults(module.PARAMS)
        if set(p) != set(declared):
            name = module.__name__.rsplit(".", 1)[-1]
            raise UsageError(f"run directory '{path}' does not hold a run of '{name}' as this snnlearn defines it "
                             f"(its parameters differ: {', '.join(sorted(set(p) ^ set(declared))[:4])})")
    return p


def _inspect_run(path):
    """Status, provenance and the experiment module of a run directory; one-line UsageError if anything is off."""
    if not os.path.isdir(path) or not os.path.exists(os.path.join(path, STATUS_FILE)):
        raise UsageError(f"'{path}' is not a run directory (no {STATUS_FILE})")
    status = _read_json_file(path, STATUS_FILE)
    provenance = _read_json_file(path, "provenance.json")
    name = provenance.get("experiment")
    if not isinstance(name, str):
        raise _damaged(path, "provenance.json names no experiment")
    module = load_experiment(name)
    return status, provenance, module


def _as_quantity(value, unit, must):
    """``value`` as a quantity in ``unit`` (a bare number is taken in that unit); else UsageError('<must>, got ...')."""
    import brian2

    if not isinstance(value, brian2.Quantity):
        try:
            value = float(value) * unit
        except (TypeError, ValueError):
            raise UsageError(f"{must}, got {value!r}") from None
    if value.dim != unit.dim:
        raise UsageError(f"{must}, got {value}")
    return value


def _validate_run_options(seed, threads, device, checkpoint_every, max_rate):
    """Check the run options (not the experiment's parameters); returns checkpoint_every and max_rate as quantities."""
    import brian2

    from .devices import DEVICES

    if device not in DEVICES:
        raise UsageError(f"unknown device '{device}'; choose one of {', '.join(DEVICES)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= SEED_MAX:
        raise UsageError(f"--seed must be an integer from 0 to {SEED_MAX}, got {seed}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or not 0 <= int(threads) <= cores:
        raise UsageError(f"--threads must be an integer from 0 (no OpenMP) to {cores} (the cores here), got {threads}")
    if checkpoint_every is not None:
        checkpoint_every = _as_quantity(checkpoint_every, brian2.second, "--checkpoint-every must be a time such as 20s")
        value = float(checkpoint_every / brian2.second)
        if not math.isfinite(value) or value < MIN_CHECKPOINT_S:
            raise UsageError(f"--checkpoint-every must be a time of at least {MIN_CHECKPOINT_S * 1000:g} ms, "
                             f"got {checkpoint_every}")
    if max_rate is not None:
        max_rate = _as_quantity(max_rate, brian2.Hz, "--max-rate must be a rate such as 500Hz")
        if not (float(max_rate) > 0 and math.isfinite(float(max_rate))):
            raise UsageError(f"--max-rate must be a positive rate such as 500Hz, got {max_rate}")
    return checkpoint_every, max_rate


def resume_experiment(path, quiet=True, log_stream=None):
    """Continue an interrupted or killed run from its last checkpoint (``snnlearn run --resume``).

    Refused in one line (:class:`UsageError`) before anything is written: a directory
    that is not a run, a complete run, a run whose process is still alive, and a damaged
    run directory (missing or truncated files, a checkpoint whose files disagree with
    ``checkpoint.json``).
    """
    if not os.path.isdir(path) or not os.path.exists(os.path.join(path, STATUS_FILE)):
        raise UsageError(f"'{path}' is not a run directory (no {STATUS_FILE})")
    lock = RunLock(path)
    try:
        locked = lock.acquire()
    except OSError as exc:
        raise UsageError(f"cannot lock run directory '{path}': {exc.strerror or exc}") from None
    if not locked:
        raise UsageError(f"run '{path}' is still running (process {_owner_pid(path)}); wait for it, or stop it first")
    try:
        status, provenance, module = _inspect_run(path)
        if status.get("status") == "complete":
            raise UsageError(f"run '{path}' is already complete; nothing to resume")
        p = _read_params(path, module)
        try:
            seed, device, threads = provenance["seed"], provenance["device"], provenance["threads"]
            quick, every = bool(provenance["quick"]), provenance.get("checkpoint_every_s")
        except KeyError as exc:
            raise _damaged(path, f"provenance.json lacks '{exc.args[0]}'") from None
        try:
            checkpoint = verify_checkpoint(path)
            verify_stages(path)
        except CheckpointError as exc:
            raise UsageError(f"cannot resume '{path}': {exc}") from None
        if checkpoint is not None:
            mode = "cpp_standalone chunks" if device == "cpp_standalone" else "runtime"
            if checkpoint.get("mode") != mode or int(checkpoint.get("seed", -1)) != int(seed):
                raise UsageError(f"cannot resume '{path}': its checkpoint was not written by this run "
                                 f"({checkpoint.get('mode')}, seed {checkpoint.get('seed')})")
        resume_t = None if checkpoint is None else float(checkpoint["t_s"])
        return run_experiment(provenance["experiment"], seed=seed, out=path, quick=quick, device=device,
                              threads=threads, quiet=quiet, log_stream=log_stream, checkpoint_every=every,
                              max_rate=provenance.get("max_rate_hz", "default"),
                              _resume=(resume_t, p, lock, provenance))
    finally:
        lock.release()


def run_experiment(name, seed=0, out=None, quick=False, device="cpp_standalone", threads=0, quiet=True,
                   overrides=None, log_stream=None, checkpoint_every=None, programs=None, max_rate="default",
                   _resume=None, **params):
    """Run experiment ``name`` and write its run directory.

    Parameters given as keyword arguments (``tau=20*ms``) or as text in ``overrides``
    (``{"tau": "20*ms"}``, as from ``--set``) are checked against the experiment's
    ``PARAMS`` (declared bounds, and bounds inferred from plain defaults), and every
    option (seed, threads, device, checkpoint interval) is checked, before any
    directory exists: bad input raises :class:`UsageError` and leaves nothing behind.
    ``checkpoint_every`` (a time) checkpoints the run (runtime devices: the network
    state as plain arrays; ``cpp_standalone``: compiled chunks, see
    :meth:`RunContext.run`). ``max_rate`` is the ceiling on any monitored neuron's mean
    rate (default: the experiment's ``MAX_RATE``, else :data:`snnlearn.guard.DEFAULT_MAX_RATE`;
    None switches the check off). ``programs`` (a :class:`ProgramCache`) lets
    consecutive runs with the same structure reuse one compiled program (sweeps).
    Returns a :class:`RunResult` with the metrics and the directory. This is the
    Python mirror of ``snnlearn run``.
    """
    module = load_experiment(name)
    name = module.EXPERIMENT_REF  # a file is recorded by its absolute path, for --resume, plot and sweep
    if isinstance(max_rate, str) and max_rate == "default":
        max_rate = getattr(module, "MAX_RATE", DEFAULT_MAX_RATE)
    checkpoint_every, max_rate = _validate_run_options(seed, threads, device, checkpoint_every, max_rate)
    resume_t, lock, old_provenance = None, None, None
    if _resume is not None:
        resume_t, p, lock, old_provenance = _resume
        path = out
        removed = remove_temporaries(path) + remove_temporaries(os.path.join(path, "checkpoint"))
    else:
        try:
            p = resolve_params(module.PARAMS, getattr(module, "QUICK", {}), {**(overrides or {}), **params},
                               use_quick=quick, infer=True)
            if hasattr(module, "validate"):
                module.validate(p)
        except (ParameterError, ValueError) as exc:
            raise UsageError(f"{experiment_label(name)}: {exc}") from None
        path = out or _default_directory(name, seed, quick)
        lock = _prepare_directory(path)
        removed = 0
    try:
        return _run_locked(module, name, p, path, seed, quick, device, threads, quiet, log_stream, checkpoint_every,
                           programs, max_rate, resume_t, _resume is not None, old_provenance, removed)
    finally:
        if _resume is None:
            lock.release()


def execute(module, p, ctx):
    """Do an experiment's science in ``ctx`` and return its metrics: what ``snnlearn run``, a
    sweep point and a test (with :meth:`RunContext.in_memory`) all go through.

    ``simulate`` -> the arrays are kept (and, in a run directory, written to ``arrays.npz``
    at once) -> ``measure`` on exactly those arrays -> ``summary`` lines in the log; or the
    experiment's own ``run``.
    """
    label = experiment_label(getattr(module, "EXPERIMENT_REF", module.__name__.rsplit(".", 1)[-1]))
    if science_functions(module) == ("run",):
        ctx._phase = "run"
        return module.run(p, ctx)
    ctx._phase = "simulate"
    data = module.simulate(p, ctx)
    if not isinstance(data, dict):
        raise TypeError(f"experiment '{label}': simulate() must return a dict of arrays, got {type(data).__name__}")
    for key, value in data.items():
        if np.asarray(value).dtype == object:
            raise TypeError(f"experiment '{label}': simulate() returned '{key}', which is not an array of "
                            f"numbers or strings (arrays.npz holds plain arrays only)")
    ctx.save_arrays(**data)
    if ctx.directory is not None:  # what was simulated is on disk before anything measures it
        atomic_save_npz(os.path.join(ctx.directory, "arrays.npz"), ctx._arrays)
        ctx.write_rules(ctx.directory)
        ctx._arrays_written = dict(ctx._arrays)
    ctx._phase = "measure"
    metrics = module.measure({key: ctx._arrays[key] for key in data}, p)
    _log_summary(module, metrics, p, ctx)
    return metrics


def _log_summary(module, metrics, p, ctx):
    summary = getattr(module, "summary", None)
    if summary is None or not isinstance(metrics, dict):
        return
    lines = summary(metrics, p)
    for line in [lines] if isinstance(lines, str) else (lines or ()):
        ctx.log(line)


def _run_locked(module, name, p, path, seed, quick, device, threads, quiet, log_stream, checkpoint_every, programs,
                max_rate, resume_t, resuming, old_provenance, removed):
    import brian2

    started = datetime.datetime.now().astimezone()
    provenance = {
        "experiment": name, "seed": int(seed), "device": device, "threads": int(threads), "quick": bool(quick),
        "start": started.isoformat(timespec="seconds"), "end": None, "versions": _versions(),
        "git_commit": _git_commit(), "command": " ".join(sys.argv), "host": platform.node(),
        "checkpoint_every_s": None if checkpoint_every is None else float(checkpoint_every / brian2.second),
        "max_rate_hz": None if max_rate is None else float(max_rate / brian2.Hz),
        "resumed_from_s": resume_t,
    }
    if old_provenance is not None:  # a resume keeps the original start and records each resumption
        provenance["start"] = old_provenance.get("start", provenance["start"])
        provenance["resumed"] = list(old_provenance.get("resumed") or []) + [
            {"at": started.isoformat(timespec="seconds"), "from_s": resume_t}]
    atomic_write_json(os.path.join(path, STATUS_FILE), {"status": "running", "pid": os.getpid()})
    atomic_write_text(os.path.join(path, "params.json"), params_to_json(p) + "\n")
    atomic_write_json(os.path.join(path, "provenance.json"), provenance)

    ctx = RunContext(path, seed, device=device, threads=threads, quiet=quiet, log_stream=log_stream,
                     checkpoint_every=checkpoint_every, resume_from=resume_t, structure=structure_key(module, p),
                     programs=programs, max_rate=max_rate)
    if resuming:
        previous = os.path.join(path, "log.txt")
        if os.path.exists(previous):
            with open(previous, encoding="utf-8", errors="replace") as fh:
                ctx._log_lines = fh.read().splitlines() + ["--- resumed ---"]
        if removed:
            ctx.log(f"removed {removed} temporary file(s) left by the killed run")
    ctx.log(f"experiment {name}, seed {seed}, device {device}{' (quick)' if quick else ''}")
    if checkpoint_every is not None and getattr(module, "NO_CHECKPOINTS", None):
        ctx.log(f"note: {experiment_label(name)} cannot checkpoint ({module.NO_CHECKPOINTS}): "
                f"it runs without checkpoints")
    status, error, metrics = "complete", None, None
    old_stop = brian2.prefs.core.stop_on_keyboard_interrupt
    # Ctrl-C must raise at once: Brian2's default stops Network.run early and carries on with a truncated simulation
    brian2.prefs.core.stop_on_keyboard_interrupt = False
    try:
        metrics = execute(module, p, ctx)
        ctx._phase = "checks"  # a runaway simulation is not worth measuring again
        if device != "cpp_standalone":  # cpp_standalone: checked right after the program ran (Simulation.after_run)
            ctx.check_networks()
        ctx._phase = "results"
        if checkpoint_every is not None and ctx.checkpoints_written == 0 and resume_t is None:
            ctx.log("note: no checkpoint was written (the experiment does not simulate through ctx.run, or "
                    "its runs are shorter than --checkpoint-every)")
        if not isinstance(metrics, dict):
            raise TypeError(f"experiment '{name}': run() must return a dict of metrics, got {type(metrics).__name__}")
        metrics, not_finite = strict_json(metrics)
        if not_finite:
            ctx.log(f"metrics not finite, written as null: {', '.join(not_finite)}")
        _write_results(path, module, p, ctx, metrics)
    except KeyboardInterrupt as exc:
        status, error = "interrupted", f"{type(exc).__name__}: {exc}" if str(exc) else "KeyboardInterrupt"
        ctx.log("INTERRUPTED" + (f": {exc}" if str(exc) else "") + (
            "; continue with --resume from the last checkpoint" if any(
                os.path.exists(os.path.join(path, f)) for f in ("checkpoint.json", STAGES_FILE))
            else ""))
        exc.snnlearn_run_dir = path
        raise
    except BaseException as exc:
        status, error = "failed", f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        ctx._measurable = ctx._phase in ("measure", "results") and ctx._arrays_written is not None
        if ctx._measurable:
            exc.snnlearn_measurable = True  # the simulation is saved; the CLI says how to measure it again
        ctx.log("FAILED\n" + traceback.format_exc(), echo=False)  # the CLI prints one line; log.txt has it all
        exc.snnlearn_run_dir = path  # the CLI reports a failed run in one line, its traceback is in log.txt
        raise
    finally:
        brian2.prefs.core.stop_on_keyboard_interrupt = old_stop
        _finish(path, ctx, provenance, status, error)
    return RunResult(path=path, metrics=metrics, params=p, status=status, experiment=name)


def _finish(path, ctx, provenance, status, error):
    """Write log, provenance and the final status (in that order), then drop the checkpoint of a complete run."""
    provenance["end"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    provenance["wall_time_s"] = round(time.perf_counter() - ctx._t0, 3)
    if ctx.program_info:
        provenance["program"] = ctx.program_info
    ctx.log(f"{status} after {format_duration(provenance['wall_time_s'])}")
    atomic_write_text(os.path.join(path, "log.txt"), "\n".join(ctx._log_lines) + "\n")
    atomic_write_json(os.path.join(path, "provenance.json"), strict_json(provenance)[0])
    final = {"status": status}
    if error:
        final["error"] = error
    if status == "failed" and ctx._measurable:
        final["measurable"] = True  # simulated and saved; the measure or the figures failed
    atomic_write_json(os.path.join(path, STATUS_FILE), final)
    if status == "complete":  # only now: a kill before this line leaves a resumable checkpoint
        for leftover in ("checkpoint.json", "checkpoint.pkl"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(path, leftover))
        shutil.rmtree(ctx.checkpoint_dir, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(path, STAGES_FILE))
        shutil.rmtree(os.path.join(path, "stages"), ignore_errors=True)


def _write_results(path, module, p, ctx, metrics):
    written = ctx._arrays_written
    if written is None or written.keys() != ctx._arrays.keys() or any(
            written[k] is not v for k, v in ctx._arrays.items()):
        atomic_save_npz(os.path.join(path, "arrays.npz"), ctx._arrays)
    ctx.write_rules(path)
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
    """Status, parameters, metrics and arrays of a run directory (a damaged one raises a one-line UsageError)."""
    if not os.path.isdir(path) or not os.path.exists(os.path.join(path, STATUS_FILE)):
        raise UsageError(f"'{path}' is not a run directory (no {STATUS_FILE})")
    status = _read_json_file(path, STATUS_FILE)
    p = _read_params(path)
    metrics = _read_json_file(path, "metrics.json") if os.path.exists(os.path.join(path, "metrics.json")) else None
    data = {}
    if os.path.exists(os.path.join(path, "arrays.npz")):
        data = _read_arrays(path)
    provenance = _read_json_file(path, "provenance.json")
    return status, p, metrics, data, provenance


def _read_arrays(path):
    import zipfile

    try:
        with np.load(os.path.join(path, "arrays.npz"), allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise _damaged(path, "arrays.npz is missing") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise _damaged(path, "arrays.npz cannot be read", exc) from None


def remeasure(path):
    """Measure a run again from its saved arrays, with no simulation; returns the metrics.

    ``metrics.json`` and the figures are rewritten with the experiment's current ``measure`` and
    ``plot`` (e.g. after a change to the analysis). A run that failed after its simulation was saved
    (status ``failed``, ``measurable``) becomes ``complete`` when its measure now succeeds.
    """
    status, provenance, module = _inspect_run(path)
    state = status.get("status")
    if state != "complete" and not (state == "failed" and status.get("measurable")):
        raise UsageError(f"run '{path}' is {state}, and only a complete run or one that failed after saving its "
                         f"simulation can be measured again")
    label = experiment_label(provenance["experiment"])
    if science_functions(module) != ("simulate", "measure"):
        raise UsageError(f"experiment '{label}' measures inside its run(), not from saved arrays: "
                         f"only an experiment with simulate and measure can be measured again")
    p = _read_params(path, module)
    data = _read_arrays(path)
    log = os.path.join(path, "log.txt")
    previous = open(log, encoding="utf-8", errors="replace").read() if os.path.exists(log) else ""
    stamp = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        metrics, not_finite = strict_json(module.measure(data, p))
        figures = _draw(path, module, data, metrics, p)
    except Exception as exc:
        atomic_write_text(log, previous + f"--- measured again {stamp}: FAILED ---\n" + traceback.format_exc())
        exc.snnlearn_measured_dir = path  # the CLI says in one line that the run was left as it was
        raise
    atomic_write_json(os.path.join(path, "metrics.json"), metrics)
    lines = [f"--- measured again {stamp} (snnlearn measure): {len(metrics)} metrics, figures {', '.join(figures)}"]
    if not_finite:
        lines.append(f"metrics not finite, written as null: {', '.join(not_finite)}")
    atomic_write_text(log, previous + "\n".join(lines) + "\n")
    if state != "complete":
        atomic_write_json(os.path.join(path, STATUS_FILE), {"status": "complete"})
    return metrics


def replot(path):
    """Redraw a complete run's figures from its saved data, with no simulation."""
    if not os.path.isdir(path) or not os.path.exists(os.path.join(path, STATUS_FILE)):
        raise UsageError(f"'{path}' is not a run directory (no {STATUS_FILE})")
    status, provenance, module = _inspect_run(path)
    if status.get("status") != "complete":
        raise UsageError(f"run '{path}' is {status.get('status')}, not complete: nothing to plot")
    p = _read_params(path, module)
    metrics = _read_json_file(path, "metrics.json")
    data = _read_arrays(path)
    try:
        return _draw(path, module, data, metrics, p)
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise _damaged(path, "its arrays or metrics do not fit the experiment's plot", exc) from None
