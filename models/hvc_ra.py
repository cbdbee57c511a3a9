r"""Birdsong motor pathway HVC -> RA with LMAN conductance perturbation (Fiete & Seung 2006; Fiete, Fee & Seung 2007).

The network (docs/validation.md, Fiete & Seung 2006, check F1):

* **HVC**: ``n_hvc`` neurons, each bursting once per motif at its own time (``n_burst``
  spikes ``burst_isi`` apart; bursts evenly spaced over the motif): a time-locked sparse
  sequence, the same in every trial (a ``SpikeGeneratorGroup`` repeating with the
  trial duration ``T``).
* **RA**: ``n_ra`` conductance-based leaky integrate-and-fire neurons,

  .. math::
      C\,\dot v = g_L (E_L - v) + (g_e + g_p)(E_e - v), \qquad
      \dot g_e = -g_e/\tau_e, \qquad \dot g_p = -g_p/\tau_p

  HVC synapses (the plastic weights :math:`W_{ij}`, in nS) add :math:`W_{ij}` to
  :math:`g_e` at each HVC spike, so :math:`g_e^{(i)}(t) = \sum_j W_{ij} s_j(t)` with
  :math:`s_j` the HVC spike train filtered with :math:`\tau_e`.
* **LMAN** (the perturbation): ``n_lman`` Poisson fibres of rate ``r_lman`` per RA
  neuron, each spike adding ``w_lman`` to the excitatory conductance :math:`g_p` (same
  reversal potential as the HVC synapses). Its mean :math:`\bar g_p = n r w \tau_p`
  sets the operating point; the perturbation is the conductance fluctuation
  :math:`\xi_i(t) = g_p^{(i)}(t) - \bar g_p` (variance :math:`\sigma^2 = n r w^2\tau_p/2`,
  autocovariance :math:`\sigma^2 e^{-|u|/\tau_p}`, :math:`\int C = 2\sigma^2\tau_p`).
* **Readout** ("song"): ``n_out`` motor outputs, :math:`y_k(t) = \frac{1}{n_{RA}}\sum_i
  a_{ki} r_i(t)` with :math:`r_i` the RA spike train filtered with :math:`\tau_r` = 20 ms
  (in Hz) and fixed positive :math:`a_{ki}`, compared with target trajectories
  :math:`y^*_k(t)` over the motif:

  .. math::
      E = \frac{1}{n_{out} T}\int_0^T \sum_k \big(y_k(t) - y^*_k(t)\big)^2\,dt
      \quad [\mathrm{Hz}^2], \qquad R = -E

Because the perturbation adds to the same conductance as the plastic synapses,
:math:`\partial \langle E\rangle/\partial W_{ij} = \int \frac{\delta\langle E\rangle}
{\delta g_i(t)}\,s_j(t)\,dt`, and the catalog rule :func:`snnlearn.rules.node_perturbation`
with ``noise="pert"`` (eligibility :math:`\int \xi_i s_j\,dt/(2\sigma^2\tau_p)`, update
:math:`\eta (R - \bar R) e_{ij}` at the end of each trial) estimates it, to first order in
the perturbation and up to the smoothing of :math:`\delta E/\delta g` by the noise's
correlation time :math:`\tau_p`.

Several independent *copies* (networks with their own weights, noise and reward) share one
HVC group, so that a batch of frozen trials, a grid of learning rates, seeds and controls run
in one compiled program. Copy ``c`` owns RA neurons ``c*n_ra .. (c+1)*n_ra - 1`` and song
outputs ``c*n_out .. (c+1)*n_out - 1``. The reward of each RA neuron is its copy's reward,
or another copy's (``reward_source``: a yoked control, whose reward carries no information
about its own perturbation). Scheduling follows :mod:`snnlearn.modulators`: at each trial
boundary the reward (order -20), the readout reset (order -19), then the weight update
(order 0).
"""

from dataclasses import dataclass

