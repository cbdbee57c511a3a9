"""Synaptic pathways that run on every OpenMP thread in ``cpp_standalone``.

Brian2's OpenMP code runs a synaptic pathway on one thread as soon as its code touches a
neuron variable: two spiking synapses onto the same neuron would race on
``ge_post += w``. Almost every plastic synapse transmits that way, so with 2 threads the
presynaptic pathway (transmission plus the rule's presynaptic update: the larger part
of an STDP network's work) stays serial, and Brian2's OpenMP gains nothing on the 1 M
synapse network of ``benchmarks/`` (issue 7).

The race is avoidable without locks. When every neuron variable the code *writes*
belongs to one side (all postsynaptic, say), split that side's neurons into one block
per thread: every thread walks the list of spiking synapses and runs those whose
postsynaptic neuron is in its block (``snnlearn/templates/synapses.cpp``). No two
threads write the same neuron, each neuron still receives its synapses in the order of
the serial loop, and every synaptic variable is owned by exactly one thread, so the
result equals Brian2's own run with the same number of threads bit for bit. The price
is one index comparison per spiking synapse and thread.

:func:`partition_pathways` applies this to a ``Synapses`` object (``snnlearn.connect``
does it for every synapse it builds while a ``cpp_standalone`` device is active). The
choice is made from the code alone; without OpenMP the template is Brian2's serial loop.
Pathways whose code writes shared variables, or neuron variables of both sides, keep
Brian2's template.
"""

from brian2.devices.cpp_standalone import CPPStandaloneCodeObject
from brian2.parsing.statements import parse_statement

__all__ = ["PartitionedStandaloneCodeObject", "partition_key", "partition_pathways"]

#: Index of a neuron variable seen from a synapse -> the synaptic array that holds it.
_KEY_ARRAYS = {"_postsynaptic_idx": "_synaptic_post", "_presynaptic_idx": "_synaptic_pre"}


class PartitionedStandaloneCodeObject(CPPStandaloneCodeObject):
    """``cpp_standalone`` code object whose ``synapses`` template is snnlearn's partitioned loop."""

    templater = CPPStandaloneCodeObject.templater.derive("snnlearn", templates_dir="templates")


def _written_variables(code):
    written = set()
    for line in code.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            written.add(parse_statement(line)[0])
    return written


def partition_key(synapses, pathway):
    """The synaptic index array (``"_synaptic_post"`` or ``"_synaptic_pre"``) that partitions ``pathway``, or None.

    None when the pathway writes no neuron variable (Brian2 already runs it on every
    thread), writes a shared variable, or writes neuron variables of both sides.
    """
    indices = set()
    for name in _written_variables(pathway.code):
        if name not in synapses.variables:
            return None  # not a variable of the synapses: leave the pathway alone
        index = synapses.variables.indices[name]
        if index != "_idx":
            indices.add(index)
    if len(indices) != 1:
        return None
    return _KEY_ARRAYS.get(indices.pop())


def partition_pathways(synapses):
    """Give every pathway of ``synapses`` that :func:`partition_key` accepts the partitioned template.

    Returns the names of the partitioned pathways. Only meaningful on ``cpp_standalone``
    (the code object class is a standalone one); a caller on another device must not call it.
    """
    done = []
    for pathway in synapses._pathways:
        key = partition_key(synapses, pathway)
        if key is None:
            continue
        size = len(synapses.target) if key == "_synaptic_post" else len(synapses.source)
        pathway.codeobj_class = PartitionedStandaloneCodeObject
        pathway.template_kwds = {**(pathway.template_kwds or {}), "partition": key, "partition_size": int(size)}
        done.append(pathway.name)
    return done
