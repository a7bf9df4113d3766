"""The GPU path of inference gives what the CPU path gives (skipped without CUDA)."""

import numpy as np
import pytest
import torch

from xrayseg.inference.predictor import Predictor
from xrayseg.inference.sliding_window import sliding_window_logits
from xrayseg.inference.speed import seconds_per_slice, unet_checkpoint
from xrayseg.settings.inference import InferenceSettings

cuda = pytest.mark.gpu  # skipped without a CUDA device (tests/conftest.py)


@cuda
def test_stitching_on_the_gpu_reproduces_an_identity_network_exactly():
    image = np.random.default_rng(0).random((3, 77, 50)).astype(np.float32)
    logits = sliding_window_logits(image, lambda b: b, 32, 3, device="cuda")
    assert isinstance(logits, np.ndarray)
    np.testing.assert_allclose(logits, image, rtol=1e-5, atol=1e-6)


@cuda
@pytest.mark.parametrize("flip_tta", [False, True])
def test_gpu_and_cpu_predictions_agree(flip_tta):
    checkpoint = unet_checkpoint(width=4, depth=2, patch=32)
    image = np.random.default_rng(1).random((1, 90, 70)).astype(np.float32)
    # TF32 matmuls on the GPU round like bf16 in the mantissa; compare in full fp32.
    torch.backends.cudnn.allow_tf32 = False
    settings = InferenceSettings(flip_tta=flip_tta, precision="fp32")
    on_cpu = Predictor(checkpoint, "cpu", settings).scores(image)
    on_gpu = Predictor(checkpoint, "cuda", settings).scores(image)
    np.testing.assert_allclose(on_gpu, on_cpu, rtol=1e-4, atol=1e-4)


@cuda
def test_bf16_channels_last_on_the_gpu_stays_close_to_fp32():
    checkpoint = unet_checkpoint(width=8, depth=3, patch=64)
    image = np.random.default_rng(2).random((1, 160, 160)).astype(np.float32)
    full = Predictor(checkpoint, "cuda", InferenceSettings(precision="fp32")).scores(image)
    fast = Predictor(checkpoint, "cuda", InferenceSettings(precision="bf16", channels_last=True))
    half = fast.scores(image)
    # bf16 keeps about 3 significant digits: close to fp32, not equal.
    assert np.abs(half - full).max() < 0.05 * (full.max() - full.min())
    walls, _ = seconds_per_slice(checkpoint, InferenceSettings(precision="bf16"), "cuda", 160, 1)
    assert walls[0] > 0
