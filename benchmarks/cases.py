"""The benchmark cases: what is compared with what, with which sizes, and the targets to report against.

Each case is a function ``plan(opts) -> [Comparison]`` (and optionally a summary
function that derives numbers across comparisons, such as the scaling exponent).
Durations and sizes come in two presets: the full measurement and ``--quick`` (short
runs to check that everything works; its times are not the benchmark).
"""

from dataclasses import dataclass

from .harness import Comparison, Pair, Variant, fit_exponent, median

__all__ = ["Options", "CASES", "MEMORY_SOURCES", "plan_memory", "summarize_memory", "case_names"]

# Targets of issue 7 (reported against, never asserted).
SAME_DEVICE_WALL = ("<=", 1.05)
SAME_DEVICE_MEMORY = ("<=", 1.1)
TRIALS_SPEEDUP = (">=", 20.0)
NEST_SPEEDUP = (">=", 3.0)
SWEEP_OVERHEAD_S = 1.0

FAST_NOTE = ("the same network with sl.poisson_source inputs: the same Poisson process drawn at the spikes "
             "(statistically equal, not the same spikes)")


@dataclass
class Options:
    quick: bool = False
    repeats: int = 3
    max_synapses: float = 4e6
    threads: int = 2
    nest: bool = True
    nest_note: str = ""
    seed: int = 1
    timeout: float = 3600.0


def _nest_skip(opts):
    return None if opts.nest else (opts.nest_note or "NEST not available")


def _same_device_pairs(a="snnlearn", b="brian2"):
    return [Pair(a, b, "loop_s", f"{a} / {b}: loop", SAME_DEVICE_WALL),
            Pair(a, b, "total_s", f"{a} / {b}: total wall", SAME_DEVICE_WALL),
            Pair(a, b, "peak_rss_mb", f"{a} / {b}: peak RSS", SAME_DEVICE_MEMORY)]


# ------------------------------------------------------------------------------------------ song2000
def plan_song2000(opts):
    T = {"cpp_standalone": 10.0, "cython": 5.0, "numpy": 2.0, "cold": 2.0} if opts.quick else \
        {"cpp_standalone": 100.0, "cython": 100.0, "numpy": 20.0, "cold": 100.0}
    mod = "benchmarks.song2000"
    comps = []
    for device in ("cpp_standalone", "cython", "numpy"):
        kw = {"device": device, "duration_s": T[device], "seed": opts.seed}
        warm = device == "cython"
        variants = [Variant("snnlearn", f"{mod}:run_snnlearn", kw, warmup=warm, warmup_kwargs={"duration_s": 0.1}),
                    Variant("brian2", f"{mod}:run_brian2", kw, warmup=warm, warmup_kwargs={"duration_s": 0.1})]
        pairs = _same_device_pairs()
        if device == "cpp_standalone":
            variants.append(Variant("nest", f"{mod}:run_nest", {"duration_s": T[device], "seed": opts.seed,
                                                                 "threads": 1}, skip=_nest_skip(opts)))
            pairs.append(Pair("nest", "snnlearn", "loop_s", "NEST (1 thread) / snnlearn: loop"))
            pairs.append(Pair("nest", "snnlearn", "total_s", "NEST (1 thread) / snnlearn: total wall"))
        note = " (warm Cython cache)" if warm else ""
        comps.append(Comparison(f"song2000-{device}", f"Song 2000, {T[device]:g} s biological, {device}{note}",
                                variants, pairs, info={"duration_s": T[device], "device": device},
                                identical=[("snnlearn", "brian2")]))
    if not opts.quick:
        kw = {"device": "cython", "duration_s": T["cold"], "seed": opts.seed, "cold_cache": True}
        comps.append(Comparison("song2000-cython-cold", f"Song 2000, {T['cold']:g} s biological, cython, cold cache",
                                [Variant("snnlearn", f"{mod}:run_snnlearn", kw), Variant("brian2", f"{mod}:run_brian2", kw)],
                                [Pair("snnlearn", "brian2", "total_s", "snnlearn / brian2: total wall", SAME_DEVICE_WALL)],
                                info={"duration_s": T["cold"], "device": "cython (empty cache)"},
                                identical=[("snnlearn", "brian2")]))
    return comps


