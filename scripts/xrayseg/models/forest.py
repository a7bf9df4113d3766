"""A fitted scikit-learn forest stored with skops and predicted by its own predict_proba.

Checkpoints are loaded with torch.load(weights_only=True), which unpickles no code, so the forest
goes in as the bytes of skops.io.dumps (a uint8 tensor). skops is scikit-learn's documented way
to persist estimators without pickle: loading builds only the types it is told to trust
(skops' defaults, the scikit-learn estimators and numpy arrays, plus TRUSTED here) and refuses
anything else.

Prediction is RandomForestClassifier.predict_proba, on chunks of rows spread over `threads`
threads (its compiled tree walks release the GIL). Each chunk runs with n_jobs=1, which sums the
trees in their stored order: with n_jobs > 1 scikit-learn adds each tree's probabilities as the
tree finishes, so the last bits would depend on the thread count.
"""

import zipfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

# The one type of a fitted forest that skops does not trust by default: the compiled tree.
TRUSTED = ["sklearn.tree._tree.Tree"]


def forest_bytes(forest):
    """A fitted RandomForestClassifier as a uint8 tensor of skops bytes (compressed)."""
    import skops.io

    data = skops.io.dumps(forest, compression=zipfile.ZIP_DEFLATED)
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


def load_forest(stored):
    """The RandomForestClassifier of forest_bytes' tensor, set to predict on one thread per call
    (forest_proba spreads the rows over threads itself)."""
    import skops.io
    from sklearn.ensemble import RandomForestClassifier

    forest = skops.io.loads(stored.numpy().tobytes(), trusted=TRUSTED)
    if not isinstance(forest, RandomForestClassifier):
        raise ValueError(f"rf checkpoint holds a {type(forest).__name__}, not a random forest")
    return forest.set_params(n_jobs=1)


def node_count(forest):
    """Tree nodes of a fitted forest (its size, reported beside the networks' weights)."""
    return int(sum(estimator.tree_.node_count for estimator in forest.estimators_))


def forest_proba(forest, features, n_classes, threads=1, chunk=65536):
    """(P, n_classes) float32 class probabilities of a fitted forest for (P, F) features.

    `threads` threads take chunks of `chunk` rows each; a class the forest never saw gets 0. The
    result does not depend on the thread count or the chunk size.
    """
    features = np.ascontiguousarray(features, dtype=np.float32)
    classes = forest.classes_.astype(int)
    if classes.max() >= n_classes:
        raise ValueError(f"rf checkpoint has class {classes.max()}, asked for {n_classes} classes")
    proba = np.zeros((len(features), n_classes), dtype=np.float32)

    def predict(start):
        rows = slice(start, start + chunk)
        proba[rows, classes] = forest.predict_proba(features[rows])

    starts = range(0, len(features), chunk)
    with ThreadPoolExecutor(max(1, min(int(threads), len(starts)))) as pool:
        list(pool.map(predict, starts))
    return proba
