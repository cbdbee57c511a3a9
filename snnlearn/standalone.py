"""Running one compiled ``cpp_standalone`` program many times: run-time seeds, chunked runs, checkpoints.

Brian2's ``cpp_standalone`` device compiles a whole simulation into one C++ program.
It has no ``Network.store``/``restore`` (Brian2 issue #853), but since Brian2 2.6 a built
program can be run again with ``device.run(run_args=...)``, which sets variables from
the command line (from values or binary files) before the first ``Network.run``, without
recompiling. This module builds the two things snnlearn needs on top of that:

* **Run-time seeds** (:func:`insert_seed`): the standalone counterpart of
  ``brian2.seed(n)`` reads the seed from the environment variable ``SNNLEARN_SEED``
  when the program runs, so that one binary serves every seed of a sweep.
* **Chunked runs with checkpoints** (:class:`ChunkedProgram`): a network is compiled
  once for one run of ``chunk`` seconds of simulated time, and the binary is executed
  chunk after chunk. Each execution starts from the previous chunk's final state
  (every writable array of every group and synapse, read back from the results files
  and passed in as ``run_args`` from binary files, so bit for bit), continues the
  clocks where the previous chunk stopped (simulated time is absolute, so
  ``lastspike``, event-driven traces, ``TimedArray`` schedules and monitors see one
  continuous run), and reseeds the random generator with a seed derived from the run
  seed and the chunk index. After each chunk the state can be written to disk as a
  checkpoint; a resumed run loads it and executes the remaining chunks with the same
  binary, so it equals the uninterrupted chunked run bit for bit.

What a chunk boundary does not carry over, by design of the mechanism:

* **the random stream**: Brian2's generator state (a ``std::mt19937``) is private to
  the compiled program, so each chunk is reseeded. A chunked run is therefore a
  different (equally valid) random realisation than the same simulation in one piece,
  and it depends on the chunk length: compare runs with the same ``checkpoint_every``.
* **spikes in flight in synaptic delay queues**: a spike emitted less than one delay
  before a boundary is lost. Networks without synaptic delays (the default, delivered
  in the same time step) lose nothing.
* **monitors** start empty in every chunk; their recordings (times absolute) are
  collected after each chunk and concatenated, so after :meth:`ChunkedProgram.finalize`
  they read as one recording. Counters (``N``, ``count``) are summed.

Valid models are those whose state lives in group and synapse variables; everything
compiled into the program (connectivity, constants, equations) is rebuilt identically
by each execution. The program holds one ``Network.run``; several consecutive runs of
an experiment become consecutive chunks of it, and what changes between them must be
given as values (``RunContext.run(..., set={group.var: value})``, applied through the
state), not by Python code touching the compiled program (that raises
:class:`StandaloneChunkError`). Schedules inside the simulation (``TimedArray``,
``run_regularly``, ``snnlearn.plasticity_schedule``) need nothing special.

:func:`canonicalize_program` removes an ordering nondeterminism from Brian2's generated
code, so that the same model built in two processes gives identical sources and a
cached project is not recompiled (a resumed run, a sweep worker).
"""

import contextlib
import os
import shutil

import numpy as np

from .io import atomic_save_npz, atomic_write_json, read_json, sha256_file

__all__ = ["SEED_ENV", "insert_seed", "environment", "binary_mtime", "canonicalize_program", "ChunkedProgram",
           "StandaloneChunkError", "CheckpointError", "chunk_seed", "verify_chunk_checkpoint"]

#: Environment variable read by the code :func:`insert_seed` puts into a program.
SEED_ENV = "SNNLEARN_SEED"
_T_START_ENV = "SNNLEARN_T_START"
_DURATION_ENV = "SNNLEARN_DURATION"
_CHUNK_SEED_ENV = "SNNLEARN_CHUNK_SEED"


#: What of a SpikeGeneratorGroup changes while it runs: how far through its spike list it is.
_GENERATOR_STATE = ("_lastindex",)


def _generator_env(name):
    """Environment variable carrying SpikeGeneratorGroup ``name``'s position into a chunk."""
    return "SNNLEARN_GENERATOR_" + "".join(c if c.isalnum() else "_" for c in name)