# ------------------------------------------------------------------------------------------ plastic_network
def plan_plastic_network(opts):
    T = 1.0 if opts.quick else 10.0
    n_post = 200 if opts.quick else 1000
    mod = "benchmarks.plastic_network"
    base = {"duration_s": T, "n_post": n_post, "seed": opts.seed}
    one = Comparison(
        "plastic_network-1thread", f"{n_post * 1000 / 1e6:g} M STDP synapses, {T:g} s, one thread",
        [Variant("snnlearn", f"{mod}:run_snnlearn", {**base, "device": "cpp_standalone"}),
         Variant("brian2", f"{mod}:run_brian2", {**base, "device": "cpp_standalone"}),
         Variant("snnlearn-fast", f"{mod}:run_snnlearn", {**base, "device": "cpp_standalone", "per_spike_inputs": True},
                 note=FAST_NOTE),
         Variant("nest", f"{mod}:run_nest", {**base, "threads": 1}, skip=_nest_skip(opts))],
        _same_device_pairs() + [Pair("snnlearn-fast", "brian2", "loop_s", "snnlearn-fast / brian2: loop"),
                                Pair("nest", "snnlearn", "loop_s", "NEST / snnlearn: loop (1 thread each)"),
                                Pair("nest", "snnlearn-fast", "loop_s", "NEST / snnlearn-fast: loop (1 thread each)")],
        info={"duration_s": T, "n_synapses": n_post * 1000, "threads": 1}, identical=[("snnlearn", "brian2")])
    th = opts.threads
    two = Comparison(
        f"plastic_network-{th}threads", f"{n_post * 1000 / 1e6:g} M STDP synapses, {T:g} s, {th} threads",
        [Variant(f"snnlearn-{th}t", f"{mod}:run_snnlearn", {**base, "device": "cpp_standalone", "threads": th}),
         Variant(f"brian2-{th}t", f"{mod}:run_brian2", {**base, "device": "cpp_standalone", "threads": th}),
         Variant(f"snnlearn-fast-{th}t", f"{mod}:run_snnlearn",
                 {**base, "device": "cpp_standalone", "threads": th, "per_spike_inputs": True}, note=FAST_NOTE),
         Variant(f"nest-{th}t", f"{mod}:run_nest", {**base, "threads": th}, skip=_nest_skip(opts))],
        [Pair(f"snnlearn-{th}t", f"brian2-{th}t", "loop_s", f"snnlearn / brian2: loop ({th} OpenMP threads)",
              SAME_DEVICE_WALL),
         Pair(f"snnlearn-fast-{th}t", f"brian2-{th}t", "loop_s", f"snnlearn-fast / brian2: loop ({th} OpenMP threads)"),
         Pair(f"nest-{th}t", f"snnlearn-{th}t", "loop_s", f"NEST / snnlearn: loop ({th} threads each)", NEST_SPEEDUP),
         Pair(f"nest-{th}t", f"snnlearn-fast-{th}t", "loop_s", f"NEST / snnlearn-fast: loop ({th} threads each)",
              NEST_SPEEDUP)],
        info={"duration_s": T, "n_synapses": n_post * 1000, "threads": th},
        # the same generated code as the hand-written network: the same OpenMP result bit for bit
        identical=[(f"snnlearn-{th}t", f"brian2-{th}t")])
    return [one, two] if th > 1 else [one]


def summarize_plastic(result, opts):
    """OpenMP speed-up of snnlearn (1-thread loop / n-thread loop) across the two comparisons."""
    comps = {c["key"]: c for c in result["comparisons"]}
    th = opts.threads
    one = comps.get("plastic_network-1thread", {}).get("variants", {})
    two = comps.get(f"plastic_network-{th}threads", {}).get("variants", {})
    out = {}
    for impl in ("snnlearn", "brian2", "snnlearn-fast", "nest"):
        a = one.get(impl, {}).get("median", {}).get("loop_s")
        b = two.get(f"{impl}-{th}t", {}).get("median", {}).get("loop_s")
        if a and b:
            out[f"{impl}_speedup_{th}_threads"] = a / b
    return out


