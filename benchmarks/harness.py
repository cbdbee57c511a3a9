"""Timing harness: run implementations in fresh processes, alternate them, take medians and ratios.

A :class:`Comparison` lists :class:`Variant` s (an implementation with its arguments)
and :class:`Pair` s (ratios to report). :func:`run_comparison` runs every variant once
per repeat, each in its own worker process (:mod:`benchmarks.worker`); within a repeat
the variants run back to back and their order rotates from one repeat to the next
(A B, B A, A B, ...), so that both sides of a ratio see the same machine load. Each
ratio is computed *within* a repeat and the reported ratio is the median over repeats;
times are medians over repeats too.
"""

import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

__all__ = ["Variant", "Pair", "Comparison", "run_variant", "run_comparison", "median", "fit_exponent"]

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Numeric fields summarised by their median over repeats.
TIMING_FIELDS = ("setup_s", "import_snnlearn_s", "compile_s", "make_s", "run_s", "loop_s", "total_s", "process_s",
                 "import_s",
                 "peak_rss_mb", "python_rss_mb", "binary_rss_mb", "events_per_s")


@dataclass
class Variant:
    """One implementation to time: ``target`` is ``"module:function"``, called with ``kwargs``.

    ``warmup``: run once first and discard the result (a warm Cython cache), with
    ``warmup_kwargs`` overriding ``kwargs`` for that run (e.g. a shorter duration).
    ``skip``: reason why the variant cannot run here (then it is reported, not run).
    """

    label: str
    target: str
    kwargs: dict = field(default_factory=dict)
    warmup: bool = False
    warmup_kwargs: dict = field(default_factory=dict)
    skip: str = None
    note: str = ""


@dataclass
class Pair:
    """Ratio ``metric(a) / metric(b)``, computed per repeat; ``target`` is ``("<=", x)`` or ``(">=", x)``."""

    a: str
    b: str
    metric: str
    label: str = ""
    target: tuple = None


@dataclass
class Comparison:
    key: str
    title: str
    variants: list
    pairs: list = field(default_factory=list)
    info: dict = field(default_factory=dict)
    identical: list = field(default_factory=list)   # [(a, b)]: fingerprints must match


def median(values):
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(vals) if vals else None


def fit_exponent(xs, ys):
    """Least-squares slope of log(y) against log(x): the exponent b of y ~ x**b (None if < 2 points)."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x and y and x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


def run_variant(variant, kwargs=None, timeout=3600, log=None):
    """Run one variant in a fresh ``python -m benchmarks.worker`` process; returns its result dict.

    Adds ``wall_s`` (the whole process, seen from here) and ``process_tree_rss_mb``
    (``os.wait4``: the largest of the worker and its children). A crash or a timeout
    gives ``{"ok": False, "error": ...}``.
    """
    kwargs = dict(variant.kwargs if kwargs is None else kwargs)
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
        spec = os.path.join(tmp, "spec.json")
        out = os.path.join(tmp, "result.json")
        logfile = os.path.join(tmp, "log.txt")
        with open(spec, "w") as f:
            json.dump({"target": variant.target, "kwargs": kwargs}, f)
        env = dict(os.environ)
        env["PYTHONPATH"] = REPO_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.setdefault("PYNEST_QUIET", "1")
        t0 = time.perf_counter()
        with open(logfile, "w") as lf:
            # own process group: a timeout or Ctrl-C also stops the compiler and the compiled binary
            proc = subprocess.Popen([sys.executable, "-m", "benchmarks.worker", spec, out], cwd=REPO_ROOT, env=env,
                                    stdout=lf, stderr=subprocess.STDOUT, start_new_session=True)
            rusage, timed_out = None, False
            try:
                while True:
                    pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
                    if pid:
                        proc.returncode = os.waitstatus_to_exitcode(status)
                        break
                    if time.perf_counter() - t0 > timeout:
                        _kill_group(proc.pid)
                        _, status, rusage = os.wait4(proc.pid, 0)
                        proc.returncode = -9
                        timed_out = True
                        break
                    time.sleep(0.05)
            except BaseException:
                _kill_group(proc.pid)
                raise
        wall = time.perf_counter() - t0
        if os.path.exists(out):
            with open(out) as f:
                result = json.load(f)
        else:
            with open(logfile) as f:
                tail = f.read()[-2000:]
            result = {"ok": False, "error": "timed out" if timed_out else f"worker exited with {proc.returncode}",
                      "traceback": tail}
    result["wall_s"] = wall
    result["process_tree_rss_mb"] = rusage.ru_maxrss / 1024.0 if rusage is not None else None
    if result.get("ok") and result.get("synaptic_events") and result.get("loop_s"):
        result["events_per_s"] = result["synaptic_events"] / result["loop_s"]
    if log is not None:
        log(_describe(variant, result))
    return result


def _kill_group(pid):
    """Stop a worker and everything it started (it leads its own process group)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _describe(variant, r):
    if not r.get("ok"):
        return f"    {variant.label:<28s} FAILED: {r.get('error')}"
    parts = [f"{variant.label:<28s}"]
    for key, name in (("loop_s", "loop"), ("compile_s", "compile"), ("total_s", "total")):
        if r.get(key) is not None:
            parts.append(f"{name} {r[key]:7.2f} s")
    if r.get("peak_rss_mb"):
        parts.append(f"peak {r['peak_rss_mb']:.0f} MB")
    return "    " + "  ".join(parts)


