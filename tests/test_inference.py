import numpy as np
import pytest
import torch

from xrayseg.inference import gaussian_importance, sliding_window_logits, window_starts


@pytest.mark.parametrize("length,window,overlap", [(501, 64, 0.5), (64, 64, 0.5), (100, 32, 0.25)])
def test_windows_cover_everything_inside_the_image(length, window, overlap):
    starts = window_starts(length, window, overlap)
    assert starts[0] == 0 and starts[-1] + window == length
    steps = np.diff(starts)
    if len(steps):
        assert steps.max() <= window * (1 - overlap) + 1e-9
        assert steps.max() - steps.min() <= 1


def test_gaussian_peaks_in_the_centre_and_is_positive():
    weights = gaussian_importance(16)
    assert weights.max() == pytest.approx(1.0)
    assert weights.min() > 0
    assert np.allclose(weights, weights[::-1, ::-1])


def test_identity_network_is_reproduced_exactly_by_stitching():
    image = np.random.default_rng(0).random((3, 77, 50)).astype(np.float32)
    logits = sliding_window_logits(image, lambda batch: batch, window=32, n_classes=3, overlap=0.5)
    np.testing.assert_allclose(logits, image, rtol=1e-5, atol=1e-6)


def test_small_images_are_padded_and_cropped_back():
    image = np.random.default_rng(0).random((1, 20, 20)).astype(np.float32)
    logits = sliding_window_logits(image, lambda b: torch.cat([b, -b], 1), 32, 2)
    assert logits.shape == (2, 20, 20)
    np.testing.assert_allclose(logits[0], image[0], rtol=1e-5)
