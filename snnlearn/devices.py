"""Choosing Brian2's back-end for a simulation, and leaving the global state clean afterwards.

Brian2 selects code generation globally (``prefs.codegen.target`` for the runtime
device, ``set_device`` for ``cpp_standalone``). :func:`use_device` sets it for one
block of code and restores the previous state, so that several simulations with
different back-ends can run in one process (a test session, a sweep).

``cpp_standalone`` projects are compiled into a directory. With ``cache=True`` the
directory is keyed by the caller's ``key`` (e.g. the experiment name and its
structural parameters): a second run of the same structure finds the object files
of the first and only relinks, instead of recompiling everything.
"""

import contextlib
import fcntl
import hashlib
import os
import shlex
import shutil
import sys
import tempfile

from brian2 import get_device, prefs, set_device

from .make_guard import FLAG_ENV as MAKE_FLAG_ENV
from .make_guard import OWNER_ENV as MAKE_OWNER_ENV

__all__ = ["use_device", "DEVICES", "standalone_directory", "copy_project", "Simulation"]

#: Back-ends accepted by :func:`use_device` and by ``snnlearn run --device``.
DEVICES = ("numpy", "cython", "runtime", "cpp_standalone")


def standalone_directory(key=None, threads=0):
    """Directory for a ``cpp_standalone`` project: cached per ``key`` and OpenMP ``threads``, else a fresh one.

    The thread count is part of the structure: ``make`` does not rebuild the objects when
    only the OpenMP flags change, and a project half compiled with -fopenmp and half
    without runs silently wrong (a 2-thread build over a 1-thread one gave a network
    without a single output spike).
    """
    root = os.environ.get("SNNLEARN_BUILD_CACHE", os.path.join(tempfile.gettempdir(), "snnlearn-standalone"))
    os.makedirs(root, exist_ok=True)
    if key is None:
        return tempfile.mkdtemp(prefix="build-", dir=root)
    digest = hashlib.sha1(repr((key, "openmp_threads", int(threads))).encode()).hexdigest()[:16]
    path = os.path.join(root, digest)
    os.makedirs(path, exist_ok=True)
    return path


def program_command():
    """The command that runs a compiled program: ``./main``, tied to this process's life where Linux allows.

    With ``setpriv --pdeathsig KILL`` (util-linux) the kernel kills the program when the
    Python process that started it dies, even by ``kill -9``: no orphan keeps running
    and writing into the shared build cache without holding its lock.
    """
    if os.name == "posix" and shutil.which("setpriv") and _setpriv_has_pdeathsig():
        return ["setpriv", "--pdeathsig", "KILL", "./main"]
    return "./main"


_PDEATHSIG = {}


def _setpriv_has_pdeathsig():
    if "ok" not in _PDEATHSIG:
        import subprocess

        try:
            out = subprocess.run(["setpriv", "--help"], capture_output=True, text=True, timeout=10)
            _PDEATHSIG["ok"] = "--pdeathsig" in out.stdout
        except (OSError, subprocess.SubprocessError):
            _PDEATHSIG["ok"] = False
    return _PDEATHSIG["ok"]