import numpy as np
from brian2 import (Hz, NeuronGroup, PoissonInput, SpikeGeneratorGroup, SpikeMonitor, StateMonitor, Synapses,
                    TimedArray, mV, ms, nS, pF, second)
from scipy.signal import lfilter

import snnlearn as sl
from snnlearn.modulators import ORDER_READOUT_RESET, ORDER_RECORD, ORDER_TRIAL_END

__all__ = ["RA_PARAMS", "SongTask", "make_task", "scale_task", "hvc_spikes", "lman_stats", "perturbation_rule",
           "build_ra", "build_learners", "build_frozen", "readout_traces", "trial_errors"]

#: RA neuron and synapse parameters (units as given).
RA_PARAMS = dict(C_m=200 * pF, g_leak=10 * nS, E_leak=-70 * mV, E_exc=0 * mV, V_th=-50 * mV, V_reset=-60 * mV,
                 tau_e=5 * ms, tau_p=2 * ms, tau_r=20 * ms, t_ref=2 * ms)

RA_EQS = """
dv/dt = (g_leak * (E_leak - v) + (ge + gp) * (E_exc - v)) / C_m : volt (unless refractory)
dge/dt = -ge / tau_e : siemens
dgp/dt = -gp / tau_p : siemens
pert = (gp - gp_mean) / nS : 1
dr/dt = -r / tau_r : Hz
gp_mean : siemens (shared, constant)
"""


@dataclass
class SongTask:
    """One network size and seed.

    ``hvc_times`` (n_hvc, n_burst) spike times in s within the motif; ``readout``
    (n_out, n_ra) the fixed positive :math:`a_{ki}`; ``w0`` and ``w_tutor`` (n_ra, n_hvc)
    initial and tutor weights in nS; ``target`` (n_steps, n_out) in Hz on the time grid
    ``dt`` (None until :func:`set_target`); lman: (n_lman, r_lman in Hz, w_lman in nS).
    """

    n_hvc: int
    n_ra: int
    n_out: int
    duration: object
    dt: object
    hvc_times: np.ndarray
    readout: np.ndarray
    w0: np.ndarray
    w_tutor: np.ndarray
    n_lman: int
    r_lman: float
    w_lman: float
    w_max: float
    target: np.ndarray = None

    @property
    def n_steps(self):
        return int(round(float(self.duration / self.dt)))

    @property
    def n_syn(self):
        return self.n_ra * self.n_hvc


def make_task(n_hvc, n_ra, rng, n_out=2, duration=500 * ms, dt=0.1 * ms, n_burst=3, burst_isi=2 * ms,
              margin=(20 * ms, 60 * ms), w0_mean=1.0, w0_spread=1.0, tutor_p=0.3, w_max=6.0,
              n_lman=25, r_lman=40.0, w_lman=1.0):
    """A task drawn with ``rng`` (numpy Generator): HVC burst times, readout, initial and tutor weights.

    HVC bursts start evenly spaced between ``margin[0]`` and ``T - margin[1]`` (the end
    margin lets the last output decay inside the trial). Weights in nS: initial
    uniform in ``w0_mean +- w0_spread/2``; tutor: ``w_max`` with probability ``tutor_p``,
    else 0 (so that the tutor's song is strongly modulated: each HVC burst drives a
    subset of RA). ``r_lman`` in Hz, ``w_lman`` in nS.
    """
    n_hvc, n_ra, n_out = int(n_hvc), int(n_ra), int(n_out)
    if min(n_hvc, n_ra, n_out, int(n_burst)) < 1:
        raise ValueError(f"make_task: n_hvc, n_ra, n_out and n_burst must be >= 1, got {n_hvc}, {n_ra}, {n_out}, "
                         f"{n_burst}")
    T = float(duration / second)
    start, end = float(margin[0] / second), T - float(margin[1] / second)
    if not end > start:
        raise ValueError(f"make_task: margins {margin} leave no time for the HVC sequence in a {duration} trial")
    onsets = start + (end - start) * np.arange(n_hvc) / n_hvc
    step = float(dt / second)
    hvc_times = onsets[:, None] + float(burst_isi / second) * np.arange(int(n_burst))[None, :]
    hvc_times = np.round(hvc_times / step) * step
    readout = rng.uniform(0.0, 2.0, size=(n_out, n_ra))
    w0 = np.clip(w0_mean + w0_spread * (rng.random((n_ra, n_hvc)) - 0.5), 0.0, w_max)
    w_tutor = w_max * (rng.random((n_ra, n_hvc)) < tutor_p)
    return SongTask(n_hvc, n_ra, n_out, duration, dt, hvc_times, readout, w0, w_tutor, int(n_lman), float(r_lman),
                    float(w_lman), float(w_max))


