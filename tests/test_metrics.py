"""Classification read-outs (snnlearn.metrics.classification) against hand-computed cases: label assignment
by highest mean response (Diehl & Cook 2015), the class vote, the most-active-neuron read-out, accuracy,
the confusion matrix and the online accuracy during training."""

import numpy as np
import pytest

from snnlearn.metrics import classification as cl

def test_assign_labels_takes_the_class_of_highest_mean_response():
    # neuron 0: class 0 mean (2 + 4)/2 = 3 > class 1 mean 0 -> 0; neuron 1 never fires -> -1;
    # neuron 2: class 0 mean (1 + 1)/2 = 1 < class 1 mean (3 + 0)/2 = 1.5 -> 1 (a sum would say 0: 2 > 3 is
    # false here too, so also check a case where mean and sum disagree)
    r = [[2, 0, 1], [0, 0, 3], [4, 0, 1], [0, 0, 0]]
    assert cl.assign_labels(r, [0, 1, 0, 1], n_classes=2).tolist() == [0, -1, 1]
    # three class-0 images with 1 spike (sum 3, mean 1) against one class-1 image with 2 spikes (mean 2)
    assert cl.assign_labels([[1], [1], [1], [2]], [0, 0, 0, 1], n_classes=2).tolist() == [1]
    # a tie goes to the lower class; a class without images is never assigned
    assert cl.assign_labels([[1], [1]], [2, 1], n_classes=4).tolist() == [1]
    with pytest.raises(ValueError, match="one label per image"):
        cl.assign_labels([[1, 2]], [0, 1])


def test_predict_vote_averages_over_each_class_neurons():
    nl = [0, -1, 1]
    assert cl.predict_vote([[5, 9, 1], [0, 9, 2], [0, 9, 0]], nl, n_classes=2).tolist() == [0, 1, -1]
    # class 0 has two neurons (2 + 0)/2 = 1 < class 1's 1.5: the mean decides, not the sum (2 > 1.5)
    assert cl.predict_vote([[2, 0, 1.5]], [0, 0, 1], n_classes=2).tolist() == [1]


def test_predict_winner_and_accuracy_and_confusion():
    assert cl.predict_winner([[1, 3, 2], [0, 0, 0], [2, 2, 0]], [7, 8, 9]).tolist() == [8, -1, 7]
    assert cl.accuracy([0, 1, -1, 3], [0, 1, 2, 2]) == 0.5
    with pytest.raises(ValueError, match="accuracy"):
        cl.accuracy([0, 1], [0, 1, 2])
    assert cl.confusion([0, -1, 1], [0, 0, 1], n_classes=2).tolist() == [[1, 0, 1], [0, 1, 0]]


def test_online_accuracy_uses_only_earlier_presentations():
    y = np.tile(np.arange(3), 6)
    perfect = np.eye(3)[y]  # neuron k answers class k only
    ends, acc = cl.online_accuracy(perfect, y, window=6, block=6)
    assert ends.tolist() == [12, 18] and acc.tolist() == [1.0, 1.0]
    # responses that change meaning after presentation 9: labels from the window before it are wrong
    swapped = perfect.copy()
    swapped[9:] = np.eye(3)[(y[9:] + 1) % 3]
    _, acc = cl.online_accuracy(swapped, y, window=6, block=3)
    assert acc[0] == 1.0 and acc[1] == 0.0  # block 6-8 learned from 0-5; block 9-11 read with stale labels


def test_confusion_refuses_mismatched_or_out_of_range_input():
    with pytest.raises(ValueError, match="confusion: need as many"):
        cl.confusion([0, 1], [0])
    with pytest.raises(ValueError, match="must lie in 0..1"):
        cl.confusion([2], [0], n_classes=2)
    # every image is counted once: rows sum to the class counts
    m = cl.confusion([1, 1, 0, -1, 2], [1, 0, 0, 2, 2], n_classes=3)
    assert m.sum(axis=1).tolist() == [2, 1, 2] and m[2, 3] == 1 and m[0, 1] == 1


def test_vote_with_assigned_labels_recovers_a_noisy_population_code():
    # 3 classes x 4 neurons each; the preferred class of a neuron gets 5 spikes on average, others 1
    rng = np.random.default_rng(0)
    pref = np.repeat(np.arange(3), 4)
    y = rng.integers(0, 3, 300)
    r = rng.poisson(np.where(pref[None, :] == y[:, None], 5.0, 1.0))
    nl = cl.assign_labels(r[:200], y[:200], n_classes=3)
    assert nl.tolist() == pref.tolist()
    assert cl.accuracy(cl.predict_vote(r[200:], nl, n_classes=3), y[200:]) > 0.95
    # shuffled labels: the assignment carries no information, accuracy near chance (1/3)
    nl_bad = cl.assign_labels(r[:200], rng.permutation(y[:200]), n_classes=3)
    assert cl.accuracy(cl.predict_vote(r[200:], nl_bad, n_classes=3), y[200:]) < 0.6
