"""Where the loop's time goes, per code object, in the 1 M-synapse plastic network.

``python -m benchmarks.where`` builds the network of :mod:`benchmarks.plastic_network`
(hand-written Brian2, and snnlearn with ``sl.poisson_source`` inputs) in
``cpp_standalone`` with Brian2's own profiling (``Network.run(..., profile=True)``),
on one thread and on ``--threads`` OpenMP threads, and writes the wall time of each
generated code object side by side (``benchmarks/results/where-plastic_network.md`` and
``.json``). It answers the question the issue asks when the 2-thread target is missed:
which part of the loop does not get faster with threads, and why.

Options: ``--duration`` (biological seconds, default 10), ``--threads`` (default 2),
``--out`` (default ``benchmarks/results``).
"""

import argparse
import json
import os
import platform
import re
import sys
import time

__all__ = ["profile_run", "main"]

VARIANTS = (("brian2", False), ("snnlearn-fast", True))
SHOWN = 8  # code objects listed per run; the rest are summed as "other"


def profile_run(per_spike_inputs, threads, duration_s, seed=1):
    """``{code object: seconds}``, the loop time and the spike counts of one profiled standalone run."""
    from brian2 import device, second

    from . import plastic_network as pn
    from .common import brian_seed, fresh_directory, plain_standalone, remove_directory

    directory = fresh_directory("where-")
    try:
        with plain_standalone(directory, threads=threads):
            brian_seed(seed)
            m = pn.build_snnlearn(1000, seed=seed, per_spike_inputs=True) if per_spike_inputs else \
                pn.build_plain(1000, seed=seed)
            m["net"].run(duration_s * second, profile=True)
            device.build(directory=directory, run=True)
            # Brian2 numbers the names of a second device's code objects (stdp_pre_codeobject_1)
            times = {re.sub(r"_\d+$", "", name): float(t / second) for name, t in m["net"].profiling_info}
            return {"loop_s": float(device._last_run_time), "code_objects": times,
                    "input_spikes": int(m["in_mon"].count[:].sum()),
                    "output_spikes": int(m["out_mon"].count[:].sum())}
    finally:
        remove_directory(directory)


def _table(runs):
    names = {}
    for r in runs.values():
        for name, t in r["code_objects"].items():
            names[name] = max(names.get(name, 0.0), t)
    top = sorted(names, key=names.get, reverse=True)[:SHOWN]
    cols = list(runs)
    lines = ["| code object | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for name in top:
        lines.append(f"| `{name}` | " + " | ".join(f"{runs[c]['code_objects'].get(name, 0.0):.2f}" for c in cols) + " |")
    lines.append("| other | " + " | ".join(
        f"{sum(t for n, t in runs[c]['code_objects'].items() if n not in top):.2f}" for c in cols) + " |")
    lines.append("| **loop (s)** | " + " | ".join(f"**{runs[c]['loop_s']:.2f}**" for c in cols) + " |")
    lines.append("| synaptic events per step (input spikes x 200 / steps) | " + " | ".join(
        f"{runs[c]['input_spikes'] * 200 / runs[c]['steps']:.0f}" for c in cols) + " |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.where", description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = p.parse_args(argv)
    runs = {}
    t0 = time.perf_counter()
    for impl, fast in VARIANTS:
        for threads in (0, args.threads):
            label = f"{impl}, {threads or 1} thread{'s' if threads > 1 else ''}"
            print(f"  {label} ...", flush=True)
            r = profile_run(fast, threads, args.duration)
            r["steps"] = int(round(args.duration / 1e-4))
            runs[label] = r
            print(f"    loop {r['loop_s']:.2f} s", flush=True)
    md = [f"# Where the loop's time goes: 1 M STDP synapses, {args.duration:g} s", "",
          f"Command: `python -m benchmarks.where --duration {args.duration:g} --threads {args.threads}`  ",
          f"Date: {time.strftime('%Y-%m-%dT%H:%M:%S')}; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores; load average at end {', '.join(f'{x:.1f}' for x in os.getloadavg())}.  ",
          "Seconds per code object (Brian2's `profile=True`; under OpenMP a code object's time includes its "
          "parallel region's start and its barrier). `brian2` is the hand-written network with `PoissonGroup` "
          "inputs; `snnlearn-fast` the snnlearn network with `sl.poisson_source` inputs. One run each.", "",
          _table(runs), ""]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "where-plastic_network.md"), "w") as f:
        f.write("\n".join(md))
    with open(os.path.join(args.out, "where-plastic_network.json"), "w") as f:
        json.dump({"duration_s": args.duration, "threads": args.threads, "runs": runs}, f, indent=1)
    print(f"done in {time.perf_counter() - t0:.0f} s: {args.out}/where-plastic_network.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
