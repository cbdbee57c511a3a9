"""Credit assignment in spiking networks: node, weight and serial perturbation, REINFORCE and reward-modulated STDP as the numbers of neurons and synapses grow.

The spiking counterpart of ``perturbation_scaling`` (Werfel, Xie & Seung 2005). Task (student-teacher):
``N`` inputs replay one of ``n_stimuli`` frozen Poisson spike patterns into ``M`` escape-noise output
neurons (``models/reward_tasks.py``); the targets are the expected spike counts of a teacher network of the
same architecture whose weights are the student's initial weights plus a zero-mean perturbation per neuron
(so the initial error has no common-mode part, and ``n_stimuli >= N`` patterns span the input space, as the
Gaussian inputs of Werfel et al. do). The reward R = -(1/M) sum_i (a_i - y_i*)^2 is computed in the
simulation at the end of each pass. Five rules learn it, all in one ``cpp_standalone`` program
(``models/credit_assignment.py``: one output group, one synapse object and one reward circuit per rule,
holding every network size, seed and learning rate as independent copies):

* ``node_perturbation`` (Fiete & Seung 2006): Ornstein-Uhlenbeck noise on each output's potential;
  eligibility = noise x presynaptic trace; rewarded for the expected counts Lambda_i (the integral of the
  escape rate);
* ``weight_perturbation``: all weights perturbed at once; ``serial_perturbation``: one weight of each copy
  per pass (Werfel et al. 2005); both rewarded like node perturbation;
* ``reinforce`` (Williams 1992; Xie & Seung 2004): the outputs' own spiking noise is the exploration;
  rewarded for the actual spike counts;
* ``reward_stdp`` (Frémaux, Sprekeler & Gerstner 2010): pair-based STDP eligibility x reward prediction
  error, rewarded like REINFORCE.

Passes come in pairs of the same stimulus (first unperturbed, then perturbed); every rule updates once per
pair with the first pass's reward as its baseline (Werfel's E(0); for REINFORCE and R-STDP an independent
pass of the same stimulus, which satisfies Frémaux et al.'s per-stimulus requirement), so all rules get the
same forward passes and the same number of updates. Network sizes ``N{n}_M{m}`` vary the number of synapses
N*M at a fixed number of learning neurons M, and the number of neurons at a fixed number of inputs N. Each
synapse adds ``(n_ref/N) w`` to the potential; each rule's learning rate is ``eta_<rule> x factor x N/n_ref``
for every factor of ``eta_factors``, and the best factor of the grid is taken per rule and size (Werfel et
al. compare methods at their optimal learning rates).

Measured:

* learning curves: the RMS error of the expected counts over all stimuli, sqrt(J), of the unperturbed network
  (a centred moving average over one cycle of the stimuli), relative to its value with the initial weights,
  averaged over seeds;
* passes to criterion: the first pass at which that curve reaches ``criterion``, at the best learning-rate
  factor (``None`` when not reached: the scaling ratios then give a lower bound); against the number of
  neurons (at fixed N) and of synapses (at fixed M), log-log, with fitted slopes and ratios largest/smallest;
* alignment: for the first ``n_align`` passes the weights are frozen and each synapse sums its rule's update
  per unit learning rate (and its square); the averaged update is compared (cosine) with a central
  finite-difference gradient of the same network (Brian2, numpy target, same input spikes, h = ``fd_step``)
  of the objective that the rule's reward measures: J = mean over stimuli of (1/M) sum (Lambda - y*)^2 for the
  perturbation rules, J + mean (1/M) sum Lambda (adding the Poisson count variance) for the spike-rewarded
  ones; and the second-moment ratio E||g_hat||^2/||grad J||^2 of single updates (Werfel's K + 2). A
  reward-modulated Hebbian probe (pre trace x post spike, no perturbation factor) on the node-perturbation
  network, with the same passes, noise and rewards, is the control.
"""

import re

import numpy as np
from brian2 import Hz, Network, get_device, ms, second

import snnlearn as sl
from snnlearn.params import Param, ParameterError

from snnlearn.models.credit_assignment import (Layout, alternating_schedule, attach_probe, build_group, copy_weights,
                                               make_instance, set_teacher_targets, stacked_input, static_counts)
from snnlearn.models.reward_tasks import Escape

RULES = ("node_perturbation", "weight_perturbation", "serial_perturbation", "reinforce", "reward_stdp")
CONTROL = "reward_hebbian"

