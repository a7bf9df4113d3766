"""A small 3-D UNet: the seed's UNet with every layer three-dimensional.

The reference for what 3-D context buys: each voxel's class is decided from a cube around it
(along the stack as well as within the slice), so predictions cannot flicker from slice to slice
the way a per-slice network's can. Trained on 3-D patches (patches.cubes) cut from within one
split block, and predicted block by block through the same Gaussian-weighted sliding window as the
2-D networks (inference.sliding_window, in 3-D; inference.volume).

Input (N, C, D, H, W), logits out (N, n_classes, D, H, W); D, H and W divisible by 2**depth.
A 3x3x3 convolution costs 3x the multiply-adds of a 3x3 one per voxel and channel pair, but a
3-D level holds 1/8 (not 1/4) of the voxels of the one above, so at the same width and depth the
3-D UNet costs about 1.5x the 2-D one per voxel (27.1 against 17.7 kFLOP at width 8, depth 3;
flops_per_voxel gives the exact count) and has about 2.9x its parameters (350,939 against
121,163 for three classes).
"""

from torch import nn

from xrayseg.models.spec import ModelSpec
from xrayseg.models.unet import Layers, UNet

LAYERS_3D = Layers(3, nn.Conv3d, nn.BatchNorm3d, nn.ConvTranspose3d, nn.MaxPool3d, nn.Dropout3d)


def build(n_classes, in_channels, width, depth, dropout):
    """The network; the catalogue (xrayseg.settings.architectures) holds the defaults."""
    return UNet(n_classes, in_channels, width, depth, dropout, layers=LAYERS_3D)


def flops_per_voxel(n_classes, in_channels, width, depth):
    """Floating-point operations (2 per multiply-add) of one forward pass per input voxel,
    counting convolutions only (batch norms fold into them at inference; ReLU, pooling and
    concatenation are memory traffic, not arithmetic)."""
    widths = [width * 2**level for level in range(depth + 1)]
    total, previous = 0.0, in_channels
    for level, level_width in enumerate(widths[:-1]):
        share = 8.0**-level  # voxels at this level per input voxel
        total += share * 27 * (previous * level_width + level_width * level_width)
        previous = level_width
    total += 8.0**-depth * 27 * (widths[-2] * widths[-1] + widths[-1] * widths[-1])
    for level in reversed(range(depth)):
        share = 8.0**-level
        # 2x2x2 transposed conv: each output voxel gets one kernel tap per input channel.
        total += share * widths[level + 1] * widths[level]
        total += share * 27 * (2 * widths[level] * widths[level] + widths[level] ** 2)
    total += widths[0] * n_classes
    return 2 * total


SPEC = ModelSpec(build=build)