class StandaloneChunkError(RuntimeError):
    """A network or a call sequence that a chunked standalone run cannot represent."""


@contextlib.contextmanager
def environment(**values):
    """Set environment variables for the enclosed block (``None`` removes one), then restore them."""
    old = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = str(value)
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _n_generators():
    from brian2 import prefs

    return max(1, int(prefs.devices.cpp_standalone.openmp_threads))


def insert_seed(offset=0):
    """Seed the random generator of the ``cpp_standalone`` program being built, at this point of it.

    Equivalent to ``brian2.seed(s + offset)`` where ``s`` is read from the environment
    variable ``SNNLEARN_SEED`` when the program runs (as Brian2 does, generator k of an
    OpenMP program gets ``s + offset + k``). Without the variable the generators are
    seeded from ``std::random_device`` (as ``brian2.seed(None)``). The generated code
    does not contain the seed, so one compiled program serves every seed.
    """
    from brian2 import get_device

    code = (
        "{\n"
        f'    const char* _snnlearn_seed = getenv("{SEED_ENV}");\n'
        f"    for (int _i=0; _i<{_n_generators()}; _i++)\n"
        "        if (_snnlearn_seed != NULL)\n"
        f"            brian::_random_generators[_i].seed(strtoul(_snnlearn_seed, NULL, 10) + {int(offset)}UL + _i);\n"
        "        else\n"
        "            brian::_random_generators[_i].seed();\n"
        "}"
    )
    get_device().insert_code("main", code)


def chunk_seed(seed, index):
    """Seed (a 32-bit integer) of chunk ``index`` of a run with seed ``seed``: deterministic, well mixed."""
    return int(np.random.SeedSequence([int(seed), 0x5EED, int(index)]).generate_state(1, dtype=np.uint32)[0])


def binary_mtime(directory):
    """Modification time (ns) of a standalone project's compiled program, or None if there is none."""
    path = os.path.join(directory, "main.exe" if os.name == "nt" else "main")
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


#: Brian2 up to 2.9 checks the report clock inside the loop over code objects: with a report, the program
#: reads the process clock (a system call, ~1 us here) once per object per time step, which made a
#: maps_vs_reward program run 4 times slower in a terminal than without one. brian2 PR #1718 (Brian2 2.10)
#: checks it once per step; :func:`_report_once_per_step` does the same to the generated network.cpp of an
#: older Brian2. The code between the markers is Brian2 2.9's, as generated without OpenMP.
_OBJECT_LOOP = "        for(size_t i=0; i<objects.size(); i++)\n        {\n"
_REPORT_CHECK_END = "            Clock *obj_clock = objects[i].first;\n"


def _report_once_per_step(network_cpp):
    """``network_cpp`` with the report check moved out of the loop over code objects (once per time step);
    unchanged when its loop is not Brian2 2.9's (a newer Brian2, or OpenMP: those read a cheap clock)."""
    start = network_cpp.find(_OBJECT_LOOP)
    end = network_cpp.find(_REPORT_CHECK_END, start)
    if start < 0 or end < 0:
        return network_cpp
    check = network_cpp[start + len(_OBJECT_LOOP):end]
    if "if (report_func)" not in check or "std::clock()" not in check:
        return network_cpp
    return network_cpp[:start] + check + _OBJECT_LOOP + network_cpp[end:]


def _install_report_patch(device):
    """Make ``device`` write network.cpp through :func:`_report_once_per_step` (once per device object)."""
    if getattr(device, "_snnlearn_report_patch", False) or not hasattr(device, "generate_network_source"):
        return
    import types

    original = device.generate_network_source

    class _Writer:
        def __init__(self, writer):
            self._writer = writer

        def write(self, filename, contents):
            if filename == "network.*":
                contents = types.SimpleNamespace(cpp_file=_report_once_per_step(contents.cpp_file),
                                                 h_file=contents.h_file)
            self._writer.write(filename, contents)

        def __getattr__(self, name):
            return getattr(self._writer, name)

    device.generate_network_source = lambda writer, compiler: original(_Writer(writer), compiler)
    device._snnlearn_report_patch = True