PARAMS = {
    "sizes": Param(["N10_M2", "N20_M2", "N40_M2", "N10_M4", "N10_M8"], min_len=1,
                   doc="network sizes N{inputs}_M{learning output neurons} (distinct)"),
    "rules": Param(list(RULES), choices=RULES, min_len=1, doc="learning rules to compare, each in its own copies"),
    "n_seeds": Param(3, low=1, doc="task instances (patterns, teacher, initial weights) per size"),
    "eta_factors": Param([0.25, 0.5, 1.0, 2.0, 4.0], low=0.0, strict=True, min_len=1,
                         doc="learning-rate grid, multiples of eta_<rule> x N/n_ref (the best is taken)"),
    "n_passes": Param(6000, low=4,
                      doc="forward passes of the learning phase (pairs: baseline + perturbed; a multiple of "
                          "2 x n_stimuli)"),
    "n_align": Param(160, low=4,
                     doc="forward passes with frozen weights at the start: averaged updates, initial error "
                         "(a multiple of 2 x n_stimuli)"),
    "align_sizes": Param(["N10_M2", "N40_M2"], min_len=1,
                         doc="sizes whose averaged updates are compared with finite differences (among sizes)"),
    "n_stimuli": Param(40, low=1, doc="frozen input patterns (>= the largest N, so that they span the input space)"),
    "gap": Param(10 * ms, low=0 * ms, strict=True, doc="silent start of each pass"),
    "stimulus_window": Param(100 * ms, low=0 * ms, strict=True, doc="frozen input pattern after the gap"),
    "input_rate": Param(30 * Hz, low=0 * Hz, doc="rate of the frozen Poisson patterns"),
    "rho0": Param(40 * Hz, low=0 * Hz, strict=True, doc="escape rate scale: rho = rho0 * softplus(u - 2)"),
    "w0_min": Param(0.1, doc="initial (student) weights uniform in [w0_min, w0_max] (within +-w_bound)"),
    "w0_max": Param(0.4, doc="largest initial (student) weight"),
    # teacher = initial weights + D, D uniform in +-teacher_amplitude x sqrt(N/n_ref) minus its mean over each
    # output's inputs: no common-mode error, and an initial error of the same size at every N
    "teacher_amplitude": Param(1.5, low=0.0, strict=True,
                               doc="half-width of the teacher's weight offset D at N = n_ref (units of w; "
                                   "x sqrt(N/n_ref))"),
    "w_bound": Param(4.0, low=0.0, strict=True, doc="weights clipped to [-w_bound, w_bound]"),
    "n_ref": Param(10, low=1, doc="reference number of inputs: jump per input spike = (n_ref / N) w"),
    # base learning rates, calibrated on seed 0 (grid x4 apart: the best factors were 0.25-4 of these)
    "eta_node": Param(0.008, low=0.0, doc="node perturbation (Fiete & Seung 2006): base learning rate"),
    "eta_weight": Param(0.004, low=0.0, doc="weight perturbation (parallel): base learning rate"),
    "eta_serial": Param(0.004, low=0.0, doc="serial weight perturbation (Werfel et al. 2005): base learning rate"),
    "eta_reinforce": Param(0.001, low=0.0, doc="REINFORCE (Williams 1992): base learning rate"),
    "eta_rstdp": Param(0.001, low=0.0,
                       doc="reward-modulated STDP (Frémaux et al. 2010): base learning rate"),
    "sigma_node": Param(0.5, low=0.0, strict=True,
                        doc="node perturbation: noise standard deviation (units of u; threshold 2)"),
    "tau_noise": Param(5 * ms, low=0 * ms, strict=True, doc="node perturbation: noise correlation time"),
    "sigma_weight": Param(0.02, low=0.0, strict=True, doc="weight / serial perturbation size (units of w)"),
    "criterion": Param(0.6, low=0.0, strict=True, high=1.0, strict_high=True,
                       doc="passes to reach this fraction of the initial RMS error"),
    "fd_step": Param(1e-3, low=0.0, strict=True, doc="finite-difference step (units of w)"),
    "dt": Param(1.0 * ms, low=0 * ms, strict=True, doc="simulation time step"),
}

QUICK = {"sizes": ["N10_M2", "N40_M2", "N10_M8"], "n_seeds": 1, "eta_factors": [0.5, 2.0], "n_passes": 800,
         "n_align": 80, "align_sizes": ["N10_M2"]}

COLORS = {"node_perturbation": "#0072B2", "weight_perturbation": "#D55E00", "serial_perturbation": "#009E73",
          "reinforce": "#CC79A7", "reward_stdp": "#E69F00", CONTROL: "#777777"}
LABELS = {"node_perturbation": "node perturbation", "weight_perturbation": "weight perturbation (parallel)",
          "serial_perturbation": "weight perturbation (serial)", "reinforce": "REINFORCE",
          "reward_stdp": "reward-modulated STDP", CONTROL: "reward x Hebbian (control)"}
