"""The ``snnlearn`` command.

::

    snnlearn list
    snnlearn run NAME [--set key=value ...] [--seed N] [--out DIR]
                      [--device cpp_standalone|cython|numpy|runtime] [--threads K] [--quick] [--quiet]
                      [--checkpoint-every TIME]
    snnlearn run --resume RUN_DIR
    snnlearn plot RUN_DIR
    snnlearn sweep NAME --grid key=v1,v2 [--grid ...] [--seeds N] [--scheduler ADDRESS] [--out DIR]

``--checkpoint-every TIME`` checkpoints a run every TIME of simulated time and
``--resume RUN_DIR`` continues a killed one: on runtime devices through
``Network.store``/``restore``, in ``cpp_standalone`` by running one compiled program
chunk by chunk with the state passed back in through ``run_args`` (a resume does not
recompile). A ``cpp_standalone`` sweep of an experiment that declares ``RUN_ARGS``
compiles once per structure and runs the other points through ``run_args``.

Bad input (unknown experiment or parameter, a value with the wrong unit, a value that
is not a number, an unwritable output directory) prints one line naming the problem
and the valid choices, and exits with status 2.
"""

import argparse
import json
import sys

from .units import format_quantity

__all__ = ["main"]


def _parse_sets(items):
    overrides = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"--set expects key=value, got '{item}'")
        key, value = item.split("=", 1)
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
    from .runs import describe, list_experiments, load_experiment

    for name in list_experiments():
        module = load_experiment(name)
        print(f"{name}: {describe(module)}")
        for key, value in module.PARAMS.items():
            print(f"    {key} = {_format_default(value)}")
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
        every = None
        if args.checkpoint_every:
            try:
                every = parse_quantity(args.checkpoint_every)
            except UnitParseError as exc:
                raise UsageError(f"--checkpoint-every: {exc}") from None
        result = run_experiment(args.name, seed=args.seed, out=args.out, quick=args.quick, device=args.device,
                                threads=args.threads, quiet=args.quiet, overrides=_parse_sets(args.set),
                                log_stream=log_stream, checkpoint_every=every)
    if not args.quiet:
        print(json.dumps(result.metrics, indent=2, sort_keys=True, default=str))
    print(result.path)
    return 0


def cmd_plot(args):
    from .runs import replot

    names = replot(args.run_dir)
    for name in names:
        print(f"{args.run_dir}/{name}.png")
    return 0


def cmd_sweep(args):
    from .sweep import run_sweep

    run_sweep(args.name, args.grid or [], seeds=args.seeds, out=args.out, quick=args.quick, device=args.device,
              scheduler=args.scheduler, workers=args.workers, fixed=_parse_sets(args.set), metric=args.metric,
              log=(lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr)))
    print(args.out or f"runs/sweep-{args.name}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="snnlearn", description="Learning in spiking networks with local plasticity.")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="list the experiments and their parameters").set_defaults(func=cmd_list)

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
                     help="checkpoint the state every TIME of simulated time, e.g. 20s (runtime: Network.store; "
                          "cpp_standalone: compiled once, run in chunks of TIME)")
    run.add_argument("--resume", metavar="RUN_DIR", help="continue a killed or interrupted run from its checkpoint")
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
    return parser


def main(argv=None):
    from .params import ParameterError
    from .runs import UsageError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, ParameterError, ValueError) as exc:
        if isinstance(exc, (UsageError, ParameterError)) or str(exc).startswith("--set"):
            print(f"snnlearn: error: {exc}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        print("snnlearn: interrupted", file=sys.stderr)
        return 130


def main_for(name):
    """Entry point for ``python experiments/NAME.py [run options]``: same as ``snnlearn run NAME ...``."""
    sys.exit(main(["run", name, *sys.argv[1:]]))


if __name__ == "__main__":
    sys.exit(main())
