import numpy as np
import pytest
import torch

from helpers.checkpoints import checkpoint_of
from xrayseg.inference.predictor import Predictor
from xrayseg.models import build_network
from xrayseg.settings.inference import InferenceSettings


def network_checkpoint(arch="unet", context=0, patch_size=16, **arch_args):
    arch_args = arch_args or {"width": 2, "depth": 2}
    if arch == "dnn":
        arch_args["patch_size"] = patch_size
    torch.manual_seed(0)
    network = build_network(arch, 3, 2 * context + 1, arch_args)
    return checkpoint_of(arch, network.state_dict(), arch_args, patch_size, context)


def test_context_models_see_only_their_own_split_block():
    volume = np.arange(12, dtype=np.float32)[:, None, None] * np.ones((1, 4, 4), np.float32)
    checkpoint = network_checkpoint(context=2, patch_size=4, width=2, depth=1)
    predictor = Predictor(checkpoint, "cpu", InferenceSettings())
    image = predictor.slice_input(volume, 9, [9, 10, 11])
    assert image[:, 0, 0].tolist() == [9, 9, 9, 10, 11]
    assert predictor.scores(image).shape == (3, 4, 4)


def test_models_without_context_see_the_slice_alone():
    volume = np.random.default_rng(0).random((5, 8, 8)).astype(np.float32)
    predictor = Predictor(network_checkpoint(), "cpu")
    np.testing.assert_array_equal(predictor.slice_input(volume, 2, range(5)), volume[2:3])


@pytest.mark.parametrize(
    "window,patch,side,expected",
    [
        ("patch", 64, 501, 64),
        ("slice", 64, 501, 512),
        ("slice", 64, 160, 192),
        ("slice", 48, 160, 160),  # 48 = 3 * 16: any multiple of 16 works
        ("slice", 256, 100, 256),
        (96, 64, 501, 96),
    ],
)
def test_window_sides(window, patch, side, expected):
    predictor = Predictor(
        network_checkpoint(patch_size=patch), "cpu", InferenceSettings(window=window)
    )
    assert predictor.window_for(side, side - 1) == (expected, expected)


def test_slice_windows_of_planes_across_a_block_are_as_tall_as_the_block():
    predictor = Predictor(network_checkpoint(patch_size=64), "cpu", InferenceSettings())
    assert predictor.window_for(100, 501) == (128, 512)
    assert predictor.batch_for((128, 512)) == 16


def test_fixed_size_networks_always_use_their_patch_size():
    checkpoint = network_checkpoint("dnn", patch_size=8, hidden=4)
    predictor = Predictor(checkpoint, "cpu", InferenceSettings(window="slice"))
    assert predictor.window_for(100, 100) == (8, 8)


def test_automatic_batches_hold_about_a_megapixel():
    predictor = Predictor(network_checkpoint(), "cpu", InferenceSettings(batch_size=0))
    assert predictor.batch_for(256) == 16 and predictor.batch_for(64) == 256
    assert predictor.batch_for(2048) == 1
    assert (
        Predictor(network_checkpoint(), "cpu", InferenceSettings(batch_size=3)).batch_for(64) == 3
    )


def test_whole_slice_and_windowed_inference_agree_away_from_window_edges():
    # A network with a small receptive field gives nearly the same logits either way.
    checkpoint = network_checkpoint(patch_size=16, width=2, depth=1)
    image = np.random.default_rng(0).random((1, 40, 40)).astype(np.float32)
    windowed = Predictor(checkpoint, "cpu", InferenceSettings(window="patch")).scores(image)
    whole = Predictor(checkpoint, "cpu", InferenceSettings(window="slice")).scores(image)
    assert windowed.shape == whole.shape == (3, 40, 40)
    inner = (slice(None), slice(8, 32), slice(8, 32))
    np.testing.assert_allclose(windowed[inner], whole[inner], atol=0.05)


def test_probabilities_are_a_softmax_of_the_scores():
    predictor = Predictor(network_checkpoint(), "cpu")
    image = np.random.default_rng(1).random((1, 20, 20)).astype(np.float32)
    probabilities = predictor.probabilities(image)
    np.testing.assert_allclose(probabilities.sum(axis=0), 1, rtol=1e-5)
    expected = torch.softmax(torch.from_numpy(predictor.scores(image)), dim=0).numpy()
    np.testing.assert_allclose(probabilities, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(predictor.classes(image), probabilities.argmax(axis=0))
