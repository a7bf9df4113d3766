"""Fused, pre-packed CPU convolutions compute what the eager network computes."""

import logging

import numpy as np
import pytest
import torch

from helpers.checkpoints import checkpoint_of
from helpers.networks import randomised_norms
from xrayseg.inference import cpufusion
from xrayseg.inference.cpufusion import PackedConvolution, fused_forward, pack_convolutions
from xrayseg.inference.fastforward import fold_batchnorms, inference_forward
from xrayseg.inference.predictor import Predictor
from xrayseg.models import build_network
from xrayseg.settings.inference import InferenceSettings

needs_onednn = pytest.mark.skipif(
    not cpufusion.fusion_available(), reason="this torch build lacks the oneDNN fused ops"
)


def unet(width=4, depth=2, in_channels=1, seed=0):
    torch.manual_seed(seed)
    network = build_network("unet", 3, in_channels, {"width": width, "depth": depth})
    return fold_batchnorms(randomised_norms(network, seed))


@needs_onednn
def test_every_convolution_is_packed_and_every_relu_absorbed():
    fused = pack_convolutions(unet(depth=2))
    packed = [m for m in fused.modules() if isinstance(m, PackedConvolution)]
    # 3 double convs + 2 up steps (transposed conv + double conv) + the 1x1 head.
    assert len(packed) == 2 * 3 + 2 * 3 + 1
    assert sum(m.attr == "relu" for m in packed) == len(packed) - 1
    assert not [m for m in fused.modules() if isinstance(m, torch.nn.ReLU)]


@needs_onednn
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("in_channels", [1, 3])
def test_fused_network_reproduces_the_network_for_any_batch_and_size(channels_last, in_channels):
    network = unet(in_channels=in_channels)
    if channels_last:
        network = network.to(memory_format=torch.channels_last)
    forward = fused_forward(network)
    generator = torch.Generator().manual_seed(1)
    # The weights are packed for the first shape; later shapes must give the same results too.
    with torch.no_grad():
        for shape in [(4, in_channels, 32, 32), (1, in_channels, 48, 24), (7, in_channels, 16, 16)]:
            batch = torch.randn(shape, generator=generator)
            if channels_last:
                batch = batch.contiguous(memory_format=torch.channels_last)
            np.testing.assert_allclose(forward(batch), network(batch), rtol=1e-5, atol=1e-5)


@needs_onednn
def test_predictions_with_and_without_fusion_agree():
    torch.manual_seed(0)
    network = randomised_norms(build_network("unet", 3, 1, {"width": 4, "depth": 2}))
    checkpoint = checkpoint_of("unet", network.state_dict(), {"width": 4, "depth": 2}, 16)
    image = np.random.default_rng(2).random((1, 45, 37)).astype(np.float32)
    for window in ("patch", "slice"):
        settings = InferenceSettings(window=window, precision="fp32")
        predictor = Predictor(checkpoint, "cpu", settings)
        fused = predictor.scores(image)
        predictor.forward = inference_forward(
            network.eval(), "cpu", channels_last=True, fuse_convolutions=False
        )
        np.testing.assert_allclose(fused, predictor.scores(image), rtol=1e-5, atol=1e-5)


def test_without_the_onednn_ops_the_network_runs_unchanged(monkeypatch, caplog):
    network = unet()
    monkeypatch.setattr(cpufusion, "fusion_available", lambda: False)
    with caplog.at_level(logging.INFO, logger="xrayseg.inference.cpufusion"):
        assert fused_forward(network) is network
    assert "unavailable" in caplog.text


@needs_onednn
def test_a_fused_network_that_disagrees_is_dropped_for_the_network(monkeypatch, caplog):
    network = unet()
    original = PackedConvolution.forward

    def off_by_one(self, images):
        return original(self, images) + 1.0

    monkeypatch.setattr(PackedConvolution, "forward", off_by_one)
    forward = fused_forward(network)
    batch = torch.randn(2, 1, 16, 16)
    with torch.no_grad(), caplog.at_level(logging.WARNING, logger="xrayseg.inference.cpufusion"):
        first = forward(batch)
        np.testing.assert_array_equal(first, network(batch))
        np.testing.assert_array_equal(forward(batch), network(batch))
    assert "disagree" in caplog.text
