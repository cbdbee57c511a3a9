"""Instrumentation shared by every benchmark implementation (runs inside a worker process).

An implementation is a function ``run_<impl>(**kwargs) -> dict`` in a case module. It
builds one model, runs it, and returns its timings and a few result numbers. The
helpers here time its phases the same way for snnlearn, hand-written Brian2 and NEST:

* ``setup_s``  building the network in Python (objects, connectivity, initial values);
* ``compile_s`` code generation and compilation: for ``cpp_standalone`` the project
  build (code generation plus ``make``), for the runtime targets the part of
  ``Network.run`` before the first time step (code generation, Cython compilation or
  cache look-up); NEST has none;
* ``loop_s``   the simulation loop alone: Brian2's own measure (``device._last_run_time``,
  timed inside the compiled binary in ``cpp_standalone``), NEST's ``time_simulate``;
* ``total_s``  everything from the first line of the implementation to the last result
  read back (``setup + compile + run + read-out``).

Peak memory is read by the worker (:mod:`benchmarks.worker`): the Python process's own
peak RSS, and for ``cpp_standalone`` the compiled binary's peak RSS, measured by running
it under ``/usr/bin/time`` (:func:`binary_rss_wrapper`).
"""

import contextlib
import os
import shutil
import tempfile
import time

__all__ = ["Phases", "fresh_directory", "plain_standalone", "standalone_timings", "runtime_timings",
           "timed_brian_run", "binary_rss_wrapper", "read_binary_rss", "nest_available", "DEVICES"]

#: Brian2 back-ends a Brian2-based implementation accepts.
DEVICES = ("numpy", "cython", "cpp_standalone")

_RSS_FILE_ENV = "SNNLEARN_BENCH_RSS_FILE"


class Phases:
    """Wall-clock phases of one implementation run: ``with phases("setup"): ...``."""

    def __init__(self):
        self.start = time.perf_counter()
        self.times = {}

    @contextlib.contextmanager
    def __call__(self, name):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - t

    def total(self):
        return time.perf_counter() - self.start


def fresh_directory(prefix="bench-"):
    """A new empty directory for a ``cpp_standalone`` project (so every build compiles from scratch)."""
    root = os.environ.get("SNNLEARN_BENCH_BUILD_ROOT", os.path.join(tempfile.gettempdir(), "snnlearn-bench"))
    os.makedirs(root, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix, dir=root)


def remove_directory(path):
    """Delete a project directory made by :func:`fresh_directory` (keeps /tmp small over many repeats)."""
    if path and os.environ.get("SNNLEARN_BENCH_KEEP_BUILDS") != "1":
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def plain_standalone(directory, threads=0):
    """What a Brian2 user writes for ``cpp_standalone``: ``set_device`` ... ``device.build``; restores the device after."""
    from brian2 import get_device, prefs, set_device

    old_threads = prefs.devices.cpp_standalone.openmp_threads
    prefs.devices.cpp_standalone.openmp_threads = int(threads)
    set_device("cpp_standalone", directory=directory, build_on_run=False)
    try:
        yield get_device()
    finally:
        get_device().reinit()
        set_device("runtime")
        prefs.devices.cpp_standalone.openmp_threads = old_threads


def standalone_timings(build_wall):
    """``compile_s``, ``run_s``, ``loop_s`` of the current ``cpp_standalone`` device after its build.

    ``build_wall`` is the wall time of the whole ``device.build`` (or ``Simulation.build``) call;
    the compile part is that minus the binary's run time (code generation + make).
    """
    from brian2 import get_device

    dev = get_device()
    run_binary = float(dev.timers.get("run_binary") or 0.0)
    make = float((dev.timers.get("compile") or {}).get("make") or 0.0)
    return {"compile_s": build_wall - run_binary, "make_s": make, "run_s": run_binary,
            "loop_s": float(dev._last_run_time)}


def runtime_timings(run_wall):
    """``compile_s``, ``run_s``, ``loop_s`` after ``Network.run`` on a runtime target (numpy or cython)."""
    from brian2 import get_device

    loop = float(get_device()._last_run_time)
    return {"compile_s": max(run_wall - loop, 0.0), "run_s": run_wall, "loop_s": loop}


