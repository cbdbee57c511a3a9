"""The ``snnlearn`` command.

::

    snnlearn list                 one line per experiment
    snnlearn show NAME|FILE       its parameters: default, unit, allowed values, doc
    snnlearn run NAME|FILE [--set key=value ...] [--seed N] [--out DIR]
                      [--device cpp_standalone|cython|numpy|runtime] [--threads K] [--quick] [--quiet]
                      [--checkpoint-every TIME]
    snnlearn run --resume RUN_DIR
    snnlearn plot RUN_DIR         redraw the figures from the saved data
    snnlearn measure RUN_DIR      measure the saved data again (metrics and figures; also completes
                                  a run whose measure failed after its simulation was saved)
    snnlearn sweep NAME --grid key=v1,v2 [--grid ...] [--seeds N] [--scheduler ADDRESS] [--out DIR]

``--checkpoint-every TIME`` checkpoints a run every TIME of simulated time and
``--resume RUN_DIR`` continues a killed one: on runtime devices from the network state
stored as plain arrays (never a pickle), in ``cpp_standalone`` by running one compiled program
chunk by chunk with the state passed back in through ``run_args`` (a resume does not
recompile). A ``cpp_standalone`` sweep of an experiment with run-time parameters
(``Param(..., runtime=True)``) compiles once per structure and runs the other points
through ``run_args``.

Exit status and what is printed on stderr:

* 0: done.
* 2: bad input, refused before anything is written (unknown experiment or parameter, a
  value with the wrong unit, out of bounds or not finite, a bad option, an output
  directory that is not empty or is in use, a damaged run directory): one line naming
  the input and what is allowed.
* 1: the run failed (the experiment raised, or the simulation ran away): one line, with
  the traceback in the run's ``log.txt``; a sweep with failed points (their count).
* 130: interrupted (Ctrl-C, SIGTERM): the run reads ``interrupted`` and ``--resume``
  continues it from its last checkpoint.
* 70: an unexpected error inside snnlearn: a traceback, under a line saying it is a bug.

No Brian2 "unexpected error" banner is ever printed for snnlearn's own errors or for a
user's mistake that snnlearn catches.
"""

import argparse
import os
import signal
import sys
import traceback

from .units import format_quantity

__all__ = ["main"]


EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_BUG = 2, 1, 130, 70


def _parse_sets(items):
    from .runs import UsageError

    overrides = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(f"--set expects key=value, got '{item}'")
        key, value = item.split("=", 1)
        if key.strip() in overrides:
            raise UsageError(f"--set {key.strip()} is given twice")
        overrides[key.strip()] = value.strip()
    return overrides


def _format_default(value):
    from brian2 import Quantity

    if isinstance(value, Quantity):
        return format_quantity(value)
    if isinstance(value, (list, tuple)):
        return ",".join(_format_default(v) for v in value)
    return str(value)


def cmd_list(args):
    from .registry import describe, list_experiments, load_experiment

    if args.name:
        return cmd_show(args)
    names = list_experiments()
    width = max(len(n) for n in names)
    for name in names:
        print(f"{name.ljust(width)}  {describe(load_experiment(name))}")
    print("(parameters: snnlearn show NAME; your own experiment: snnlearn run path/to/file.py)")
    return 0


def cmd_show(args):
    from .params import parameter_table
    from .registry import capabilities, describe, load_experiment

    module = load_experiment(args.name)
    print(f"{args.name}: {describe(module)}")
    for line in parameter_table(module.PARAMS, getattr(module, "QUICK", {})):
        print(f"  {line}")
    for line in capabilities(module):
        print(line)
    return 0


def cmd_run(args):
    from .runs import UsageError, resume_experiment, run_experiment
    from .units import UnitParseError, parse_quantity

    log_stream = None if args.quiet else sys.stderr
    if args.resume:
        if args.name or args.set:
            raise UsageError("--resume continues a run with its saved settings; give no NAME or --set with it")
        result = resume_experiment(args.resume, quiet=args.quiet, log_stream=log_stream)
    else:
        if not args.name:
            raise UsageError("run: give an experiment NAME (see 'snnlearn list') or --resume RUN_DIR")
        every = max_rate = None
        if args.checkpoint_every:
            try:
                every = parse_quantity(args.checkpoint_every)
            except UnitParseError as exc:
                raise UsageError(f"--checkpoint-every: {exc}") from None
        if args.max_rate:
            try:
                max_rate = parse_quantity(args.max_rate)
            except UnitParseError as exc:
                raise UsageError(f"--max-rate: {exc}") from None
        extra = {} if max_rate is None else {"max_rate": max_rate}
        result = run_experiment(args.name, seed=args.seed, out=args.out, quick=args.quick, device=args.device,
                                threads=args.threads, quiet=args.quiet, overrides=_parse_sets(args.set),
                                log_stream=log_stream, checkpoint_every=every, **extra)
    if not args.quiet:
        from .registry import load_experiment

        patterns = getattr(load_experiment(result.experiment), "HEADLINE", None)
        for line in headline(result.metrics, patterns):
            print(line)
        print(f"metrics: {os.path.join(result.path, 'metrics.json')}")
    print(result.path)
    return 0