SHORT = {"node_perturbation": "node\nperturbation", "weight_perturbation": "weight pert.\n(parallel)",
         "serial_perturbation": "weight pert.\n(serial)", "reinforce": "REINFORCE",
         "reward_stdp": "reward-\nmodulated STDP", CONTROL: "reward x Hebb\n(control)"}
ETA_KEY = {"node_perturbation": "eta_node", "weight_perturbation": "eta_weight",
           "serial_perturbation": "eta_serial", "reinforce": "eta_reinforce", "reward_stdp": "eta_rstdp"}
_SIZE_RE = re.compile(r"^N([1-9][0-9]*)_M([1-9][0-9]*)$")


def parse_size(label):
    m = _SIZE_RE.match(str(label))
    if not m:
        raise ParameterError(f"size {label!r} must look like N{{inputs}}_M{{outputs}}, e.g. N20_M2")
    return int(m.group(1)), int(m.group(2))


def validate(p):
    """Refuse a combination of values in one line (the runner calls this before the run directory exists)."""
    sizes = list(p.sizes)
    for s in sizes:
        parse_size(s)
    if len(set(sizes)) != len(sizes):
        raise ParameterError(f"sizes: duplicates in {sizes}")
    for key in ("n_passes", "n_align"):
        if int(p[key]) % (2 * int(p.n_stimuli)):
            raise ParameterError(f"{key} must be a positive multiple of 2 x n_stimuli = {2 * int(p.n_stimuli)}, "
                                 f"got {p[key]}")
    if not p.w0_max > p.w0_min:
        raise ParameterError("need w0_min < w0_max")
    if max(abs(float(p.w0_min)), abs(float(p.w0_max))) > p.w_bound:
        raise ParameterError("initial weights [w0_min, w0_max] must lie within [-w_bound, w_bound]")
    bad = [s for s in p.align_sizes if s not in sizes]
    if bad:
        raise ParameterError(f"align_sizes: {bad[0]!r} is not one of sizes {sizes}")
    steps = float((p.gap + p.stimulus_window) / p.dt)
    if abs(steps - round(steps)) > 1e-6:
        raise ParameterError("gap + stimulus_window must be a whole number of time steps")


def instances(p, seed):
    """One task instance per size and seed index, each drawn by its own generator (seed, N, M, r): frozen
    patterns, initial weights and a teacher of the same architecture (initial weights + a zero-mean perturbation
    per output), whose expected counts are the targets."""
    out = []
    for label in p.sizes:
        n, m = parse_size(label)
        for r in range(int(p.n_seeds)):
            rng = np.random.default_rng([int(seed), n, m, r])
            amplitude = float(p.teacher_amplitude) * np.sqrt(n / float(p.n_ref))
            out.append(make_instance(n, m, int(p.n_stimuli), p.stimulus_window, p.input_rate, (p.w0_min, p.w0_max),
                                     rng, p.dt, teacher_amplitude=amplitude, w_bound=float(p.w_bound), label=label,
                                     seed=r))
    set_teacher_targets(out, p.gap + p.stimulus_window, p.gap, escape=_escape(p), dt=p.dt, n_ref=int(p.n_ref))
    return out


def _escape(p):
    return Escape(tau_m=20 * ms, rho0=p.rho0, theta=2.0, delta=1.0)


def learning_layout(p, inst):
    """Copies: every instance x every learning-rate factor; copy scale = factor x N/n_ref."""
    copies = [(q, float(f) * ins.n_in / float(p.n_ref), None) for q, ins in enumerate(inst) for f in p.eta_factors]
    return Layout(inst, copies, n_ref=int(p.n_ref))


def fd_layout(p, inst, h, which):
    """Finite-difference copies of the instances ``which``: the initial weights, then w0 + h e_k and w0 - h e_k
    for each synapse k = j*M + i (local index)."""
    copies, index = [], {}
    for q in which:
        ins = inst[q]
        index[q] = len(copies)
        copies.append((q, 0.0, ins.w0))
        for k in range(ins.n_syn):
            j, i = divmod(k, ins.n_out)
            for sgn in (1.0, -1.0):
                w = ins.w0.copy()
                w[i, j] += sgn * h
                copies.append((q, 0.0, w))
    return Layout(inst, copies, n_ref=int(p.n_ref)), index


def _rule_params(p, kind):
    return {"eta": float(p[ETA_KEY[kind]]), "w_bound": float(p.w_bound), "sigma_node": float(p.sigma_node),
            "tau_noise": p.tau_noise, "sigma_weight": float(p.sigma_weight)}


