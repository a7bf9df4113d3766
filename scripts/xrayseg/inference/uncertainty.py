"""Per-pixel uncertainty of a prediction, with the class probabilities temperature-scaled.

Uncertainty maps, each in [0, 1]:
  uncertainty        normalised entropy of the (scaled) class probabilities, H(p) / log C: 0 when
                     one class has all the probability, 1 when every class has the same
  flip_disagreement  with flip test-time augmentation only: how much the four flipped predictions
                     disagree, H(mean of their probabilities) - mean of their entropies (the
                     mutual information between the prediction and the flip), over log C; 0 when
                     the flips give the same probabilities

How each kind of model gets there:
  networks           logits / T, softmax. With flip TTA the prediction averages the flips'
                     logits (as Predictor.scores does); the disagreement uses each flip's own.
  random forest      the forest's class probabilities (averaged tree votes) taken as
                     exp(logits): logits = log max(p, PROBABILITY_FLOOR), so T scales them as
                     p ** (1 / T), renormalised (T = 1 gives the forest's own probabilities).
  threshold          hard class decisions (one-hot): no probabilities, so no uncertainty (its
                     maps are NaN, "undefined") and nothing to calibrate.
"""

from dataclasses import dataclass, field

import numpy as np

from xrayseg.settings.architectures import TORCH

# The smallest class probability a forest's votes are trusted to resolve: tens of trees and
# leaves of tens of pixels give no meaningful probability below 1e-4. Without a floor a class no
# tree votes for would have logit -inf, which no temperature could soften.
PROBABILITY_FLOOR = 1e-4
MAP_NAMES = ("uncertainty", "flip_disagreement")


def softmax(logits, temperature=1.0, axis=0):
    """softmax(logits / temperature) along `axis`, float32."""
    scaled = np.asarray(logits, dtype=np.float32) / np.float32(temperature)
    exp = np.exp(scaled - scaled.max(axis=axis, keepdims=True))
    return exp / exp.sum(axis=axis, keepdims=True)


def entropy(probabilities, axis=0):
    """Shannon entropy (nats) along `axis`; 0 * log 0 counts as 0."""
    p = np.asarray(probabilities, dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p), 0.0)
    return -terms.sum(axis=axis)


def normalised_entropy(probabilities, axis=0):
    """Entropy over log C (C classes along `axis`), clipped to [0, 1], float32."""
    n_classes = np.asarray(probabilities).shape[axis]
    values = entropy(probabilities, axis) / np.float32(np.log(n_classes))
    return np.clip(values, 0, 1).astype(np.float32)


def flip_disagreement(per_flip_probabilities):
    """Mutual information of (F, C, H, W) probabilities of F flipped predictions, over log C:
    H(mean) - mean H, clipped to [0, 1] (rounding can make it a hair negative)."""
    per_flip = np.asarray(per_flip_probabilities, dtype=np.float32)
    n_classes = per_flip.shape[1]
    spread = entropy(per_flip.mean(axis=0), axis=0) - entropy(per_flip, axis=1).mean(axis=0)
    return np.clip(spread / np.float32(np.log(n_classes)), 0, 1).astype(np.float32)


def logits_of(scores, kind):
    """Logits from Predictor.scores: a network's scores are logits; a pixel model's are
    probabilities, whose floored logarithms act as logits."""
    if kind == TORCH:
        return np.asarray(scores, dtype=np.float32)
    return np.log(np.maximum(np.asarray(scores, dtype=np.float32), PROBABILITY_FLOOR))


@dataclass
class SlicePrediction:
    """One slice predicted with its uncertainty.

    scores: Predictor.scores (their argmax is `classes`); raw_probabilities: the model's own
    probabilities (softmax of the logits, the forest's votes, the threshold's one-hot);
    probabilities: the temperature-scaled ones (the raw ones when no temperature is given);
    maps: {name: (H, W) float32 in [0, 1]} (NaN for a model without probabilities).
    """

    scores: np.ndarray
    classes: np.ndarray
    raw_probabilities: np.ndarray
    probabilities: np.ndarray
    maps: dict = field(default_factory=dict)


