"""Maps against reward: a ring topographic map learned by self-organisation and from reward only, compared across map sizes.

The map (docs/validation.md, Topographic maps, check T2, scaled): ``n_in = inputs_per_unit * n_out`` inputs on
a ring fire at ``baseline_rate`` plus a Gaussian bump (``peak_rate``, width ``bump_sigma``
output spacings) and project all-to-all onto ``n_out`` units on a second ring. Both routes
start from the same initial weights (flat, ``init_noise`` noise, no topographic bias unless
``bias`` > 0) and get the same simulated time, ``duration``, per map size:

* **self-organising** (unsupervised): the T2 network of :mod:`models.cortical_sheet` -- LIF
  units with local excitation and global inhibition, the symmetric Hebbian pair rule with
  subtractive normalisation (``map_rule``); the bump jumps to a random position every 50-100 ms;
  with the developmental mechanism of ``topographic_map`` (``som_anneal``): the lateral
  excitation width (from 0.2 of the ring) and the input bump width (from 0.25 of the ring, its
  summed rate constant) shrink together over ``som_anneal_time_per_unit * n_out``;
* **reward** (reward only): :mod:`models.reward_map` -- escape-noise units, one trial per bump
  position; the reward, computed inside the simulation, is minus the squared error between the
  units' expected spike counts and a bump of activity at the matching output position
  ``c * n_out / n_in``; the weights learn by node perturbation (Fiete & Seung 2006; or
  REINFORCE) with a paired unperturbed baseline pass.

Both routes and all sizes of one replica run in one compiled (``cpp_standalone``) program; each
of the ``n_seeds`` replicas (its own initial weights, stimuli and noise) reruns that program
(only the seeding code changes, so little is recompiled). Each replica's program is a stage of the
run (``RunContext.stage``): ``--resume`` loads the replicas that finished before an interruption and
continues the unfinished one from its last checkpoint (``--checkpoint-every``). The map's quality is
measured the same way for both, from the weights: the topographic order |rho_FL| (Fisher-Lee
circular correlation between unit position 2 pi j / n_out and RF centre, reflection and
rotation allowed), the topographic error (Kiviluoto 1996) and the RF selectivity. Measured:
stimulus presentations (trials) and simulated seconds to reach order >= ``criterion`` (at the
first weight snapshot, every ``record_interval``, that reaches it; the median over seeds, a seed
that never reaches it counting as slowest), the final order and error, per route and size.
Each route's learning rate (``som_eta``, ``reward_eta``) and the reward route's perturbation
(``sigma_noise``) take one value for every size or one per size
(issue 16: each route at its best-tuned rate at each size; the tuning is in docs/validation.md).
A trial is one stimulus presentation: one bump position held for 50-100 ms on the
self-organising route, one forward pass of 110 ms on the reward route (node perturbation uses
two passes per weight update: an unperturbed baseline pass and a perturbed pass).
"""

import numpy as np
from brian2 import Hz, Network, ms, second

from snnlearn.experiments.topographic_map import ring_measures
from snnlearn.models.cortical_sheet import annealing_schedule, build_map_network, coarse_bias, map_rule
from snnlearn.models.reward_map import RULES, bump_patterns, build_reward_map, map_targets
from snnlearn.models.reward_tasks import Escape
from snnlearn.inputs import bump_schedule
from snnlearn.modulators import TrialSchedule
from snnlearn.params import Param