def scale_task(task, hvc_factor=1, ra_factor=1):
    """The same song task with ``hvc_factor`` times as many HVC and ``ra_factor`` times as many RA
    neurons, started from the same point (check F1c, docs/validation.md).

    * HVC: each burst of the base sequence is followed by ``hvc_factor - 1`` new bursts spaced
      evenly before the next one (the bursts of ``make_task`` with ``hvc_factor * n_hvc``
      neurons, to within one time step); each base weight is split equally between its burst
      and the new ones after it, so that the initial RA conductance is the base one smoothed
      over one burst spacing (the same mean).
    * RA: each RA neuron is repeated ``ra_factor`` times (neuron ``q`` copies base neuron
      ``q mod n_ra``) with its initial weights, tutor weights and readout column; the readout's
      1/n_RA keeps the song.

    The tutor weights are embedded the same way (the new HVC cells get 0), so the larger
    network can sing the base tutor's song exactly; ``target`` is the base target. What
    differs is only the number of plastic synapses and of independently perturbed cells.
    """
    fh, fr = int(hvc_factor), int(ra_factor)
    if fh < 1 or fr < 1:
        raise ValueError(f"scale_task: hvc_factor and ra_factor must be integers >= 1, got {hvc_factor}, {ra_factor}")
    if fh > 1 and task.n_hvc < 2:
        raise ValueError(f"scale_task: splitting the HVC sequence needs n_hvc >= 2, got {task.n_hvc}")
    step = float(task.dt / second)
    times = task.hvc_times
    if fh > 1:
        spacing = (times[-1, 0] - times[0, 0]) / (task.n_hvc - 1)
        shift = spacing * np.arange(fh) / fh  # (fh,)
        times = (times[:, None, :] + shift[None, :, None]).reshape(task.n_hvc * fh, times.shape[1])
        times = np.round(times / step) * step
    w0 = np.repeat(task.w0, fh, axis=1) / fh
    w_tutor = np.zeros((task.n_ra, task.n_hvc * fh))
    w_tutor[:, ::fh] = task.w_tutor
    return SongTask(task.n_hvc * fh, task.n_ra * fr, task.n_out, task.duration, task.dt, times,
                    np.tile(task.readout, (1, fr)), np.tile(w0, (fr, 1)), np.tile(w_tutor, (fr, 1)), task.n_lman,
                    task.r_lman, task.w_lman, task.w_max,
                    None if task.target is None else np.array(task.target))


def hvc_spikes(task):
    """(indices, times) of one motif of the HVC sequence."""
    idx = np.repeat(np.arange(task.n_hvc), task.hvc_times.shape[1])
    return idx, task.hvc_times.ravel() * second


def lman_stats(task):
    """Mean, standard deviation (nS) and correlation time of the LMAN conductance :math:`g_p`."""
    tau_p = float(RA_PARAMS["tau_p"] / second)
    nu = task.n_lman * task.r_lman
    mean = nu * task.w_lman * tau_p
    sigma = task.w_lman * np.sqrt(nu * tau_p / 2)
    return mean, sigma, RA_PARAMS["tau_p"]