class UncertainPredictor:
    """Predicts slices with a Predictor and adds scaled probabilities and uncertainty maps.

    temperature: the fitted T (results/calibration/{model}/calibration.json), or None to keep
    the model's own probabilities.
    """

    def __init__(self, predictor, temperature=None):
        self.predictor = predictor
        self.kind = predictor.architecture.kind
        self.has_probabilities = predictor.architecture.probabilities
        self.temperature = None if temperature is None else float(temperature)
        self.flips = self.kind == TORCH and bool(predictor.settings.flip_tta)

    @property
    def map_names(self):
        """The maps every prediction carries: uncertainty, and flip_disagreement with flip TTA."""
        return MAP_NAMES if self.flips else MAP_NAMES[:1]

    def slice_input(self, raw_volume, z, allowed):
        return self.predictor.slice_input(raw_volume, z, allowed)

    def scale(self, logits):
        """Class probabilities of logits under the temperature (T = 1 without one)."""
        return softmax(logits, self.temperature or 1.0)

    def predict(self, image):
        """SlicePrediction of one (C, H, W) input."""
        if self.flips:
            per_flip = self.predictor.scores_per_flip(image)
            scores = per_flip.mean(axis=0)
        else:
            per_flip, scores = None, self.predictor.scores(image)
        classes = np.argmax(scores, axis=0).astype(np.uint8)
        raw = self.predictor.probabilities_from(scores)
        if not self.has_probabilities:
            undefined = np.full(classes.shape, np.nan, dtype=np.float32)
            maps = dict.fromkeys(self.map_names, undefined)
            return SlicePrediction(scores, classes, raw, raw, maps)
        logits = logits_of(scores, self.kind)
        probabilities = raw if self.temperature is None else self.scale(logits)
        maps = {"uncertainty": normalised_entropy(probabilities)}
        if per_flip is not None:
            flipped = np.stack([self.scale(logits_of(s, self.kind)) for s in per_flip])
            maps["flip_disagreement"] = flip_disagreement(flipped)
        return SlicePrediction(scores, classes, raw, probabilities, maps)

    def predict_slice(self, raw_volume, z, block):
        """SlicePrediction of slice z of a stack: the slice alone (a 2.5-D model's neighbours
        from `block`), or for a 3-D network from the slab of `block` around it."""
        if self.predictor.volumetric:
            [(_, scores, _)] = self.predictor.block_scores(raw_volume, block, [z])
            return self.from_probabilities(self.predictor.probabilities_from(scores))
        return self.predict(self.slice_input(raw_volume, z, block))

    def from_probabilities(self, probabilities):
        """SlicePrediction of class probabilities predicted elsewhere (a block averaged over the
        planes of several axes, or smoothed along the stack: xrayseg.inference.block).

        Their logarithms act as logits: for a network, log softmax(s) differs from s by a
        constant per pixel, so the temperature scales them exactly as it scales the logits. The
        flips of such a prediction are not kept, so flip_disagreement is NaN (undefined) there.
        """
        raw = np.asarray(probabilities, dtype=np.float32)
        classes = np.argmax(raw, axis=0).astype(np.uint8)
        undefined = np.full(classes.shape, np.nan, dtype=np.float32)
        if not self.has_probabilities:
            return SlicePrediction(raw, classes, raw, raw, dict.fromkeys(self.map_names, undefined))
        floor = PROBABILITY_FLOOR if self.kind != TORCH else np.finfo(np.float32).tiny
        logits = np.log(np.maximum(raw, floor))
        probabilities = raw if self.temperature is None else self.scale(logits)
        maps = dict.fromkeys(self.map_names, undefined)
        maps["uncertainty"] = normalised_entropy(probabilities)
        return SlicePrediction(logits, classes, raw, probabilities, maps)