PARAMS = {
    "sizes": Param([10, 14, 20], low=4, min_len=1, doc="n_out of each map (units on the output ring; distinct)"),
    "n_seeds": Param(3, low=1, doc="independent replicas (initial weights, stimuli, noise) per size"),
    "inputs_per_unit": Param(4, low=1, doc="n_in = inputs_per_unit * n_out"),
    "bump_sigma": Param(1.0, low=0.0, strict=True,
                        doc="stimulus width, in output spacings (inputs_per_unit input cells each)"),
    "peak_rate": Param(38 * Hz, low=0 * Hz, doc="peak rate of the input bump above the baseline"),
    "baseline_rate": Param(2 * Hz, low=0 * Hz, doc="rate of every input cell outside the bump"),
    "w_init": Param(0.5, low=0.0, strict=True,
                    doc="w0 = w_max clip(w_init (1 + bias m + init_noise U(-1, 1)), 0, 1), w_max of each route"),
    "init_noise": Param(0.2, low=0.0, high=1.0, strict_high=True, doc="relative spread of the initial weights"),
    "bias": Param(0.0, low=0.0, high=1.0, doc="coarse topographic bias (polarity marker m); 0: no prior order"),
    "duration": Param(300 * second, low=0 * second, strict=True, doc="simulated time per route and size"),
    "record_interval": Param(2 * second, low=0 * second, strict=True,
                             doc="weight snapshots (both routes), at most duration / 4"),
    "criterion": Param(0.9, low=0.0, strict=True, high=1.0, strict_high=True,
                       doc="topographic order |rho_FL| to reach (Fisher-Lee circular correlation)"),
    "dt": Param(0.5 * ms, low=0 * ms, strict=True, doc="time step of the self-organising route"),
    # self-organising route (models.cortical_sheet, check T2 rescaled to small rings)
    "som_lateral_sigma": Param(1.0, low=0.0, strict=True, doc="local excitation width, output spacings"),
    "som_Je": Param(1.0, low=0.0, doc="peak of the local lateral excitation (jump of v per spike)"),
    "som_Ji_total": Param(3.0, low=0.0, doc="global inhibition, summed over the ring (Ji = Ji_total / n_out)"),
    "som_w_max": Param(0.1, low=0.0, strict=True, doc="feedforward weight bound (jump of v per spike)"),
    "som_eta": Param([5e-3], low=0.0, strict=True, min_len=1,
                     doc="learning rate of the Hebbian pair rule (map_rule): one value for every size, or one per "
                         "size in the order of sizes"),
    # developmental mechanism of the self-organising route (experiments.topographic_map, issue 16):
    # lateral excitation width and input bump width shrink together over som_anneal_time_per_unit * n_out
    "som_anneal": Param(True, doc="shrink the lateral and input widths over som_anneal_time_per_unit * n_out"),
    "som_anneal_lateral_start": Param(0.2, low=0.0,
                                      doc="lateral width at t = 0, fraction of the ring (n_out units); ends at "
                                          "som_lateral_sigma"),
    "som_anneal_input_start": Param(0.25, low=0.0,
                                    doc="input bump width at t = 0, fraction of the ring (n_in inputs); ends at "
                                        "bump_sigma"),
    "som_anneal_time_per_unit": Param(2 * second, low=0 * second, strict=True,
                                      doc="annealing time per output unit (calibrated at n_out = 20: 40 s orders "
                                          "5/5 seeds, 20 s 2/5, none 0/5)"),
    "mu": Param(0.2, doc="mean drive of the map units (units of the threshold, 1)"),
    "sigma_n": Param(0.3, low=0.0, doc="membrane noise SD of the map units (units of the threshold)"),
    "tau_m": Param(20 * ms, low=0 * ms, strict=True, doc="membrane time constant of the map units"),
    "refractory": Param(2 * ms, low=0 * ms, strict=True, doc="refractory period of the map units"),
    "tau_h": Param(20 * ms, low=0 * ms, strict=True, doc="Hebbian pairing window"),
    "update_interval": Param(100 * ms, low=0 * ms, strict=True, doc="a normalised weight update every ..."),
    "bin": Param(5 * ms, low=0 * ms, strict=True, doc="time bin of the bump schedule"),
    "dwell_min": Param(10, low=1, doc="the bump is held dwell_min to dwell_max bins (50-100 ms)"),
    "dwell_max": Param(20, low=1, doc="longest hold of one bump position, bins (>= dwell_min)"),
    # reward route (models.reward_map)
    "reward_rule": Param("node_perturbation", choices=RULES,
                         doc="node perturbation (Fiete & Seung 2006) or REINFORCE (Williams 1992)"),
    "positions_per_unit": Param(2, low=1, doc="bump positions: n_pos = positions_per_unit * n_out"),
    "trial_gap": Param(10 * ms, low=0 * ms, strict=True, doc="silent start of each trial"),
    "trial_window": Param(100 * ms, low=0 * ms, strict=True, doc="bump shown for ... after the gap"),
    "target_peak": Param(2.5, low=0.0, strict=True, doc="target expected count at the matching output"),
    "target_sigma": Param(1.0, low=0.0, strict=True, doc="target activity width, output spacings"),
    "rho0": Param(10 * Hz, low=0 * Hz, strict=True, doc="escape rate scale (rho = rho0 softplus(u - 2))"),
    "reward_w_max": Param(0.6, low=0.0, strict=True, doc="weight bound of the reward route (units of u)"),
    # reward route's rate and perturbation: tuned for issue 16 at n_out = 10, 20, 40 (docs/validation.md):
    # smaller perturbations learn faster (the reward is computed from expected counts, so the paired
    # difference R - R_baseline is nearly a directional derivative); 0.2 / 0.0625 is within 1.6x of each
    # size's best on the grid and the only tested pair that orders n_out = 40 within 600 s
    "reward_eta": Param([0.2], low=0.0, strict=True, min_len=1,
                        doc="learning rate of the reward route: one value for every size, or one per size in the "
                            "order of sizes"),
    "sigma_noise": Param([0.0625], low=0.0, strict=True, min_len=1,
                         doc="node perturbation noise (units of u; threshold 2): one value for every size, or one per "
                             "size in the order of sizes"),
    "tau_noise": Param(5 * ms, low=0 * ms, strict=True, doc="node perturbation: noise correlation time"),
    "reward_dt": Param(1 * ms, low=0 * ms, strict=True,
                       doc="time step of the reward route (the self-organising route uses dt)"),
}