def perturbation_rule(task, eta):
    """The catalog node-perturbation rule on the LMAN conductance fluctuation ``xi``.

    The perturbation variable ``pert`` is the fluctuation in nS (a number), so the
    eligibility is in 1/nS and ``eta`` is in nS per unit of reward (R in Hz²):
    Δw = eta (R - Rbar) e.
    """
    _, sigma, tau_p = lman_stats(task)
    return sl.rules.node_perturbation(eta=eta * nS, sigma=float(sigma), tau_noise=tau_p, tau_x=RA_PARAMS["tau_e"],
                                      update_dt=task.duration, wmin=0 * nS, wmax=task.w_max * nS, noise="pert")


def build_ra(task, n, name, lman="poisson"):
    """``n`` RA neurons (with their LMAN input when ``lman="poisson"``); returns (group, [objects])."""
    mean, _, _ = lman_stats(task)
    ns = dict(RA_PARAMS)
    ns["nS"] = nS
    ns["gp_mean"] = mean * nS
    ra = NeuronGroup(int(n), RA_EQS, threshold="v > V_th", reset="v = V_reset\nr += 1 / tau_r",
                     refractory=RA_PARAMS["t_ref"], method="euler", namespace=ns, name=name, dt=task.dt)
    ra.v = "E_leak + rand() * (V_th - E_leak)"
    ra.gp = mean * nS
    ra.gp_mean = mean * nS
    objects = [ra]
    if lman == "poisson":
        objects.append(PoissonInput(ra, "gp", task.n_lman, task.r_lman * Hz, weight=task.w_lman * nS))
    return ra, objects


def _integrate_before_ra(S):
    """Integrate the eligibility before the RA neurons decay ``gp`` in the same step.

    The LMAN jumps arrive in the synapses slot; the eligibility must see the conductance
    the neuron integrates with in the next step. Integrated after the neuron's update, it
    would see gp one decay step later, a bias of -n r w dt (0.1 nS here, 10 % of the noise
    sd) that makes the eligibility's mean nonzero. Brian2 orders same-slot objects by name
    otherwise, so the order is set explicitly.
    """
    S.state_updater.order = -1


def _hvc_group(task, name):
    idx, times = hvc_spikes(task)
    return SpikeGeneratorGroup(task.n_hvc, idx, times, period=task.duration, name=name, dt=task.dt)