def finite_difference_gradients(p, inst, which):
    """Central finite-difference gradients of J_det and J_spk at the initial weights, for the instances ``which``.

    J_det = mean over stimuli of (1/M) sum_i (Lambda_i - y_i*)^2; J_spk = J_det + mean (1/M) sum_i Lambda_i
    (adds the Poisson count variance, which a reward computed from spike counts also penalises).
    Simulated in Brian2 (numpy target) with the same input spikes as the learners. Returns dicts q ->
    grad_det, grad_spk (M, N) and q -> J_det at w0.
    """
    h = float(p.fd_step)
    layout, index = fd_layout(p, inst, h, which)
    lam = static_counts(layout, p.gap + p.stimulus_window, p.gap, escape=_escape(p), dt=p.dt)  # (stimuli, outputs)
    tg = np.zeros_like(lam)
    for c in range(layout.n_copies):
        ins = inst[layout.copy_instance[c]]
        tg[:, layout.out_off[c]:layout.out_off[c] + ins.n_out] = ins.targets
    m_out = layout.copy_n_out()
    sq = np.add.reduceat((lam - tg) ** 2, layout.out_off, axis=1) / m_out  # (stimuli, copies)
    lsum = np.add.reduceat(lam, layout.out_off, axis=1) / m_out
    j_det, j_spk = sq.mean(axis=0), (sq + lsum).mean(axis=0)
    g_det, g_spk, j0 = {}, {}, {}
    for q in which:
        ins, s0 = inst[q], index[q]
        plus = s0 + 1 + 2 * np.arange(ins.n_syn)
        minus = plus + 1
        g_det[q] = ((j_det[plus] - j_det[minus]) / (2 * h)).reshape(ins.n_in, ins.n_out).T
        g_spk[q] = ((j_spk[plus] - j_spk[minus]) / (2 * h)).reshape(ins.n_in, ins.n_out).T
        j0[q] = float(j_det[s0])
    return g_det, g_spk, j0


def simulate(p, ctx):
    """Learn the task with every rule in one ``cpp_standalone`` program, then the finite-difference gradients.

    Returns the arrays that :func:`measure` and :func:`plot` read: the schedule (``stimulus``, ``perturbed`` per
    pass), the task instances (``instance_label``, ``instance_n_in``, ``instance_n_out``; instance q is seed
    index q % n_seeds of size q // n_seeds), the copies (``copy_instance``, ``copy_scale`` = factor x N/n_ref,
    instance-major with the learning-rate factors inner), per rule ``sq_error_<rule>`` (passes, copies): the
    squared error of the expected counts summed over each copy's outputs at every pass, and ``gsum_<rule>``,
    ``gsq_<rule>`` (per synapse, copies in order, input-major within a copy): the update per unit learning rate
    summed over the frozen phase, and its square (also for the ``reward_hebbian`` control); per aligned instance
    q, ``grad_det_<q>`` and ``grad_spk_<q>`` (M, N): the finite-difference gradients of J_det and J_spk.
    """
    validate(p)
    inst = instances(p, ctx.seed)
    layout = learning_layout(p, inst)
    T = p.gap + p.stimulus_window
    n_align, n_learn = int(p.n_align), int(p.n_passes)
    sched = alternating_schedule(n_align + n_learn, int(p.n_stimuli), T)
    escape = _escape(p)
    t_align = n_align * T
    rules = list(p.rules)
    structure = ("spiking_credit_assignment", tuple(p.sizes), tuple(rules), int(p.n_seeds), int(p.n_stimuli),
                 len(p.eta_factors), n_align + n_learn)
    ctx.log(f"{len(inst)} task instances x {len(p.eta_factors)} learning rates = {layout.n_copies} copies per rule; "
            f"{layout.n_outputs} output neurons and {layout.n_synapses} synapses per rule; "
            f"{n_align} frozen + {n_learn} learning passes of {T}, {p.n_stimuli} stimuli")
    with ctx.use_device(cache_key=structure) as sim:
        ctx.brian_seed()
        inputs = stacked_input(layout, sched, p.gap, p.dt, name="inputs")
        groups, objects = {}, [inputs]
        for k, kind in enumerate(rules):
            g = build_group(kind, inputs, layout, sched, _rule_params(p, kind), escape=escape,
                            accumulate_until=t_align + 0.5 * p.dt, serial_rng=np.random.default_rng([ctx.seed, 99]),
                            name=f"r{k}", dt=p.dt)
            # frozen phase (learning switch 0): the averaged updates at the initial weights and the initial
            # error; then learning. Switched inside ONE run (a second run would compile every object again)
            g["synapses"].plasticity = 0
            sl.plasticity_schedule(g["synapses"], [0.0, 1.0], t_align + p.dt)  # contained in the synapses
            objects += g["objects"] + g["circuit"].record()
            groups[kind] = g
            ctx.record_rule(g["rule"], f"inputs -> outputs ({kind})")
        probe = None
        if "node_perturbation" in groups:
            probe = attach_probe(groups["node_perturbation"], inputs, layout, T, _rule_params(p, "node_perturbation"),
                                 escape=escape, accumulate_until=t_align + 0.5 * p.dt, name="probe", dt=p.dt)
            objects.append(probe)
            ctx.record_rule(probe.rule, "inputs -> node-perturbation outputs (control probe, not transmitting)")
        net = Network(*objects)
        ctx.plan(sched.run_time(p.dt))
        ctx.run(net, sched.run_time(p.dt), report_period=10 * second)
        sim.build()
        timers = getattr(get_device(), "timers", None)
        if timers and timers.get("run_binary") is not None:
            ctx.log(f"cpp_standalone: compile {timers['compile']['make'] or 0:.1f} s, run {timers['run_binary']:.1f} s")
        data = {"stimulus": sched.stimuli, "perturbed": sched.perturbed,
                "instance_label": np.array([ins.label for ins in inst]),
                "instance_n_in": np.array([ins.n_in for ins in inst]),
                "instance_n_out": np.array([ins.n_out for ins in inst]),
                "copy_instance": layout.copy_instance, "copy_scale": layout.scale}
        for kind, g in groups.items():
            S = g["synapses"]
            data[f"sq_error_{kind}"] = g["circuit"].results()["sq_error"]
            data[f"gsum_{kind}"] = np.asarray(S.gsum[:]).copy()
            data[f"gsq_{kind}"] = np.asarray(S.gsq[:]).copy()
        if probe is not None:
            data[f"gsum_{CONTROL}"] = np.asarray(probe.gsum[:]).copy()
            data[f"gsq_{CONTROL}"] = np.asarray(probe.gsq[:]).copy()
    which = [q for q, ins in enumerate(inst) if ins.label in p.align_sizes]
    ctx.log(f"finite-difference gradients of {len(which)} instances (numpy target)")
    g_det, g_spk, _ = finite_difference_gradients(p, inst, which)
    for q in which:
        data[f"grad_det_{q}"], data[f"grad_spk_{q}"] = g_det[q], g_spk[q]
    return data


