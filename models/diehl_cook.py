"""The Diehl & Cook (2015) network on the UCI 8x8 handwritten digits, and its reward-driven variant.

Diehl PU, Cook M (2015) Unsupervised learning of digit recognition using spike-timing-dependent
plasticity. Front Comput Neurosci 9:99. docs/validation.md (Diehl & Cook 2015) (the small-scale substitute D2).

Network (one copy per simulation):

* 64 Poisson inputs, one per pixel: rate = ``rate_max`` x pixel / 16 during the presentation
  (``t_on``), 0 during the rest (``t_off``). The images reach the compiled program through one
  ``TimedArray`` (one row per presentation), so a whole epoch and its evaluation run in one
  ``cpp_standalone`` program with no Python per image.
* ``n_exc`` conductance-based LIF excitatory neurons with an adaptive threshold
  (``theta += theta_plus`` per spike, decay ``tau_theta``; the homeostasis of Diehl & Cook).
* ``n_exc`` inhibitory neurons: excitatory neuron k drives inhibitory neuron k, which inhibits every
  excitatory neuron but k (lateral inhibition, soft winner-take-all).
* Input -> excitatory weights learn by a catalog rule (``stdp_additive`` for the unsupervised route,
  ``reward_stdp`` for the reward route), with the catalog's ``multiplicative_normalization`` once per
  presentation (each neuron's incoming weights sum to ``w_total``). Learning, normalisation and the
  threshold adaptation are switched on during the training presentations and off during evaluation by
  ``TimedArray`` schedules inside the simulation.

The reward route gives excitatory neuron k the class ``k mod 10`` beforehand. At the end of each
training presentation a one-element task group computes, from the neurons' spike counts in that
presentation, whether the most active neuron belongs to the presented digit's class (R = 1) or not
(R = 0), and a per-class critic Rbar (running mean of R for that digit class: the per-stimulus
baseline that Frémaux et al. 2010 require). ``reward_stdp`` reads R and Rbar as modulators. "Most
active" is decided without Python: A = sum over neurons of the label's class of exp(beta c_k), B the
same sum over the other neurons; R = [A > B]. For beta = 10 per spike this equals "the neuron with the
most spikes is of the right class" whenever the winner leads by at least one spike (ties between
classes go to the class with more tied neurons). No spike at all gives R = 0.

Also here: the data split. Label assignment by highest mean response, the two read-outs (class vote of
assigned labels; class of the most active neuron) and accuracy live in :mod:`snnlearn.metrics.classification`
and are re-exported here under their old names.

Exploration (``sigma_explore`` > 0, reward route only): each excitatory neuron receives a conductance
perturbation drawn from N(0, sigma_explore^2) at the start of each training presentation and held for it
(zero during evaluation), the same kind of perturbation as the node-perturbation route but not read by the
rule. Frémaux et al.'s neurons are stochastic (escape noise), and reward-modulated STDP learns from the
variability of their responses; a deterministic integrate-and-fire winner-take-all circuit with a per-class
critic instead locks in: once a class's images are always won by a neuron of another class, its critic
predicts R = 0, R - Rbar = 0, and nothing changes for that class. The perturbation lets the given class's
neurons win some of those images, which the critic then rewards (calibration in experiments/digits.py).

Node perturbation route (``perturbation``, Fiete & Seung 2006): the same given classes, reward and
per-class critic as ``reward_stdp``; each excitatory neuron i receives a conductance perturbation xi_i
(``noise``, in units of the leak conductance, like ``ge``), drawn from N(0, sigma_np^2) at the start of
each training presentation and held for it (zero during evaluation), and the catalog's
``node_perturbation`` changes the weights by eta (R - Rbar) xi_i int x_j dt / (sigma^2 T) at the end of
the presentation (x_j: the input spike trace with the input conductance's time constant).

REINFORCE route (``reinforce``; Williams 1992, Pfister et al. 2006): the same given classes, reward and
per-class critic; the excitatory neurons fire by escape noise, in each time step with probability rho dt,
rho = rho0 exp((v - v_thresh_e - theta) / du) (capped at ``rho_max``, zero while refractory), so that no
perturbation is injected: the neurons' own spiking noise explores. The catalog's ``reinforce`` changes the
weights by eta (R - Rbar) int (S_i - rho_i) x_j dt at the end of each presentation (x_j: the input spike
trace with the membrane's time constant, ``tau_x_rf``, so that dv/dw_ij ~ x_j; the gain 1/du absorbed in
eta). The escape noise stays on during evaluation: it is the neuron model of this route.
"""

