"""Every parameter of every built-in experiment refuses bad values in one line, before anything exists.

Generated from the declarations themselves (``PARAMS``: plain defaults or ``Param``), so a
parameter added later is covered automatically: a value in the wrong unit, a non-number,
a value outside the declared or inferred bounds, and a choice that is not offered.

Also: every parameter of every built-in experiment is declared (a ``Param`` with a one-line
doc), and the checks that moved from the experiments' hand-written ``validate(p)`` into the
declarations, and the combinations that stayed there, still refuse bad values in one line
naming the parameter.
"""

import os

import pytest
from brian2 import Hz, Quantity, mV, second

from snnlearn.errors import UsageError
from snnlearn.params import Param, ParameterError, _declaration, check_value
from snnlearn.registry import list_experiments, load_experiment
from snnlearn.runs import run_experiment


def _number_like(default):
    item = default[0] if isinstance(default, (list, tuple)) and default else default
    return not isinstance(item, (bool, str)) and isinstance(item, (int, float, Quantity))


def _wrong_unit(default):
    item = default[0] if isinstance(default, (list, tuple)) and default else default
    if isinstance(item, Quantity) and item.dim == mV.dim:
        return "3 Hz"
    return "3 mV"


def _outside(decl):
    """Values just outside the bounds, as text in the parameter's unit."""
    values = []
    item = decl.default[0] if isinstance(decl.default, (list, tuple)) and decl.default else decl.default
    for bound, step in ((decl.low, -1), (decl.high, +1)):
        if bound is None:
            continue
        if isinstance(bound, Quantity) and not bound.dim.is_dimensionless:
            unit = {second.dim: (second, "s"), Hz.dim: (Hz, "Hz")}.get(bound.dim)
            if unit is None:
                continue
            magnitude = float(bound / unit[0])
            values.append(f"{magnitude + step * max(1.0, abs(magnitude)):.12g} {unit[1]}")
        elif isinstance(item, (int,)) and not isinstance(item, bool):
            values.append(str(int(bound) + step))
        else:
            values.append(repr(float(bound) + step * max(1.0, abs(float(bound)))))
        if (decl.strict and step < 0) or (decl.strict_high and step > 0):  # an exclusive bound itself
            values.append(f"{float(bound / unit[0]) if isinstance(bound, Quantity) and not bound.dim.is_dimensionless else float(bound):.12g}"
                          + (f" {unit[1]}" if isinstance(bound, Quantity) and not bound.dim.is_dimensionless else ""))
    return values


def _cases():
    cases = []
    for name in list_experiments():
        module = load_experiment(name)
        for key, entry in module.PARAMS.items():
            decl = _declaration(key, entry, infer=True)
            if _number_like(decl.default):
                cases.append((name, key, _wrong_unit(decl.default), "wrong unit"))
                cases.append((name, key, "abc", "not a number"))
                cases += [(name, key, value, "out of bounds") for value in _outside(decl)]
            if decl.choices is not None:
                cases.append((name, key, "no_such_choice", "wrong choice"))
    return cases


CASES = _cases()


def test_the_generated_cases_cover_every_experiment():
    assert {c[0] for c in CASES} >= {n for n in list_experiments() if load_experiment(n).PARAMS}
    assert len(CASES) > 100
    assert any(c[3] == "out of bounds" for c in CASES) and any(c[3] == "wrong choice" for c in CASES)


@pytest.mark.parametrize("name, key, value, kind", CASES, ids=[f"{c[0]}-{c[1]}-{c[3]}" for c in CASES])
def test_bad_value_is_one_line_before_any_directory(name, key, value, kind, tmp_path):
    out = tmp_path / "never"
    with pytest.raises(UsageError) as err:
        run_experiment(name, out=str(out), device="numpy", overrides={key: value})
    message = str(err.value)
    assert "\n" not in message and key in message, f"{kind}: {message}"
    assert not os.path.exists(out)


def test_declared_params_describe_what_they_allow():
    for name in list_experiments():
        for key, entry in load_experiment(name).PARAMS.items():
            if isinstance(entry, Param):
                assert entry.describe(), (name, key)


# Experiments whose parameters are still (partly) plain defaults, to be declared later; every other
# built-in experiment must declare every parameter.
NOT_YET_DECLARED = set()


def test_every_parameter_is_declared_with_a_doc():
    undeclared = []
    for name in list_experiments():
        for key, entry in load_experiment(name).PARAMS.items():
            if not (isinstance(entry, Param) and entry.doc.strip()):
                undeclared.append((name, key))
    assert {n for n, _ in undeclared} <= NOT_YET_DECLARED, [u for u in undeclared if u[0] not in NOT_YET_DECLARED]
    for name in NOT_YET_DECLARED:  # an exception that is no longer needed is removed from the list
        assert name in {n for n, _ in undeclared}, f"{name} is fully declared now: remove it from NOT_YET_DECLARED"


