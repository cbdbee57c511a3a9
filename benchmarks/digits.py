"""Case ``digits``: training speed of the Diehl & Cook (2015) network on 8x8 digits, snnlearn against BindsNET.

The same network and protocol on both sides: 64 Poisson inputs (pixel/16 x 255 Hz), ``n_exc`` excitatory
neurons with adaptive thresholds, as many inhibitory neurons, STDP on the input weights with weight
normalisation, 350 ms presentation + 150 ms rest per image, dt = 0.5 ms, training only (no evaluation).

* snnlearn: ``models/diehl_cook.py`` (route ``stdp``), one ``cpp_standalone`` program for all the images.
  Timed: the program's run on a second call with the same structure (compiled once, reused: the compile is
  reported apart).
* BindsNET: ``bindsnet.models.DiehlAndCook2015`` with the same sizes, dt and presentation times, one
  ``network.run`` per image (its training loop), on ``threads`` torch threads. Skipped, with the reason,
  when ``bindsnet`` (and torch) do not import.

Run: ``python -m benchmarks.digits [--n-exc 100] [--images 200] [--threads 1] [--out benchmarks/results]``.
Reports images per second (simulated 0.5 s each) and the ratio.
"""

import argparse
import json
import os
import platform
import time

import numpy as np

__all__ = ["run_snnlearn", "run_bindsnet", "main"]


def _images(n_images, seed=0):
    from snnlearn.models import diehl_cook as dc

    x_tr, y_tr, _, _ = dc.load_split()
    rng = np.random.default_rng(seed)
    return x_tr[rng.permutation(len(y_tr))[:n_images]]


def _theta_plus_mv(n_exc):
    """The experiment's threshold increment at this size (mV): 0.1 mV x N / 100 (experiments/digits.py)."""
    from snnlearn.experiments.digits import PARAMS, threshold_increment
    from brian2 import mV

    return float(threshold_increment(PARAMS["theta_plus"].default, n_exc) / mV)


def run_snnlearn(n_exc, n_images, threads=1, seed=0):
    """Seconds to train on ``n_images`` (program run only) and the compile+first-run time."""
    from brian2 import Hz, get_device, mV

    from snnlearn.models import diehl_cook as dc
    from snnlearn.devices import use_device

    x = _images(n_images, seed)
    params = {"rate_max": 255 * Hz, "w_total": 8.0, "Ap": 0.015, "Am": 0.0075, "theta_plus": _theta_plus_mv(n_exc) * mV}
    w0 = dc.random_weights(64, n_exc, params["w_total"], np.random.default_rng(seed))
    times = []
    for _ in range(2):  # the first call compiles, the second reuses the program
        t0 = time.perf_counter()
        with use_device("cpp_standalone", threads=threads if threads > 1 else 0,
                        cache_key=("benchmark_digits", n_exc, n_images)) as sim:
            m = dc.build_network(x, np.ones(len(x)), n_exc, "stdp", w0, params, record_spikes=False)
            m["net"].run(m["duration"], namespace={})
            sim.build()
            run_binary = (getattr(get_device(), "timers", None) or {}).get("run_binary")
        times.append(time.perf_counter() - t0)
    return {"first_call_s": times[0], "second_call_s": times[1], "run_binary_s": run_binary}


def run_bindsnet(images, n_exc, theta_plus_mv, threads=1, seed=0):
    """Seconds for BindsNET's DiehlAndCook2015 to train on ``images`` (n, 64, values in [0, 1]); raises
    ImportError without bindsnet and torch. Imports nothing from snnlearn (it may run in another venv)."""
    import torch
    from bindsnet.encoding import poisson
    from bindsnet.models import DiehlAndCook2015

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    dt, t_on, t_off = 0.5, 350.0, 150.0
    net = DiehlAndCook2015(n_inpt=64, n_neurons=n_exc, exc=22.5, inh=17.5, dt=dt, norm=8.0,
                           theta_plus=theta_plus_mv, inpt_shape=(1, 8, 8))
    rest = torch.zeros(int(t_off / dt), 1, 1, 8, 8)
    t0 = time.perf_counter()
    for img in images:
        rates = torch.tensor(img * 255.0, dtype=torch.float).view(1, 8, 8)
        spikes = poisson(datum=rates, time=int(t_on), dt=dt)
        net.run(inputs={"X": spikes.view(int(t_on / dt), 1, 1, 8, 8)}, time=t_on)
        net.run(inputs={"X": rest}, time=t_off)  # rest
        net.reset_state_variables()
    import bindsnet

    return {"run_s": time.perf_counter() - t0, "version": getattr(bindsnet, "__version__", None),
            "torch": torch.__version__, "torch_threads": torch.get_num_threads()}


