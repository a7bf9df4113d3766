"""Random-forest pixel classifier on multi-scale filter features (the ilastik approach).

Features: scikit-image's multiscale_basic_features (Gaussian-smoothed intensity, edges and texture
at several scales) of each pixel. The forest (scikit-learn) is fitted on a seeded random sample of
train pixels.

The fitted forest is stored with skops (no pickle) and predicted by its own predict_proba
(xrayseg.models.forest), on the job's torch thread count.
Fitting logs progress lines (xrayseg.io.progress); evaluate and predict log theirs per slice.
"""

import logging

import numpy as np
import torch

from xrayseg.io.progress import Progress
from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.models.forest import forest_bytes, forest_proba, load_forest, node_count
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
    raw_slices, label_slices, n_classes, seed, threads, trees, max_depth, samples, slices, sigma_max
):
    """Fit a forest on `samples` random labelled pixels of up to `slices` evenly spread slices
    (the catalogue, xrayseg.settings.architectures, holds the arguments' defaults).

    Returns params: the feature settings, the forest's skops bytes and its node count."""
    if not raw_slices:
        raise ValueError("rf: no train slices to fit on")
    feature_settings = {"sigma_min": 0.5, "sigma_max": float(sigma_max)}
    chosen = np.unique(np.linspace(0, len(raw_slices) - 1, min(slices, len(raw_slices))).round())
    features, targets = sample_pixels(
        raw_slices, label_slices, chosen.astype(int), n_classes, samples, feature_settings, seed
    )
    forest = grow_forest(features, targets, trees, max_depth, threads, seed)
    log.info(
        "rf: %d trees on %d pixels x %d features from %d slices",
        trees,
        len(targets),
        features.shape[1],
        len(chosen),
    )
    return {
        "features": feature_settings,
        "forest": forest_bytes(forest),
        "nodes": node_count(forest),
    }


def sample_pixels(raw_slices, label_slices, chosen, n_classes, samples, feature_settings, seed):
    """(features (N, F) float32, classes (N,) int64) of `samples` random labelled pixels spread
    evenly over the slices at the `chosen` indices."""
    rng = np.random.default_rng(seed)
    per_slice = int(np.ceil(samples / len(chosen)))
    progress = Progress("rf: features", len(chosen), log.info)
    features, targets = [], []
    for index in chosen:
        labels = np.asarray(label_slices[index])
        usable = np.flatnonzero((labels.ravel() != IGNORE_INDEX) & (labels.ravel() < n_classes))
        if usable.size:
            pick = rng.choice(usable, min(per_slice, usable.size), replace=False)
            slice_features = pixel_features(raw_slices[index], feature_settings)
            features.append(slice_features.reshape(-1, slice_features.shape[-1])[pick])
            targets.append(labels.ravel()[pick])
        progress.advance()
    if not features:
        raise ValueError("rf: the train slices hold no labelled pixels")
    features, targets = np.concatenate(features), np.concatenate(targets).astype(np.int64)
    missing = sorted(set(range(n_classes)) - set(np.unique(targets).tolist()))
    if missing:
        raise ValueError(f"rf: classes {missing} never occur in the sampled train pixels")
    return features, targets


def grow_forest(features, targets, trees, max_depth, threads, seed, batch=4):
    """A RandomForestClassifier grown `batch` trees at a time, so that the log shows progress.

    warm_start draws each added tree's random state as one fit of all the trees would, so the
    forest is the same (a test compares the two).
    """
    from sklearn.ensemble import RandomForestClassifier

    forest = RandomForestClassifier(
        n_estimators=min(batch, trees),
        max_depth=max_depth,
        min_samples_leaf=2,
        n_jobs=max(1, int(threads)),
        random_state=seed,
        warm_start=True,
    )
    progress = Progress("rf: trees", trees, log.info, unit="tree")
    while True:
        grown = len(getattr(forest, "estimators_", []))
        forest.fit(features, targets)
        progress.advance(forest.n_estimators - grown)
        if forest.n_estimators >= trees:
            return forest
        forest.n_estimators = min(forest.n_estimators + batch, trees)


def unpack(params):
    """The stored params made ready to predict: the feature settings and the loaded forest."""
    return {"features": params["features"], "forest": load_forest(params["forest"])}


def predict_proba(model, image, n_classes):
    """Class probabilities (n_classes, H, W) float32 of a 2-D normalised raw slice (model: what
    unpack returns)."""
    features = pixel_features(image, model["features"])
    height, width, count = features.shape
    rows = features.reshape(-1, count)
    proba = forest_proba(model["forest"], rows, n_classes, torch.get_num_threads())
    return proba.T.reshape(n_classes, height, width)


def parameter_count(params):
    """Tree nodes of the forest (its size, reported beside the networks' weights)."""
    return int(params["nodes"])


SPEC = ModelSpec(
    fit=fit, unpack=unpack, predict_proba=predict_proba, parameter_count=parameter_count
)
