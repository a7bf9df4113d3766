"""The threshold baseline: global grey thresholds fitted on the train slices.

Classes are ordered by their median grey value; between each adjacent pair, the threshold is the
grey value that misclassifies the fewest train pixels of those two classes. On the real data two
such thresholds already score 96-97 % pixel accuracy, so every deep model is compared with this.
"""

import numpy as np

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.models.spec import ModelSpec

HISTOGRAM_BINS = 2048


def fit(raw_slices, label_slices, n_classes, seed=0, threads=1, max_pixels=2_000_000):
    """Thresholds and class order from train slices (sequences of 2-D arrays, read one slice at
    a time, so they may be lazy); plain-number dict.

    Fitted on the labelled pixels, at most max_pixels / len(slices) drawn at random from each
    slice (all of them where a slice has fewer), so memory stays bounded whatever the stack's
    size. `threads` is unused: one numpy pass needs no parallelism.
    """
    raw, labels = labelled_sample(raw_slices, label_slices, max_pixels, seed)
    present = [c for c in range(n_classes) if (labels == c).any()]
    if len(present) < n_classes:
        missing = sorted(set(range(n_classes)) - set(present))
        raise ValueError(f"threshold: classes {missing} never occur in the train slices")
    order = sorted(range(n_classes), key=lambda c: float(np.median(raw[labels == c])))
    edges = np.linspace(raw.min(), raw.max(), HISTOGRAM_BINS + 1)
    thresholds = []
    for darker, brighter in zip(order[:-1], order[1:], strict=True):
        dark_hist, _ = np.histogram(raw[labels == darker], edges)
        bright_hist, _ = np.histogram(raw[labels == brighter], edges)
        # Cutting after bin i: dark pixels above it and bright pixels at or below it are wrong.
        errors = (dark_hist.sum() - np.cumsum(dark_hist)) + np.cumsum(bright_hist)
        thresholds.append(float(edges[middle_of_first_minimum(errors) + 1]))
    return {"thresholds": sorted(thresholds), "order": [int(c) for c in order]}


def labelled_sample(raw_slices, label_slices, max_pixels, seed):
    """(raw float64, labels) of the labelled pixels of the slices, at most
    ceil(max_pixels / len(slices)) drawn from each."""
    if len(raw_slices) == 0:
        raise ValueError("threshold: no train slices to fit on")
    rng = np.random.default_rng(seed)
    per_slice = -(-max_pixels // len(raw_slices))
    raws, labels = [], []
    for index in range(len(raw_slices)):
        label = np.asarray(label_slices[index]).ravel()
        usable = np.flatnonzero(label != IGNORE_INDEX)
        if usable.size > per_slice:
            usable = np.sort(rng.choice(usable, per_slice, replace=False))
        raws.append(np.asarray(raw_slices[index]).ravel()[usable].astype(np.float64))
        labels.append(label[usable])
    return np.concatenate(raws), np.concatenate(labels)


def middle_of_first_minimum(errors):
    """Index in the middle of the first run of bins where `errors` is smallest.

    Well-separated classes leave a gap of empty bins that all score the minimum; cutting in the
    middle of the gap, not at its edge, keeps unseen pixels of either class on their side.
    """
    at_minimum = np.flatnonzero(errors == errors.min())
    run_end = at_minimum[0]
    while run_end + 1 < len(errors) and errors[run_end + 1] == errors.min():
        run_end += 1
    return int((at_minimum[0] + run_end) // 2)


def predict_proba(params, image, n_classes):
    """One-hot class scores (n_classes, H, W) for a 2-D normalised raw slice."""
    rank = np.digitize(image, params["thresholds"])
    classes = np.asarray(params["order"])[rank]
    return np.eye(n_classes, dtype=np.float32)[classes].transpose(2, 0, 1)


def parameter_count(params):
    return len(params["thresholds"])


SPEC = ModelSpec(fit=fit, predict_proba=predict_proba, parameter_count=parameter_count)