def run_comparison(comp, repeats, timeout=3600, log=print):
    """Run a :class:`Comparison`; returns a JSON-ready dict with every run, medians, ratios and fingerprint checks."""
    active = [v for v in comp.variants if not v.skip]
    runs = {v.label: [] for v in comp.variants}
    warm = {}
    log(f"  {comp.title}")
    for v in active:
        if v.warmup:
            log(f"    (warm-up run of {v.label})")
            warm[v.label] = run_variant(v, {**v.kwargs, **v.warmup_kwargs}, timeout=timeout, log=None)
    for r in range(repeats):
        k = r % len(active) if active else 0
        order = active[k:] + active[:k]
        log(f"   repeat {r + 1}/{repeats}: {' -> '.join(v.label for v in order)}")
        for v in order:
            runs[v.label].append(run_variant(v, timeout=timeout, log=log))

    variants = {}
    for v in comp.variants:
        rs = runs[v.label]
        ok = [x for x in rs if x.get("ok")]
        entry = {"target": v.target, "kwargs": v.kwargs, "note": v.note, "skip": v.skip,
                 "n_ok": len(ok), "n_runs": len(rs), "runs": [_strip(x) for x in rs]}
        if v.label in warm:
            entry["warmup"] = _strip(warm[v.label])
        entry["median"] = {f: median([x.get(f) for x in ok]) for f in TIMING_FIELDS}
        entry["errors"] = sorted({x.get("error") for x in rs if not x.get("ok")})
        if ok:
            entry["device"] = ok[-1].get("device")
            entry["result"] = {k: val for k, val in ok[-1].items()
                               if k not in TIMING_FIELDS and k not in ("kwargs", "target", "traceback", "ok")
                               and isinstance(val, (int, float, str, type(None)))}
        variants[v.label] = entry

    ratios = []
    for p in comp.pairs:
        per_repeat = []
        for ra, rb in zip(runs.get(p.a, []), runs.get(p.b, [])):
            va, vb = ra.get(p.metric), rb.get(p.metric)
            if ra.get("ok") and rb.get("ok") and va is not None and vb:
                per_repeat.append(va / vb)
        med = median(per_repeat)
        met = None
        if med is not None and p.target:
            op, x = p.target
            met = med <= x if op == "<=" else med >= x
        ratios.append({"a": p.a, "b": p.b, "metric": p.metric, "label": p.label or f"{p.a} / {p.b} ({p.metric})",
                       "per_repeat": per_repeat, "median": med,
                       "min": min(per_repeat) if per_repeat else None, "max": max(per_repeat) if per_repeat else None,
                       "target": list(p.target) if p.target else None, "met": met})

    identical = []
    for a, b in comp.identical:
        fa = [json.dumps(x.get("fingerprint")) for x in runs.get(a, []) if x.get("ok") and "fingerprint" in x]
        fb = [json.dumps(x.get("fingerprint")) for x in runs.get(b, []) if x.get("ok") and "fingerprint" in x]
        same = bool(fa and fb) and len(set(fa + fb)) == 1
        identical.append({"a": a, "b": b, "identical": same if fa and fb else None,
                          "fingerprints": sorted(set(fa + fb))})
    return {"key": comp.key, "title": comp.title, "info": comp.info, "variants": variants, "ratios": ratios,
            "identical": identical}


def _strip(result):
    """A run's result without bulky fields (the traceback is kept, shortened, for failures only)."""
    out = {k: v for k, v in result.items() if k not in ("kwargs", "target", "traceback")}
    if not result.get("ok") and result.get("traceback"):
        out["traceback"] = result["traceback"][-1500:]
    return out