# ------------------------------------------------------------------------------------------ da_network
def plan_da_network(opts):
    T = 1.0 if opts.quick else 10.0
    mod = "benchmarks.da_network"
    base = {"duration_s": T, "seed": opts.seed}
    skip = _nest_skip(opts)
    one = Comparison(
        "da_network-1thread", f"Izhikevich 2007 DA-STDP network (80 k plastic synapses), {T:g} s, one thread",
        [Variant("snnlearn", f"{mod}:run_snnlearn", {**base, "device": "cpp_standalone"}),
         Variant("brian2", f"{mod}:run_brian2", {**base, "device": "cpp_standalone"}),
         Variant("nest", f"{mod}:run_nest", {**base, "threads": 1, "deliver_interval": 1}, skip=skip),
         Variant("nest-di10", f"{mod}:run_nest", {**base, "threads": 1, "deliver_interval": 10}, skip=skip)],
        _same_device_pairs() + [Pair("nest", "snnlearn", "loop_s", "NEST / snnlearn: loop (1 thread)"),
                                Pair("nest-di10", "snnlearn", "loop_s",
                                     "NEST deliver_interval=10 / snnlearn: loop (1 thread)")],
        info={"duration_s": T, "threads": 1}, identical=[("snnlearn", "brian2")])
    # where snnlearn's overhead comes from: its learning switch, written by hand, and a cheaper form of it
    gate = Comparison(
        "da_network-gate", f"DA-STDP network, {T:g} s, one thread: the learning switch's cost in the 10-ms update",
        [Variant("brian2", f"{mod}:run_brian2", {**base, "device": "cpp_standalone"}),
         Variant("brian2-blend", f"{mod}:run_brian2", {**base, "device": "cpp_standalone", "gate": "blend"},
                 note="snnlearn's switch by hand: w_new = ...; w = p*w_new + (1-p)*w"),
         Variant("brian2-increment", f"{mod}:run_brian2", {**base, "device": "cpp_standalone", "gate": "increment"},
                 note="switch on the increment: w = clip(w + p*(d + tonic)*c, wmin, wmax)")],
        [Pair("brian2-blend", "brian2", "loop_s", "switch as snnlearn writes it / no switch: loop"),
         Pair("brian2-increment", "brian2", "loop_s", "switch on the increment / no switch: loop")],
        info={"duration_s": T, "threads": 1},
        identical=[("brian2", "brian2-blend"), ("brian2", "brian2-increment")])
    th = opts.threads
    two = Comparison(
        f"da_network-{th}threads", f"Izhikevich 2007 DA-STDP network, {T:g} s, {th} threads",
        [Variant(f"snnlearn-{th}t", f"{mod}:run_snnlearn", {**base, "device": "cpp_standalone", "threads": th}),
         Variant(f"brian2-{th}t", f"{mod}:run_brian2", {**base, "device": "cpp_standalone", "threads": th}),
         Variant(f"nest-{th}t", f"{mod}:run_nest", {**base, "threads": th, "deliver_interval": 1}, skip=skip),
         Variant(f"nest-di10-{th}t", f"{mod}:run_nest", {**base, "threads": th, "deliver_interval": 10}, skip=skip)],
        [Pair(f"snnlearn-{th}t", f"brian2-{th}t", "loop_s", f"snnlearn / brian2: loop ({th} OpenMP threads)",
              SAME_DEVICE_WALL),
         Pair(f"nest-{th}t", f"snnlearn-{th}t", "loop_s", f"NEST / snnlearn: loop ({th} threads each)", NEST_SPEEDUP),
         Pair(f"nest-di10-{th}t", f"snnlearn-{th}t", "loop_s",
              f"NEST deliver_interval=10 / snnlearn: loop ({th} threads each)", NEST_SPEEDUP)],
        info={"duration_s": T, "threads": th}, identical=[(f"snnlearn-{th}t", f"brian2-{th}t")])
    return [one, gate, two] if th > 1 else [one, gate]


# ------------------------------------------------------------------------------------------ trials
def plan_trials(opts):
    n = 20 if opts.quick else 1000
    mod = "benchmarks.trials"
    kw = {"n_trials": n, "seed": opts.seed}
    comp = Comparison(
        "trials", f"{n} trials of a reward-driven task (500 ms each): compiled trial loop vs Python loop",
        [Variant("compiled-standalone", f"{mod}:run_compiled", {**kw, "device": "cpp_standalone"}),
         # the TimedArrays' sizes enter the generated code: warm the Cython cache with the same n_trials
         Variant("compiled-cython", f"{mod}:run_compiled", {**kw, "device": "cython"}, warmup=True),
         Variant("python-loop-cython", f"{mod}:run_python_loop", {**kw, "device": "cython"}, warmup=True,
                 warmup_kwargs={"n_trials": 2})],
        [Pair("python-loop-cython", "compiled-standalone", "total_s",
              "Python loop / compiled standalone: total wall (compile included)", TRIALS_SPEEDUP),
         Pair("python-loop-cython", "compiled-standalone", "loop_s",
              "Python loop / compiled standalone: training loop (compile excluded)", TRIALS_SPEEDUP),
         Pair("python-loop-cython", "compiled-cython", "total_s",
              "Python loop / compiled loop, both cython: total wall")],
        info={"n_trials": n, "trial_ms": 500.0},
        identical=[("compiled-cython", "python-loop-cython"), ("compiled-standalone", "compiled-cython")])
    return [comp]