#: What `snnlearn run` prints at the end.
HEADLINE = ("routes.*.N*.seeds_reaching_criterion", "routes.*.N*.trials_to_criterion_per_seed")

QUICK = {"sizes": [10], "n_seeds": 1, "duration": 60 * second}

ROUTES = ("self_organising", "reward")
LABELS = {"self_organising": "self-organising (Hebbian)", "reward": "reward only ({rule})"}


def validate(p):
    """Refuse a combination of values in one line (the runner calls this before the run directory exists)."""
    sizes = [int(n) for n in p.sizes]
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"sizes must not repeat, got {p.sizes}")
    if p.record_interval > p.duration / 4:
        raise ValueError(f"record_interval ({p.record_interval}) must be at most a quarter of duration ({p.duration})")
    if p.reward_rule == "reinforce" and int(p.positions_per_unit) * max(sizes) > 64:
        raise ValueError(f"reward_rule 'reinforce' keeps one reward baseline per bump position, at most 64: "
                         f"positions_per_unit * max(sizes) = {int(p.positions_per_unit) * max(sizes)}")
    if int(p.dwell_min) > int(p.dwell_max):
        raise ValueError(f"need dwell_min <= dwell_max, got {p.dwell_min}, {p.dwell_max}")
    for name in PER_SIZE:
        if len(p[name]) not in (1, len(sizes)):
            raise ValueError(f"{name} takes one value for every size or one per size ({len(sizes)} for sizes "
                             f"{sizes}), got {len(p[name])}: {p[name]}")
    return sizes


#: Parameters that take one value for every map size or one per size (in the order of ``sizes``).
PER_SIZE = ("som_eta", "reward_eta", "sigma_noise")


def per_size(p, name, sizes):
    """``{n_out: value}`` of a :data:`PER_SIZE` parameter: its one value at every size, or its values in the
    order of ``sizes``."""
    values = [float(v) for v in p[name]]
    if len(values) == 1:
        values = values * len(sizes)
    if len(values) != len(sizes):
        raise ValueError(f"{name} takes one value for every size or one per size ({len(sizes)}), got {len(values)}")
    return dict(zip([int(n) for n in sizes], values))


def geometry(p, n_out):
    """Sizes and widths (in cells) of the map with ``n_out`` units."""
    k = int(p.inputs_per_unit)
    return {"n_out": n_out, "n_in": k * n_out, "sigma_in": float(p.bump_sigma) * k,
            "n_pos": int(p.positions_per_unit) * n_out}


ANNEAL_STEP = 1 * second


def som_schedules(p, n_out):
    """The self-organising route's developmental mechanism for a map of ``n_out`` units: the
    lateral excitation width (units) and the input bump width factor per second of simulated
    time, both shrinking exponentially over ``som_anneal_time_per_unit * n_out`` from a start set as a fraction
    of the ring (:func:`models.cortical_sheet.annealing_schedule`); constant without ``som_anneal``."""
    g = geometry(p, n_out)
    final = float(p.som_lateral_sigma)
    n = int(np.ceil(float(p.duration / ANNEAL_STEP) - 1e-9))
    if not p.som_anneal:
        return np.full(n, final), np.ones(n)
    lat0 = max(float(p.som_anneal_lateral_start) * n_out, final)
    in0 = max(float(p.som_anneal_input_start) * g["n_in"] / g["sigma_in"], 1.0)
    T_a = p.som_anneal_time_per_unit * n_out
    return (annealing_schedule(lat0, final, T_a, p.duration, step=ANNEAL_STEP),
            annealing_schedule(in0, 1.0, T_a, p.duration, step=ANNEAL_STEP))


def initial_weights(n_in, n_out, p, rng):
    """Normalised initial weights in [0, 1] (multiply by each route's w_max):
    ``clip(w_init (1 + bias cos(2 pi (i/n_in - j/n_out)) + init_noise U(-1, 1)), 0, 1)``."""
    m = coarse_bias((n_in,), (n_out,), True)
    return np.clip(float(p.w_init) * (1 + float(p.bias) * m + float(p.init_noise) * rng.uniform(-1, 1, m.shape)), 0, 1)


def presentations(schedule, times_s):
    """Stimulus presentations (bump positions shown) of a :func:`bump_schedule` copy 0 up to each time."""
    c = schedule.centres[:, 0, 0]
    starts = np.flatnonzero(np.r_[True, np.diff(c) != 0])          # first bin of each dwell
    t_start = starts * float(schedule.bin_dt / second)
    return np.searchsorted(t_start, np.asarray(times_s), side="left")