import numpy as np
from brian2 import Clock, Hz, NeuronGroup, Network, PoissonGroup, SpikeMonitor, Synapses, TimedArray, mV, ms

import snnlearn as sl
from snnlearn.metrics.classification import (accuracy, assign_labels, confusion, online_accuracy,  # noqa: F401
                                            predict_vote, predict_winner)

__all__ = ["load_split", "assign_labels", "predict_vote", "predict_winner", "accuracy", "confusion",
           "online_accuracy", "DEFAULTS", "build_network", "responses_by_presentation", "kmeans_responses"]

N_CLASSES = 10

#: Network constants (Diehl & Cook 2015, their Brian code), and the parameters changed for 8x8 inputs.
DEFAULTS = {
    "dt": 0.5 * ms,
    "t_on": 350 * ms,          # presentation
    "t_off": 150 * ms,         # rest
    "rate_max": 63.75 * Hz,    # pixel 16 (the maximum of the 8x8 digits) -> 63.75 Hz, as 255 -> 63.75 Hz
    "v_rest_e": -65 * mV, "v_reset_e": -65 * mV, "v_thresh_e": -52 * mV, "tau_e": 100 * ms, "refrac_e": 5 * ms,
    "v_rest_i": -60 * mV, "v_reset_i": -45 * mV, "v_thresh_i": -40 * mV, "tau_i": 10 * ms, "refrac_i": 2 * ms,
    "E_exc": 0 * mV, "E_inh": -100 * mV, "E_inh_i": -85 * mV, "tau_ge": 1 * ms, "tau_gi": 2 * ms,
    "w_ei": 10.4, "w_ie": 17.0,
    "theta_plus": 0.05 * mV, "tau_theta": 1e7 * ms,
    "w_total": 8.0,            # sum of each excitatory neuron's 64 input weights (78 of 784 in D&C)
    "wmax": 1.0,
    "Ap": 0.01, "Am": 0.005, "taupre": 20 * ms, "taupost": 20 * ms,
    "eta_r": 1.0, "tau_elig": 500 * ms, "critic_alpha": 0.1, "critic_init": 0.1, "beta": 10.0,
    "sigma_explore": 0.0,  # reward-modulated STDP: SD of an exploratory conductance perturbation per image
    "eta_np": 0.02, "sigma_np": 0.1,  # node perturbation: learning rate, SD of the conductance perturbation
    # REINFORCE: learning rate, escape noise rho = rho0 exp((v - threshold) / du) (at most rho_max), PSP trace
    "eta_rf": 0.001, "rho0": 200 * Hz, "du": 2 * mV, "rho_max": 1000 * Hz, "tau_x_rf": 100 * ms,
}

#: Routes that :func:`build_network` builds; the reward-driven ones read the in-simulation reward.
ROUTES = ("stdp", "reward_stdp", "perturbation", "reinforce", "frozen")
REWARD_ROUTES = ("reward_stdp", "perturbation", "reinforce")