def _flatten(metrics, prefix=""):
    for key, value in metrics.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def headline(metrics, patterns=None, limit=20):
    """The run's headline numbers, one per line.

    ``patterns`` (an experiment's ``HEADLINE``) are dotted metric names with ``*``
    wildcards (``routes.*.N*.trials_to_criterion``); without them, the top-level scalar
    metrics. At most ``limit`` lines; the rest are counted.
    """
    import fnmatch

    flat = list(_flatten(metrics or {}))
    if patterns:
        chosen = [(k, v) for pattern in patterns for k, v in flat if fnmatch.fnmatchcase(k, pattern)]
    else:
        chosen = [(k, v) for k, v in flat if "." not in k]
    lines = []
    for key, value in chosen:
        if isinstance(value, float):
            lines.append(f"  {key} = {value:.4g}")
        elif isinstance(value, (int, str)) or value is None:
            lines.append(f"  {key} = {value}")
        elif isinstance(value, list) and len(value) <= 10:
            lines.append(f"  {key} = [{', '.join(f'{v:.4g}' if isinstance(v, float) else str(v) for v in value)}]")
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(f"  ... and {len(lines) - limit} more")
    return shown


def cmd_plot(args):
    from .runs import replot

    names = replot(args.run_dir)
    for name in names:
        print(f"{args.run_dir}/{name}.png")
    return 0


def cmd_measure(args):
    from .registry import load_experiment
    from .runs import _read_json_file, remeasure

    metrics = remeasure(args.run_dir)
    experiment = _read_json_file(args.run_dir, "provenance.json")["experiment"]
    for line in headline(metrics, getattr(load_experiment(experiment), "HEADLINE", None)):
        print(line)
    print(f"metrics: {os.path.join(args.run_dir, 'metrics.json')}")
    return 0


