"""Speed and memory of snnlearn against hand-written Brian2 and NEST (issue 7). Benchmarks, not tests.

Run ``python -m benchmarks`` (all cases, full sizes: long) or ``python -m benchmarks
--case song2000 --repeats 3`` (one case), ``--quick`` for short runs that check that
everything works. Results go to ``benchmarks/results/<tag>.md`` and ``.json``.

Cases (:mod:`benchmarks.cases`):

* ``song2000`` -- ``models/song2000.py`` vs the same model in plain Brian2
  (:mod:`benchmarks.song2000`), on cpp_standalone, Cython (warm and cold cache) and
  numpy, and NEST ``stdp_synapse``;
* ``plastic_network`` -- 5000 Poisson inputs -> 1000 LIF neurons, 1 M STDP synapses:
  snnlearn vs plain Brian2 vs NEST, one and two threads, synaptic events per second
  (:mod:`benchmarks.plastic_network`);
* ``da_network`` -- Izhikevich (2007), 80 k DA-STDP synapses: snnlearn vs plain Brian2 vs
  NEST ``stdp_dopamine_synapse`` + ``volume_transmitter`` (:mod:`benchmarks.da_network`);
* ``trials`` -- 1000 reward trials compiled into one program vs a Python loop of
  ``run()`` calls (:mod:`benchmarks.trials`);
* ``sweep`` -- 16 points compiled once and run with ``device.run(run_args=...)`` vs
  recompiled per point (:mod:`benchmarks.sweep`);
* ``scaling`` -- loop time against the number of synapses, exponent fit;
* ``memory`` -- peak RSS of snnlearn vs plain Brian2.

How it measures (:mod:`benchmarks.harness`): every run is a fresh process
(:mod:`benchmarks.worker`), so each has its own peak RSS and no shared Brian2 state; the
variants of a comparison run back to back and their order alternates between repeats;
a ratio is taken within each repeat, and the report gives medians. ``cpp_standalone``
runs compile from an empty project directory each time; their compile and loop times
are reported apart (the loop time is measured inside the compiled program).
"""
