"""The ``snnlearn`` command.

::

    snnlearn list
    snnlearn run NAME [--set key=value ...] [--seed N] [--out DIR]
                      [--device cpp_standalone|cython|numpy|runtime] [--threads K] [--quick] [--quiet]
    snnlearn plot RUN_DIR

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
    from .runs import run_experiment

    overrides = _parse_sets(args.set)
    result = run_experiment(args.name, seed=args.seed, out=args.out, quick=args.quick, device=args.device,
                            threads=args.threads, quiet=args.quiet, overrides=overrides,
                            log_stream=None if args.quiet else sys.stderr)
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


def build_parser():
    parser = argparse.ArgumentParser(prog="snnlearn", description="Learning in spiking networks with local plasticity.")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="list the experiments and their parameters").set_defaults(func=cmd_list)

    run = sub.add_parser("run", help="run an experiment and write a run directory")
    run.add_argument("name")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter (units: 20*ms or 20ms)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--out", help="run directory (default: runs/NAME-seedN-TIMESTAMP)")
    run.add_argument("--device", default="cpp_standalone", help="cpp_standalone (default), cython, numpy or runtime")
    run.add_argument("--threads", type=int, default=0, help="OpenMP threads for cpp_standalone")
    run.add_argument("--quick", action="store_true", help="a scaled-down run that finishes in under a minute")
    run.add_argument("--quiet", action="store_true", help="no progress or log output")
    run.set_defaults(func=cmd_run)

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


if __name__ == "__main__":
    sys.exit(main())
