"""Case ``trials``: 1000 trials of a reward-driven task, compiled once vs driven from Python.

The task (after the two-stimulus task of Frémaux, Sprekeler & Gerstner 2010): 100
inputs; in each 500-ms trial one of two stimuli is shown (each activates a fixed random
half of the inputs, which fire Poisson spikes at 50 Hz; the others are silent). One
escape-noise output neuron (u decays with tau_m = 20 ms, each input spike adds w,
intensity rho = 10 Hz * softplus(u - 2)) should fire 10 spikes for stimulus A and 2 for
stimulus B. At the end of a trial the reward is R = exp(-(n - n*)^2 / 18) (n the spike
count), the baseline Rbar is a per-stimulus running mean (alpha = 0.05, initialised with
the first reward), and every weight moves by eta * e * (R - Rbar), e the STDP
eligibility trace (reward-modulated STDP, tau_e = 500 ms), clipped to [0, 1]; dt = 1 ms.

* :func:`run_compiled` -- the whole training as Brian2 code, one ``Network.run``: the
  trial structure and reward from :class:`snnlearn.modulators.RewardCircuit`, the rule
  :func:`snnlearn.rules.reward_stdp` (its weight update is a ``run_regularly`` at each
  trial end), the stimuli as a ``TimedArray``. On ``cpp_standalone`` that is one compiled
  program; on ``cython`` one run with no Python between trials.
* :func:`run_python_loop` -- what users otherwise write: the same network in plain Brian2
  (runtime, Cython), one ``Network.run(500 ms)`` per trial; between trials Python reads
  the spike count, computes the reward and its baseline, and writes the new weights.

Each variant reports the mean reward of the first and last 10 % of the trials, and the two
compute the same trajectory for the same seed (the results file says "identical"). The
case measures speed, not learning: with these parameters the task is *not* learned. In
``results/trials+sweep-quiet.json`` (seed 1, 1000 trials) the mean reward falls from 0.305
(first 10 %) to 0.043 (last 10 %) in all three variants. For reward-modulated STDP that does
learn the two-stimulus task (with a per-stimulus critic and a tuned learning rate), see
``experiments/reward_baseline.py``.
"""

import numpy as np

from .common import (Phases, brian_seed, fresh_directory, remove_directory, runtime_timings, set_runtime_target,
                     standalone_timings)

__all__ = ["run_compiled", "run_python_loop", "stimuli_and_patterns"]

N_IN, RATE_ON_HZ, TRIAL_MS = 100, 50.0, 500.0
TARGETS = (10.0, 2.0)
SIGMA, ALPHA = 3.0, 0.05
RULE = dict(eta=1.0, Ap=0.01, Am=0.0105, tau_e_ms=500.0, wmin=0.0, wmax=1.0)
W0 = 0.1
ESCAPE = """
du/dt = -u / tau_m : 1
rho = rho0 * log(1 + exp(u - theta)) : Hz
"""