def canonicalize_program():
    """Make the generated code of the program being built independent of Python's set ordering.

    Brian2 iterates over sets of clocks (ordered by object id, so differently in every
    process) when it writes the clocks' start values and when it adds clocks without
    code to a network. The generated ``main.cpp`` then differs between two processes
    building the same model, and a cached project is recompiled for nothing. This sorts
    each stretch of consecutive single-element assignments by their target (stable:
    assignments to different elements commute, those to the same element keep their
    order) and each stretch of consecutive ``network.add(&clock, NULL)`` lines (no code:
    their order is irrelevant), which changes no result. It also makes the device write
    ``network.cpp`` with the report clock read once per time step (:func:`_report_once_per_step`).
    """
    from brian2 import get_device

    _install_report_patch(get_device())
    queue = get_device().main_queue
    k = 0
    while k < len(queue):
        if queue[k][0] != "set_by_single_value":
            k += 1
            continue
        end = k
        while end < len(queue) and queue[end][0] == "set_by_single_value":
            end += 1
        # a stable sort by target: writes to different elements commute, writes to the same one keep their order
        queue[k:end] = sorted(queue[k:end], key=lambda entry: (entry[1][0], str(entry[1][1])))
        k = end
    for func, args in queue:
        if func != "run_network":
            continue
        lines = args[1]
        k = 0
        while k < len(lines):
            if not (lines[k].endswith(", NULL);") and ".add(&" in lines[k]):
                k += 1
                continue
            end = k
            while end < len(lines) and lines[end].endswith(", NULL);") and ".add(&" in lines[end]:
                end += 1
            lines[k:end] = sorted(lines[k:end])
            k = end


def _all_objects(net):
    seen, stack, out = set(), list(net.objects), []
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        out.append(obj)
        stack.extend(getattr(obj, "contained_objects", []))
    return sorted(out, key=lambda o: o.name)


def _is_monitor(obj):
    from brian2 import EventMonitor, PopulationRateMonitor, StateMonitor

    return isinstance(obj, (EventMonitor, StateMonitor, PopulationRateMonitor))


def _owned_arrays(obj):
    from brian2.core.variables import ArrayVariable

    variables = getattr(obj, "variables", None)
    if variables is None:
        return
    seen = set()
    for var in variables.values():
        if not isinstance(var, ArrayVariable) or var.owner is None:
            continue
        try:
            owner = var.owner.name
        except ReferenceError:
            continue
        if owner != obj.name or var.name in seen:
            continue
        seen.add(var.name)
        yield var


