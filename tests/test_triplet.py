"""Triplet STDP (Pfister & Gerstner 2006) reproduces the pairing-frequency dependence of Sjöström et al. (2001).

60 pairings at Δt = ±10 ms and 0.1-50 Hz, with the paper's visual-cortex parameter sets (all-to-all full
model, nearest-spike minimal model); the pair-based rule is the control that fails."""

import pytest

import snnlearn as sl

pytestmark = [pytest.mark.slow, pytest.mark.standalone]


@pytest.fixture(scope="module")
def triplet(tmp_path_factory):
    out = tmp_path_factory.mktemp("triplet") / "run"
    return sl.run("triplet_frequency", seed=0, out=str(out), device="cpp_standalone").metrics


@pytest.mark.parametrize("parameter_set", ["visual_all_to_all", "visual_nearest_minimal"])
def test_low_frequency_depresses_high_frequency_potentiates(triplet, parameter_set):
    f = triplet["frequencies_hz"]
    dw = triplet["dw_percent"][parameter_set]
    low = f.index(0.1)
    # at 0.1 Hz post-before-pre pairs depress and pre-before-post pairs give (almost) nothing
    assert dw["-"][low] < -10.0
    assert abs(dw["+"][low]) < 0.1 * abs(dw["-"][low])
    # at 40 and 50 Hz both orders potentiate
    for hz in (40.0, 50.0):
        k = f.index(hz)
        assert dw["+"][k] > 0 and dw["-"][k] > 0, (hz, dw)
    # potentiation grows with frequency for pre-before-post pairing
    assert all(a <= b for a, b in zip(dw["+"], dw["+"][1:]))


def test_pair_rule_lacks_the_frequency_dependence(triplet):
    """Control: the pair rule depresses post-before-pre pairs at every frequency."""
    dw = triplet["dw_percent"]["pair_additive"]
    assert all(x < 0 for x in dw["-"])
