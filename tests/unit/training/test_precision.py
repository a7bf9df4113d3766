"""fp16 training with the gradient scaler, on the CPU (torch autocasts to float16 there too) and,
when a CUDA device is there, on it."""

import pytest
import torch

from xrayseg.training import loop
from xrayseg.training.losses import SegmentationLoss
from xrayseg.training.precision import Precision


def batch(seed=0):
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(4, 1, 8, 8, generator=generator)
    return images, torch.randint(0, 3, (4, 8, 8), generator=generator)


def one_step(name, images, labels, device="cpu"):
    """(weight change, scaler, logits) of one SGD step of a small conv net under a precision."""
    torch.manual_seed(1)
    network = torch.nn.Conv2d(1, 3, 3, padding=1).to(device)
    before = [p.detach().clone() for p in network.parameters()]
    precision = Precision(name, device)
    scaler = precision.grad_scaler()
    optimizer = torch.optim.SGD(network.parameters(), lr=0.1)
    images, labels = images.to(device), labels.to(device)
    _, logits = loop.train_step(
        network, optimizer, scaler, SegmentationLoss(), precision, images, labels
    )
    change = [(p.detach() - b).cpu() for p, b in zip(network.parameters(), before, strict=True)]
    return change, scaler, logits


@pytest.mark.parametrize("name,scaled", [("fp16", True), ("fp32", False), ("bf16", False)])
def test_only_fp16_scales_the_loss(name, scaled):
    assert Precision(name, "cpu").grad_scaler().is_enabled() is scaled
    assert Precision("auto", "cpu").grad_scaler().is_enabled() is False  # auto is fp32 on a CPU


def test_an_fp16_step_runs_in_half_precision_and_moves_the_weights_as_fp32_does():
    images, labels = batch()
    full, _, full_logits = one_step("fp32", images, labels)
    half, scaler, half_logits = one_step("fp16", images, labels)
    assert full_logits.dtype == torch.float32 and half_logits.dtype == torch.float16
    assert scaler.get_scale() == 2.0**16  # no overflow: the scale stays where it started
    # The step is taken on unscaled gradients: the same as fp32's to fp16 rounding (a step on
    # the scaled ones would be 65536 times larger).
    for full_change, half_change in zip(full, half, strict=True):
        assert full_change.abs().max() > 1e-3
        torch.testing.assert_close(half_change, full_change, rtol=0.02, atol=1e-4)


def test_an_overflowing_fp16_step_is_skipped_and_the_scale_halved():
    images, labels = batch()
    images[0, 0, 0, 0] = float("inf")
    change, scaler, _ = one_step("fp16", images, labels)
    assert all((c == 0).all() for c in change)
    assert scaler.get_scale() == 2.0**15


@pytest.mark.gpu
def test_fp16_with_the_scaler_trains_on_a_cuda_device(monkeypatch):
    # TF32 convolutions round like fp16 in the mantissa; compare with full fp32.
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    images, labels = batch()
    full, _, _ = one_step("fp32", images, labels, "cuda")
    half, scaler, logits = one_step("fp16", images, labels, "cuda")
    assert scaler.is_enabled() and logits.dtype == torch.float16
    for full_change, half_change in zip(full, half, strict=True):
        torch.testing.assert_close(half_change, full_change, rtol=0.02, atol=1e-4)