# ------------------------------------------------------------------------------------------ sweep
def plan_sweep(opts):
    n, T = (4, 2.0) if opts.quick else (16, 10.0)
    mod = "benchmarks.sweep"
    kw = {"n_points": n, "duration_s": T, "seed": opts.seed}
    comp = Comparison(
        "sweep", f"{n}-point sweep of the Song 2000 input rate ({T:g} s per point), cpp_standalone",
        [Variant("run_args", f"{mod}:run_with_run_args", kw),
         Variant("recompile", f"{mod}:run_recompiling", kw),
         Variant("recompile-cached-dir", f"{mod}:run_recompiling", {**kw, "cached": True})],
        [Pair("recompile", "run_args", "total_s", "recompile each point / compile once + run_args: whole sweep"),
         Pair("recompile-cached-dir", "run_args", "total_s",
              "recompile in a cached directory / compile once + run_args: whole sweep")],
        info={"n_points": n, "duration_s": T},
        identical=[("run_args", "recompile"), ("run_args", "recompile-cached-dir")])
    return [comp]


def summarize_sweep(result, opts):
    out = {}
    for comp in result["comparisons"]:
        for label, v in comp["variants"].items():
            runs = [r for r in v["runs"] if r.get("ok")]
            if runs:
                out[label] = {k: median([r.get(k) for r in runs]) for k in
                              ("per_point_overhead_s", "per_point_wall_s", "per_point_loop_s", "first_compile_s",
                               "per_point_compile_s", "per_point_make_s")}
        ra = out.get("run_args", {}).get("per_point_overhead_s")
        if ra is not None:
            out["run_args_overhead_below_1s"] = ra < SWEEP_OVERHEAD_S
    return out


# ------------------------------------------------------------------------------------------ sweep_overhead
#: Goal for a compile-once sweep point's cost beyond simulating (issue: <= 0.05 s).
POINT_OVERHEAD_S = 0.05


def plan_sweep_overhead(opts):
    from .sweep_overhead import EXPERIMENTS

    mod = "benchmarks.sweep_overhead"
    comp = Comparison(
        "sweep_overhead", "compile-once sweeps of real experiments: cost of a reused point beyond its program's run",
        [Variant(name, f"{mod}:sweep_overhead", {"name": name}) for name in EXPERIMENTS],
        info={name: {"grid": spec["grid"], "fixed": spec["fixed"]} for name, spec in EXPERIMENTS.items()})
    return [comp]


def summarize_sweep_overhead(result, opts):
    out = {}
    for comp in result["comparisons"]:
        for label, v in comp["variants"].items():
            runs = [r for r in v["runs"] if r.get("ok")]
            if runs:
                out[label] = {k: median([r.get(k) for r in runs]) for k in
                              ("per_point_overhead_s", "max_point_overhead_s", "per_point_program_s",
                               "per_point_binary_s", "per_point_run_s", "n_reused")}
                out[label]["overhead_within_goal"] = out[label]["per_point_overhead_s"] <= POINT_OVERHEAD_S
    return out


# ------------------------------------------------------------------------------------------ scaling
def scaling_sizes(opts):
    sizes = [250_000, 500_000, 1_000_000] if opts.quick else [250_000, 1_000_000, 4_000_000]
    return [s for s in sizes if s <= opts.max_synapses] or sizes[:1]


def plan_scaling(opts):
    T = 1.0 if opts.quick else 10.0
    mod = "benchmarks.plastic_network"
    comps = []
    for n_syn in scaling_sizes(opts):
        # the whole network grows: 1000 inputs per neuron out of 5 n_post Poisson inputs
        n_post = n_syn // 1000
        base = {"duration_s": T, "n_post": n_post, "n_in": 5 * n_post, "seed": opts.seed, "device": "cpp_standalone"}
        comps.append(Comparison(
            f"scaling-{n_syn}", f"{n_syn / 1e6:g} M STDP synapses ({5 * n_post} inputs -> {n_post} neurons), {T:g} s, "
                                f"cpp_standalone, one thread",
            [Variant("snnlearn", f"{mod}:run_snnlearn", base), Variant("brian2", f"{mod}:run_brian2", base)],
            [Pair("snnlearn", "brian2", "loop_s", "snnlearn / brian2: loop", SAME_DEVICE_WALL)],
            info={"n_synapses": n_syn, "duration_s": T}, identical=[("snnlearn", "brian2")]))
    return comps


