"""Uncertainty maps: entropy and flip disagreement against their definitions, and what each kind of
model gets (networks with and without flip TTA, the forest, the threshold baseline)."""

import numpy as np
import pytest
import torch

from helpers.checkpoints import checkpoint_of
from helpers.networks import randomised_norms
from xrayseg.inference.predictor import Predictor
from xrayseg.inference.uncertainty import (
    PROBABILITY_FLOOR,
    UncertainPredictor,
    flip_disagreement,
    logits_of,
    normalised_entropy,
    softmax,
)
from xrayseg.models import build_network
from xrayseg.settings.inference import InferenceSettings


def test_normalised_entropy_is_zero_when_sure_and_one_when_every_class_is_alike():
    sure = np.zeros((3, 2, 2), np.float32)
    sure[1] = 1
    assert np.all(normalised_entropy(sure) == 0)
    np.testing.assert_allclose(normalised_entropy(np.full((4, 2, 2), 0.25)), 1, atol=1e-6)
    p = np.array([0.7, 0.2, 0.1], np.float32)[:, None, None]
    expected = -(0.7 * np.log(0.7) + 0.2 * np.log(0.2) + 0.1 * np.log(0.1)) / np.log(3)
    assert normalised_entropy(p)[0, 0] == pytest.approx(expected, rel=1e-5)


def test_flip_disagreement_is_the_mutual_information_and_zero_when_the_flips_agree():
    rng = np.random.default_rng(0)
    same = np.repeat(softmax(rng.normal(size=(3, 4, 4)))[None], 4, axis=0)
    np.testing.assert_allclose(flip_disagreement(same), 0, atol=1e-6)
    per_flip = softmax(rng.normal(size=(4, 3, 4, 4)) * 3, axis=1)
    mean = per_flip.mean(axis=0)
    mutual = -(mean * np.log(mean)).sum(axis=0) + (per_flip * np.log(per_flip)).sum(axis=1).mean(
        axis=0
    )
    np.testing.assert_allclose(flip_disagreement(per_flip), mutual / np.log(3), atol=1e-5)
    # Two flips sure of different classes disagree fully (one bit of two classes' log 2).
    opposite = np.zeros((2, 2, 1, 1), np.float32)
    opposite[0, 0], opposite[1, 1] = 1, 1
    assert flip_disagreement(opposite)[0, 0] == pytest.approx(1.0)


def test_forest_probabilities_become_floored_logits_that_a_temperature_softens():
    p = np.array([1.0, 0.0, 0.0], np.float32)[:, None, None]
    logits = logits_of(p, "pixel")
    assert logits[1, 0, 0] == pytest.approx(np.log(PROBABILITY_FLOOR))
    assert softmax(logits, 4.0)[0, 0, 0] < softmax(logits, 1.0)[0, 0, 0]
    np.testing.assert_array_equal(logits_of(p, "torch"), p)


def unet_checkpoint():
    torch.manual_seed(0)
    arch_args = {"width": 4, "depth": 2}
    network = randomised_norms(build_network("unet", 3, 1, arch_args))
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.mul_(1.5)  # outputs that vary with the input, as a trained network's do
    return checkpoint_of("unet", network.state_dict(), arch_args, patch_size=16)


def predictor_for(checkpoint, flip_tta):
    settings = InferenceSettings(
        flip_tta=flip_tta, precision="fp32", channels_last=False, window="patch"
    )
    return Predictor(checkpoint, "cpu", settings)


def test_with_flip_tta_the_per_flip_logits_average_to_the_flip_averaged_scores():
    image = np.random.default_rng(1).random((1, 24, 20)).astype(np.float32)
    predictor = predictor_for(unet_checkpoint(), flip_tta=True)
    per_flip = predictor.scores_per_flip(image)
    assert per_flip.shape == (4, 3, 24, 20)
    np.testing.assert_allclose(per_flip.mean(axis=0), predictor.scores(image), rtol=1e-5, atol=1e-5)
    assert np.abs(per_flip[0] - per_flip[1]).max() > 1e-3, "flips must give different logits"
    prediction = UncertainPredictor(predictor, temperature=2.0).predict(image)
    assert set(prediction.maps) == {"uncertainty", "flip_disagreement"}
    assert prediction.maps["flip_disagreement"].max() > 0
    np.testing.assert_allclose(prediction.probabilities, softmax(per_flip.mean(axis=0), 2.0))


def test_a_temperature_changes_probabilities_and_uncertainty_never_the_classes():
    image = np.random.default_rng(2).random((1, 16, 16)).astype(np.float32)
    predictor = predictor_for(unet_checkpoint(), flip_tta=False)
    own = UncertainPredictor(predictor).predict(image)
    hot = UncertainPredictor(predictor, temperature=3.0).predict(image)
    assert list(own.maps) == ["uncertainty"]
    np.testing.assert_array_equal(own.classes, hot.classes)
    np.testing.assert_allclose(own.probabilities, own.raw_probabilities)
    assert (hot.maps["uncertainty"] >= own.maps["uncertainty"] - 1e-6).all()
    assert hot.maps["uncertainty"].mean() > own.maps["uncertainty"].mean()


def test_the_threshold_baseline_has_no_uncertainty():
    checkpoint = checkpoint_of("threshold", {"thresholds": [0.3, 0.6], "order": [0, 1, 2]})
    image = np.linspace(0, 1, 64, dtype=np.float32).reshape(1, 8, 8)
    predictor = Predictor(checkpoint, "cpu", InferenceSettings(flip_tta=True))
    uncertain = UncertainPredictor(predictor, temperature=2.0)
    assert not uncertain.has_probabilities and uncertain.map_names == ("uncertainty",)
    prediction = uncertain.predict(image)
    assert np.isnan(prediction.maps["uncertainty"]).all()
    np.testing.assert_array_equal(prediction.probabilities.max(axis=0), 1)


def test_probabilities_predicted_elsewhere_are_scaled_as_their_logits_would_be():
    # A block averaged over axes reaches the uncertainty as probabilities: their logarithms must
    # scale exactly as the network's logits do, or evaluate's ECE would depend on evaluate.axes.
    image = np.random.default_rng(3).random((1, 16, 16)).astype(np.float32)
    predictor = predictor_for(unet_checkpoint(), flip_tta=True)
    uncertain = UncertainPredictor(predictor, temperature=2.5)
    direct = uncertain.predict(image)
    handed = uncertain.from_probabilities(direct.raw_probabilities)
    np.testing.assert_array_equal(handed.classes, direct.classes)
    np.testing.assert_allclose(handed.probabilities, direct.probabilities, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        handed.maps["uncertainty"], direct.maps["uncertainty"], rtol=1e-4, atol=1e-5
    )
    # The flips of an averaged block are gone: their disagreement is undefined, not zero.
    assert np.isnan(handed.maps["flip_disagreement"]).all()