class ChunkedProgram:
    """A network compiled once for ``chunk`` seconds, executed chunk by chunk from saved state.

    Create it inside an active ``cpp_standalone`` device (``build_on_run=False``) after
    the network is built and before it has run, then :meth:`compile` it and call
    :meth:`run_chunk` for consecutive stretches of simulated time. See the module
    docstring for what carries over between chunks.

    Parameters
    ----------
    net : brian2.Network
    chunk : float
        Length of one chunk of simulated time, in seconds (the compiled duration; a
        shorter last chunk is given at run time).
    directory : str
        The standalone project directory.
    seed : int
        Run seed: initial values are drawn with it (:func:`insert_seed`), chunk k runs
        with :func:`chunk_seed` (seed, k).
    show_output : bool
        Let the program print its progress report.
    """

    def __init__(self, net, chunk, directory, seed, show_output=False, report_period=None):
        self.net = net
        self.chunk = float(chunk)
        if not self.chunk > 0:
            raise ValueError(f"chunk length must be positive, got {chunk}")
        self.directory = directory
        self.seed = int(seed)
        self.show_output = show_output
        self.report_period = report_period
        self.state = None  # "owner.var" -> array, the state at the end of the last chunk
        self.monitor_chunks = []  # one dict "owner.var" -> flat array per executed chunk
        self.chunk_index = 0
        self.t = 0.0  # simulated time (s) at the end of the last chunk
        self.compiled = False
        self.recompiled = None  # whether compile() ran the compiler (None before compile)
        self._state_vars = {}
        self._generator_keys = {}  # "gen._lastindex" -> environment variable carrying it into the next chunk
        self._monitor_vars = {}
        self._scalars = {}  # "owner.var" -> value for every element, for the next chunk only
        self._queue_length = None
        self._hashes = {}  # checkpoint file (relative to the run directory) -> SHA-256, for the checkpoint record
        self._executed = False  # whether the program ran in this process (a run resumed after its last chunk: not)

    # -- building -------------------------------------------------------------------
    def compile(self, namespace=None):
        """Add one run of ``chunk`` seconds to the program, patch it for chunking, and compile it."""
        from brian2 import get_device, second

        device = get_device()
        if any(entry[0] == "run_network" for entry in device.main_queue):
            raise StandaloneChunkError(
                "a chunked cpp_standalone run (checkpoints) needs every Network.run of the program to go through "
                "RunContext.run; this program already has a run")
        if not device.run_args_applied:
            device.apply_run_args()
        # Brian2's text report only where it is shown: up to Brian2 2.9 a program with a report reads the
        # process clock (a system call) once per code object per time step (brian2 PR #1718 fixed that in
        # later versions), which made a chunk of maps_vs_reward 10 times slower than the same stretch unchunked
        kwargs = {"report": "text"} if self.show_output else {}
        if self.report_period is not None and self.show_output:
            kwargs["report_period"] = self.report_period
        self.net.run(self.chunk * second, namespace=namespace, **kwargs)
        self._collect_variables()  # before the patch: the start code carries the generators' positions
        runs = [args for func, args in device.main_queue if func == "run_network"]
        if len(runs) != 1 or runs[0][0] is not self.net:
            raise StandaloneChunkError("unexpected Brian2 program layout: cannot make the run chunkable")
        run_lines = runs[0][1]
        prefix = f"{self.net.name}.run("
        idx = [k for k, line in enumerate(run_lines) if line.startswith(prefix)]
        if len(idx) != 1:
            raise StandaloneChunkError(f"unexpected Brian2 program layout: no single '{prefix}...' line")
        k = idx[0]
        rest = run_lines[k][len(prefix):]
        literal = f"{self.chunk!r}"
        if not rest.startswith(literal + ","):
            raise StandaloneChunkError(f"unexpected Brian2 run line '{run_lines[k]}'")
        run_lines[k] = (f"{prefix}(getenv(\"{_DURATION_ENV}\") != NULL ? strtod(getenv(\"{_DURATION_ENV}\"), NULL)"
                        f" : {literal}){rest[len(literal):]}")
        run_lines.insert(k, self._start_code())
        canonicalize_program()
        self._queue_length = len(device.main_queue)
        before = binary_mtime(self.directory)
        device.build(directory=self.directory, compile=True, run=False, with_output=False)
        self.recompiled = before is None or binary_mtime(self.directory) != before
        self.compiled = True

    def _start_code(self):
        """C++ run before the chunk's Network.run: clocks and network time from the environment, chunk seed."""
        lines = ["{",
                 f'    const char* _snnlearn_t0 = getenv("{_T_START_ENV}");',
                 "    if (_snnlearn_t0 != NULL) {",
                 "        const double _t0 = strtod(_snnlearn_t0, NULL);",
                 f"        {self.net.name}.t = _t0;"]
        for clock in sorted(self.net._clocks, key=lambda c: c.name):
            lines += [f"        {clock.name}.set_interval(_t0, _t0);",
                      f"        {clock.name}.t[0] = {clock.name}.timestep[0] * {clock.name}.dt[0];"]
        lines += ["    }"]
        from brian2 import get_device

        for key, env in sorted(self._generator_keys.items()):
            array = get_device().get_array_name(self._state_vars[key], access_data=True)
            lines += [f'    const char* {env} = getenv("{env}");',
                      f"    if ({env} != NULL) brian::{array}[0] = (int32_t)strtol({env}, NULL, 10);"]
        lines += [f'    const char* _snnlearn_cs = getenv("{_CHUNK_SEED_ENV}");',
                  "    if (_snnlearn_cs != NULL)",
                  f"        for (int _i=0; _i<{_n_generators()}; _i++)",
                  "            brian::_random_generators[_i].seed(strtoul(_snnlearn_cs, NULL, 10) + _i);",
                  "}"]
        return "\n".join(lines)

    def _collect_variables(self):
        from brian2 import SpikeGeneratorGroup

        for obj in _all_objects(self.net):
            for var in _owned_arrays(obj):
                key = f"{obj.name}.{var.name}"
                if _is_monitor(obj):
                    self._monitor_vars[key] = var
                elif isinstance(obj, SpikeGeneratorGroup):
                    if var.name in _GENERATOR_STATE:  # read-only (no run_args): passed in through the environment
                        self._state_vars[key] = var
                        self._generator_keys[key] = _generator_env(obj.name)
                    # the spike list itself is compiled into the program; passing it back in corrupts it
                elif not var.read_only:
                    self._state_vars[key] = var

    def check_unchanged(self):
        """Raise if Python code changed the program after it was compiled (it would be silently ignored)."""
        from brian2 import get_device

        if len(get_device().main_queue) != self._queue_length:
            raise StandaloneChunkError(
                "variables were changed from Python after the chunked cpp_standalone program was compiled; pass "
                "changes between runs as ctx.run(net, duration, set={group.var: value})")

    # -- running ----------------------------------------------------------------------
    def _results_file(self, var):
        from brian2 import get_device

        device = get_device()
        return os.path.join(device.results_dir, device.get_array_filename(var))

    def _read(self, var):
        path = self._results_file(var)
        if not os.path.exists(path):
            return np.zeros(0, dtype=var.dtype)
        return np.fromfile(path, dtype=var.dtype)

    def override(self, key_or_view, value):
        """Set a state variable (a VariableView such as ``group.v``, or "owner.var") for the next chunk."""
        from brian2.units.fundamentalunits import fail_for_dimension_mismatch

        if isinstance(value, str):
            raise StandaloneChunkError(f"in a chunked cpp_standalone run, set values must be numbers or arrays, "
                                       f"not expressions (got {value!r})")
        if isinstance(key_or_view, str):
            key = key_or_view
            if key not in self._state_vars:
                raise KeyError(f"no writable state variable '{key}' in the chunked program")
            var = self._state_vars[key]
        else:
            view = key_or_view
            key = f"{view.group_name}.{view.name}"
            if key not in self._state_vars:
                raise StandaloneChunkError(f"'{key}' is not a writable state variable of the chunked network")
            var = self._state_vars[key]
            fail_for_dimension_mismatch(var.dim, value, f"value for '{key}'")
        values = np.asarray(value, dtype=var.dtype)
        if self.state is not None and key in self.state:
            size = self.state[key].size
        else:
            size = None if var.dynamic else int(var.size)
        if values.size == 1 and size is None:
            # size not known before the first chunk (synapses are created by the program): set every element
            self._scalars[key] = values.item()
            return
        if values.size == 1:
            values = np.full(size, values.item(), dtype=var.dtype)
        elif size is not None and values.size != size:
            raise ValueError(f"value for '{key}' has {values.size} elements, the variable has {size}")
        if self.state is None:
            self.state = {}
        self.state[key] = values.reshape(-1)
        self._scalars.pop(key, None)

    def run_chunk(self, duration):
        """Execute the program for ``duration`` seconds from the current state and time; read back the state."""
        from brian2 import get_device

        if not self.compiled:
            raise StandaloneChunkError("compile() the chunked program before running it")
        if duration > self.chunk * (1 + 1e-12):
            raise ValueError(f"a chunk of {duration} s is longer than the compiled chunk of {self.chunk} s")
        device = get_device()
        arg_dir = os.path.join(self.directory, "snnlearn_state")
        os.makedirs(arg_dir, exist_ok=True)
        args = []
        generators = {}
        for key, values in sorted((self.state or {}).items()):
            if values.size == 0:
                continue
            if key in self._generator_keys:
                generators[self._generator_keys[key]] = int(values[0])
                continue
            path = os.path.join(arg_dir, f"{key}.dat")
            np.ascontiguousarray(values, dtype=self._state_vars[key].dtype).tofile(path)
            args.append(f"{key}={path}")
        for key, value in sorted(self._scalars.items()):
            text = repr(float(value)) if isinstance(value, float) else repr(int(value))
            if not (text[0].isdigit() or text[0] == "-"):
                raise ValueError(f"cannot pass the value {value!r} for '{key}' to the program")
            args.append(f"{key}={text}")
        self._scalars = {}
        env = {SEED_ENV: self.seed, _T_START_ENV: repr(float(self.t)), _DURATION_ENV: repr(float(duration)),
               _CHUNK_SEED_ENV: chunk_seed(self.seed, self.chunk_index), **generators}
        try:
            with environment(**env):
                device.run(directory=self.directory, with_output=self.show_output, run_args=args)
        finally:
            shutil.rmtree(arg_dir, ignore_errors=True)
        state = {}
        for key, var in self._state_vars.items():
            state[key] = self._read(var)
        self.state = state
        self.monitor_chunks.append({key: self._read(var) for key, var in self._monitor_vars.items()})
        self.chunk_index += 1
        self.t += float(duration)
        self._executed = True

    def materialize(self):
        """Execute the program for zero simulated time from the current state, adding no chunk.

        A run resumed after its last checkpoint has nothing left to simulate, but Brian2
        reads results only from a program that ran: this writes every result file (the
        loaded state, and what the program computes itself, such as synapse indices)
        without advancing time or recording anything.
        """
        chunks, index = len(self.monitor_chunks), self.chunk_index
        self.run_chunk(0.0)
        del self.monitor_chunks[chunks:]
        self.chunk_index = index

    def finalize(self):
        """Write the monitors' concatenated recordings into the results, so that Brian2 reads one recording."""
        from brian2 import get_device
        from brian2.core.variables import DynamicArrayVariable

        if not self._executed:
            self.materialize()
        device = get_device()
        for key, var in self._monitor_vars.items():
            parts = [chunk[key] for chunk in self.monitor_chunks if key in chunk]
            if not parts:
                continue
            if isinstance(var, DynamicArrayVariable):
                values = np.concatenate(parts).astype(var.dtype, copy=False)
            elif var.name in ("N", "count"):
                values = np.sum(parts, axis=0).astype(var.dtype)
            else:
                values = parts[-1]
            values.tofile(self._results_file(var))
            device.array_cache[var] = None

    # -- checkpoints ----------------------------------------------------------------------
    def save(self, run_directory, extra=None):
        """Write the state after the last chunk as the run's checkpoint (atomically, newest wins).

        The state file holds the simulated time too, and ``checkpoint.json`` (written
        last) the SHA-256 of every file it refers to: :meth:`load` refuses a checkpoint
        whose files do not match it (a torn or altered checkpoint).
        """
        folder = os.path.join(run_directory, "checkpoint")
        os.makedirs(folder, exist_ok=True)
        k = self.chunk_index
        monitors_name = os.path.join("checkpoint", f"monitors-{k - 1:05d}.npz")
        atomic_save_npz(os.path.join(run_directory, monitors_name), self.monitor_chunks[-1])
        self._hashes[monitors_name] = sha256_file(os.path.join(run_directory, monitors_name))
        state_name = os.path.join("checkpoint", f"state-{k:05d}.npz")
        atomic_save_npz(os.path.join(run_directory, state_name), {**self.state, _T_KEY: np.array(self.t)})
        hashes = {name: h for name, h in self._hashes.items() if name.startswith(os.path.join("checkpoint", "monitors-"))}
        hashes[state_name] = sha256_file(os.path.join(run_directory, state_name))
        record = {"t_s": self.t, "seed": self.seed, "mode": "cpp_standalone chunks", "chunk_index": k,
                  "chunk_s": self.chunk, "state": state_name, "sha256": hashes, **(extra or {})}
        atomic_write_json(os.path.join(run_directory, "checkpoint.json"), record)
        self._hashes = hashes
        for name in os.listdir(folder):
            if name.startswith("state-") and os.path.join("checkpoint", name) != state_name:
                os.unlink(os.path.join(folder, name))

    def load(self, run_directory):
        """Continue from the run's checkpoint: state, time, chunk index and the monitors' recordings so far.

        Refuses (:class:`CheckpointError`) a checkpoint whose files are missing, damaged
        or disagree with ``checkpoint.json`` (time, checksums).
        """
        record = verify_chunk_checkpoint(run_directory)
        if abs(float(record["chunk_s"]) - self.chunk) > 1e-12 * self.chunk:
            raise CheckpointError(f"the checkpoint used chunks of {record['chunk_s']} s, this run {self.chunk} s")
        with np.load(os.path.join(run_directory, record["state"]), allow_pickle=False) as npz:
            self.state = {k: npz[k] for k in npz.files if k != _T_KEY}
        for key in self.state:
            if key not in self._state_vars:
                raise CheckpointError(f"the checkpoint holds '{key}', which this program does not have")
        self.chunk_index = int(record["chunk_index"])
        self.monitor_chunks = []
        for k in range(self.chunk_index):
            with np.load(os.path.join(run_directory, "checkpoint", f"monitors-{k:05d}.npz"), allow_pickle=False) as npz:
                self.monitor_chunks.append({key: npz[key] for key in npz.files})
        self.t = float(record["t_s"])
        self._hashes = dict(record["sha256"])
        return record


