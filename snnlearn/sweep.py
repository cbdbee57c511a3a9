"""Parameter sweeps on Dask: grid × seeds, one run directory per point, one tidy table.

Each point is an ordinary run (:func:`snnlearn.runs.run_experiment`) in its own
directory under the sweep directory, executed as a task on a Dask cluster: a local
one (``distributed.LocalCluster``, one single-threaded worker process per core) by
default, or an existing cluster given by its scheduler address. Brian2 keeps global
state, so workers are processes, not threads.

* A point that raises is recorded (``status: failed`` and the error) and the others go on.
* Re-running the same sweep skips the points whose run directory is already complete.
* ``results.csv`` holds one row per point: the grid values, the seed, the status, and
  every scalar metric (nested dicts flattened as ``a.b``); ``summary.png`` plots a metric
  against the first swept parameter, mean ± s.d. over seeds.
* **Compile once** (``cpp_standalone``, experiments with run-time parameters,
  ``Param(..., runtime=True)``, simulated through :meth:`snnlearn.runs.RunContext.program`): the
  points are grouped by structure (:func:`snnlearn.runs.structure_key`: every parameter
  except the run-time ones, and the seed is never structure). Each group is one Dask
  task: its first point builds and compiles the program, every other point runs the
  same binary with Brian2's ``run_args`` (the experiment's run-time values) and its own
  seed, without building anything (:meth:`snnlearn.runs.RunContext.program`). With
  several workers, the rest of a group is split into one batch per worker after the
  first point: each batch builds in a copy of the compiled project (timestamps kept, so
  ``make`` compiles nothing: ``copied``) and runs its other points with ``run_args``.
  ``results.csv`` says for each point whether its program was ``compiled``, ``copied``,
  ``built`` (an up-to-date cached project) or ``reused`` (run_args).
* Other ``cpp_standalone`` points of the same structure share one cached project
  directory (a file lock serialises them), so they rebuild only the code files whose
  constants changed.
"""

import csv
import io
import itertools
import json
import os
import re

import numpy as np

from .io import atomic_save_figure, atomic_write_text, read_json
from .params import ParameterError, plain_defaults, resolve_params
from .runs import STATUS_FILE, UsageError, load_experiment, release_brian_objects, run_time_names

__all__ = ["parse_grid", "sweep_points", "run_sweep", "SweepResult"]


class SweepResult(str):
    """The sweep directory (a ``str``), with ``failed`` and ``total``: how many points failed, of how many."""

    failed = 0
    total = 0


#: How long ``--scheduler ADDRESS`` may take to answer.
SCHEDULER_TIMEOUT_S = 10


def parse_grid(items, defaults):
    """``["tau=10ms,20ms", "n=1,2"]`` -> ``{"tau": ["10ms", "20ms"], "n": ["1", "2"]}``, keys checked."""
    grid = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--grid expects key=v1,v2,..., got '{item}'")
        key, values = item.split("=", 1)
        key = key.strip()
        if key in grid:
            raise UsageError(f"--grid {key} is given twice; give all its values in one --grid {key}=v1,v2,...")
        if key not in defaults:
            raise UsageError(f"unknown parameter '{key}' in --grid; valid parameters: {', '.join(sorted(defaults))}")
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not vals:
            raise UsageError(f"--grid {key}: give at least one value")
        if len(set(vals)) != len(vals):
            raise UsageError(f"--grid {key}: a value is given twice ({', '.join(vals)})")
        grid[key] = vals
    if not grid:
        raise UsageError("sweep: give at least one --grid key=v1,v2")
    return grid


def _slug(text):
    return re.sub(r"[^A-Za-z0-9.+-]+", "", text.replace("*", "").replace(" ", ""))


def sweep_points(grid, n_seeds):
    """Every (values dict, seed, point id) of the grid × seeds, in a stable order."""
    keys = list(grid)
    points = []
    for combo in itertools.product(*(grid[k] for k in keys)):
        values = dict(zip(keys, combo))
        for seed in range(n_seeds):
            pid = "_".join(f"{k}={_slug(v)}" for k, v in values.items()) + f"_seed{seed}"
            points.append((values, seed, pid))
    return points


def _program_info(path):
    provenance = os.path.join(path, "provenance.json")
    if not os.path.exists(provenance):
        return {}
    program = read_json(provenance).get("program") or {}
    return {k: program.get(k) for k in ("compiled", "reused", "copied")}


