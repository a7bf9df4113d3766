"""The 3-D UNet: shapes, parameter count, cost per voxel, logits out."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from xrayseg.models import build_network, count_parameters
from xrayseg.models.unet3d import flops_per_voxel


def expected_parameters(n_classes, in_channels, width, depth):
    """The count from the architecture's description, layer by layer: bias-free 3x3x3
    convolutions each followed by a batch norm (2 parameters per channel), 2x2x2 transposed
    convolutions with bias, and a 1x1x1 head with bias."""
    widths = [width * 2**level for level in range(depth + 1)]

    def double_conv(cin, cout):
        return 27 * cin * cout + 2 * cout + 27 * cout * cout + 2 * cout

    total, previous = 0, in_channels
    for level_width in widths:
        total += double_conv(previous, level_width)
        previous = level_width
    for level in range(depth):
        cin, cout = widths[level + 1], widths[level]
        total += 8 * cin * cout + cout + 2 * cout  # transposed conv, its bias, batch norm
        total += double_conv(2 * cout, cout)
    return total + widths[0] * n_classes + n_classes


@pytest.mark.parametrize("width,depth", [(8, 3), (4, 2), (16, 4)])
def test_parameter_count_follows_the_architecture(width, depth):
    network = build_network("unet3d", 3, 1, {"width": width, "depth": depth})
    assert count_parameters(network) == expected_parameters(3, 1, width, depth)


def test_default_small_3d_unet_has_350939_parameters():
    assert count_parameters(build_network("unet3d", 3, 1, {})) == 350_939


@pytest.mark.parametrize("shape", [(2, 1, 8, 16, 16), (1, 1, 16, 8, 24), (1, 1, 4, 4, 4)])
def test_logits_have_the_input_shape(shape):
    torch.manual_seed(0)
    network = build_network("unet3d", 3, 1, {"width": 2, "depth": 2}).eval()
    out = network(torch.randn(shape))
    assert out.shape == (shape[0], 3, *shape[2:])
    # Logits, not probabilities: a strong input drives them outside [0, 1].
    strong = network(100 * torch.randn(shape))
    assert strong.min() < -1 or strong.max() > 2


@pytest.mark.parametrize("shape", [(1, 1, 6, 16, 16), (1, 1, 8, 10, 16), (1, 1, 8, 16, 14)])
def test_every_side_must_be_divisible_by_two_to_the_depth(shape):
    network = build_network("unet3d", 3, 1, {"width": 2, "depth": 2})
    with pytest.raises(ValueError, match="unet3d of depth 2 needs sides divisible by 4"):
        network(torch.randn(shape))


def test_dropout_acts_in_training_mode_only():
    torch.manual_seed(0)
    images = torch.randn(2, 1, 8, 8, 8)
    network = build_network("unet3d", 3, 1, {"width": 2, "depth": 2, "dropout": 0.5}).train()
    assert not torch.equal(network(images), network(images))
    network.eval()
    assert torch.equal(network(images), network(images))


@pytest.mark.parametrize("width,depth", [(8, 3), (4, 2)])
def test_flops_per_voxel_match_torchs_count(width, depth):
    network = build_network("unet3d", 3, 1, {"width": width, "depth": depth}).eval()
    images = torch.randn(1, 1, 16, 16, 16)
    with FlopCounterMode(display=False) as counter:
        network(images)
    assert counter.get_total_flops() / images.numel() == flops_per_voxel(3, 1, width, depth)