# ---------------------------------------------------------------------------------------------- data
def load_split(test_fraction=0.3, split_seed=0):
    """The UCI 8x8 digits (scikit-learn's bundled copy), pixels scaled to [0, 1] (16 -> 1), and a fixed
    train/test split stratified by digit. Returns ``x_train, y_train, x_test, y_test``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = d.data.astype(float) / 16.0
    x_train, x_test, y_train, y_test = train_test_split(x, d.target.astype(int), test_size=test_fraction,
                                                        stratify=d.target, random_state=split_seed)
    return x_train, y_train, x_test, y_test


def subset(x, y, n, rng):
    """A class-balanced subset of ``n`` examples (as equal per class as possible), in random order."""
    if n is None or n >= len(y):
        return x, y
    per = np.full(N_CLASSES, n // N_CLASSES)
    per[: n % N_CLASSES] += 1
    idx = np.concatenate([rng.permutation(np.flatnonzero(y == c))[: per[c]] for c in range(N_CLASSES)])
    idx = rng.permutation(idx)
    return x[idx], y[idx]


def kmeans_responses(x_fit, x_eval, n_clusters, seed):
    """k-means with ``n_clusters`` centroids on ``x_fit``; one-hot responses (nearest centroid) of
    ``x_eval``: the winner-take-all response that the label assignment reads."""
    from sklearn.cluster import KMeans

    km = KMeans(n_clusters=n_clusters, n_init=3, random_state=seed).fit(x_fit)
    return [np.eye(n_clusters)[km.predict(x)] for x in x_eval], km.cluster_centers_


def random_weights(n_in, n_exc, total, rng):
    """Uniform random input weights, each neuron's column rescaled to sum to ``total``."""
    w = rng.uniform(0.0, 1.0, (n_in, n_exc))
    return w * (total / w.sum(axis=0, keepdims=True))