def _run_point(name, values, seed, path, quick, device, fixed, programs=None):
    """Executed on a worker: one run; never raises (a failure is returned and recorded)."""
    from .runs import run_experiment

    status_file = os.path.join(path, STATUS_FILE)
    if os.path.exists(status_file):
        status = read_json(status_file).get("status")
        if status == "complete":
            return {"status": "complete", "skipped": True, "metrics": read_json(os.path.join(path, "metrics.json")),
                    "program": _program_info(path)}
        # an earlier failed or killed attempt: start this point afresh
        import shutil

        for entry in os.listdir(path):
            full = os.path.join(path, entry)
            if os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full, ignore_errors=True)
            else:
                os.unlink(full)
    try:
        result = run_experiment(name, seed=seed, out=path, quick=quick, device=device, quiet=True,
                                overrides={**fixed, **values}, programs=programs)
        return {"status": "complete", "skipped": False, "metrics": result.metrics, "program": _program_info(path)}
    except Exception as exc:  # recorded; the sweep goes on
        return {"status": "failed", "skipped": False, "error": f"{type(exc).__name__}: {exc}", "metrics": {},
                "program": _program_info(path)}
    finally:
        if programs is None:  # the next point on this worker builds as in a fresh process
            release_brian_objects()


def _run_group(name, items, quick, device, fixed, copy=None, after=None):
    """Executed on a worker: points of one structure, one compiled program reused through run_args.

    ``copy``: build in copy ``copy`` of the structure's compiled project (a batch running in
    parallel with others); ``after``: the result of the task that compiled it (a dependency).
    """
    from .runs import ProgramCache

    programs = ProgramCache(copy=copy)
    try:
        return [_run_point(name, values, seed, path, quick, device, fixed, programs=programs)
                for values, seed, path in items]
    finally:
        programs.close()


def _structure_groups(module, points, fixed, quick):
    """Points (indices) grouped by the structure of their compiled program; invalid points alone."""
    from .params import resolve_params
    from .runs import structure_key

    groups = {}
    for k, (values, seed, pid) in enumerate(points):
        try:
            p = resolve_params(module.PARAMS, getattr(module, "QUICK", {}), {**fixed, **values}, use_quick=quick)
            key = repr(structure_key(module, p))
        except Exception:  # the run itself reports the error
            key = f"invalid point {pid}"
        groups.setdefault(key, []).append(k)
    return list(groups.values())


def _flatten(metrics, prefix=""):
    flat = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, prefix=name + "."))
        elif isinstance(value, (int, float, bool)) or value is None:
            flat[name] = value
    return flat