def stimuli_and_patterns(n_trials, seed):
    """The stimulus of each trial (0/1) and the two input patterns (2, 100) of 0/1, from a numpy seed."""
    rng = np.random.default_rng(seed)
    patterns = np.zeros((2, N_IN))
    for s in range(2):
        patterns[s, rng.choice(N_IN, N_IN // 2, replace=False)] = 1.0
    return rng.integers(0, 2, n_trials), patterns


def _escape_namespace():
    from brian2 import Hz, ms

    return {"tau_m": 20 * ms, "rho0": 10 * Hz, "theta": 2.0}


def _learning_summary(rewards):
    rewards = np.asarray(rewards, dtype=float)
    k = max(1, rewards.size // 10)
    return {"reward_first_10pct": float(rewards[:k].mean()), "reward_last_10pct": float(rewards[-k:].mean())}


def run_compiled(device="cpp_standalone", n_trials=1000, seed=1):
    """The training compiled as Brian2 code (snnlearn's RewardCircuit + reward_stdp), one run on ``device``."""
    from brian2 import Hz, Network, NeuronGroup, TimedArray, ms

    import snnlearn as sl
    from snnlearn.devices import use_device
    from snnlearn.modulators import RewardCircuit, TrialSchedule

    ph = Phases()
    stimuli, patterns = stimuli_and_patterns(n_trials, seed)
    T = TRIAL_MS * ms
    dt = 1 * ms
    directory = fresh_directory() if device == "cpp_standalone" else None
    try:
        with use_device(device, directory=directory) as sim:
            with ph("setup"):
                brian_seed(seed)
                schedule = TrialSchedule(T, stimuli, n_stimuli=2)
                active = TimedArray(patterns[schedule.stimuli], dt=T, name="stim_active")
                inputs = NeuronGroup(N_IN, "rate = rate_on * stim_active(t, i) : Hz", threshold="rand() < rate * dt",
                                     namespace={"rate_on": RATE_ON_HZ * Hz, "stim_active": active}, name="inputs",
                                     dt=dt)
                out = NeuronGroup(1, ESCAPE, threshold="rand() < rho * dt", method="exact",
                                  namespace=_escape_namespace(), name="output", dt=dt)
                circuit = RewardCircuit(out, schedule, np.reshape(TARGETS, (2, 1)), activity="spikes",
                                        reward="gaussian", sigma=SIGMA, baseline="per_stimulus", alpha=ALPHA,
                                        name="task")
                rule = sl.rules.reward_stdp(eta=RULE["eta"], Ap=RULE["Ap"], Am=RULE["Am"],
                                            tau_e=RULE["tau_e_ms"] * ms, update_dt=T, wmin=RULE["wmin"],
                                            wmax=RULE["wmax"])
                S = sl.connect(inputs, out, rule, transmit="u_post += w", connect=True, w=W0,
                               modulators=circuit.modulators(), dt=dt, name="syn")
                monitors = circuit.record()
                net = Network(inputs, out, S, *circuit.objects, *monitors)
                if device == "cpp_standalone":
                    net.run(schedule.run_time(dt))
            if device == "cpp_standalone":
                with ph("build"):
                    sim.build()
                timings = standalone_timings(ph.times["build"])
            else:
                with ph("run"):
                    net.run(schedule.run_time(dt))
                timings = runtime_timings(ph.times["run"])
            with ph("readout"):
                res = circuit.results()
                w = np.asarray(S.w[:], dtype=float)
    finally:
        remove_directory(directory)
    out = dict(timings)
    out.update(_learning_summary(res["R"]))
    out["fingerprint"] = [float(np.sum(res["R"])).hex(), float(w.sum()).hex()]
    out.update({"n_trials": int(res["R"].size), "w_mean": float(w.mean()), "setup_s": ph.times["setup"],
                "total_s": ph.total(), "device": device + " (trial loop compiled)",
                "ms_per_trial_loop": 1000.0 * timings["loop_s"] / n_trials})
    return out


def run_python_loop(device="cython", n_trials=1000, seed=1):
    """The same training in plain Brian2, one ``Network.run`` per trial, reward and weight update in Python."""
    from brian2 import Hz, Network, NeuronGroup, SpikeMonitor, Synapses, ms

    import time

    ph = Phases()
    set_runtime_target(device)
    stimuli, patterns = stimuli_and_patterns(n_trials, seed)
    T = TRIAL_MS * ms
    dt = 1 * ms
    with ph("setup"):
        brian_seed(seed)
        inputs = NeuronGroup(N_IN, "active : 1\nrate = rate_on * active : Hz", threshold="rand() < rate * dt",
                             namespace={"rate_on": RATE_ON_HZ * Hz}, name="inputs", dt=dt)
        out = NeuronGroup(1, ESCAPE, threshold="rand() < rho * dt", method="exact", namespace=_escape_namespace(),
                          name="output", dt=dt)
        S = Synapses(inputs, out, model="""
            w : 1
            dapre/dt = -apre / taupre : 1 (event-driven)
            dapost/dt = -apost / taupost : 1 (event-driven)
            delig/dt = -elig / tau_e : 1 (clock-driven)
            """, on_pre="u_post += w\nelig -= apost\napre += Ap", on_post="elig += apre\napost += Am",
                     namespace=dict(Ap=RULE["Ap"], Am=RULE["Am"], taupre=20 * ms, taupost=20 * ms,
                                    tau_e=RULE["tau_e_ms"] * ms), method="exact", dt=dt, name="syn")
        S.connect()
        S.w = W0
        counter = SpikeMonitor(out, record=False, name="counter")
        net = Network(inputs, out, S, counter)
    V, seen = np.zeros(2), np.zeros(2, bool)
    rewards = np.zeros(n_trials)
    first_run = None
    loop_sum = 0.0
    with ph("train"):
        for k in range(n_trials):
            s = int(stimuli[k])
            inputs.active = patterns[s]
            before = int(counter.count[0])
            t = time.perf_counter()
            net.run(T)
            if first_run is None:
                first_run = time.perf_counter() - t  # includes code generation / Cython compilation
            loop_sum += float(net_loop_time())
            n = int(counter.count[0]) - before
            R = float(np.exp(-(n - TARGETS[s]) ** 2 / (2 * SIGMA ** 2)))
            Rbar = V[s] if seen[s] else R
            V[s] += (ALPHA if seen[s] else 1.0) * (R - V[s])
            seen[s] = True
            S.w = np.clip(S.w[:] + RULE["eta"] * S.elig[:] * (R - Rbar), RULE["wmin"], RULE["wmax"])
            rewards[k] = R
    with ph("readout"):
        w = np.asarray(S.w[:], dtype=float)
    first = runtime_timings(first_run)
    out = {
        # compile: the first trial's code generation / Cython build; loop: the rest of the training,
        # Python between trials included (that is what the compiled loop replaces)
        "compile_s": first["compile_s"], "run_s": ph.times["train"], "loop_s": ph.times["train"] - first["compile_s"],
        # brian_loop_s: Brian2's time-step loops; run_overhead_s: the rest (Network.run's preparation of every
        # run -- code generation, namespace resolution -- plus the Python reward and weight update)
        "brian_loop_s": loop_sum, "run_overhead_s": ph.times["train"] - first["compile_s"] - loop_sum,
        "n_trials": n_trials, "w_mean": float(w.mean()), "setup_s": ph.times["setup"], "total_s": ph.total(),
        "device": f"{device} (one run() per trial)",
    }
    out["ms_per_trial_loop"] = 1000.0 * out["loop_s"] / n_trials
    out["fingerprint"] = [float(np.sum(rewards)).hex(), float(w.sum()).hex()]
    out.update(_learning_summary(rewards))
    return out


def net_loop_time():
    """Brian2's measure of the last run's time-step loop (runtime device)."""
    from brian2 import get_device

    return get_device()._last_run_time