_T_KEY = "__snnlearn_t_s__"


class CheckpointError(StandaloneChunkError):
    """A checkpoint that cannot be trusted: missing or damaged files, or files that disagree with checkpoint.json."""


def read_checkpoint_record(run_directory, mode, wrong_mode):
    """``checkpoint.json`` of a run directory, if it reads as a dict written in ``mode``; else CheckpointError."""
    try:
        record = read_json(os.path.join(run_directory, "checkpoint.json"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"checkpoint.json cannot be read ({exc})") from None
    if not isinstance(record, dict) or record.get("mode") != mode:
        raise CheckpointError(wrong_mode)
    return record


def verify_chunk_checkpoint(run_directory):
    """Check a chunked ``cpp_standalone`` checkpoint without loading it into a program; returns its record."""
    record = read_checkpoint_record(run_directory, "cpp_standalone chunks",
                                    "the checkpoint was not written by a chunked cpp_standalone run")
    try:
        t, k, chunk = float(record["t_s"]), int(record["chunk_index"]), float(record["chunk_s"])
        hashes, state_name = dict(record["sha256"]), str(record["state"])
    except (KeyError, TypeError, ValueError):
        raise CheckpointError("checkpoint.json lacks its time, chunk index or checksums") from None
    if not (np.isfinite(t) and t >= 0 and k >= 1 and chunk > 0):
        raise CheckpointError("checkpoint.json holds an impossible time or chunk index")
    expected = {os.path.join("checkpoint", f"monitors-{j:05d}.npz") for j in range(k)} | {state_name}
    if set(hashes) != expected or state_name != os.path.join("checkpoint", f"state-{k:05d}.npz"):
        raise CheckpointError("checkpoint.json does not list the files of its chunks")
    for name in sorted(expected):
        path = os.path.join(run_directory, name)
        if not os.path.isfile(path):
            raise CheckpointError(f"checkpoint file {name} is missing")
        if sha256_file(path) != hashes[name]:
            raise CheckpointError(f"checkpoint file {name} does not match its checksum in checkpoint.json")
    try:
        with np.load(os.path.join(run_directory, state_name), allow_pickle=False) as npz:
            t_state = float(npz[_T_KEY])
    except (OSError, ValueError, KeyError) as exc:
        raise CheckpointError(f"checkpoint file {state_name} cannot be read ({exc})") from None
    if t_state != t:
        raise CheckpointError(f"the checkpoint state is at {t_state:g} s but checkpoint.json says {t:g} s")
    return record