def copy_project(source, target):
    """Copy a compiled standalone project (sources, objects, program; not results) keeping its timestamps.

    A build of the same model in ``target`` then regenerates identical sources (Brian2
    leaves unchanged files alone) and ``make`` finds everything up to date: a parallel
    worker gets the program without compiling it again. Holds ``source``'s lock while
    copying. Does nothing if ``source`` has no compiled program.
    """
    import shutil

    if not os.path.exists(os.path.join(source, "main")):
        return False
    with open(os.path.join(source, ".snnlearn-lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            shutil.copytree(source, target, dirs_exist_ok=True, copy_function=shutil.copy2,
                            ignore=shutil.ignore_patterns("results", ".snnlearn-lock", "snnlearn_state"))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return True


class Simulation:
    """Handle yielded by :func:`use_device`.

    Call :meth:`build` after the last ``Network.run`` and before reading results: in
    ``cpp_standalone`` it compiles and runs the whole program (all runs at once); on
    runtime targets the runs have already happened and it does nothing.

    Attributes
    ----------
    seed : int or None
        Passed to the program as ``SNNLEARN_SEED`` (read by the code that
        :func:`snnlearn.standalone.insert_seed` puts in, e.g. through ``ctx.brian_seed()``).
    compiled : bool or None
        After a standalone :meth:`build`: whether the compiler ran (False when a cached
        project was already up to date and only ran).
    program : snnlearn.standalone.ChunkedProgram or None
        Set by a chunked run (checkpoints); :meth:`build` then only finalizes its results.
    """

    def __init__(self, name, directory=None, show_output=False, seed=None):
        self.name = name
        self.show_output = show_output
        self.directory = directory
        self.standalone = name == "cpp_standalone"
        self.seed = seed
        self.built = False
        self.compiled = None
        self.program = None
        self.after_run = None  # called after the program ran, while its results are readable (runaway checks)

    def build(self, run_args=None):
        from .standalone import SEED_ENV, binary_mtime, canonicalize_program, environment

        if self.program is not None:
            if not self.built:
                self.program.finalize()
                self.compiled = self.program.recompiled
        elif self.standalone and not self.built:
            canonicalize_program()
            before = binary_mtime(self.directory)
            with environment(**{SEED_ENV: self.seed}):
                get_device().build(directory=self.directory, compile=True, run=True, run_args=run_args,
                                   with_output=self.show_output)
            self.compiled = before is None or binary_mtime(self.directory) != before
        self.built = True
        if self.after_run is not None:
            self.after_run()


    def run_copied(self, run_args):
        """Run the program of a copied compiled project (:func:`copy_project`) for this model, with ``run_args``.

        For a model whose values differ from the compiled one's only where ``run_args``
        sets them (a sweep point of the same structure): the code is generated (Brian2
        leaves unchanged files alone) but not compiled, and the copied program runs with
        ``run_args``. Values assigned from Python appear as literals in ``main.cpp`` only,
        and ``run_args`` overrides them; if any other generated file differs from the
        copied project's (the structure is not the same after all), ``make`` compiles
        it, as in :meth:`build`.
        """
        from brian2 import prefs

        from .standalone import SEED_ENV, canonicalize_program, environment

        device = get_device()
        canonicalize_program()
        before = _source_stamps(self.directory)
        device.build(directory=self.directory, compile=False, run=False, with_output=False)
        after = _source_stamps(self.directory)
        drift = sorted(f for f in set(before) | set(after) if before.get(f) != after.get(f) and f != "main.cpp")
        self.compiled = False
        if drift:
            binary = _binary_stamp(self.directory)
            device.compile_source(self.directory, prefs["codegen.cpp.compiler"], False, False)
            self.compiled = _binary_stamp(self.directory) != binary
        with environment(**{SEED_ENV: self.seed}):
            device.run(directory=self.directory, with_output=self.show_output, run_args=run_args)
        self.built = True
        if self.after_run is not None:
            self.after_run()
        return drift


def _source_stamps(directory):
    stamps = {}
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if d not in ("results", "static_arrays", "snnlearn_state")]
        for name in files:
            if name.endswith((".cpp", ".h", ".c")) or name == "makefile":
                path = os.path.join(root, name)
                stat = os.stat(path)
                stamps[os.path.relpath(path, directory)] = (stat.st_mtime_ns, stat.st_size)
    return stamps


def _binary_stamp(directory):
    from .standalone import binary_mtime

    return binary_mtime(directory)