def first_crossing(order, x, criterion):
    """``x`` at the first snapshot whose order reaches ``criterion`` (None if never)."""
    hit = np.flatnonzero(np.asarray(order) >= criterion)
    return None if hit.size == 0 else float(x[hit[0]])


# --------------------------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------------------------

def simulate(p, ctx):
    """All seeds, one compiled program each (the same code: later seeds only relink and rerun). Returns
    the arrays to measure: per route, size and seed, the map's order, topographic error and selectivity at
    each weight snapshot, with its simulated time and trials (see :func:`snapshot_curves`)."""
    sizes = validate(p)
    out = []
    ctx.plan(int(p.n_seeds) * program_duration(p))  # progress with an ETA after each replica (and chunk)
    for k in range(int(p.n_seeds)):
        ctx.log(f"replica {k + 1} of {int(p.n_seeds)} (Brian2 seed {ctx.seed + k})")
        out.append(simulate_seed(p, ctx, sizes, k))
    return snapshot_curves(out)


def reward_trials(p):
    """Number of reward trials in ``duration`` (even: the passes are paired) and their length ``T``."""
    T = p.trial_gap + p.trial_window
    n_trials = int(round(float(p.duration / T)))
    return n_trials - n_trials % 2, T


def program_duration(p):
    """Simulated time of one replica's program: both routes run side by side until the longer one ends."""
    n_trials, T = reward_trials(p)
    return max(p.duration, n_trials * T + p.reward_dt)


def simulate_seed(p, ctx, sizes, k):
    """Both routes at every size for replica ``k`` (numpy draws from ``(seed, k)``, Brian2 seed ``seed + k``)."""
    rng = np.random.default_rng([ctx.seed, k])
    n_trials, T = reward_trials(p)
    every = max(1, int(round(float(p.record_interval / T))))
    escape = Escape(tau_m=20 * ms, rho0=p.rho0, theta=2.0, delta=1.0)
    som_eta, reward_eta = per_size(p, "som_eta", sizes), per_size(p, "reward_eta", sizes)
    sigma_noise = per_size(p, "sigma_noise", sizes)
    setups = []
    for n_out in sizes:
        g = geometry(p, n_out)
        w0 = initial_weights(g["n_in"], n_out, p, rng)
        schedule = bump_schedule(rng, p.duration, (g["n_in"],), copies=1, bin_dt=p.bin,
                                 dwell_bins=(int(p.dwell_min), int(p.dwell_max)), periodic=True)
        patterns = bump_patterns(g["n_in"], g["n_pos"], p.trial_window, g["sigma_in"], rng, peak=p.peak_rate,
                                 baseline=p.baseline_rate, dt=p.reward_dt)
        targets = map_targets(g["n_pos"], n_out, p.target_peak, p.target_sigma)
        trials = TrialSchedule.random(n_trials, g["n_pos"], T, rng, paired=p.reward_rule == "node_perturbation")
        setups.append(dict(g, w0=w0, schedule=schedule, patterns=patterns, targets=targets, trials=trials))
    key = ("maps_vs_reward", tuple(sizes), int(p.inputs_per_unit), int(p.positions_per_unit), n_trials, every,
           p.reward_rule)

    def run_program(ctx):
        out = []
        with ctx.use_device(cache_key=key) as sim:
            ctx.brian_seed(k)
            objects, built = [], []
            for s in setups:
                n_in, n_out = s["n_in"], s["n_out"]
                som_rule = map_rule(eta=som_eta[n_out], tau_h=p.tau_h, wmax=p.som_w_max, interval=p.update_interval)
                lat_w, in_w = som_schedules(p, n_out)
                som = build_map_network((n_in,), (n_out,), s["schedule"], s["w0"][None] * float(p.som_w_max), None, rng,
                                        sigma=s["sigma_in"], peak=p.peak_rate, baseline=p.baseline_rate, periodic=True,
                                        Je=p.som_Je, sigma_lat=p.som_lateral_sigma, Ji=p.som_Ji_total / n_out,
                                        rule=som_rule, w_max=p.som_w_max,
                                        cortex_kw={"mu": p.mu, "sigma_n": p.sigma_n, "tau_m": p.tau_m,
                                                   "refractory": p.refractory},
                                        record_dt=p.record_interval, dt=p.dt, lateral_widths=lat_w, input_widths=in_w,
                                        anneal_step=ANNEAL_STEP, name=f"som{n_out}")
                rew = build_reward_map(s["w0"] * float(p.reward_w_max), s["patterns"], s["trials"], s["targets"],
                                       rule=p.reward_rule, eta=reward_eta[n_out], sigma_noise=sigma_noise[n_out],
                                       tau_noise=p.tau_noise, w_max=p.reward_w_max, escape=escape, offset=p.trial_gap,
                                       record_every=every, name=f"rew{n_out}", dt=p.reward_dt)
                objects += som.objects + rew["objects"] + rew["circuit"].record()
                built.append((som, rew))
                if k == 0:  # one rule per size: the rates may differ by size
                    ctx.record_rule(som_rule, f"inputs -> map units, n_out = {n_out} (self-organising route)")
                    ctx.record_rule(rew["rule"], f"inputs -> map units, n_out = {n_out} (reward route)")
            if k == 0:
                ctx.log(f"maps n_out = {sizes} (n_in = {int(p.inputs_per_unit)} n_out), two routes each, "
                        f"{p.duration} of simulated time per route ({n_trials} reward trials of {T})")
            net = Network(*objects, name="maps_vs_reward")
            ctx.run(net, program_duration(p), namespace={})
            sim.build()
            for s, (som, rew) in zip(setups, built):
                n_in, n_out = s["n_in"], s["n_out"]
                mon = som.w_monitors["plastic"]
                w_som = som.dense(np.array(mon.w[:], dtype=float), "plastic")[0]           # (n_in, n_out, n_t)
                t_som = np.array(mon.t[:] / second)
                wf_som = som.dense(np.array(som.ff["plastic"].w[:], dtype=float), "plastic")[0]
                w_rew = np.array(rew["w_monitor"].w[:], dtype=float).reshape(n_in, n_out, -1)
                t_rew = np.array(rew["w_monitor"].t[:] / second)
                wf_rew = np.array(rew["synapses"].w[:], dtype=float).reshape(n_in, n_out)
                res = rew["circuit"].results()
                rate = np.array(som.cortex_spikes.count[:], dtype=float).mean() / float(p.duration / second)
                out.append({"n_out": n_out, "n_in": n_in, "T": float(T / second),
                            "som": (np.concatenate([w_som, wf_som[:, :, None]], axis=2) / float(p.som_w_max),
                                    np.append(t_som, float(p.duration / second))),
                            "reward": (np.concatenate([s["w0"][:, :, None], w_rew, wf_rew[:, :, None]], axis=2)
                                       / float(p.reward_w_max),
                                       np.concatenate([[0.0], t_rew, [n_trials * float(T / second)]])),
                            "reward_err": res["err"], "som_rate_hz": rate})
        return out

    # a resumed run loads the seeds whose program finished before the interruption (RunContext.stage)
    results = ctx.stage(f"seed {k}", run_program)
    return [dict(r, w0=s["w0"], schedule=s["schedule"]) for s, r in zip(setups, results)]


