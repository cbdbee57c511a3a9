"""Classification read-outs of spiking networks: label assignment, the two read-outs and accuracy.

Plain numpy, no simulation. A response matrix has shape ``(n_images, n_neurons)`` (spike counts of each
neuron to each image). Labels are integers ``0 .. n_classes - 1``; a prediction of -1 means "no answer"
and always counts as wrong.

* :func:`assign_labels`: each neuron's class is the class of its highest mean response (Diehl & Cook
  2015, docs/validation.md, Diehl & Cook 2015).
* :func:`predict_vote`: Diehl & Cook's read-out, the class whose assigned neurons respond most on average.
* :func:`predict_winner`: the class of the single most active neuron (neurons with given classes).
* :func:`accuracy`, :func:`confusion`, :func:`online_accuracy` (accuracy during training, on images
  not yet learned from).

Reference: Diehl PU, Cook M (2015) Unsupervised learning of digit recognition using
spike-timing-dependent plasticity. Front Comput Neurosci 9:99.
"""

import numpy as np

__all__ = ["assign_labels", "predict_vote", "predict_winner", "accuracy", "confusion", "online_accuracy"]


def assign_labels(responses, labels, n_classes=10):
    """Each neuron's class: the class with its highest mean response (Diehl & Cook 2015).

    ``responses`` (n_images, n_neurons): spike counts; ``labels`` (n_images,). A neuron that never
    responds gets -1 (no vote). Ties go to the lower class. Classes absent from ``labels`` are never
    assigned.
    """
    r = np.asarray(responses, dtype=float)
    labels = np.asarray(labels)
    if r.ndim != 2 or r.shape[0] != labels.shape[0]:
        raise ValueError(f"assign_labels: responses must be (n_images, n_neurons) with one label per image, got {r.shape} "
                         f"and {labels.shape}")
    means = np.full((n_classes, r.shape[1]), -np.inf)
    for c in range(n_classes):
        sel = labels == c
        if sel.any():
            means[c] = r[sel].mean(axis=0)
    out = np.argmax(means, axis=0)
    out[r.sum(axis=0) <= 0] = -1
    return out


def predict_vote(responses, neuron_labels, n_classes=10):
    """Diehl & Cook's read-out: per class, the mean response of the neurons assigned to it; the class
    with the highest mean wins. An image without any response from a labelled neuron gets -1 (wrong)."""
    r = np.asarray(responses, dtype=float)
    nl = np.asarray(neuron_labels)
    scores = np.zeros((r.shape[0], n_classes))
    for c in range(n_classes):
        sel = nl == c
        if sel.any():
            scores[:, c] = r[:, sel].mean(axis=1)
    pred = np.argmax(scores, axis=1)
    pred[scores.max(axis=1) <= 0] = -1
    return pred


def predict_winner(responses, neuron_labels):
    """The class of the most active neuron (the reward route's read-out); -1 when nothing fired.
    Ties go to the lowest-numbered neuron."""
    r = np.asarray(responses, dtype=float)
    nl = np.asarray(neuron_labels)
    pred = nl[np.argmax(r, axis=1)].copy()
    pred[r.max(axis=1) <= 0] = -1
    return pred


def accuracy(pred, labels):
    """Fraction of images whose prediction equals the label (a prediction of -1 is wrong)."""
    pred, labels = np.asarray(pred), np.asarray(labels)
    if pred.shape != labels.shape or pred.size == 0:
        raise ValueError(f"accuracy: need as many predictions as labels (> 0), got {pred.shape} and {labels.shape}")
    return float(np.mean(pred == labels))


def confusion(pred, labels, n_classes=10):
    """Counts (true class, predicted class); predictions of -1 go to an extra last column."""
    labels, pred = np.asarray(labels), np.asarray(pred)
    if labels.shape != pred.shape:
        raise ValueError(f"confusion: need as many predictions as labels, got {pred.shape} and {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes or pred.max() >= n_classes):
        raise ValueError(f"confusion: labels and predictions must lie in 0..{n_classes - 1} (predictions may be -1)")
    m = np.zeros((n_classes, n_classes + 1), dtype=int)
    for t, p in zip(np.asarray(labels), np.asarray(pred)):
        m[t, p if p >= 0 else n_classes] += 1
    return m


def online_accuracy(responses, labels, window=250, block=100, neuron_labels=None):
    """Accuracy against presentations during training, measured on images the network has not yet
    learned from: image k is classified from its own response with labels assigned from the responses
    to the ``window`` presentations before it (or with fixed ``neuron_labels``). Returns the block ends
    (presentations) and the accuracy in each block of ``block`` images."""
    r = np.asarray(responses, dtype=float)
    y = np.asarray(labels)
    ends, acc = [], []
    start = 0 if neuron_labels is not None else window
    for b0 in range(start, len(y) - block + 1, block):
        correct = []
        for k in range(b0, b0 + block):
            if neuron_labels is None:
                nl = assign_labels(r[k - window:k], y[k - window:k])
                correct.append(predict_vote(r[k:k + 1], nl)[0] == y[k])
            else:
                correct.append(predict_winner(r[k:k + 1], neuron_labels)[0] == y[k])
        ends.append(b0 + block)
        acc.append(float(np.mean(correct)))
    return np.array(ends), np.array(acc)