@contextlib.contextmanager
def use_device(name, directory=None, threads=0, cache_key=None, show_output=False, seed=None):
    """Run the enclosed Brian2 code on back-end ``name``.

    Parameters
    ----------
    name : {"numpy", "cython", "runtime", "cpp_standalone"}
        ``"runtime"`` means the cython target (numpy when no compiler is usable).
    directory : str, optional
        Project directory for ``cpp_standalone`` (default: cached by ``cache_key``,
        or a fresh temporary directory).
    threads : int
        OpenMP threads for ``cpp_standalone`` (0: no OpenMP).
    cache_key : hashable, optional
        Structure key for reusing a compiled standalone project across runs.
    show_output : bool
        Let the compiled program print (its progress report) while it runs.
    seed : int, optional
        Run seed handed to the standalone program (see :class:`Simulation`).

    Yields a :class:`Simulation`; call its ``build()`` after the last run. Several
    ``Network.run`` calls (with variables changed in between) then form one program.
    """
    if name not in DEVICES:
        raise ValueError(f"unknown device {name!r}; choose one of {', '.join(DEVICES)}")
    old_target = prefs.codegen.target
    old_threads = prefs.devices.cpp_standalone.openmp_threads
    if name == "cpp_standalone":
        if directory is None:
            directory = standalone_directory(cache_key, threads)
        os.makedirs(directory, exist_ok=True)
        prefs.devices.cpp_standalone.openmp_threads = int(threads)
        old_run_cmd = prefs.devices.cpp_standalone.run_cmd_unix
        if old_run_cmd == "./main":
            prefs.devices.cpp_standalone.run_cmd_unix = program_command()
        # Ctrl-C while make runs: Brian2's os.system hides it from us; the guard reports it in a file
        old_make_cmd = prefs.devices.cpp_standalone.make_cmd_unix
        if old_make_cmd == "make":
            # run by path with -S: only the standard library loads, so the guard catches a Ctrl-C within
            # milliseconds of starting (``-m snnlearn.make_guard`` imported Brian2 first, for seconds)
            guard = os.path.join(os.path.dirname(os.path.abspath(__file__)), "make_guard.py")
            prefs.devices.cpp_standalone.make_cmd_unix = f"{shlex.quote(sys.executable)} -S {shlex.quote(guard)}"
        interrupted_flag = os.path.join(directory, ".snnlearn-make-interrupted")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(interrupted_flag)
        old_env = {k: os.environ.get(k) for k in (MAKE_FLAG_ENV, MAKE_OWNER_ENV)}
        os.environ[MAKE_FLAG_ENV] = interrupted_flag
        os.environ[MAKE_OWNER_ENV] = str(os.getpid())
        # Brian2's default is an unbounded 'make -j': hundreds of compilers at once on a small machine
        # (several builds in parallel, as in a sweep, multiply it). One job per core compiles as fast.
        old_make_args = list(prefs.devices.cpp_standalone.extra_make_args_unix)
        prefs.devices.cpp_standalone.extra_make_args_unix = [
            a for a in old_make_args if not a.startswith("-j")] + [f"-j{os.cpu_count() or 1}"]
        # A cached project directory may be wanted by several processes (a sweep's workers):
        # one builds and runs in it at a time.
        lock = open(os.path.join(directory, ".snnlearn-lock"), "w")
        fcntl.flock(lock, fcntl.LOCK_EX)
        set_device("cpp_standalone", directory=directory, build_on_run=False)
        try:
            yield Simulation(name, directory, show_output=show_output, seed=seed)
        except RuntimeError:
            if os.path.exists(interrupted_flag):  # "Project compilation failed" because of a Ctrl-C
                raise KeyboardInterrupt("interrupted while compiling") from None
            raise
        finally:
            get_device().reinit()
            set_device("runtime")
            prefs.devices.cpp_standalone.openmp_threads = old_threads
            prefs.devices.cpp_standalone.extra_make_args_unix = old_make_args
            prefs.devices.cpp_standalone.run_cmd_unix = old_run_cmd
            prefs.devices.cpp_standalone.make_cmd_unix = old_make_cmd
            for key, value in old_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
    else:
        prefs.codegen.target = "cython" if name == "runtime" else name
        try:
            yield Simulation(name)
        finally:
            prefs.codegen.target = old_target


def is_standalone():
    """True while a ``cpp_standalone`` device is active."""
    from brian2.devices.cpp_standalone.device import CPPStandaloneDevice

    return isinstance(get_device(), CPPStandaloneDevice)
