"""Where the time goes: instruction counts of the compiled programs under ``valgrind --tool=callgrind``.

Wall-clock ratios near 1 drown in the noise of a shared machine; instruction counts
do not. ``python -m benchmarks.profile`` builds the snnlearn and the hand-written Brian2
version of a case (small sizes: valgrind runs the program ~50x slower) in
``cpp_standalone``, runs each compiled binary under callgrind, and reports the total
number of instructions executed (Ir) and the Ir of each generated code object, side by
side. The two programs are identical except for what snnlearn adds, so the difference
per code object says exactly what that costs.

Options: ``--case song2000|plastic_network|da_network`` (repeatable; default all),
``--out DIR`` (default ``benchmarks/results``; writes ``profile.md`` and ``profile.json``).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

from .common import Phases, brian_seed, fresh_directory, plain_standalone, remove_directory

__all__ = ["profile_case", "main", "SIZES"]

#: Biological durations (s) for valgrind: Song's model, the 1-M-synapse plastic network, the DA network.
SIZES = {"song2000": 2.0, "plastic_network": 0.2, "da_network": 2.0}


def _builders(case, impl):
    from brian2 import Hz

    if case == "song2000":
        from . import song2000 as m

        return (lambda: m._build_snnlearn(10 * Hz)) if impl == "snnlearn" else (lambda: m.build_plain_song(10 * Hz))
    if case == "plastic_network":
        from . import plastic_network as m

        return (lambda: m.build_snnlearn(1000)) if impl == "snnlearn" else (lambda: m.build_plain(1000))
    if case == "da_network":
        from . import da_network as m

        if impl == "snnlearn":
            return lambda: m.build_snnlearn_da(1)
        gate = {"brian2": None, "brian2-blend": "blend", "brian2-increment": "increment"}[impl]
        return lambda: m.build_plain_da(1, gate=gate)
    raise ValueError(f"unknown case {case!r}; choose one of {', '.join(SIZES)}")


_LINE = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$")


def _annotate(outfile):
    """``{function: Ir}`` (exclusive) from ``callgrind_annotate``."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", outfile], capture_output=True,
                          text=True, check=True).stdout
    funcs, total = {}, None
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        name = m.group(2).strip()
        if "PROGRAM TOTALS" in name:
            total = n
            continue
        name = name.split(":", 1)[1] if ":" in name and not name.startswith("0x") else name
        name = re.sub(r"\s*\[[^\]]*\]$", "", name)
        funcs[name] = funcs.get(name, 0) + n
    return total, funcs


def profile_case(case, impl, seed=1):
    """Build ``case`` with implementation ``impl`` (``snnlearn``, ``brian2``; for ``da_network`` also
    ``brian2-blend`` and ``brian2-increment``, see :data:`benchmarks.da_network.GATES`), run it under
    callgrind; Ir counts."""
    from brian2 import prefs, second

    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        raise RuntimeError("valgrind (callgrind) is not installed")
    ph = Phases()
    directory = fresh_directory("profile-")
    outfile = os.path.join(directory, "callgrind.out")
    try:
        if impl == "snnlearn":
            from snnlearn.devices import use_device

            ctx = use_device("cpp_standalone", directory=directory)
        else:
            ctx = plain_standalone(directory)
        with ctx as sim:
            prefs.devices.cpp_standalone.run_cmd_unix = ["valgrind", "--tool=callgrind",
                                                         f"--callgrind-out-file={outfile}", "./main"]
            # valgrind does not decode AVX-512, which -march=native emits on such CPUs: AVX2 for both versions
            prefs.codegen.cpp.extra_compile_args_gcc = [
                "-march=x86-64-v3" if a == "-march=native" else a for a in prefs.codegen.cpp.extra_compile_args_gcc]
            brian_seed(seed)
            m = _builders(case, impl)()
            m["net"].run(SIZES[case] * second)
            with ph("build"):
                if impl == "snnlearn":
                    sim.build()
                else:
                    sim.build(directory=directory, compile=True, run=True, with_output=False)
        total, funcs = _annotate(outfile)
    finally:
        remove_directory(directory)
    code_objects = {k: v for k, v in funcs.items()
                    if ("codeobject" in k or "_run_" in k or "push_spikes" in k) and not k.startswith("_GLOBAL__")}
    return {"case": case, "impl": impl, "duration_s": SIZES[case], "total_Ir": total, "code_objects_Ir": code_objects,
            "top_functions": dict(sorted(funcs.items(), key=lambda kv: -kv[1])[:15]), "wall_under_valgrind_s":
            ph.times["build"]}


