"""The progress report of a compiled program costs one clock reading per time step, not one per code object.

Up to Brian2 2.9, ``Network::run`` with a report reads the process clock (a system call) inside the loop
over code objects; brian2 PR #1718 (Brian2 2.10) moved it out. snnlearn writes the network.cpp of an older
Brian2 with the check once per step (``snnlearn.standalone._report_once_per_step``): measured on
maps_vs_reward (n_out = 10, 120 s) in a terminal, 11.7 s -> 2.1 s for the program, the same results.
"""

import re
import types

from brian2.devices.cpp_standalone.codeobject import CPPStandaloneCodeObject

from snnlearn.standalone import _install_report_patch, _report_once_per_step


def object_loop_body(network_cpp):
    """The body of Network::run's loop over code objects (from its opening brace to the matching one)."""
    start = network_cpp.index("for(size_t i=0; i<objects.size(); i++)")
    depth, k = 0, network_cpp.index("{", start)
    for j in range(k, len(network_cpp)):
        depth += {"{": 1, "}": -1}.get(network_cpp[j], 0)
        if depth == 0:
            return network_cpp[k:j + 1]
    raise AssertionError("unbalanced braces")


def rendered_network_cpp():
    return CPPStandaloneCodeObject.templater.network(None, None, maximum_run_time=None).cpp_file


def test_the_report_clock_is_read_outside_the_loop_over_code_objects():
    original = rendered_network_cpp()
    patched = _report_once_per_step(original)
    body = object_loop_body(patched)
    assert "report_func" not in body and "std::clock" not in body and "func();" in body
    run = patched[patched.index("void Network::run"):]
    assert run.count("report_func(elapsed") == original[original.index("void Network::run"):].count(
        "report_func(elapsed")  # the report itself is kept
    assert _report_once_per_step(patched) == patched  # idempotent: a cached project is not rewritten


def test_a_network_cpp_without_the_old_pattern_is_left_alone():
    newer = "void Network::run() {\n    while (clock) {\n        for (auto &obj : objects) { obj(); }\n    }\n}\n"
    assert _report_once_per_step(newer) == newer


def test_the_device_writes_network_cpp_through_the_patch():
    written = {}

    class Writer:
        def write(self, filename, contents):
            written[filename] = contents

    device = types.SimpleNamespace()
    device.generate_network_source = lambda writer, compiler: writer.write(
        "network.*", types.SimpleNamespace(cpp_file=rendered_network_cpp(), h_file="// header"))
    _install_report_patch(device)
    _install_report_patch(device)  # once per device
    device.generate_network_source(Writer(), "gcc")
    cpp = written["network.*"].cpp_file
    assert written["network.*"].h_file == "// header"
    assert not re.search(r"report_func|std::clock", object_loop_body(cpp))