def build_learners(task, n_copies, eta, reward_scale=None, reward_source=None, alpha=0.05, name="song",
                   record=True):
    """``n_copies`` learning networks in one Brian2 network, trained on ``task.target``.

    ``reward_scale`` (per copy, default 1) multiplies the copy's reward and baseline, so
    it multiplies that copy's learning rate: one program runs a grid of rates.
    ``reward_source`` (per copy, default its own index) is the copy whose reward a copy
    receives (a yoked control when it is another copy). Baseline: running mean
    :math:`\bar R \leftarrow \bar R + \alpha (R - \bar R)` (about 1/alpha trials).

    Returns a dict: ``objects`` (add them all to a ``Network``), ``synapses`` (the
    plastic HVC -> RA projection, synapse (c, i, j) at ``(c*n_ra + i)*n_hvc + j``),
    ``ra``, ``song``, ``reward``, and ``error_monitor`` (``sq`` of every output at each trial
    end: sample k + 1 holds trial k; a copy's error is the sum over its outputs).
    """
    if task.target is None:
        raise ValueError("build_learners: task.target is not set (run the tutor first)")
    C, n_ra, n_hvc, n_out = int(n_copies), task.n_ra, task.n_hvc, task.n_out
    scale = np.ones(C) if reward_scale is None else np.asarray(reward_scale, dtype=float)
    source = np.arange(C) if reward_source is None else np.asarray(reward_source, dtype=int)
    if scale.shape != (C,) or source.shape != (C,) or source.min() < 0 or source.max() >= C:
        raise ValueError(f"build_learners: reward_scale and reward_source need {C} entries (sources in 0..{C - 1})")
    T = task.duration
    hvc = _hvc_group(task, f"{name}_hvc")
    ra, objects = build_ra(task, C * n_ra, f"{name}_ra")

    target = TimedArray(task.target * Hz, dt=task.dt, name=f"{name}_target")
    song = NeuronGroup(C * n_out, """
        y : Hz
        dsq/dt = (y - ystar(t - t_start, k_out))**2 / (T_trial * n_out_song * Hz**2) : 1
        k_out : integer (constant)
        t_start : second
        """, method="euler", name=name, dt=task.dt,
        namespace={"ystar": target, "T_trial": T, "n_out_song": float(n_out)})
    song.k_out = np.tile(np.arange(n_out), C)
    song.run_regularly("sq = 0\nt_start = t", dt=T, when="start", order=ORDER_READOUT_RESET,
                       name=f"{name}_reset")
    motor = Synapses(ra, song, "a : 1\ny_post = a * r_pre : Hz (summed)", name=f"{name}_motor", dt=task.dt)
    c_idx = np.repeat(np.arange(C), n_ra * n_out)
    i_idx = np.tile(np.repeat(np.arange(n_ra), n_out), C)
    k_idx = np.tile(np.arange(n_out), C * n_ra)
    motor.connect(i=c_idx * n_ra + i_idx, j=c_idx * n_out + k_idx)
    motor.a = task.readout[k_idx, i_idx] / n_ra

    # one reward element per RA neuron (the rule reads R and Rbar of its postsynaptic neuron)
    reward = NeuronGroup(C * n_ra, """
        errsum : 1
        err : 1
        R : 1
        Rbar : 1
        V : 1
        seen : 1
        scale : 1 (constant)
        trial : integer
        """, name=f"{name}_reward", dt=task.dt, namespace={"alpha_rw": float(alpha)})
    reward.scale = np.repeat(scale, n_ra)
    reward.run_regularly("""
        done = int(trial > 0)
        err = done * errsum
        R = -done * scale * errsum
        Rbar = done * (seen * V + (1 - seen) * R)
        V = V + done * (seen * alpha_rw + (1 - seen)) * (R - V)
        seen = seen + done * (1 - seen)
        trial = trial + 1
        """, dt=T, when="start", order=ORDER_TRIAL_END, name=f"{name}_trial_end")
    # song outputs of copy source[c] -> every reward element of copy c
    to_reward = Synapses(song, reward, "errsum_post = sq_pre : 1 (summed)", name=f"{name}_to_reward", dt=task.dt)
    cc = np.repeat(np.arange(C), n_ra * n_out)
    ii = np.tile(np.repeat(np.arange(n_ra), n_out), C)
    kk = np.tile(np.arange(n_out), C * n_ra)
    to_reward.connect(i=source[cc] * n_out + kk, j=cc * n_ra + ii)

    rule = perturbation_rule(task, eta)
    pre = np.tile(np.arange(n_hvc), C * n_ra)
    post = np.repeat(np.arange(C * n_ra), n_hvc)
    w = np.tile(task.w0.ravel(), C) if np.ndim(task.w0) == 2 else np.asarray(task.w0).ravel()
    S = sl.connect(hvc, ra, rule, transmit="ge_post += w", connect={"i": pre, "j": post}, w=w * nS,
                   modulators={"R": (reward, "R", "post"), "Rbar": (reward, "Rbar", "post")},
                   name=f"{name}_hvc_ra", dt=task.dt)
    _integrate_before_ra(S)
    objects += [hvc, song, motor, reward, to_reward, S]
    out = {"objects": objects, "synapses": S, "ra": ra, "song": song, "reward": reward, "rule": rule}
    if record:  # each copy's own error (a yoked control's reward is another copy's), before the reset
        mon = StateMonitor(song, "sq", record=True, dt=T, when="start", order=ORDER_RECORD, name=f"{name}_rec_err")
        out["error_monitor"] = mon
        objects.append(mon)
    return out