def test_docs_are_one_line_and_defaults_satisfy_their_declarations():
    for name in list_experiments():
        module = load_experiment(name)
        for key, entry in module.PARAMS.items():
            if isinstance(entry, Param):
                assert "\n" not in entry.doc, (name, key)
                check_value(key, entry.default, entry)


def test_exclusive_upper_bound():
    fraction = Param(0.5, low=0.0, strict=True, high=1.0, strict_high=True, doc="a fraction")
    assert fraction.describe() == "a number (> 0.0, < 1.0)"
    check_value("f", 0.999, fraction)
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ParameterError, match="parameter 'f'"):
            check_value("f", bad, fraction)
    check_value("g", 1.0, Param(0.5, high=1.0))  # inclusive by default


# Bad values that each converted experiment's validate(p) refused by hand before its declarations did,
# and combinations that validate(p) still checks: (experiment, overrides, the key the message names).
BAD = [
    ("digits", {"sizes": "0,25"}, "sizes"),
    ("digits", {"sizes": "25,25"}, "sizes"),
    ("digits", {"routes": "stdp,backprop"}, "routes"),
    ("digits", {"n_test": -1}, "n_test"),
    ("digits", {"test_fraction": 1.0}, "test_fraction"),
    ("digits", {"t_on": "350.2 ms"}, "t_on"),
    ("maps_vs_reward", {"sizes": "3"}, "sizes"),
    ("maps_vs_reward", {"criterion": 1.0}, "criterion"),
    ("maps_vs_reward", {"init_noise": 1.0}, "init_noise"),
    ("maps_vs_reward", {"reward_rule": "hebbian"}, "reward_rule"),
    ("maps_vs_reward", {"dwell_min": 30}, "dwell_min"),
    ("maps_vs_reward", {"record_interval": "100 s"}, "record_interval"),
    ("ocular_dominance", {"sigma_E": "1.0,0"}, "sigma_E"),
    ("ocular_dominance", {"w_noise": 0.6}, "w_noise"),
    ("ocular_dominance", {"arbor_radius": 40}, "arbor_radius"),
    ("ocular_dominance", {"snapshot_interval": "400 s"}, "snapshot_interval"),
    ("perturbation_learning", {"n_passes": 10}, "n_passes"),
    ("perturbation_learning", {"n_passes": 401}, "n_passes"),
    ("perturbation_learning", {"final_window": 0.5}, "final_window"),
    ("perturbation_learning", {"target_min": 7.0}, "target_min"),
    ("perturbation_scaling", {"eta_scale": 2.0}, "eta_scale"),
    ("perturbation_scaling", {"sizes": "N20_M5,M5_N20"}, "M5_N20"),
    ("readout_only", {"active_channels": 9}, "active_channels"),
    ("readout_only", {"criterion": 1.0}, "criterion"),
    ("readout_only", {"w0_max": 6.0}, "w_out_bound"),
    ("reservoir_benchmarks", {"force_p": 1.5}, "force_p"),
    ("reservoir_benchmarks", {"lsm_codegen_target": "cuda"}, "lsm_codegen_target"),
    ("reservoir_benchmarks", {"force_dt": "20 ms"}, "force_dt"),
    ("reservoir_benchmarks", {"lsm_t_same": "600 ms"}, "lsm_t_same"),
    ("reward_baseline", {"targets": "10,2,5"}, "targets"),
    ("reward_baseline", {"alpha": 1.5}, "alpha"),
    ("reward_baseline", {"final_window": 2000}, "final_window"),
    ("spiking_credit_assignment", {"rules": "backprop"}, "rules"),
    ("spiking_credit_assignment", {"criterion": 1.0}, "criterion"),
    ("spiking_credit_assignment", {"n_passes": 100}, "n_passes"),
    ("spiking_credit_assignment", {"align_sizes": "N80_M2"}, "align_sizes"),
    ("topographic_map", {"geometry": "torus"}, "geometry"),
    ("topographic_map", {"n_seeds": 0}, "n_seeds"),
    ("topographic_map", {"ring_biases": "0,-0.1"}, "ring_biases"),
    ("topographic_map", {"sheet_biases": "[]"}, "sheet_biases"),
    ("topographic_map", {"criterion_order": 1.5}, "criterion_order"),
    ("topographic_map", {"ring_w_init": 0}, "ring_w_init"),
    ("topographic_map", {"anneal_time": "0 s"}, "anneal_time"),
    ("topographic_map", {"dwell_min": 30}, "dwell_min"),
    ("topographic_map", {"record_interval": "200 s"}, "record_interval"),
]


@pytest.mark.parametrize("name, overrides, key", BAD, ids=[f"{b[0]}-{'-'.join(b[1])}" for b in BAD])
def test_converted_experiments_refuse_in_one_line(name, overrides, key, tmp_path):
    out = tmp_path / "never"
    with pytest.raises(UsageError) as err:
        run_experiment(name, out=str(out), device="numpy", overrides=overrides)
    message = str(err.value)
    assert "\n" not in message and key in message and message.startswith(name), message
    assert not os.path.exists(out)