def _copies(data):
    """Per copy: its instance's number of inputs and outputs, and the index of its first synapse."""
    ci = np.asarray(data["copy_instance"])
    n_in, n_out = np.asarray(data["instance_n_in"])[ci], np.asarray(data["instance_n_out"])[ci]
    return n_in, n_out, np.concatenate([[0], np.cumsum(n_in * n_out)])


def _update_trials(kind, p):
    """Passes of the frozen phase that produced an update per copy: the second pass of each pair (every rule
    compares it with the paired first pass of the same stimulus)."""
    return int(p.n_align) // 2


def alignment(data, p):
    """Per rule and aligned instance q: cosine of the averaged update with -grad J, and E||g_hat||^2/||grad J||^2."""
    cos, ratio = {}, {}
    kinds = [k for k in list(RULES) + [CONTROL] if f"gsum_{k}" in data]
    which = [q for q in range(len(data["instance_n_in"])) if f"grad_det_{q}" in data]
    copy_instance, scale = np.asarray(data["copy_instance"]), np.asarray(data["copy_scale"])
    n_in_c, n_out_c, start = _copies(data)

    def weights(flat, c):
        return copy_weights(flat, start[c], n_in_c[c], n_out_c[c])

    for kind in kinds:
        K = _update_trials(kind, p)
        grad_key = "grad_spk" if kind in ("reinforce", "reward_stdp") else "grad_det"
        cos[kind], ratio[kind] = {}, {}
        for q in which:
            copies = np.flatnonzero(copy_instance == q)
            # eligibilities built from the presynaptic trace (node perturbation, REINFORCE, STDP, Hebb) estimate
            # the gradient with respect to the effective weight jump*w; convert to d/dw (weight perturbation
            # perturbs w itself). The cosine does not depend on this factor, the second moment does.
            n_in = int(data["instance_n_in"][q])
            f = 1.0 if kind in ("weight_perturbation", "serial_perturbation") else float(n_in) ** -1 * p.n_ref
            mean_upd = sum(weights(data[f"gsum_{kind}"], c) / scale[c] for c in copies)
            mean_upd = f * mean_upd / (K * copies.size)
            second = sum(weights(data[f"gsq_{kind}"], c) / scale[c] ** 2 for c in copies)
            second = f ** 2 * second.sum() / (K * copies.size)
            target = -np.asarray(data[f"{grad_key}_{q}"])
            gn = np.linalg.norm(target)
            cos[kind][q] = float(np.sum(mean_upd * target) / (np.linalg.norm(mean_upd) * gn + 1e-300))
            ratio[kind][q] = float(second / gn ** 2)
    return cos, ratio


