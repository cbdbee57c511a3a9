"""Machine description, and the markdown table and JSON file of a benchmark invocation."""

import json
import os
import platform
import subprocess
import sys

__all__ = ["machine_info", "write_results", "markdown"]


def _first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
        return out.splitlines()[0] if out else None
    except Exception:
        return None


def machine_info():
    """CPU, cores, memory, load, and the versions of Python, Brian2, numpy, NEST and gcc."""
    info = {"python": sys.version.split()[0], "platform": platform.platform(), "cpu_count": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:
        info["cpu"] = platform.processor() or None
    try:
        with open("/proc/meminfo") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("MemTotal"))
        info["memory_gb"] = round(kb / 1024 ** 2, 1)
    except (OSError, StopIteration):
        info["memory_gb"] = None
    try:
        info["affinity_cpus"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    info["loadavg"] = list(os.getloadavg())
    from importlib.metadata import PackageNotFoundError, version

    for mod in ("brian2", "numpy", "Cython"):  # without importing them (Brian2 installs signal handlers)
        try:
            info[mod.lower()] = version(mod)
        except PackageNotFoundError:
            info[mod.lower()] = None
    info["gcc"] = _first_line(["gcc", "--version"])
    return info


def _fmt(x, digits=2):
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if abs(x) >= 1e6:
            return f"{x:.3g}"
        return f"{x:.{digits}f}"
    return str(x)


def _target(t):
    return "" if not t else f"{'≤' if t[0] == '<=' else '≥'} {t[1]:g}"


def _met(m):
    return "—" if m is None else ("met" if m else "**missed**")


def markdown(results):
    """The whole invocation as markdown: machine, command, then one section per case."""
    m = results["machine"]
    lines = ["# snnlearn benchmarks", ""]
    lines.append(f"Command: `{results['command']}`  ")
    lines.append(f"Date: {results['date']}; mode: {'quick (short runs, not the benchmark)' if results['options']['quick'] else 'full'}; "
                 f"repeats: {results['options']['repeats']} (medians; each ratio is taken within a repeat, "
                 f"the variants alternating).  ")
    lines.append(f"Machine: {m.get('cpu')}, {m.get('cpu_count')} cores ({m.get('affinity_cpus')} usable), "
                 f"{m.get('memory_gb')} GB; load average at start {', '.join(f'{x:.1f}' for x in m['loadavg'])}, "
                 f"at end {', '.join(f'{x:.1f}' for x in results.get('loadavg_end', []))}.  ")
    lines.append(f"Software: Python {m.get('python')}, Brian2 {m.get('brian2')}, numpy {m.get('numpy')}, "
                 f"Cython {m.get('cython')}, NEST {results.get('nest') or 'not available'}, {m.get('gcc')}.")
    lines.append("")
    # targets first
    rows = []
    for case, res in results["cases"].items():
        for comp in res.get("comparisons", []):
            for r in comp["ratios"]:
                if r["target"]:
                    rows.append(f"| {case} | {comp['title']} | {r['label']} | {_fmt(r['median'])} | "
                                f"{_target(r['target'])} | {_met(r['met'])} |")
        sweep = res.get("summary", {}) if case == "sweep" else {}
        if "run_args" in sweep:
            v = sweep["run_args"].get("per_point_overhead_s")
            rows.append(f"| sweep | per-point overhead, compile once + run_args | overhead per point (s) | {_fmt(v, 3)} | "
                        f"< 1 s | {_met(v < 1.0 if v is not None else None)} |")
        if case == "scaling":
            for impl, s in res.get("summary", {}).items():
                b = s.get("loop_exponent")
                rows.append(f"| scaling | loop time ~ synapses^b, {impl} | exponent b | {_fmt(b)} | 0.9–1.1 | "
                            f"{_met(0.9 <= b <= 1.1 if b is not None else None)} |")
    if rows:
        lines += ["## Targets", "", "| case | comparison | ratio | median | target | status |", "|---|---|---|---|---|---|"]
        lines += rows
        lines.append("")
    for case, res in results["cases"].items():
        lines += [f"## {case}", "", res.get("description", ""), ""]
        for comp in res.get("comparisons", []):
            lines += [f"### {comp['title']}", ""]
            lines.append("| variant | device | loop (s) | setup (s) | compile (s) | total (s) | peak RSS (MB) | "
                         "synaptic events/s | runs ok |")
            lines.append("|---|---|---|---|---|---|---|---|---|")
            for label, v in comp["variants"].items():
                if v.get("skip"):
                    lines.append(f"| {label} | skipped: {v['skip']} | | | | | | | |")
                    continue
                med = v["median"]
                lines.append(f"| {label} | {v.get('device') or '—'} | {_fmt(med.get('loop_s'))} | "
                             f"{_fmt(med.get('setup_s'))} | {_fmt(med.get('compile_s'))} | {_fmt(med.get('total_s'))} | "
                             f"{_fmt(med.get('peak_rss_mb'), 0)} | {_fmt(med.get('events_per_s'))} | "
                             f"{v['n_ok']}/{v['n_runs']} |")
            lines.append("")
            errs = [(label, e) for label, v in comp["variants"].items() for e in v.get("errors", [])]
            for label, e in errs:
                lines.append(f"- {label} failed: `{e}`")
            if comp["ratios"]:
                lines.append("| ratio | median | per repeat | target | status |")
                lines.append("|---|---|---|---|---|")
                for r in comp["ratios"]:
                    per = ", ".join(f"{x:.3f}" for x in r["per_repeat"]) or "—"
                    lines.append(f"| {r['label']} | {_fmt(r['median'], 3)} | {per} | {_target(r['target'])} | "
                                 f"{_met(r['met']) if r['target'] else ''} |")
                lines.append("")
            for idt in comp.get("identical", []):
                verdict = {True: "identical", False: "**different**", None: "not compared"}[idt["identical"]]
                lines.append(f"- Results of {idt['a']} and {idt['b']} (same seed): {verdict}.")
            extra = _result_notes(comp)
            if extra:
                lines += extra
            lines.append("")
        if res.get("summary"):
            lines += ["Summary:", "", "```json", json.dumps(res["summary"], indent=1, default=str), "```", ""]
        if case == "memory" and res.get("memory"):
            lines += ["| comparison | snnlearn peak (MB) | Brian2 peak (MB) | Python / binary, snnlearn | "
                      "Python / binary, Brian2 | ratio | target |", "|---|---|---|---|---|---|---|"]
            for row in res["memory"]:
                lines.append(f"| {row['comparison']} ({row['a']}) | {_fmt(row['a_peak_rss_mb'], 0)} | "
                             f"{_fmt(row['b_peak_rss_mb'], 0)} | {_fmt(row['a_python_rss_mb'], 0)} / "
                             f"{_fmt(row['a_binary_rss_mb'], 0)} | {_fmt(row['b_python_rss_mb'], 0)} / "
                             f"{_fmt(row['b_binary_rss_mb'], 0)} | {_fmt(row['ratio'], 3)} | "
                             f"{_target(row['target'])} {_met(row['met'])} |")
            lines.append("")
    return "\n".join(lines) + "\n"


#: Result fields worth showing under a comparison's table (model sanity, not timing).
_NOTE_FIELDS = ("output_rate_hz", "rate_hz", "n_rewards", "w_mean_over_gmax", "w_mean", "n_synapses",
                "n_plastic_synapses", "reward_first_10pct", "reward_last_10pct", "ms_per_trial_loop",
                "per_point_overhead_s", "per_point_wall_s", "run_overhead_s", "brian_loop_s",
                "snnlearn_source")


def _result_notes(comp):
    out = []
    for label, v in comp["variants"].items():
        res = v.get("result") or {}
        parts = [f"{k} = {_fmt(res[k], 3) if not isinstance(res[k], str) else res[k]}" for k in _NOTE_FIELDS
                 if k in res and res[k] is not None]
        if parts:
            out.append(f"- {label}: " + ", ".join(parts))
    return out


def write_results(results, out_dir, tag):
    """Write ``{tag}.json`` and ``{tag}.md`` into ``out_dir``; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    jpath = os.path.join(out_dir, f"{tag}.json")
    mpath = os.path.join(out_dir, f"{tag}.md")
    tmp = jpath + ".tmp"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=1, default=str)
    os.replace(tmp, jpath)
    with open(mpath + ".tmp", "w") as f:
        f.write(markdown(results))
    os.replace(mpath + ".tmp", mpath)
    return jpath, mpath
