"""Run one benchmark implementation in a fresh process and write its result as JSON.

``python -m benchmarks.worker SPEC.json RESULT.json``: SPEC holds ``{"target":
"benchmarks.song2000:run_snnlearn", "kwargs": {...}}``. One process per run isolates
Brian2's and NEST's global state and gives each run its own peak memory:

* ``python_rss_mb``: peak RSS of this Python process (``getrusage(RUSAGE_SELF)``);
* ``binary_rss_mb``: peak RSS of the compiled ``cpp_standalone`` binary, run under
  ``/usr/bin/time`` (None on the runtime targets and NEST, which simulate in-process);
* ``children_rss_mb``: the largest child process (the C++ compiler or the binary);
* ``peak_rss_mb``: the larger of the Python process and the binary, i.e. the peak of the
  process that holds the simulation (the compiler's memory is reported, not compared).
"""

import time

_T0 = time.perf_counter()

import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import traceback  # noqa: E402


def _mb(kb):
    return kb / 1024.0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m benchmarks.worker SPEC.json RESULT.json", file=sys.stderr)
        return 2
    spec_path, out_path = argv
    with open(spec_path) as f:
        spec = json.load(f)
    os.environ.setdefault("PYNEST_QUIET", "1")
    result = {"target": spec["target"], "kwargs": spec.get("kwargs", {})}
    rss_file = tempfile.NamedTemporaryFile(prefix="bench-rss-", suffix=".txt", delete=False)
    rss_file.close()
    os.unlink(rss_file.name)
    try:
        t = time.perf_counter()
        import brian2

        brian2.BrianLogger.log_level_warn()
        from .common import binary_rss_wrapper, read_binary_rss

        binary_rss_wrapper(rss_file.name)
        module_name, func_name = spec["target"].split(":")
        module = importlib.import_module(module_name)
        fn = getattr(module, func_name)
        result["import_s"] = time.perf_counter() - t
        out = fn(**spec.get("kwargs", {}))
        result.update(out)
        result["ok"] = True
    except Exception as exc:  # report, do not crash the runner
        result["ok"] = False
        result["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        result["traceback"] = traceback.format_exc()[-4000:]
        read_binary_rss = None
    self_rss = _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    children = _mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    binary = None
    if read_binary_rss is not None:
        binary = read_binary_rss(rss_file.name)
    if os.path.exists(rss_file.name):
        os.unlink(rss_file.name)
    result["python_rss_mb"] = self_rss
    result["binary_rss_mb"] = binary
    result["children_rss_mb"] = children
    result["peak_rss_mb"] = max(self_rss, binary or 0.0)
    result["process_s"] = time.perf_counter() - _T0
    with open(out_path, "w") as f:
        json.dump(result, f, default=_jsonable)
    return 0 if result["ok"] else 1


def _jsonable(x):
    try:
        import numpy as np

        if isinstance(x, np.generic):
            return x.item()
        if isinstance(x, np.ndarray):
            return x.tolist()
    except ImportError:  # pragma: no cover
        pass
    return str(x)


if __name__ == "__main__":
    sys.exit(main())
