{#
snnlearn's synaptic pathway for cpp_standalone with OpenMP (see snnlearn/parallel.py).

Brian2's own template runs a pathway on one thread (``omp master``) as soon as its code
touches a pre- or postsynaptic variable, because two spiking synapses with the same
target would race on ``ge_post += w``. snnlearn uses this template only for pathways
whose writes to neuron variables all go through one index (``partition``:
``_synaptic_post`` or ``_synaptic_pre``). Every thread walks the whole list of spiking
synapses and runs those whose target index falls in its own block of
[0, partition_size): no two threads write the same neuron, and each neuron receives its
synapses in the same order as on one thread, so the results are the serial ones bit for
bit. Without OpenMP it is Brian2's serial loop.
#}
{# USES_VARIABLES { _synaptic_pre, _synaptic_post } #}
{% extends 'common_synapses.cpp' %}

{% block maincode %}

    // scalar code
    const size_t _vectorisation_idx = -1;
    {{scalar_code|autoindent}}

    {{ openmp_pragma('parallel') }}
    {
    std::vector<int> *_spiking_synapses = {{pathway.name}}.peek();
    const int _num_spiking_synapses = _spiking_synapses->size();

    {% if openmp_pragma('with_openmp') %}
    {% set _partition_keys = _synaptic_post if partition == '_synaptic_post' else _synaptic_pre %}
    // snnlearn: this thread owns the targets [_key_lo, _key_hi) of {{partition}}
    const int64_t _n_threads = omp_get_num_threads();
    const int64_t _thread = omp_get_thread_num();
    const int32_t _key_lo = (int32_t)(({{partition_size}} * _thread) / _n_threads);
    const int32_t _key_hi = (int32_t)(({{partition_size}} * (_thread + 1)) / _n_threads);
    for(int _spiking_synapse_idx=0;
        _spiking_synapse_idx<_num_spiking_synapses;
        _spiking_synapse_idx++)
    {
        const size_t _idx = (*_spiking_synapses)[_spiking_synapse_idx];
        const int32_t _key = {{_partition_keys}}[_idx];
        if (_key < _key_lo || _key >= _key_hi)
            continue;
        const size_t _vectorisation_idx = _idx;
        {{vector_code|autoindent}}
    }
    {% else %}
    for(int _spiking_synapse_idx=0;
        _spiking_synapse_idx<_num_spiking_synapses;
        _spiking_synapse_idx++)
    {
        const size_t _idx = (*_spiking_synapses)[_spiking_synapse_idx];
        const size_t _vectorisation_idx = _idx;
        {{vector_code|autoindent}}
    }
    {% endif %}
    }
{% endblock %}

{% block extra_functions_cpp %}
void _debugmsg_{{codeobj_name}}()
{
    using namespace brian;
    std::cout << "Number of synapses: " << {{_dynamic__synaptic_pre}}.size() << endl;
}
{% endblock %}

{% block extra_functions_h %}
void _debugmsg_{{codeobj_name}}();
{% endblock %}

{% macro main_finalise() -%}
#ifdef DEBUG
_debugmsg_{{codeobj_name}}();
#endif
{% endmacro %}
