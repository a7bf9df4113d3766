"""Random-forest pixel classifier on multi-scale filter features (the ilastik approach).

Features: scikit-image's multiscale_basic_features (Gaussian-smoothed intensity, edges and texture
at several scales) of each pixel. The forest (scikit-learn) is fitted on a seeded random sample of
train pixels.

The fitted forest is stored as plain tensors (per node: feature, threshold, children, class
fractions), not as a pickle: checkpoints are loaded with torch.load(weights_only=True), which
unpickles no code, and predicting needs only numpy. Prediction walks every tree level by level for
all pixels at once and averages the leaves' class fractions, exactly as scikit-learn's
predict_proba does (tests compare the two).
"""

import logging

import numpy as np
import torch

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.models.spec import ModelSpec

log = logging.getLogger(__name__)


def pixel_features(image, feature_settings):
    """(H, W, F) float32 features of a 2-D slice; scikit-learn trees compare float32 values."""
    # Imported here: every job imports the model registry, and these take seconds to load.
    from skimage.feature import multiscale_basic_features

    features = multiscale_basic_features(
        np.asarray(image, dtype=np.float32),
        intensity=True,
        edges=True,
        texture=True,
        sigma_min=feature_settings["sigma_min"],
        sigma_max=feature_settings["sigma_max"],
    )
    return features.astype(np.float32, copy=False)


def fit(
    raw_slices,
    label_slices,
    n_classes,
    seed=0,
    threads=1,
    trees=32,
    max_depth=14,
    samples=60_000,
    slices=16,
    sigma_max=8.0,
):
    """Fit a forest on `samples` random labelled pixels of up to `slices` evenly spread slices."""
    from sklearn.ensemble import RandomForestClassifier

    if not raw_slices:
        raise ValueError("rf: no train slices to fit on")
    rng = np.random.default_rng(seed)
    feature_settings = {"sigma_min": 0.5, "sigma_max": float(sigma_max)}
    chosen = np.unique(np.linspace(0, len(raw_slices) - 1, min(slices, len(raw_slices))).round())
    per_slice = int(np.ceil(samples / len(chosen)))
    features, targets = [], []
    for index in chosen.astype(int):
        labels = np.asarray(label_slices[index])
        usable = np.flatnonzero((labels.ravel() != IGNORE_INDEX) & (labels.ravel() < n_classes))
        if usable.size == 0:
            continue
        pick = rng.choice(usable, min(per_slice, usable.size), replace=False)
        slice_features = pixel_features(raw_slices[index], feature_settings)
        features.append(slice_features.reshape(-1, slice_features.shape[-1])[pick])
        targets.append(labels.ravel()[pick])
    if not features:
        raise ValueError("rf: the train slices hold no labelled pixels")
    features, targets = np.concatenate(features), np.concatenate(targets).astype(np.int64)
    missing = sorted(set(range(n_classes)) - set(np.unique(targets).tolist()))
    if missing:
        raise ValueError(f"rf: classes {missing} never occur in the sampled train pixels")
    forest = RandomForestClassifier(
        n_estimators=trees,
        max_depth=max_depth,
        min_samples_leaf=2,
        n_jobs=max(1, int(threads)),
        random_state=seed,
    ).fit(features, targets)
    log.info(
        "rf: %d trees on %d pixels x %d features from %d slices",
        trees,
        len(targets),
        features.shape[1],
        len(chosen),
    )
    return {"features": feature_settings, **forest_tensors(forest, n_classes)}


def forest_tensors(forest, n_classes):
    """A fitted forest as flat tensors: every tree's nodes concatenated, `roots` index each tree.

    Child indices are global (offset by the tree's start); leaves have child -1.
    """
    features, thresholds, lefts, rights, values, roots = [], [], [], [], [], []
    offset = 0
    for estimator in forest.estimators_:
        tree = estimator.tree_
        leaf = tree.children_left < 0
        roots.append(offset)
        features.append(np.where(leaf, 0, tree.feature))
        thresholds.append(tree.threshold)
        lefts.append(np.where(leaf, -1, tree.children_left + offset))
        rights.append(np.where(leaf, -1, tree.children_right + offset))
        # Class fractions per node over the forest's classes, mapped onto 0 .. n_classes-1.
        fractions = np.zeros((tree.node_count, n_classes))
        counts = tree.value[:, 0, :]
        fractions[:, forest.classes_.astype(int)] = counts / counts.sum(1, keepdims=True)
        values.append(fractions)
        offset += tree.node_count
    return {
        "feature": torch.from_numpy(np.concatenate(features).astype(np.int32)),
        "threshold": torch.from_numpy(np.concatenate(thresholds).astype(np.float64)),
        "left": torch.from_numpy(np.concatenate(lefts).astype(np.int64)),
        "right": torch.from_numpy(np.concatenate(rights).astype(np.int64)),
        "value": torch.from_numpy(np.concatenate(values).astype(np.float32)),
        "roots": torch.tensor(roots, dtype=torch.int64),
    }


def forest_proba(params, features):
    """(P, n_classes) mean leaf class fractions of the stored forest for (P, F) float32 features."""
    feature = params["feature"].numpy()
    threshold = params["threshold"].numpy()
    left, right = params["left"].numpy(), params["right"].numpy()
    value = params["value"].numpy()
    rows = np.arange(len(features))
    total = np.zeros((len(features), value.shape[1]), dtype=np.float64)
    for root in params["roots"].numpy():
        nodes = np.full(len(features), root, dtype=np.int64)
        active = rows if left[root] >= 0 else rows[:0]
        while active.size:
            at = nodes[active]
            goes_left = features[active, feature[at]] <= threshold[at]
            nodes[active] = np.where(goes_left, left[at], right[at])
            # Pixels that reached a leaf (child -1 next) stop; the others go one level down.
            active = active[left[nodes[active]] >= 0]
        total += value[nodes]
    return (total / len(params["roots"])).astype(np.float32)


def predict_proba(params, image, n_classes):
    """Class probabilities (n_classes, H, W) float32 of a 2-D normalised raw slice."""
    features = pixel_features(image, params["features"])
    height, width, count = features.shape
    proba = forest_proba(params, features.reshape(-1, count))
    if proba.shape[1] != n_classes:
        raise ValueError(f"rf checkpoint has {proba.shape[1]} classes, asked for {n_classes}")
    return proba.T.reshape(n_classes, height, width)


def parameter_count(params):
    """Tree nodes of the forest (its size, reported beside the networks' weights)."""
    return int(params["feature"].numel())


SPEC = ModelSpec(
    kind="pixel",
    fit=fit,
    predict_proba=predict_proba,
    arch_keys=("trees", "max_depth", "samples", "slices", "sigma_max"),
    parameter_count=parameter_count,
)