# ----------------------------------------------------------------------------------- network
def build_network(images, learn, n_exc, route, w0, params, labels=None, record_spikes=True):
    """The network for one run of the presentations ``images`` (n, 64, values in [0, 1]).

    ``learn`` (n,) is 1 for training presentations (plasticity, normalisation, threshold adaptation
    on) and 0 for evaluation. ``route``: ``"stdp"`` (unsupervised, ``stdp_additive``); the reward routes
    ``"reward_stdp"`` (``reward_stdp``), ``"perturbation"`` (``node_perturbation``) and ``"reinforce"``
    (``reinforce`` on escape-noise neurons), each with the in-simulation reward and per-class critic
    and needing one of ``labels`` per presentation; or ``"frozen"`` (no plasticity at all). ``w0``
    (64, n_exc): initial weights. Returns a dict with the ``Network`` and its parts; run it for
    ``len(images) * (t_on + t_off)``.
    """
    q = {**DEFAULTS, **params}
    images = np.asarray(images, dtype=float)
    n_pres, n_in = images.shape
    T = q["t_on"] + q["t_off"]
    learn = np.asarray(learn, dtype=float)
    if learn.shape != (n_pres,):
        raise ValueError(f"learn must have one 0/1 value per presentation, got shape {learn.shape}")
    if route not in ROUTES:
        raise ValueError(f"build_network: route must be one of {', '.join(ROUTES)}, got {route!r}")
    if route in REWARD_ROUTES and (labels is None or len(labels) != n_pres):
        raise ValueError(f"build_network: the {route} route needs one label per presentation")

    pixels = TimedArray(images, dt=T, name="digit_pixels")
    learn_ta = TimedArray(learn, dt=T, name="learn_phase")
    ns = {"digit_pixels": pixels, "learn_phase": learn_ta, "T_pres": T, **{k: q[k] for k in (
        "t_on", "rate_max", "v_rest_e", "v_reset_e", "v_thresh_e", "tau_e", "v_rest_i", "v_reset_i", "v_thresh_i",
        "tau_i", "E_exc", "E_inh", "E_inh_i", "tau_ge", "tau_gi", "theta_plus", "tau_theta")}}
    # the gate: on for t_on at the start of each presentation (the epsilon keeps t = kT inside slot k)
    inputs = PoissonGroup(n_in, rates="rate_max * digit_pixels(t, i) * int(t - T_pres * floor(t / T_pres + 1e-6) "
                                      "< t_on)", namespace=ns, name="pixels_in", dt=q["dt"])
    # node perturbation: a conductance perturbation xi_i (``noise``, in units of the leak conductance, like
    # ge), drawn once per presentation (Fiete & Seung 2006; Werfel et al. 2005), zero during evaluation
    # reward-modulated STDP may explore with the same kind of perturbation (``sigma_explore`` > 0; its rule
    # does not read it)
    explore = route == "reward_stdp" and q["sigma_explore"] > 0
    perturbed = route == "perturbation" or explore
    g_in = "(ge + noise)" if perturbed else "ge"
    # REINFORCE: escape noise (the neuron fires in each step with probability rho dt; Pfister et al. 2006),
    # rho = rho0 exp((v - threshold) / du), capped at rho_max and zero while refractory
    stochastic = route == "reinforce"
    escape = """
        rho = int(not_refractory) * clip(rho0 * exp((v - v_thresh_e - theta) / du), 0 * Hz, rho_max) : Hz
        rho0 : Hz (shared)
        du : volt (shared)
        rho_max : Hz (shared)""" if stochastic else ""
    exc = NeuronGroup(n_exc, f"""
        dv/dt = ((v_rest_e - v) + {g_in} * (E_exc - v) + gi * (E_inh - v)) / tau_e : volt (unless refractory)
        {"noise : 1" if perturbed else ""}
        dge/dt = -ge / tau_ge : 1
        dgi/dt = -gi / tau_gi : 1
        dtheta/dt = -theta / tau_theta * learn_phase(t) : volt
        w_total : 1
        count : 1
        cls : integer (constant)
        {escape}
    """, threshold="rand() < rho * dt" if stochastic else "v > v_thresh_e + theta",
        reset="v = v_reset_e\ntheta += theta_plus * learn_phase(t)\ncount += 1",
        refractory=q["refrac_e"], method="euler", namespace=ns, name="exc", dt=q["dt"])
    if stochastic:
        exc.rho0, exc.du, exc.rho_max = q["rho0"], q["du"], q["rho_max"]
    exc.v = q["v_rest_e"] - 40 * mV  # D&C start the excitatory neurons 40 mV below rest
    exc.cls = np.arange(n_exc) % N_CLASSES
    # the normalisation's summed variable is first computed in the 'groups' slot of step 0, after the
    # normalisation ran in 'start': give it its true initial value, or step 0 divides by zero
    exc.w_total = np.asarray(w0).sum(axis=0)
    inh = NeuronGroup(n_exc, """
        dv/dt = ((v_rest_i - v) + ge * (E_exc - v) + gi * (E_inh_i - v)) / tau_i : volt (unless refractory)
        dge/dt = -ge / tau_ge : 1
        dgi/dt = -gi / tau_gi : 1
    """, threshold="v > v_thresh_i", reset="v = v_reset_i", refractory=q["refrac_i"], method="euler",
        namespace=ns, name="inh", dt=q["dt"])
    inh.v = q["v_rest_i"] - 40 * mV
    ei = Synapses(exc, inh, on_pre="ge_post += w_ei", namespace={"w_ei": q["w_ei"]}, name="exc_to_inh", dt=q["dt"])
    ei.connect(j="i")
    ie = Synapses(inh, exc, on_pre="gi_post += w_ie", namespace={"w_ie": q["w_ie"]}, name="inh_to_exc", dt=q["dt"])
    ie.connect(condition="i != j")
    # spike counts per presentation, reset at each presentation start (after the reward read them)
    exc.run_regularly("count = 0", dt=T, when="start", order=-19, name="exc_count_reset")

    objects = [inputs, exc, inh, ei, ie]
    norm = sl.rules.multiplicative_normalization(total=q["w_total"], interval=T)
    task = None
    if route == "stdp":
        rule = sl.rules.stdp_additive(Ap=q["Ap"], Am=q["Am"], taupre=q["taupre"], taupost=q["taupost"],
                                      wmax=q["wmax"])
        S = sl.connect(inputs, exc, rule, transmit="ge_post += w", w=w0.ravel(), homeostasis=[norm], name="input_exc",
                       dt=q["dt"])
    elif route in REWARD_ROUTES:
        task = reward_task(exc, labels, learn_ta, T, q)
        rule, connect_kw = _reward_route_rule(route, exc, explore, T, q)
        S = sl.connect(inputs, exc, rule, transmit="ge_post += w", w=w0.ravel(), homeostasis=[norm],
                       modulators={"R": (task["group"], "R"), "Rbar": (task["group"], "Rbar")}, name="input_exc",
                       dt=q["dt"], **connect_kw)
        objects += task["objects"]
    else:
        rule = None
        S = Synapses(inputs, exc, model="w : 1", on_pre="ge_post += w", name="input_exc", dt=q["dt"])
        S.connect()
        S.w = w0.ravel()
    if rule is not None:
        sl.plasticity_schedule(S, learn, T)
        # the normalisation reads the weight sum once per presentation: compute it then, not every step
        once_per_presentation(S, "w_total", T, order=-5)
    objects.append(S)
    spikes = SpikeMonitor(exc, name="exc_spikes") if record_spikes else None
    if spikes is not None:
        objects.append(spikes)
    net = Network(*objects)
    return {"net": net, "inputs": inputs, "exc": exc, "inh": inh, "synapses": S, "spikes": spikes, "rule": rule,
            "norm": norm, "task": task, "duration": n_pres * T, "T": T, "n_pres": n_pres}