def run_sweep(name, grid_items, seeds=1, out=None, quick=False, device="cpp_standalone", scheduler=None,
              workers=None, fixed=None, metric=None, log=print):
    """Run experiment ``name`` over a grid × seeds on Dask; returns the sweep directory.

    Parameters mirror ``snnlearn sweep``: ``grid_items`` are ``key=v1,v2`` strings,
    ``fixed`` extra ``--set`` overrides (text), ``scheduler`` a Dask scheduler address.
    """
    from .devices import DEVICES

    module = load_experiment(name)
    if device not in DEVICES:
        raise UsageError(f"unknown device '{device}'; choose one of {', '.join(DEVICES)}")
    if workers is not None and not 1 <= int(workers) <= 4 * (os.cpu_count() or 1):
        raise UsageError(f"--workers must be from 1 to {4 * (os.cpu_count() or 1)}, got {workers}")
    if int(seeds) < 1 or int(seeds) > 100000:
        raise UsageError(f"--seeds must be from 1 to 100000, got {seeds}")
    grid = parse_grid(grid_items, plain_defaults(module.PARAMS))
    fixed = dict(fixed or {})
    for key in fixed:
        if key not in module.PARAMS:
            raise UsageError(f"unknown parameter '{key}'; valid parameters: {', '.join(sorted(module.PARAMS))}")
        if key in grid:
            raise UsageError(f"'{key}' is both swept (--grid) and fixed (--set)")
    for values, _, _ in sweep_points(grid, 1):  # every point, validated as a run validates it, before anything runs
        try:
            resolve_params(module.PARAMS, getattr(module, "QUICK", {}), {**fixed, **values}, use_quick=quick,
                           infer=True)
        except ParameterError as exc:
            raise UsageError(f"{name}: {exc}") from None
    out = out or os.path.join("runs", f"sweep-{name}")
    points = sweep_points(grid, int(seeds))

    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler:  # reached before anything is written: an unreachable scheduler leaves nothing behind
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise UsageError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there within "
                             f"{SCHEDULER_TIMEOUT_S} s ({type(exc).__name__})") from None
    try:
        os.makedirs(out, exist_ok=True)
        atomic_write_text(os.path.join(out, "sweep.json"), json.dumps(
            {"experiment": name, "grid": grid, "seeds": int(seeds), "quick": quick, "device": device, "fixed": fixed},
            indent=2) + "\n")
    except OSError as exc:
        if scheduler:
            client.close()
        raise UsageError(f"cannot write to output directory '{out}': {exc.strerror or exc}") from None
    if not scheduler:
        n = workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        if device == "cpp_standalone" and run_time_names(module):
            groups = _structure_groups(module, points, fixed, quick)
            n_workers = max(1, len(client.scheduler_info().get("workers", {})))
            log(f"{len(points)} points in {len(groups)} program structure(s): each compiled once, "
                f"other points through run_args")
            batches, futures = [], []

            def item(k):
                return points[k][0], points[k][1], os.path.join(out, points[k][2])

            for group in groups:
                n_batches = min(n_workers, len(group) - 1)
                if n_batches <= 1:  # one worker runs the whole group
                    batches.append(group)
                    futures.append(client.submit(_run_group, name, [item(k) for k in group], quick, device, fixed,
                                                 key=f"{name}-group-{points[group[0]][2]}", pure=False))
                    continue
                # the first point compiles; then the others run in parallel batches, each in a copy of the project
                first = client.submit(_run_group, name, [item(group[0])], quick, device, fixed,
                                      key=f"{name}-compile-{points[group[0]][2]}", pure=False)
                batches.append(group[:1])
                futures.append(first)
                rest = group[1:]
                for b in range(n_batches):
                    batch = rest[b::n_batches]
                    batches.append(batch)
                    futures.append(client.submit(_run_group, name, [item(k) for k in batch], quick, device, fixed,
                                                 b, first, key=f"{name}-batch{b}-{points[batch[0]][2]}", pure=False))
            results = [None] * len(points)
            for batch, batch_results in zip(batches, client.gather(futures)):
                for k, res in zip(batch, batch_results):
                    results[k] = res
        else:
            futures = [client.submit(_run_point, name, values, seed, os.path.join(out, pid), quick, device, fixed,
                                     key=f"{name}-{pid}", pure=False)
                       for values, seed, pid in points]
            results = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    rows = []
    for (values, seed, pid), res in zip(points, results):
        program = res.get("program") or {}
        row = {"point": pid, **values, "seed": seed, "status": res["status"], "skipped": res["skipped"],
               "error": res.get("error", "")}
        if program:
            row["program"] = ("reused" if program.get("reused") else "compiled" if program.get("compiled")
                              else "copied" if program.get("copied") else "built")
        row.update(_flatten(res["metrics"]))
        rows.append(row)
        if res["status"] != "complete":
            log(f"point {pid} failed: {res.get('error')}")
    columns = list(dict.fromkeys(k for row in rows for k in row))
    path = os.path.join(out, "results.csv")
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, table.getvalue())  # fsync'd and renamed, like every other result file
    _summary_figure(out, rows, grid, metric)
    done = sum(r["status"] == "complete" for r in rows)
    log(f"{done}/{len(rows)} points complete ({sum(r['skipped'] for r in rows)} already done); table: {path}")
    result = SweepResult(out)
    result.failed, result.total = len(rows) - done, len(rows)
    return result


def _summary_figure(out, rows, grid, metric):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .units import parse_quantity, unit_name

    ok = [r for r in rows if r["status"] == "complete"]
    skip = set(grid) | {"point", "seed", "status", "skipped", "error", "program"}
    candidates = [k for k in (ok[0] if ok else {}) if k not in skip and isinstance(ok[0][k], (int, float))
                  and not isinstance(ok[0][k], bool)]
    metric = metric or (candidates[0] if candidates else None)
    fig, ax = plt.subplots(figsize=(5, 3.6))
    if metric is None or not ok:
        ax.text(0.5, 0.5, "no complete points", ha="center", va="center", transform=ax.transAxes)
    else:
        x_key = list(grid)[0]
        others = list(grid)[1:]

        def as_number(text):
            q = parse_quantity(text)
            return float(q)

        groups = {}
        for r in ok:
            groups.setdefault(tuple(r[k] for k in others), []).append(r)
        for label, members in groups.items():
            xs = sorted({as_number(r[x_key]) for r in members})
            mean, sd = [], []
            for x in xs:
                vals = [r.get(metric) for r in members if as_number(r[x_key]) == x and r.get(metric) is not None]
                mean.append(np.mean(vals) if vals else np.nan)
                sd.append(np.std(vals) if vals else np.nan)
            name = ", ".join(f"{k}={v}" for k, v in zip(others, label)) or None
            ax.errorbar(xs, mean, yerr=sd, marker="o", capsize=3, label=name)
        first = parse_quantity(ok[0][x_key])
        unit = getattr(first, "dim", None)
        ax.set_xlabel(f"{x_key} ({unit_name(first)}, SI)" if unit is not None and not unit.is_dimensionless else x_key)
        ax.set_ylabel(metric)
        ax.set_title("mean ± s.d. over seeds", fontsize="small")
        if others:
            ax.legend(fontsize="small")
    fig.tight_layout()
    atomic_save_figure(os.path.join(out, "summary.png"), fig)
    plt.close(fig)