def cmd_sweep(args):
    from .sweep import run_sweep

    out = run_sweep(args.name, args.grid or [], seeds=args.seeds, out=args.out, quick=args.quick, device=args.device,
                    scheduler=args.scheduler, workers=args.workers, fixed=_parse_sets(args.set), metric=args.metric,
                    log=(lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr)))
    print(out)
    failed = getattr(out, "failed", 0)
    if failed:
        print(f"snnlearn: {failed} of {out.total} sweep points failed (see {os.path.join(out, 'results.csv')})",
              file=sys.stderr)
        return EXIT_FAILED
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line (no usage block) and exit status 2."""

    def error(self, message):
        raise _ArgumentError(f"{self.prog}: {message}")


class _ArgumentError(Exception):
    pass


def build_parser():
    parser = _Parser(prog="snnlearn", description="Learning in spiking networks with local plasticity.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    lister = sub.add_parser("list", help="list the experiments, one line each (with NAME: its parameters)")
    lister.add_argument("name", nargs="?", help="an experiment name or file: show its parameters")
    lister.set_defaults(func=cmd_list)
    show = sub.add_parser("show", help="an experiment's parameters: default, unit, allowed values, doc")
    show.add_argument("name", help="an experiment name or the path of an experiment file")
    show.set_defaults(func=cmd_show)

    run = sub.add_parser("run", help="run an experiment and write a run directory")
    run.add_argument("name", nargs="?")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter (units: 20*ms or 20ms)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--out", help="run directory (default: runs/NAME-seedN-TIMESTAMP)")
    run.add_argument("--device", default="cpp_standalone", help="cpp_standalone (default), cython, numpy or runtime")
    run.add_argument("--threads", type=int, default=0, help="OpenMP threads for cpp_standalone")
    run.add_argument("--quick", action="store_true", help="a scaled-down run that finishes in under a minute")
    run.add_argument("--quiet", action="store_true", help="no progress or log output")
    run.add_argument("--checkpoint-every", metavar="TIME",
                     help="checkpoint the state every TIME of simulated time, e.g. 20s (runtime: the network state as arrays; "
                          "cpp_standalone: compiled once, run in chunks of TIME)")
    run.add_argument("--resume", metavar="RUN_DIR", help="continue a killed or interrupted run from its checkpoint")
    run.add_argument("--max-rate", metavar="RATE",
                     help="fail the run if a monitored neuron fires faster than RATE on average (default 1000Hz, "
                          "or the experiment's MAX_RATE)")
    run.set_defaults(func=cmd_run)

    sweep = sub.add_parser("sweep", help="run an experiment over a parameter grid and seeds on Dask")
    sweep.add_argument("name")
    sweep.add_argument("--grid", action="append", metavar="KEY=V1,V2", help="a swept parameter and its values")
    sweep.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 for every grid point")
    sweep.add_argument("--set", action="append", metavar="KEY=VALUE", help="a fixed parameter")
    sweep.add_argument("--out", help="sweep directory (default: runs/sweep-NAME)")
    sweep.add_argument("--device", default="cpp_standalone")
    sweep.add_argument("--quick", action="store_true")
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler (default: a local cluster)")
    sweep.add_argument("--workers", type=int, help="worker processes of the local cluster (default: one per core)")
    sweep.add_argument("--metric", help="metric for the summary figure (default: the first scalar one)")
    sweep.add_argument("--quiet", action="store_true")
    sweep.set_defaults(func=cmd_sweep)

    plot = sub.add_parser("plot", help="redraw a run's figures from its saved data")
    plot.add_argument("run_dir")
    plot.set_defaults(func=cmd_plot)

    measure = sub.add_parser("measure", help="measure a run again from its saved data (metrics and figures)")
    measure.add_argument("run_dir")
    measure.set_defaults(func=cmd_measure)
    return parser


def _one_line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


def _say(text):
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def main(argv=None):
    """Run the command; returns the exit status (see the module docstring). Never lets an exception escape."""
    from .errors import RuleError, RunawayError
    from .params import ParameterError
    from .runs import UsageError

    try:
        import brian2  # noqa: F401  (Brian2 installs its own SIGINT handler on import; ours replaces it)

        # Ctrl-C (SIGINT, even where the shell started us with it ignored) and a polite kill (SIGTERM) raise
        # KeyboardInterrupt at once: the run ends 'interrupted', never with a silently truncated simulation
        signal.signal(signal.SIGINT, _raise_interrupt)
        signal.signal(signal.SIGTERM, _raise_interrupt)
    except ValueError:  # not the main thread
        pass
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except _ArgumentError as exc:
        _say(f"snnlearn: error: {_one_line(exc)}")
        return EXIT_USAGE
    except (UsageError, ParameterError) as exc:
        _say(f"snnlearn: error: {_one_line(exc)}")
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        run_dir = getattr(exc, "snnlearn_run_dir", None)
        _say("snnlearn: interrupted" + (f": {_one_line(exc)}" if str(exc) else "")
             + (f"; the run reads 'interrupted': continue it with snnlearn run --resume {run_dir}" if run_dir else ""))
        return EXIT_INTERRUPTED
    except BrokenPipeError as exc:
        _quiet_stdout()
        return EXIT_FAILED if getattr(exc, "snnlearn_run_dir", None) else 0
    except SystemExit as exc:  # argparse --help
        return exc.code if isinstance(exc.code, int) else 0
    except Exception as exc:
        measured = getattr(exc, "snnlearn_measured_dir", None)
        if measured is not None:  # snnlearn measure: the experiment's measure or plot raised
            _say(f"snnlearn: measure failed: {type(exc).__name__}: {_one_line(exc)} (the run is unchanged; "
                 f"traceback in {os.path.join(measured, 'log.txt')})")
            return EXIT_FAILED
        run_dir = getattr(exc, "snnlearn_run_dir", None)
        if run_dir is not None:  # the run failed and says so in its directory
            _say(f"snnlearn: run failed: {type(exc).__name__}: {_one_line(exc)} "
                 f"(status 'failed'; traceback in {os.path.join(run_dir, 'log.txt')})"
                 + (f"; the simulation is saved: once the analysis is fixed, snnlearn measure {run_dir}"
                    if getattr(exc, "snnlearn_measurable", False) else ""))
            return EXIT_FAILED
        if isinstance(exc, (RuleError, RunawayError)):
            _say(f"snnlearn: error: {_one_line(exc)}")
            return EXIT_FAILED
        _say("snnlearn: internal error: this is a bug in snnlearn, please report it with the traceback below")
        _say("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip())
        return EXIT_BUG


def _quiet_stdout():
    """After a closed pipe (``| head``), send the rest of stdout to /dev/null so that exiting prints nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main_for(name):
    """Entry point for ``python experiments/NAME.py [run options]``: same as ``snnlearn run NAME ...``."""
    sys.exit(main(["run", name, *sys.argv[1:]]))


def console_main():
    """The ``snnlearn`` console script."""
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