def summarize_scaling(result, opts):
    """Exponent b of loop time ~ n_synapses**b, per implementation (and of total wall)."""
    out = {}
    for impl in ("snnlearn", "brian2"):
        xs, loop, total = [], [], []
        for comp in result["comparisons"]:
            med = comp["variants"].get(impl, {}).get("median", {})
            if med.get("loop_s"):
                xs.append(comp["info"]["n_synapses"])
                loop.append(med["loop_s"])
                total.append(med.get("total_s"))
        out[impl] = {"n_synapses": xs, "loop_s": loop, "total_s": total,
                     "loop_exponent": fit_exponent(xs, loop), "total_exponent": fit_exponent(xs, total)}
    return out


# ------------------------------------------------------------------------------------------ memory
MEMORY_SOURCES = ("song2000", "plastic_network", "da_network")


def plan_memory(opts, already=()):
    """snnlearn vs hand-written Brian2 of the cases not already run in this invocation (their peak RSS is reused)."""
    comps = []
    for name in MEMORY_SOURCES:
        if name in already:
            continue
        for c in CASES[name][0](opts):
            keep = [v for v in c.variants if v.label in ("snnlearn", "brian2")]
            if len(keep) == 2:
                comps.append(Comparison(f"memory-{c.key}", c.title, keep,
                                        [Pair("snnlearn", "brian2", "peak_rss_mb", "snnlearn / brian2: peak RSS",
                                              SAME_DEVICE_MEMORY)], info=c.info))
    return comps


def summarize_memory(all_results):
    """Peak RSS of snnlearn vs Brian2 in every comparison that has both (this invocation's runs)."""
    rows = []
    for case, res in all_results.items():
        for comp in res.get("comparisons", []):
            v = comp["variants"]
            for a, b in (("snnlearn", "brian2"), ("snnlearn-2t", "brian2-2t")):
                if a in v and b in v and v[a]["median"].get("peak_rss_mb") and v[b]["median"].get("peak_rss_mb"):
                    ratio = next((r for r in comp["ratios"] if r["a"] == a and r["b"] == b
                                  and r["metric"] == "peak_rss_mb"), None)
                    per = ratio["median"] if ratio else v[a]["median"]["peak_rss_mb"] / v[b]["median"]["peak_rss_mb"]
                    rows.append({"comparison": comp["title"], "a": a, "b": b,
                                 "a_peak_rss_mb": v[a]["median"]["peak_rss_mb"],
                                 "b_peak_rss_mb": v[b]["median"]["peak_rss_mb"],
                                 "a_python_rss_mb": v[a]["median"].get("python_rss_mb"),
                                 "b_python_rss_mb": v[b]["median"].get("python_rss_mb"),
                                 "a_binary_rss_mb": v[a]["median"].get("binary_rss_mb"),
                                 "b_binary_rss_mb": v[b]["median"].get("binary_rss_mb"),
                                 "ratio": per, "target": list(SAME_DEVICE_MEMORY),
                                 "met": per <= SAME_DEVICE_MEMORY[1] if per is not None else None})
    return rows


#: name -> (plan, summarize or None, one-line description)
CASES = {
    "song2000": (plan_song2000, None, "Song 2000 model: snnlearn vs hand-written Brian2 (standalone, cython, numpy) "
                                      "and NEST"),
    "plastic_network": (plan_plastic_network, summarize_plastic, "5000 -> 1000 LIF, 1 M STDP synapses: snnlearn vs "
                                                                 "Brian2 vs NEST, 1 and 2 threads"),
    "da_network": (plan_da_network, None, "Izhikevich 2007 DA-STDP network: snnlearn vs Brian2 vs NEST "
                                          "stdp_dopamine_synapse"),
    "trials": (plan_trials, None, "1000 reward trials: compiled trial loop vs Python loop of run() calls"),
    "sweep": (plan_sweep, summarize_sweep, "16-point sweep: compile once + run_args vs recompiling each point"),
    "sweep_overhead": (plan_sweep_overhead, summarize_sweep_overhead,
                       "compile-once sweeps of 4 experiments: cost per reused point beyond simulating"),
    "scaling": (plan_scaling, summarize_scaling, "wall time vs number of synapses (0.25, 1, 4 M), exponent fit"),
    "memory": (None, None, "peak RSS of snnlearn vs hand-written Brian2 per case"),
}


def case_names():
    return list(CASES)