# --------------------------------------------------------------------------------------------
# measures
# --------------------------------------------------------------------------------------------

def _curves(w_t, stimulus_angles):
    keys = ("topographic_order", "topographic_error", "rf_selectivity")
    out = {k: [] for k in keys}
    for k in range(w_t.shape[-1]):
        w = w_t[:, :, k]
        if np.any(w.sum(axis=0) <= 0):         # a unit lost all its weights: no RF centre
            for key in keys:
                out[key].append(np.nan)
            continue
        r = ring_measures(w, stimulus_angles)
        for key in keys:
            out[key].append(float(r[key]))
    return {k: np.asarray(v) for k, v in out.items()}


def _median_or_none(values):
    """Median over seeds, a seed that never reached the criterion counting as infinitely slow;
    None when the median itself is "never" (half the seeds or more did not reach it)."""
    v = np.sort([np.inf if x is None else float(x) for x in values])
    med = float(np.median(v)) if v.size % 2 else 0.5 * (v[v.size // 2 - 1] + v[v.size // 2])
    return None if not np.isfinite(med) else med


def snapshot_curves(results):
    """The arrays of a run from the replicas' raw results (``results[seed][size]``): per route and size,
    ``order_/error_/selectivity_/t_/trials_<route>_N<n>`` (n_seeds, n_snapshots), the first seed's final and
    initial weights for the figures, the reward route's error per trial and the self-organising rate."""
    sizes = [r["n_out"] for r in results[0]]
    data = {"sizes": np.asarray(sizes)}
    for i, n in enumerate(sizes):
        per_seed = [res[i] for res in results]
        angles = 2 * np.pi * np.arange(per_seed[0]["n_in"]) / per_seed[0]["n_in"]   # one test stimulus per input
        for route in ROUTES:
            rows = {key: [] for key in ("order", "error", "selectivity", "t", "trials")}
            for r in per_seed:
                w_t, t = r["som"] if route == "self_organising" else r["reward"]
                c = _curves(w_t, angles)
                trials = presentations(r["schedule"], t) if route == "self_organising" \
                    else np.round(t / r["T"]).astype(int)
                for key, val in (("order", c["topographic_order"]), ("error", c["topographic_error"]),
                                 ("selectivity", c["rf_selectivity"]), ("t", t), ("trials", trials)):
                    rows[key].append(val)
            tag = f"{route}_N{n}"
            for key in rows:
                data[f"{key}_{tag}"] = np.asarray(rows[key], dtype=float)          # (n_seeds, n_snapshots)
            first = per_seed[0]["som"] if route == "self_organising" else per_seed[0]["reward"]
            data[f"w_final_{tag}"] = first[0][:, :, -1]                       # first seed, for the figure
        data[f"n_in_N{n}"] = np.asarray(per_seed[0]["n_in"])
        data[f"w0_N{n}"] = per_seed[0]["w0"]
        data[f"reward_err_N{n}"] = np.asarray([r["reward_err"] for r in per_seed])
        data[f"som_rate_hz_N{n}"] = np.asarray([r["som_rate_hz"] for r in per_seed], dtype=float)
    return data


def measure(data, p):
    """Per route and size: criterion times (median over seeds and per seed), final order and error (mean)."""
    crit = float(p.criterion)
    sizes = [int(n) for n in data["sizes"]]
    n_seeds = int(data[f"order_{ROUTES[0]}_N{sizes[0]}"].shape[0])
    metrics = {"criterion": crit, "sizes": sizes, "n_seeds": n_seeds, "duration_s": float(p.duration / second),
               "reward_rule": p.reward_rule, "bias": float(p.bias), "routes": {k: {} for k in ROUTES}}
    eta = {"self_organising": per_size(p, "som_eta", sizes), "reward": per_size(p, "reward_eta", sizes)}
    noise = per_size(p, "sigma_noise", sizes)
    for n in sizes:
        for route in ROUTES:
            tag = f"{route}_N{n}"
            order, trials, t = data[f"order_{tag}"], data[f"trials_{tag}"], data[f"t_{tag}"]
            n_crit = [first_crossing(order[s], trials[s], crit) for s in range(n_seeds)]
            n_crit = [None if nc is None else int(nc) for nc in n_crit]
            t_crit = [first_crossing(order[s], t[s], crit) for s in range(n_seeds)]
            med = _median_or_none(n_crit)
            metrics["routes"][route][f"N{n}"] = {
                "n_out": n, "n_in": int(data[f"n_in_N{n}"]), "eta": eta[route][n],
                **({"sigma_noise": noise[n]} if route == "reward" else {}),
                "trials_to_criterion": None if med is None else (int(med) if float(med).is_integer() else med),
                "time_to_criterion_s": _median_or_none(t_crit),
                "trials_to_criterion_per_seed": n_crit,
                "time_to_criterion_s_per_seed": t_crit,
                "seeds_reaching_criterion": int(sum(x is not None for x in n_crit)),
                "initial_order": float(order[:, 0].mean()),
                "final_order": float(order[:, -1].mean()),
                "final_order_per_seed": [float(x) for x in order[:, -1]],
                "final_topographic_error": float(data[f"error_{tag}"][:, -1].mean()),
                "final_rf_selectivity": float(data[f"selectivity_{tag}"][:, -1].mean()),
                "trials": int(trials[:, -1].mean()),
            }
        metrics["routes"]["self_organising"][f"N{n}"]["rate_hz"] = float(np.mean(data[f"som_rate_hz_N{n}"]))
    return metrics


def summary(metrics, p):
    return [f"{route} {key}: order {m['initial_order']:.2f} -> {m['final_order']:.3f}, topographic error "
            f"{m['final_topographic_error']:.2f}, criterion after "
            f"{m['trials_to_criterion_per_seed']} trials (median "
            f"{m['trials_to_criterion'] if m['trials_to_criterion'] is not None else 'never'}), "
            f"{m['seeds_reaching_criterion']}/{metrics['n_seeds']} seeds"
            for route in ROUTES for key, m in metrics["routes"][route].items()]


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------

COLOURS = {"self_organising": "tab:blue", "reward": "tab:red"}


def plot(data, metrics, p):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    from snnlearn.plot.learning import learning_curve

    from snnlearn.metrics.maps import ring_map_measures

    sizes = [int(n) for n in metrics["sizes"]]
    crit = metrics["criterion"]
    label_of = {k: v.format(rule=metrics["reward_rule"].replace("_", " ")) for k, v in LABELS.items()}
    styles = ["-", "--", ":", "-."]
    figs = {}
    n0 = sizes[0]
    fig = plt.figure(figsize=(15, 8.5), layout="constrained")
    gs = fig.add_gridspec(2, 3)
    im = None
    for col, route in enumerate(ROUTES):
        ax = fig.add_subplot(gs[0, col])
        w = data[f"w_final_{route}_N{n0}"]
        im = ax.imshow(w, aspect="auto", origin="lower", cmap="viridis", vmin=0, vmax=1, interpolation="nearest",
                       extent=(-0.5, w.shape[1] - 0.5, -0.5, w.shape[0] - 0.5))
        m = metrics["routes"][route][f"N{n0}"]
        ax.set_title(f"{label_of[route]}\nfinal weights, n_out = {n0}, first seed: order "
                     f"{m['final_order_per_seed'][0]:.2f}",
                     fontsize="medium")
        ax.set_xlabel("map unit j")
        ax.set_ylabel("input i (ring position)")
    fig.colorbar(im, ax=fig.axes[:2], label="weight / w_max", shrink=0.9)
    ax = fig.add_subplot(gs[0, 2])
    for route in ROUTES:
        w = data[f"w_final_{route}_N{n0}"]
        theta = ring_map_measures(w + 1e-12)["theta"]
        ax.scatter(np.arange(n0), theta * w.shape[0] / (2 * np.pi), color=COLOURS[route], s=22, label=label_of[route])
    w0 = data[f"w0_N{n0}"]
    ax.scatter(np.arange(n0), ring_map_measures(w0)["theta"] * w0.shape[0] / (2 * np.pi), color="0.6", s=12,
               marker="x", label="initial (both)")
    ax.set_ylim(0, w0.shape[0])
    ax.set_xlabel("map unit j")
    ax.set_ylabel("RF centre (input index)")
    ax.set_title(f"RF centres, n_out = {n0}, first seed", fontsize="medium")
    ax.legend(fontsize="small", loc="upper left")
    panels = [(0, "trials", "stimulus presentations (trials)"), (1, "t", "simulated time (s)"),
              (2, "t", "simulated time (s)")]
    for col, xkey, xlabel in panels:
        ax = fig.add_subplot(gs[1, col])
        ykey = "error" if col == 2 else "order"
        for route in ROUTES:
            for k, n in enumerate(sizes):
                # mean over seeds (shaded: +- s.d.); on the trial axis, the mean trial count of each snapshot
                x = np.atleast_2d(data[f"{xkey}_{route}_N{n}"]).mean(axis=0)
                learning_curve(np.atleast_2d(data[f"{ykey}_{route}_N{n}"]), ax=ax, x=x, color=COLOURS[route],
                               ls=styles[k % len(styles)], lw=1.5, xlabel=xlabel, ylabel="",
                               label=f"{'self-org.' if route == 'self_organising' else 'reward'}, n_out = {n}")
        if ykey == "order":
            ax.axhline(crit, color="0.4", lw=0.8, ls=":")
            ax.set_ylabel("topographic order |ρ_FL|")
            ax.set_ylim(0, 1.02)
        else:
            ax.set_ylabel("topographic error")
            ax.set_ylim(0, 1.02)
        if xkey == "trials":
            ax.set_xscale("symlog", linthresh=10)
            ax.set_xlim(left=0)
        ax.get_legend().remove()
    ns = metrics["n_seeds"]
    fig.axes[-3].set_title(f"order vs trials, mean of {ns} seed{'s' if ns > 1 else ''} (dotted: criterion {crit:g})",
                           fontsize="medium")
    fig.axes[-2].set_title("order vs simulated time", fontsize="medium")
    fig.axes[-1].set_title("topographic error vs simulated time", fontsize="medium")
    handles, labels = fig.axes[-1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels) if len(labels) <= 6 else 4,
               fontsize="small")
    fig.suptitle("Ring map learned by self-organisation and from reward only (same inputs, same initial weights)",
                 fontsize="large")
    figs["maps_vs_reward"] = fig

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), layout="constrained")
    shift = {"self_organising": 0.97, "reward": 1.03}          # keep overlapping markers apart
    for ax, key, label in ((axes[0], "trials_to_criterion", "trials to criterion"),
                           (axes[1], "time_to_criterion_s", "simulated time to criterion (s)")):
        for route in ROUTES:
            ms_ = [metrics["routes"][route][f"N{n}"] for n in sizes]
            vals = [m[key] for m in ms_]
            x = [n * shift[route] for n in sizes]
            ax.plot(x, [np.nan if v is None else v for v in vals], "o-", color=COLOURS[route], ms=7,
                    label=f"{label_of[route]}: median over seeds")
            # not reached: an arrow at the budget (all trials / all the simulated time of the run)
            budget = [m["trials"] if key == "trials_to_criterion" else metrics["duration_s"] for m in ms_]
            if metrics["n_seeds"] > 1:
                seeds = [(xx, v) for xx, m in zip(x, ms_) for v in m[f"{key}_per_seed"] if v is not None]
                lost = [(xx, b) for xx, m, b in zip(x, ms_, budget) for v in m[f"{key}_per_seed"] if v is None]
                if seeds:
                    ax.plot(*zip(*seeds), ".", color=COLOURS[route], alpha=0.5, ms=6)
                if lost:
                    ax.plot(*zip(*lost), "^", color=COLOURS[route], alpha=0.5, ms=5,
                            label=f"{'self-org.' if route == 'self_organising' else 'reward'}: a seed not reaching it")
            miss = [(xx, b) for xx, v, b in zip(x, vals, budget) if v is None]
            if miss:
                ax.plot(*zip(*miss), "^", color=COLOURS[route], ms=9, mfc="none",
                        label=f"{'self-org.' if route == 'self_organising' else 'reward'}: not reached (> budget)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ys = [y for line in ax.get_lines() for y in np.asarray(line.get_ydata(), dtype=float) if np.isfinite(y)]
        if ys:
            ax.set_ylim(min(ys) / 2, max(ys) * 2)            # room for the legend and for the markers at the ends
        ax.set_xlabel("map size n_out (units)")
        ax.set_ylabel(label)
        ax.set_title(f"{label} (order ≥ {crit:g}; small: single seeds)", fontsize="medium")
        ax.legend(fontsize="x-small", loc="lower right")
    for route in ROUTES:
        axes[2].plot(sizes, [metrics["routes"][route][f"N{n}"]["final_order"] for n in sizes], "o-",
                     color=COLOURS[route], label=f"{label_of[route]}: order")
        axes[2].plot(sizes, [metrics["routes"][route][f"N{n}"]["final_topographic_error"] for n in sizes], "s--",
                     color=COLOURS[route], mfc="none", label=f"{label_of[route]}: topographic error")
    axes[2].axhline(crit, color="0.4", lw=0.8, ls=":")
    axes[2].set_xscale("log")
    axes[2].set_ylim(-0.03, 1.5)                               # room above the data for the legend
    axes[2].set_yticks(np.linspace(0, 1, 6))
    axes[2].set_xlabel("map size n_out (units)")
    axes[2].set_ylabel("order or topographic error at the end")
    axes[2].set_title(f"final map after {metrics['duration_s']:g} s, mean of seeds (dotted: criterion)",
                      fontsize="medium")
    axes[2].legend(fontsize="x-small", loc="upper center")
    for ax in axes:
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(min(sizes) / 1.25, max(sizes) * 1.25)
    fig.suptitle("How each route scales with map size", fontsize="medium")
    figs["criterion_vs_size"] = fig
    figs["maps_by_size"] = maps_by_size(data, metrics, label_of)
    return figs


def maps_by_size(data, metrics, label_of):
    """Both routes' final maps side by side at each size (first seed): one row per size, the weight
    matrix transposed (map unit j against input index i), so every tile is square (n_in = inputs_per_unit n_out)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    sizes = [int(n) for n in metrics["sizes"]]
    ns = metrics["n_seeds"]
    shapes = [np.asarray(data[f"w_final_{ROUTES[0]}_N{n}"]).shape for n in sizes]      # (n_in, n_out)
    aspect = max(n_in / n_out for n_in, n_out in shapes)
    fig, axes = plt.subplots(len(sizes), len(ROUTES), squeeze=False, layout="constrained",
                             figsize=(2 * (1.0 + 1.45 * aspect), 0.6 + len(sizes) * (0.75 + 1.45)))
    im = None
    for row, n in enumerate(sizes):
        for col, route in enumerate(ROUTES):
            ax = axes[row, col]
            w = np.asarray(data[f"w_final_{route}_N{n}"])                    # (n_in, n_out)
            im = ax.imshow(w.T, origin="lower", cmap="viridis", vmin=0, vmax=1, interpolation="nearest",
                           aspect="equal", extent=(-0.5, w.shape[0] - 0.5, -0.5, w.shape[1] - 0.5))
            m = metrics["routes"][route][f"N{n}"]
            rate = f", η = {m['eta']:g}" if "eta" in m else ""
            rate += f", σ = {m['sigma_noise']:g}" if "sigma_noise" in m else ""
            ax.set_title(f"{label_of[route]}, n_out = {n}{rate}\nthis seed: order {m['final_order_per_seed'][0]:.2f}; "
                         f"mean of {ns}: order {m['final_order']:.2f}, topographic error "
                         f"{m['final_topographic_error']:.2f}", fontsize="small")
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("input index i (ring position)")
            ax.set_ylabel("map unit j")
    fig.colorbar(im, ax=axes.ravel().tolist(), label="final weight / w_max", shrink=0.8)
    fig.suptitle(f"Final maps after {metrics['duration_s']:g} s of simulated time per route, first seed "
                 f"(same inputs and initial weights for both)", fontsize="medium")
    return fig


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("maps_vs_reward")