def _markdown(rows):
    lines = ["# Instruction counts (callgrind): snnlearn vs hand-written Brian2, cpp_standalone", ""]
    for case, results in rows.items():
        a, b = results[0], results[1]
        lines += [f"## {case} ({a['duration_s']:g} s biological)", ""]
        if a.get("total_Ir") and b.get("total_Ir"):
            lines.append(f"Total instructions: snnlearn {a['total_Ir']:,}, Brian2 {b['total_Ir']:,}, "
                         f"ratio {a['total_Ir'] / b['total_Ir']:.4f}.")
            lines.append("")
        for extra in results[2:]:
            lines.append(f"Hand-written Brian2 with the learning switch as `{extra['impl']}`: total "
                         f"{extra['total_Ir']:,} instructions, ratio to plain Brian2 {extra['total_Ir'] / b['total_Ir']:.4f}; "
                         "its code objects: " + ", ".join(
                             f"`{k}` {v:,} ({v / b['code_objects_Ir'][k]:.3f}x)" for k, v in extra["code_objects_Ir"].items()
                             if b["code_objects_Ir"].get(k) and v != b["code_objects_Ir"][k]) + ".")
            lines.append("")
        lines += ["| function | snnlearn Ir | Brian2 Ir | ratio |", "|---|---|---|---|"]
        names = sorted(set(a.get("code_objects_Ir", {})) | set(b.get("code_objects_Ir", {})),
                       key=lambda k: -(a.get("code_objects_Ir", {}).get(k, 0)))
        floor = 1e-4 * max(a.get("total_Ir") or 0, b.get("total_Ir") or 0)
        for k in names:
            x, y = a["code_objects_Ir"].get(k, 0), b["code_objects_Ir"].get(k, 0)
            if max(x, y) < floor:  # start-up and tiny objects
                continue
            lines.append(f"| `{k}` | {x:,} | {y:,} | {x / y:.3f} |" if y else f"| `{k}` | {x:,} | {y:,} | — |")
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv=None):
    from .harness import Variant, run_variant

    p = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.splitlines()[0])
    p.add_argument("--case", action="append", choices=list(SIZES), default=None)
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = p.parse_args(argv)
    rows, raw = {}, {}
    for case in args.case or list(SIZES):
        pair = []
        impls = ("snnlearn", "brian2") + (("brian2-blend", "brian2-increment") if case == "da_network" else ())
        for impl in impls:
            r = run_variant(Variant(impl, "benchmarks.profile:profile_case", {"case": case, "impl": impl}),
                            timeout=3600)
            if not r.get("ok"):
                print(f"{case} {impl} failed: {r.get('error')}\n{r.get('traceback', '')}", file=sys.stderr)
            pair.append(r)
            print(f"{case:16s} {impl:9s} total Ir {r.get('total_Ir')}", flush=True)
        raw[case] = pair
        if all(x.get("ok") for x in pair):
            rows[case] = pair
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "profile.json"), "w") as f:
        json.dump(raw, f, indent=1, default=str)
    with open(os.path.join(args.out, "profile.md"), "w") as f:
        f.write(_markdown(rows))
    print(f"wrote {os.path.join(args.out, 'profile.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