def learning_curves(data, p, kind):
    """Relative RMS error of the unperturbed network against passes of the learning phase, seed-averaged.

    At each unperturbed pass, sqrt of the mean squared error over a centred window of one cycle of the schedule
    (every stimulus once): the RMS error over all stimuli, sqrt(J), of the network at that time. Relative to the
    same quantity over the frozen phase. Returns (passes, curves[size][factor index], initial[q])."""
    sq = data[f"sq_error_{kind}"]  # (passes, copies)
    copy_instance = np.asarray(data["copy_instance"])
    mse = np.maximum(sq, 0) / _copies(data)[1]
    n_align = int(p.n_align)
    passes = np.arange(mse.shape[0])
    clean = data["perturbed"][:mse.shape[0]] == 0
    if kind in ("reinforce", "reward_stdp"):
        clean = np.ones_like(clean)  # no injected perturbation: every pass shows the network as it is
    w = int(p.n_stimuli) * (2 if kind in ("reinforce", "reward_stdp") else 1)  # clean passes per cycle
    e, x = mse[clean], passes[clean]
    kernel = np.ones(w) / w
    smooth = np.array([np.convolve(e[:, c], kernel, mode="valid") for c in range(e.shape[1])]).T
    centre = x[w // 2: w // 2 + smooth.shape[0]]
    initial = {}
    frozen = x < n_align
    labels = [str(label) for label in data["instance_label"]]
    for q in range(len(labels)):
        cs = np.flatnonzero(copy_instance == q)
        initial[q] = float(np.sqrt(e[frozen][:, cs].mean()))
    keep = centre >= n_align
    xs = centre[keep] - n_align + 1
    rms = np.sqrt(smooth[keep])
    nf = len(p.eta_factors)
    curves = {}
    for size in p.sizes:
        qs = [q for q, label in enumerate(labels) if label == size]
        curves[size] = [np.mean([rms[:, q * nf + f] / initial[q] for q in qs], axis=0) for f in range(nf)]
    return xs, curves, initial


def trials_to(x, curve, criterion, window):
    """First pass at which the running mean (over ``window`` points) of ``curve`` is at or below ``criterion``."""
    w = max(1, int(window))
    if curve.size < w:
        return None
    smooth = np.convolve(curve, np.ones(w) / w, mode="valid")
    below = np.flatnonzero(smooth <= criterion)
    return int(x[below[0] + w - 1]) if below.size else None


def _slope(xs, ys):
    pts = [(a, b) for a, b in zip(xs, ys) if b is not None and b > 0]
    if len(pts) < 2 or len({a for a, _ in pts}) < 2:
        return None
    lx, ly = np.log([a for a, _ in pts]), np.log([b for _, b in pts])
    return float(np.polyfit(lx, ly, 1)[0])


def _axes(sizes):
    """The sizes with the most common M, sorted by N (synapses grow at fixed neurons), and those with the most
    common N, sorted by M (neurons grow at fixed inputs)."""
    nm = [parse_size(s) for s in sizes]
    ms_ = [m for _, m in nm]
    ns_ = [n for n, _ in nm]
    m_ref = max(set(ms_), key=lambda m: (ms_.count(m), -m))
    n_ref = max(set(ns_), key=lambda n: (ns_.count(n), -n))
    syn_axis = sorted([s for s, (n, m) in zip(sizes, nm) if m == m_ref], key=lambda s: parse_size(s)[0])
    neuron_axis = sorted([s for s, (n, m) in zip(sizes, nm) if n == n_ref], key=lambda s: parse_size(s)[1])
    return syn_axis, neuron_axis, m_ref, n_ref


def measure(data, p):
    """Passes to criterion, best learning-rate factors, scaling slopes and ratios, and the alignment with the
    finite-difference gradient (see the module docstring), from the arrays of :func:`simulate`."""
    labels = [str(label) for label in data["instance_label"]]
    rules = [r for r in RULES if f"sq_error_{r}" in data]
    crit = float(p.criterion)
    out = {"trials_to_criterion": {}, "best_eta_factor": {}, "best_factor_at_grid_edge": {}, "final_error_ratio": {},
           "initial_rms_error": {}, "criterion": crit, "n_passes": int(p.n_passes), "n_align": int(p.n_align),
           "n_seeds": int(p.n_seeds), "eta_factors": [float(f) for f in p.eta_factors]}
    window = 1  # the curves are already averages over a cycle of the schedule
    for kind in rules:
        x, curves, initial = learning_curves(data, p, kind)
        out["initial_rms_error"][kind] = float(np.mean(list(initial.values())))
        out["trials_to_criterion"][kind], out["best_eta_factor"][kind] = {}, {}
        out["best_factor_at_grid_edge"][kind], out["final_error_ratio"][kind] = {}, {}
        for size in p.sizes:
            times = [trials_to(x, c, crit, window) for c in curves[size]]
            k = max(1, len(x) // 10)
            finals = [float(np.mean(c[-k:])) for c in curves[size]]
            reached = [(t, f) for f, t in enumerate(times) if t is not None]
            if reached:
                best_t, best_f = min(reached)
            else:
                best_t, best_f = None, int(np.argmin(finals))
            out["trials_to_criterion"][kind][size] = best_t
            out["best_eta_factor"][kind][size] = float(p.eta_factors[best_f])
            edge = (0, len(p.eta_factors) - 1)
            out["best_factor_at_grid_edge"][kind][size] = bool(len(p.eta_factors) > 1 and best_f in edge)
            out["final_error_ratio"][kind][size] = finals[best_f]
    syn_axis, neuron_axis, m_ref, n_ref = _axes(list(p.sizes))
    out["synapse_axis"] = {"sizes": syn_axis, "fixed_M": m_ref}
    out["neuron_axis"] = {"sizes": neuron_axis, "fixed_N": n_ref}
    out["scaling"] = {}
    for kind in rules:
        ttc = out["trials_to_criterion"][kind]
        entry = {}
        for axis_name, axis, count in (("synapses", syn_axis, lambda s: np.prod(parse_size(s))),
                                       ("neurons", neuron_axis, lambda s: parse_size(s)[1])):
            xs = [float(count(s)) for s in axis]
            ys = [ttc[s] for s in axis]
            entry[f"slope_vs_{axis_name}"] = _slope(xs, ys) if len(axis) > 1 else None
            ok = len(axis) > 1 and ys[0] is not None and ys[-1] is not None
            entry[f"ratio_vs_{axis_name}"] = float(ys[-1] / ys[0]) if ok else None
            # not reached at the largest size within the run: the ratio is at least n_passes / tau(smallest)
            censored = len(axis) > 1 and ys[0] is not None and ys[-1] is None
            entry[f"ratio_lower_bound_vs_{axis_name}"] = float(int(p.n_passes) / ys[0]) if censored else None
            entry[f"{axis_name}_range"] = [xs[0], xs[-1]] if axis else None
        out["scaling"][kind] = entry
    cos, ratio = alignment(data, p)
    sizes_al = [s for s in p.sizes if s in p.align_sizes]

    def by_size(v):
        return {s: float(np.mean([v[q] for q in v if labels[q] == s])) for s in sizes_al}

    out["cosine_by_size"] = {k: by_size(v) for k, v in cos.items()}
    out["cosine_size"] = sizes_al[0]
    out["cosine"] = {k: v[sizes_al[0]] for k, v in out["cosine_by_size"].items()}
    out["cosine_seeds"] = {k: [v[q] for q in v if labels[q] == sizes_al[0]] for k, v in cos.items()}
    out["variance_ratio"] = {k: by_size(v) for k, v in ratio.items()}
    out["align_updates"] = {k: _update_trials(k, p) * len(p.eta_factors) for k in cos}
    return out


def summary(metrics, p):
    return ["trials to criterion: " + "; ".join(
                f"{k}: " + ", ".join(f"{s} {v}" for s, v in metrics["trials_to_criterion"][k].items())
                for k in metrics["trials_to_criterion"]),
            "cosine with the finite-difference gradient: " + ", ".join(
                f"{k} {v:.2f}" for k, v in metrics["cosine"].items())]


def binned_curves(data, p, kind):
    """The learning curves of :func:`learning_curves` averaged in bins of consecutive points (about 100 bins):
    (passes, curves (sizes, factors, bins))."""
    x, curves, _ = learning_curves(data, p, kind)
    nb = max(1, x.size // 100)
    npt = x.size // nb
    return (x[:npt * nb].reshape(npt, nb).mean(axis=1),
            np.array([[c[:npt * nb].reshape(npt, nb).mean(axis=1) for c in curves[s]] for s in p.sizes]))


def plot(data, metrics, p):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter

    figs = {}
    rules = [r for r in RULES if f"sq_error_{r}" in data]
    binned = {kind: binned_curves(data, p, kind) for kind in rules}
    sizes = list(p.sizes)
    # ---- learning curves at the best learning rate, one panel per size
    ncol = min(3, len(sizes))
    nrow = int(np.ceil(len(sizes) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.3 * nrow), squeeze=False, sharey=True)
    for a, size in enumerate(sizes):
        ax = axes[a // ncol][a % ncol]
        for kind in rules:
            f = p.eta_factors.index(metrics["best_eta_factor"][kind][size]) if metrics["best_eta_factor"][kind][size] \
                in p.eta_factors else 0
            ax.plot(binned[kind][0], binned[kind][1][a, f], color=COLORS[kind], label=LABELS[kind], lw=1.3)
        ax.axhline(metrics["criterion"], color="0.4", ls=":", lw=0.8)
        n, m = parse_size(size)
        ax.set_title(f"N = {n} inputs, M = {m} neurons ({n * m} synapses)", fontsize="medium")
        ax.set_yscale("log")
        ax.set_xlabel("forward passes")
        if a % ncol == 0:
            ax.set_ylabel("RMS count error / initial")
    for b in range(len(sizes), nrow * ncol):
        axes[b // ncol][b % ncol].axis("off")
    axes[0][0].legend(fontsize="x-small", loc="lower left")
    fig.suptitle(f"Learning curves at each rule's best learning rate (mean of {p.n_seeds} seeds)", fontsize="medium")
    fig.tight_layout()
    figs["spiking_credit_assignment_curves"] = fig

    # ---- trials to criterion against neurons and against synapses
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, axis_name, key, fixed, count in (
            (axes[0], "neurons", "neuron_axis", "fixed_N", lambda s: parse_size(s)[1]),
            (axes[1], "synapses", "synapse_axis", "fixed_M", lambda s: int(np.prod(parse_size(s))))):
        axis = metrics[key]["sizes"]
        for kind in rules:
            xs = [count(s) for s in axis]
            ys = [metrics["trials_to_criterion"][kind][s] for s in axis]
            pts = [(x, y) for x, y in zip(xs, ys) if y is not None]
            if not pts:
                continue
            slope = metrics["scaling"][kind][f"slope_vs_{axis_name}"]
            lab = LABELS[kind] + (f" (slope {slope:.2f})" if slope is not None else "")
            ax.plot(*zip(*pts), "o-", color=COLORS[kind], label=lab)
            # not reached within the run: a lower bound at n_passes
            cens = [x for x, y in zip(xs, ys) if y is None]
            if cens:
                ax.plot(cens, [metrics["n_passes"]] * len(cens), "^", mfc="none", color=COLORS[kind], ms=9)
        ax.set_xscale("log")
        ax.set_yscale("log")
        xt = [count(s) for s in axis]
        ax.xaxis.set_major_locator(FixedLocator(xt))
        ax.xaxis.set_major_formatter(FormatStrFormatter("%d"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(min(xt) / 1.3, max(xt) * 1.3)
        if axis_name == "neurons":
            ax.set_xlabel(f"learning neurons M (N = {metrics[key][fixed]} inputs)")
        else:
            ax.set_xlabel(f"synapses N x M (M = {metrics[key][fixed]} neurons)")
        ax.set_ylabel(f"passes to {metrics['criterion']:.0%} of the initial error")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="x-small")
        else:
            ax.text(0.5, 0.5, "no rule reached the criterion", transform=ax.transAxes, ha="center")
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("Passes to criterion at the best learning rate of the grid (open triangles: not reached within "
                 f"{metrics['n_passes']} passes)", fontsize="medium")
    fig.tight_layout()
    figs["spiking_credit_assignment_scaling"] = fig

    # ---- cosine with the finite-difference gradient
    fig, ax = plt.subplots(figsize=(7.5, 4))
    kinds = [k for k in list(RULES) + [CONTROL] if k in metrics["cosine_by_size"]]
    sizes_al = list(metrics["cosine_by_size"][kinds[0]]) if kinds else []
    width = 0.8 / max(1, len(sizes_al))
    for b, size in enumerate(sizes_al):
        vals = [metrics["cosine_by_size"][k][size] for k in kinds]
        n, m = parse_size(size)
        ax.bar(np.arange(len(kinds)) + (b - (len(sizes_al) - 1) / 2) * width, vals, width,
               label=f"N = {n}, M = {m}", color=plt.cm.viridis(b / max(1, len(sizes_al) - 1)))
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(np.arange(len(kinds)))
    ax.set_xticklabels([SHORT[k] for k in kinds], fontsize="small")
    ax.set_ylabel("cosine(averaged update, -grad J)")
    ax.set_ylim(-1, 1)
    ax.set_title(f"Alignment with the finite-difference gradient at the initial weights "
                 f"({metrics['align_updates'].get('node_perturbation', '?')} node-perturbation updates averaged)",
                 fontsize="small")
    ax.legend(fontsize="x-small", ncol=max(1, len(sizes_al)))
    fig.tight_layout()
    figs["spiking_credit_assignment_alignment"] = fig
    return figs


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("spiking_credit_assignment")
