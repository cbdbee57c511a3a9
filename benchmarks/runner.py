"""The command line: ``python -m benchmarks [--case NAME ...] [--quick] [--repeats N] ...``.

Runs the chosen cases (all by default), prints progress, and writes
``benchmarks/results/<tag>.md`` and ``<tag>.json`` after every comparison (so an
interrupted run keeps what it measured). The tag is ``benchmarks`` for all cases,
else the case names joined by ``+``; ``quick-`` is prefixed in quick mode.
"""

import argparse
import datetime
import os
import shlex
import sys
import time

from .cases import CASES, MEMORY_SOURCES, Options, plan_memory, summarize_memory
from .harness import run_comparison
from .report import machine_info, write_results

__all__ = ["main", "parse_args"]

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="snnlearn against hand-written Brian2 and NEST: medians over repeats, ratios within repeats.",
        epilog="cases: " + "; ".join(f"{k}: {v[2]}" for k, v in CASES.items()))
    p.add_argument("--case", action="append", choices=list(CASES) + ["all"], default=None,
                   help="case to run (repeatable; default: all)")
    p.add_argument("--quick", action="store_true", help="short runs that check the runner works (not the benchmark)")
    p.add_argument("--repeats", type=int, default=None, help="repeats per comparison (default 3, quick 1)")
    p.add_argument("--max-synapses", type=float, default=4e6,
                   help="largest network of the scaling case (default 4e6; 4 M synapses take minutes)")
    p.add_argument("--threads", type=int, default=2,
                   help="threads of the multi-threaded comparisons (default 2; 1 skips them)")
    p.add_argument("--no-nest", action="store_true", help="skip the NEST variants")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds before one run is abandoned")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    p.add_argument("--tag", default=None, help="output file name stem (default: from the cases)")
    args = p.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        p.error("--repeats must be at least 1")
    if args.threads < 1:
        p.error("--threads must be at least 1")
    return args


def _nest_status(no_nest):
    """Whether NEST imports, checked in a subprocess (NEST prints a banner and keeps global state)."""
    if no_nest:
        return False, "disabled with --no-nest"
    import subprocess

    code = ("import os; os.environ['PYNEST_QUIET']='1'\n"
            "from benchmarks.common import nest_available\nok, v = nest_available()\nprint('NESTSTATUS', ok, v)")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    except subprocess.TimeoutExpired:
        return False, "NEST import timed out"
    for line in out.stdout.splitlines():
        if line.startswith("NESTSTATUS"):
            _, ok, version = line.split(" ", 2)
            return ok == "True", version
    return False, "NEST does not import: " + (out.stderr.strip().splitlines() or ["unknown error"])[-1]


def main(argv=None):
    args = parse_args(argv)
    cases = list(CASES) if not args.case or "all" in args.case else list(dict.fromkeys(args.case))
    nest_ok, nest_version = _nest_status(args.no_nest)
    opts = Options(quick=args.quick, repeats=args.repeats or (1 if args.quick else 3), max_synapses=args.max_synapses,
                   threads=args.threads, nest=nest_ok, nest_note=None if nest_ok else nest_version, seed=args.seed,
                   timeout=args.timeout)
    tag = args.tag or (("quick-" if args.quick else "") +
                       ("benchmarks" if set(cases) == set(CASES) else "+".join(cases)))
    command = "python -m benchmarks " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    results = {"command": command.strip(), "date": datetime.datetime.now().isoformat(timespec="seconds"),
               "machine": machine_info(), "nest": nest_version if nest_ok else None,
               "options": vars(opts), "cases": {}}
    print(f"benchmarks: {', '.join(cases)}; {'quick' if opts.quick else 'full'} mode, {opts.repeats} repeat(s); "
          f"NEST: {nest_version}", flush=True)
    t0 = time.perf_counter()

    def log(msg):
        print(msg, flush=True)

    for case in cases:
        plan, summarize, description = CASES[case]
        log(f"[{case}] {description}")
        entry = {"description": description, "comparisons": []}
        results["cases"][case] = entry
        comps = plan(opts) if plan is not None else plan_memory(opts, already=[c for c in cases if c in MEMORY_SOURCES])
        for comp in comps:
            entry["comparisons"].append(run_comparison(comp, opts.repeats, timeout=opts.timeout, log=log))
            results["loadavg_end"] = list(os.getloadavg())
            write_results(results, args.out, tag)
        if summarize is not None:
            entry["summary"] = summarize(entry, opts)
        if case == "memory":
            entry["memory"] = summarize_memory(results["cases"])
        results["loadavg_end"] = list(os.getloadavg())
        write_results(results, args.out, tag)
    results["elapsed_s"] = time.perf_counter() - t0
    jpath, mpath = write_results(results, args.out, tag)
    log(f"done in {results['elapsed_s']:.0f} s: {mpath} and {jpath}")
    return 0
