"""The rule catalog: functions that return :class:`snnlearn.Rule` declarations.

Two-factor rules (``stdp``, ``hebbian``), three-factor rules (``neuromodulated``:
dopamine- and reward-modulated STDP; ``perturbation``: node, weight and serial
perturbation, REINFORCE) and homeostasis that composes with any rule.
Each entry documents its equations, parameters with units, and the paper.
"""

from .base import Rule
from .hebbian import bcm, covariance, hebbian, oja
from .neuromodulated import da_stdp, reward_stdp
from .perturbation import node_perturbation, reinforce, serial_perturbation, weight_perturbation
from .homeostasis import Homeostasis, multiplicative_normalization, subtractive_normalization, synaptic_scaling
from .stdp import TRIPLET_PARAMETER_SETS, stdp_additive, stdp_multiplicative, triplet_stdp
from .subspace import similarity_matching_feedforward, similarity_matching_lateral

__all__ = [
    "Rule", "stdp_additive", "stdp_multiplicative", "triplet_stdp", "TRIPLET_PARAMETER_SETS",
    "hebbian", "covariance", "oja", "bcm", "similarity_matching_feedforward", "similarity_matching_lateral",
    "da_stdp", "reward_stdp", "node_perturbation", "weight_perturbation", "serial_perturbation", "reinforce",
    "Homeostasis", "subtractive_normalization", "multiplicative_normalization", "synaptic_scaling",
    "CATALOG",
]

#: name -> factory, for listing and for tests that run every catalog rule.
CATALOG = {
    "stdp_additive": stdp_additive,
    "stdp_multiplicative": stdp_multiplicative,
    "triplet_stdp": triplet_stdp,
    "hebbian": hebbian,
    "covariance": covariance,
    "oja": oja,
    "bcm": bcm,
    "similarity_matching_feedforward": similarity_matching_feedforward,
    "similarity_matching_lateral": similarity_matching_lateral,
    "da_stdp": da_stdp,
    "reward_stdp": reward_stdp,
    "node_perturbation": node_perturbation,
    "weight_perturbation": weight_perturbation,
    "serial_perturbation": serial_perturbation,
    "reinforce": reinforce,
}