def timed_brian_run(build, readout, duration, *, device, seed, snnlearn, threads=0, imports=(), cold_cache=False):
    """Build, run and read one Brian2 model on ``device``, timing every phase the same way for all cases.

    ``build()`` returns the model dict (with ``net``), ``readout(m)`` its result numbers. snnlearn
    variants go through :func:`snnlearn.devices.use_device` (and the import of ``imports`` counts as
    ``import_snnlearn_s``); hand-written ones through :func:`plain_standalone` /
    :func:`set_runtime_target`, as a Brian2 user would. ``cold_cache`` gives a runtime target an
    empty Cython cache. Returns ``(model, results)``: timings, read-out, ``setup_s``,
    ``import_snnlearn_s``, ``total_s``, ``device``.
    """
    import importlib

    from brian2 import prefs

    ph = Phases()
    if snnlearn:
        with ph("import"):  # a cost of using snnlearn: counted in total_s, reported as import_snnlearn_s
            for module in ("snnlearn.devices", *imports):
                with contextlib.suppress(ImportError):
                    importlib.import_module(module)
    if snnlearn:
        from snnlearn.devices import use_device
    if device == "cpp_standalone":
        directory = fresh_directory()
        ctx = (use_device("cpp_standalone", directory=directory, threads=threads) if snnlearn
               else plain_standalone(directory, threads=threads))
        try:
            with ctx as sim:
                with ph("setup"):
                    brian_seed(seed)
                    m = build()
                    m["net"].run(duration)
                with ph("build"):
                    if snnlearn:
                        sim.build()
                    else:
                        sim.build(directory=directory, compile=True, run=True, with_output=False)
                out = standalone_timings(ph.times["build"])
                with ph("readout"):
                    out.update(readout(m))
        finally:
            remove_directory(directory)
    else:
        if cold_cache:
            prefs.codegen.runtime.cython.cache_dir = fresh_directory("cython-cache-")
        if snnlearn:
            ctx = use_device(device)
        else:
            set_runtime_target(device)
            ctx = contextlib.nullcontext()
        with ctx:
            with ph("setup"):
                brian_seed(seed)
                m = build()
            with ph("run"):
                m["net"].run(duration)
            out = runtime_timings(ph.times["run"])
            with ph("readout"):
                out.update(readout(m))
        if cold_cache:
            remove_directory(prefs.codegen.runtime.cython.cache_dir)
    out["setup_s"] = ph.times["setup"]
    out["import_snnlearn_s"] = ph.times.get("import", 0.0)
    out["total_s"] = ph.total()
    out["device"] = device if not threads else f"{device} ({threads} OpenMP threads)"
    return m, out


def set_runtime_target(device):
    """Select the runtime code-generation target (``numpy`` or ``cython``)."""
    from brian2 import prefs

    if device not in ("numpy", "cython"):
        raise ValueError(f"runtime target must be 'numpy' or 'cython', got {device!r}")
    prefs.codegen.target = device


def binary_rss_wrapper(path):
    """Make Brian2 run every compiled ``main`` under ``/usr/bin/time``, appending its peak RSS (kB) to ``path``."""
    from brian2 import prefs

    if not os.path.exists("/usr/bin/time"):
        return False
    prefs.devices.cpp_standalone.run_cmd_unix = ["/usr/bin/time", "-a", "-f", "%M", "-o", path, "./main"]
    os.environ[_RSS_FILE_ENV] = path
    return True


def read_binary_rss(path):
    """Largest peak RSS (MB) written by :func:`binary_rss_wrapper`, or None if no binary ran."""
    if not path or not os.path.exists(path):
        return None
    values = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.isdigit():
                values.append(int(line))
    return max(values) / 1024.0 if values else None


def nest_available():
    """``(True, version)`` if NEST imports, else ``(False, reason)``. Imports NEST quietly."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    try:
        import nest  # noqa: F401
    except Exception as exc:  # ImportError, or NEST's own start-up errors
        return False, f"NEST does not import: {type(exc).__name__}: {exc}".splitlines()[0]
    version = getattr(nest, "__version__", None) or nest.GetKernelStatus().get("version", "?")
    return True, str(version)


def nest_reset(threads=1, resolution_ms=0.1, seed=1):
    """A fresh NEST kernel with ``threads`` threads, the given resolution and RNG seed; quiet logs."""
    import nest

    level = getattr(nest, "VerbosityLevel", None)
    if level is not None:
        nest.verbosity = level.ERROR
    else:  # NEST < 3.9
        nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"local_num_threads": int(threads), "resolution": float(resolution_ms),
                          "rng_seed": int(seed), "print_time": False})
    return nest


def nest_loop_time(nest, wall):
    """NEST's own simulation time (``time_simulate``) when it reports it, else the wall time of ``Simulate``."""
    try:
        t = float(nest.GetKernelStatus("time_simulate"))
        return t if t > 0 else wall
    except Exception:
        return wall


def brian_seed(seed):
    """Seed Brian2's random numbers (also inside compiled standalone code)."""
    import brian2

    brian2.seed(int(seed))
