"""Izhikevich (2007) distal reward: the full 1000-neuron daspnet network with dopamine-modulated STDP
(docs/validation.md, check I2), three rewarded seeds and two controls, cpp_standalone in two parallel processes."""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from brian2 import second

from snnlearn.models.izhikevich2007 import Condition, simulate

WMAX = 4.0
DURATION_S = 1500.0


def _job(args):
    conditions, directory, brian_seed = args
    os.makedirs(directory, exist_ok=True)
    return simulate(conditions, DURATION_S * second, brian_seed=brian_seed, directory=directory,
                    sample_weights=0, record_dt=10 * second)


@pytest.mark.slow
@pytest.mark.standalone
def test_distal_reward_network(tmp_path):
    """Five independent copies of the 1000-neuron network (800 E / 200 I, 100 targets each, 1-ms delays,
    daspnet parameters), T = 1500 s (the issue allows 3600 s; the reference crossed 0.9 wmax by 1700 s):
    connectivity seeds 11, 12, 13 rewarded (n2 firing within 20 ms after n1 -> +0.5 dopamine 1-3 s later),
    seed 15 without reward, seed 14 yoked to seed 11 (the same dopamine pulses, at times unrelated to its
    own pairings). Pass (I2): in >= 2 of 3 rewarded seeds the rewarded synapse reaches >= 0.9 wmax and ends
    >= the 95th percentile of the copy's 80,000 excitatory weights; the no-reward and yoked controls stay
    < 0.5 wmax throughout. Calibration (same seeds): 0.9 wmax at 1110, 670 and 1230 s, final 4.0 (96th-99th
    percentile); no reward max 0.016 wmax; yoked max 0.32 wmax with 150 rewards.
    Two cpp_standalone builds run in parallel (3 + 2 copies): about 4 min of CPU time per process."""
    first = [Condition(11), Condition(12), Condition(14, ("yoked", 0))]
    second_ = [Condition(13), Condition(15, "none")]
    jobs = [(first, str(tmp_path / "a"), 1), (second_, str(tmp_path / "b"), 2)]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        res_a, res_b = pool.map(_job, jobs)

    rewarded = [(res_a, 0), (res_a, 1), (res_b, 0)]
    passed, report = 0, []
    for res, k in rewarded:
        w_traj = res["rewarded_w"][k]
        final = res["w_final"][k]
        reached = bool(np.any(w_traj >= 0.9 * WMAX) or final[0] >= 0.9 * WMAX)
        top = bool(final[0] >= np.percentile(final, 95))
        passed += reached and top
        report.append((float(w_traj.max() / WMAX), float(final[0] / WMAX), float(np.mean(final <= final[0])),
                       len(res["reward_times_s"][k])))
    assert passed >= 2, f"(max w/wmax, final w/wmax, percentile, rewards) per seed: {report}"

    yoked_traj, none_traj = res_a["rewarded_w"][2], res_b["rewarded_w"][1]
    assert len(res_a["reward_times_s"][2]) == len(res_a["reward_times_s"][0]) > 50, "the yoked copy got the rewards"
    assert yoked_traj.max() < 0.5 * WMAX and res_a["w_final"][2][0] < 0.5 * WMAX, yoked_traj.max()
    assert none_traj.max() < 0.5 * WMAX and res_b["w_final"][1][0] < 0.5 * WMAX, none_traj.max()
    assert len(res_b["reward_times_s"][1]) == 0