def _reward_route_rule(route, exc, explore, T, q):
    """The plasticity rule of a reward route and its extra :func:`snnlearn.connect` arguments; the
    perturbation routes also add their noise to ``exc`` (:func:`perturbation_draw`)."""
    if route == "reinforce":
        # the eligibility (S - rho) x_j with x_j the PSP trace (the membrane's time constant: dv/dw_ij ~ x_j);
        # the escape function's gain 1/du is absorbed in eta
        rule = sl.rules.reinforce(eta=q["eta_rf"], tau_x=q["tau_x_rf"], update_dt=T, wmin=0.0, wmax=q["wmax"])
        return rule, {"variable_params": ("eta",), "namespace": {"v_thresh_e": q["v_thresh_e"]}}
    if route == "reward_stdp":
        if explore:
            perturbation_draw(exc, q["sigma_explore"], T)
        rule = sl.rules.reward_stdp(eta=q["eta_r"], Ap=q["Ap"], Am=q["Am"], taupre=q["taupre"], taupost=q["taupost"],
                                    tau_e=q["tau_elig"], update_dt=T, wmin=0.0, wmax=q["wmax"], reset=True)
        return rule, {}
    # node perturbation: one perturbation per neuron and presentation, piecewise constant in bins of width T,
    # so that int C = 2 sigma^2 tau_noise with tau_noise = T / 2 (the rule's normalisation); x_j follows the
    # input conductance's kernel (tau_x = tau_ge), so that d(input)/dw_ij = x_j as the rule assumes
    perturbation_draw(exc, q["sigma_np"], T)
    rule = sl.rules.node_perturbation(eta=q["eta_np"], sigma=q["sigma_np"], tau_noise=T / 2, tau_x=q["tau_ge"],
                                      update_dt=T, wmin=0.0, wmax=q["wmax"])
    return rule, {"variable_params": ("eta",)}


def perturbation_draw(exc, sigma, T):
    """Draw each excitatory neuron's conductance perturbation ``noise`` ~ N(0, sigma^2) (units of the leak
    conductance) at the start of each presentation, held for it; zero during evaluation."""
    exc.run_regularly("noise = sigma_perturbation * randn() * learn_phase(t)", dt=T, when="start", order=-18,
                      name="exc_perturbation_draw")
    exc.namespace["sigma_perturbation"] = sigma