def build_frozen(task, weights, name="frozen", lman=None, rule_eta=None):
    """Copies with frozen weights for one trial: a batch of perturbed trials, or finite differences.

    ``weights`` (n_neurons, n_hvc) in nS: one RA neuron per row (a copy of the whole
    network is ``n_ra`` consecutive rows). Perturbation: independent Poisson LMAN input
    per neuron (``lman=None``), or given fibre spike trains ``lman = (indices, times,
    n_fibres, fibre, neuron)``: fibre ``fibre[k]`` drives RA neuron ``neuron[k]``, so that
    several neurons can receive the same LMAN spikes (common random numbers). With
    ``rule_eta`` the HVC -> RA synapses carry the learning rule (its eligibility ``elig``
    is read after one trial; the update at t = 0 does nothing). Returns a dict with
    ``objects``, ``ra``, ``spikes`` (SpikeMonitor) and ``synapses`` (synapse (n, j) at
    ``n*n_hvc + j``).
    """
    W = np.asarray(weights, dtype=float)
    n_neurons = W.shape[0]
    if W.ndim != 2 or W.shape[1] != task.n_hvc:
        raise ValueError(f"build_frozen: weights must have shape (n_neurons, {task.n_hvc}), got {W.shape}")
    hvc = _hvc_group(task, f"{name}_hvc")
    ra, objects = build_ra(task, n_neurons, f"{name}_ra", lman="poisson" if lman is None else None)
    pre = np.tile(np.arange(task.n_hvc), n_neurons)
    post = np.repeat(np.arange(n_neurons), task.n_hvc)
    w = W.ravel() * nS
    if rule_eta is None:
        S = Synapses(hvc, ra, "w : siemens", on_pre="ge_post += w", name=f"{name}_hvc_ra", dt=task.dt)
        S.connect(i=pre, j=post)
        S.w = w
    else:
        dummy = NeuronGroup(n_neurons, "R : 1\nRbar : 1", name=f"{name}_reward", dt=task.dt)
        objects.append(dummy)
        S = sl.connect(hvc, ra, perturbation_rule(task, rule_eta), transmit="ge_post += w",
                       connect={"i": pre, "j": post}, w=w,
                       modulators={"R": (dummy, "R", "post"), "Rbar": (dummy, "Rbar", "post")},
                       name=f"{name}_hvc_ra", dt=task.dt)
        _integrate_before_ra(S)
    objects += [hvc, S]
    if lman is not None:
        idx, times, n_fibres, fibre, neuron = lman
        gen = SpikeGeneratorGroup(int(n_fibres), idx, times, name=f"{name}_lman_fibres", dt=task.dt)
        L = Synapses(gen, ra, on_pre="gp_post += w_lman_fd", namespace={"w_lman_fd": task.w_lman * nS},
                     name=f"{name}_lman", dt=task.dt)
        L.connect(i=np.asarray(fibre, dtype=int), j=np.asarray(neuron, dtype=int))
        objects += [gen, L]
    spikes = SpikeMonitor(ra, name=f"{name}_spikes")
    objects.append(spikes)
    return {"objects": objects, "ra": ra, "spikes": spikes, "synapses": S}


def readout_traces(spike_i, spike_t, n_neurons, task, neurons=None):
    """Filtered rates r (n_neurons, n_steps) in Hz on the time grid, from spikes (as Brian2's ``r``)."""
    step = float(task.dt / second)
    tau = float(RA_PARAMS["tau_r"] / second)
    n = task.n_steps
    counts = np.zeros((int(n_neurons), n))
    k = np.clip(np.round(np.asarray(spike_t) / step).astype(int), 0, n - 1)
    np.add.at(counts, (np.asarray(spike_i, dtype=int), k), 1.0 / tau)
    return lfilter([1.0], [1.0, -np.exp(-step / tau)], counts, axis=1)


def trial_errors(y, target):
    """E = mean over time and outputs of (y - y*)², Hz²; ``y`` (..., n_out, n_steps), target (n_steps, n_out)."""
    return np.mean((y - target.T) ** 2, axis=(-2, -1))