def run_bindsnet_in(python, images, n_exc, theta_plus_mv, threads=1, seed=0):
    """:func:`run_bindsnet` in another interpreter ``python`` (a venv with bindsnet and torch), through this
    file's ``--bindsnet-worker`` mode. Raises ImportError with the worker's last line when it fails."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "images.npy")
        np.save(path, images)
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
        # run as a module from the repository root (run as a script, benchmarks/profile.py would shadow the
        # standard library's profile module, which torch imports)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        proc = subprocess.run([python, "-m", "benchmarks.digits", "--bindsnet-worker", path, str(n_exc),
                               str(theta_plus_mv), str(threads), str(seed)], capture_output=True, text=True, env=env,
                              cwd=root)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ImportError(f"bindsnet worker ({python}) failed: {last}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def markdown(rows):
    """The results table (one line per size)."""
    lines = ["| n_exc | images | snnlearn images/s (program run) | second call incl. code generation (s) | "
             "first call incl. compile (s) | BindsNET images/s | ratio |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        bn = f"{r['bindsnet_images_per_s']:.2f}" if "bindsnet_images_per_s" in r else r["bindsnet"]
        ratio = f"{r['ratio']:.1f}x" if "ratio" in r else "-"
        lines.append(f"| {r['n_exc']} | {r['images']} | {r['snnlearn_images_per_s']:.1f} | "
                     f"{r['snnlearn']['second_call_s']:.1f} | {r['snnlearn']['first_call_s']:.1f} | {bn} | {ratio} |")
    return lines


def _worker(argv):
    """``--bindsnet-worker IMAGES.npy N_EXC THETA_PLUS_MV THREADS SEED``: print run_bindsnet's result as JSON."""
    path, n_exc, theta, threads, seed = argv
    out = run_bindsnet(np.load(path), int(n_exc), float(theta), int(threads), int(seed))
    print(json.dumps(out))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-exc", type=int, nargs="+", default=[100])
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--bindsnet-images", type=int, default=20,
                    help="images for the BindsNET side (it runs one Python step per 0.5 ms; images/s is per image)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bindsnet-python", default=os.environ.get("BINDSNET_PYTHON"),
                    help="interpreter of a venv with bindsnet and torch (default: this one; env BINDSNET_PYTHON)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    ap.add_argument("--tag", default="")
    args = ap.parse_args(argv)
    rows = []
    for n in args.n_exc:
        row = {"n_exc": n, "images": args.images, "threads": args.threads, "dt_ms": 0.5, "t_on_ms": 350,
               "t_off_ms": 150}
        s = run_snnlearn(n, args.images, args.threads)
        row["snnlearn"] = s
        sec = s["run_binary_s"] or s["second_call_s"]
        row["snnlearn_images_per_s"] = args.images / sec
        try:
            imgs = _images(args.bindsnet_images)
            if args.bindsnet_python:
                b = run_bindsnet_in(args.bindsnet_python, imgs, n, _theta_plus_mv(n), args.threads)
            else:
                b = run_bindsnet(imgs, n, _theta_plus_mv(n), args.threads)
            row["bindsnet"] = b
            row["bindsnet_images"] = args.bindsnet_images
            row["bindsnet_images_per_s"] = args.bindsnet_images / b["run_s"]
            row["ratio"] = row["snnlearn_images_per_s"] / row["bindsnet_images_per_s"]
        except ImportError as exc:
            row["bindsnet"] = f"skipped: {exc}"
        rows.append(row)
        print(json.dumps(row), flush=True)
    os.makedirs(args.out, exist_ok=True)
    name = "digits" + (f"-{args.tag}" if args.tag else "")
    meta = {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version()}
    with open(os.path.join(args.out, name + ".json"), "w") as fh:
        json.dump({"meta": meta, "rows": rows}, fh, indent=2)
    lines = markdown(rows)
    with open(os.path.join(args.out, name + ".md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--bindsnet-worker"]:
        raise SystemExit(_worker(sys.argv[2:]))
    raise SystemExit(main())