def reward_task(exc, labels, learn_ta, T, q):
    """The in-simulation reward: R = 1 when the presentation's most active excitatory neuron has the
    presented class (``exc.cls``), else 0; Rbar the per-class critic (running mean of R per digit class,
    rate ``critic_alpha``, starting at ``critic_init``, by default chance 0.1). Computed at each presentation
    boundary (``start`` slot, before the counts are reset and before the rule's update reads R and Rbar).
    ``n_rewarded`` counts the rewarded training presentations (for checking the circuit against its
    definition)."""
    label_ta = TimedArray(np.asarray(labels, dtype=float), dt=T, name="digit_label")
    model = ["R : 1", "Rbar : 1", "A : 1", "B : 1", "label : integer", "trial : integer", "n_rewarded : 1"]
    model += [f"V_{c} : 1" for c in range(N_CLASSES)]
    g = NeuronGroup(1, "\n".join(model), namespace={"digit_label": label_ta, "learn_phase": learn_ta, "critic_alpha": q["critic_alpha"],
                                                      "T_pres": T},
                    name="reward_task", dt=exc.clock.dt)
    for c in range(N_CLASSES):
        setattr(g, f"V_{c}", q["critic_init"])
    code = ["done = int(trial > 0)",
            "R = done * int(A > B)",
            "Rbar = done * (" + " + ".join(f"int(label == {c}) * V_{c}" for c in range(N_CLASSES)) + ")"]
    code += [f"V_{c} = V_{c} + done * int(label == {c}) * critic_alpha * (R - V_{c})" for c in range(N_CLASSES)]
    code += ["n_rewarded = n_rewarded + R * learn_phase(t - T_pres)", "label = int(digit_label(t) + 0.5)", "trial = trial + 1"]
    g.run_regularly("\n".join(code), dt=T, when="start", order=-20, name="reward_task_end")
    # A, B: softmax-like sums of exp(beta * count) over neurons of / not of the presented class
    read = Synapses(exc, g, model="""
        A_post = int(cls_pre == label_post) * exp(beta_r * clip(count_pre, 0, 60)) : 1 (summed)
        B_post = int(cls_pre != label_post) * exp(beta_r * clip(count_pre, 0, 60)) : 1 (summed)
    """, namespace={"beta_r": q["beta"]}, name="reward_read", dt=exc.clock.dt)
    read.connect(j="0")
    once_per_presentation(read, "A", T, order=-25)
    once_per_presentation(read, "B", T, order=-25)
    return {"group": g, "read": read, "objects": [g, read]}


def once_per_presentation(synapses, variable, T, order):
    """Compute the summed variable ``variable`` of ``synapses`` only at the presentation boundaries (``start``
    slot, before the operations of order > ``order`` that read it), instead of at every time step.

    Brian2 updates a ``(summed)`` variable on the target's clock in the ``groups`` slot, every step: for the
    weight sum that the normalisation reads once per presentation, that is n_in x n_exc additions per
    step, most of the simulation's cost. The value read at each boundary is the same: the sum over the
    synapses' current values. (Library note: ``multiplicative_normalization`` in snnlearn could do this
    itself, on its ``interval``.)
    """
    updater = synapses.summed_updaters[f"{variable}_post"]
    updater._clock = Clock(dt=T, name=f"{synapses.name}_{variable}_sum_clock")
    updater.when, updater.order = "start", order


def reward_from_counts(counts, labels, classes, beta):
    """The reward of :func:`reward_task` computed in numpy from spike counts (n_pres, n_exc): 1 where
    sum over the label's neurons of exp(beta c) exceeds the sum over the others, else 0."""
    e = np.exp(beta * np.clip(np.asarray(counts, dtype=float), 0, 60))
    mine = np.asarray(classes)[None, :] == np.asarray(labels)[:, None]
    return ((e * mine).sum(axis=1) > (e * ~mine).sum(axis=1)).astype(float)


def responses_by_presentation(spike_i, spike_t, n_pres, n_exc, T):
    """Spike counts (n_pres, n_exc) of each neuron in each presentation (presentation + rest)."""
    k = np.floor(np.asarray(spike_t) / float(T) + 1e-9).astype(int)
    ok = k < n_pres
    r = np.zeros((n_pres, n_exc))
    np.add.at(r, (k[ok], np.asarray(spike_i)[ok]), 1)
    return r
