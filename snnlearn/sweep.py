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
* ``cpp_standalone`` points of the same structure share one cached project directory
  (a file lock serialises them), so a sweep over parameter values rebuilds only the
  code files whose constants changed.
"""

import csv
import itertools
import json
import os
import re

import numpy as np

from .io import atomic_save_figure, atomic_write_text, read_json
from .params import ParameterError, coerce_value
from .runs import STATUS_FILE, UsageError, load_experiment

__all__ = ["parse_grid", "sweep_points", "run_sweep"]


def parse_grid(items, defaults):
    """``["tau=10ms,20ms", "n=1,2"]`` -> ``{"tau": ["10ms", "20ms"], "n": ["1", "2"]}``, keys checked."""
    grid = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--grid expects key=v1,v2,..., got '{item}'")
        key, values = item.split("=", 1)
        key = key.strip()
        if key not in defaults:
            raise UsageError(f"unknown parameter '{key}' in --grid; valid parameters: {', '.join(sorted(defaults))}")
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not vals:
            raise UsageError(f"--grid {key}: give at least one value")
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


def _run_point(name, values, seed, path, quick, device, fixed):
    """Executed on a worker: one run; never raises (a failure is returned and recorded)."""
    from .runs import run_experiment

    status_file = os.path.join(path, STATUS_FILE)
    if os.path.exists(status_file):
        status = read_json(status_file).get("status")
        if status == "complete":
            return {"status": "complete", "skipped": True, "metrics": read_json(os.path.join(path, "metrics.json"))}
        # an earlier failed or killed attempt: start this point afresh
        for entry in os.listdir(path):
            full = os.path.join(path, entry)
            if os.path.isfile(full):
                os.unlink(full)
    try:
        result = run_experiment(name, seed=seed, out=path, quick=quick, device=device, quiet=True,
                                overrides={**fixed, **values})
        return {"status": "complete", "skipped": False, "metrics": result.metrics}
    except Exception as exc:  # recorded; the sweep goes on
        return {"status": "failed", "skipped": False, "error": f"{type(exc).__name__}: {exc}", "metrics": {}}


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
    module = load_experiment(name)
    grid = parse_grid(grid_items, module.PARAMS)
    fixed = dict(fixed or {})
    for key, value in list(grid.items()) + [(k, [v]) for k, v in fixed.items()]:
        if key not in module.PARAMS:
            raise UsageError(f"unknown parameter '{key}'; valid parameters: {', '.join(sorted(module.PARAMS))}")
        for v in value:
            try:
                coerce_value(key, v, module.PARAMS[key])
            except ParameterError as exc:
                raise UsageError(f"{name}: {exc}") from None
    if int(seeds) < 1:
        raise UsageError(f"--seeds must be at least 1, got {seeds}")
    out = out or os.path.join("runs", f"sweep-{name}")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write to output directory '{out}': {exc.strerror or exc}") from None
    points = sweep_points(grid, int(seeds))
    atomic_write_text(os.path.join(out, "sweep.json"), json.dumps(
        {"experiment": name, "grid": grid, "seeds": int(seeds), "quick": quick, "device": device, "fixed": fixed},
        indent=2) + "\n")

    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        n = workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
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
        row = {"point": pid, **values, "seed": seed, "status": res["status"], "skipped": res["skipped"],
               "error": res.get("error", "")}
        row.update(_flatten(res["metrics"]))
        rows.append(row)
        if res["status"] != "complete":
            log(f"point {pid} failed: {res.get('error')}")
    columns = list(dict.fromkeys(k for row in rows for k in row))
    path = os.path.join(out, "results.csv")
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
    _summary_figure(out, rows, grid, metric)
    done = sum(r["status"] == "complete" for r in rows)
    log(f"{done}/{len(rows)} points complete ({sum(r['skipped'] for r in rows)} already done); table: {path}")
    return out


def _summary_figure(out, rows, grid, metric):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .units import parse_quantity, unit_name

    ok = [r for r in rows if r["status"] == "complete"]
    skip = set(grid) | {"point", "seed", "status", "skipped", "error"}
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
