"""The seed's UNet, ending in logits and with its dropout applied.

Encoder: `depth` double 3x3 conv + BN + ReLU blocks at width, 2*width, ... each followed by 2x2 max
pooling; a bottom block at width * 2**depth; decoder: 2x2 transposed conv + BN + ReLU, skip
concatenation, double conv block; a 1x1 conv to class logits. width=32, depth=4 is the seed's
network (32-64-128-256, 512 at the bottom, 7.77 M parameters). Inputs must be divisible by
2**depth. `in_channels` > 1 makes it the 2.5-D variant (neighbouring slices as channels).

The blocks take their layer types from a `Layers` set, so models.unet3d builds the same network
from 3-D layers (the 2-D network's modules, and so its checkpoints, are unchanged by that).
"""

from dataclasses import dataclass

import torch
from torch import nn

from xrayseg.models.spec import ModelSpec


@dataclass(frozen=True)
class Layers:
    """The layer types of one spatial dimensionality."""

    dims: int
    conv: type
    norm: type
    up: type
    pool: type
    dropout: type


LAYERS_2D = Layers(2, nn.Conv2d, nn.BatchNorm2d, nn.ConvTranspose2d, nn.MaxPool2d, nn.Dropout2d)


def double_conv(in_channels, out_channels, layers=LAYERS_2D):
    return nn.Sequential(
        layers.conv(in_channels, out_channels, 3, padding=1, bias=False),
        layers.norm(out_channels),
        nn.ReLU(inplace=True),
        layers.conv(out_channels, out_channels, 3, padding=1, bias=False),
        layers.norm(out_channels),
        nn.ReLU(inplace=True),
    )


class UpStep(nn.Module):
    """Transposed conv + BN + ReLU, concatenation with the skip, double conv."""

    def __init__(self, in_channels, out_channels, layers=LAYERS_2D):
        super().__init__()
        self.up = nn.Sequential(
            layers.up(in_channels, out_channels, 2, stride=2),
            layers.norm(out_channels),
            nn.ReLU(inplace=True),
        )
        self.conv = double_conv(2 * out_channels, out_channels, layers)

    def forward(self, features, skip):
        return self.conv(torch.cat([self.up(features), skip], dim=1))


class UNet(nn.Module):
    def __init__(self, n_classes, in_channels, width, depth, dropout, layers=LAYERS_2D):
        super().__init__()
        self.depth = depth
        self.spatial_dims = layers.dims
        widths = [width * 2**level for level in range(depth + 1)]
        self.down = nn.ModuleList()
        previous = in_channels
        for level_width in widths[:-1]:
            self.down.append(double_conv(previous, level_width, layers))
            previous = level_width
        self.pool = layers.pool(2)
        self.bottom = double_conv(widths[-2], widths[-1], layers)
        self.up = nn.ModuleList(
            UpStep(widths[level + 1], widths[level], layers) for level in reversed(range(depth))
        )
        self.dropout = layers.dropout(dropout)
        self.head = layers.conv(widths[0], n_classes, 1)

    def forward(self, images):
        """(N, C_in, H, W) -> logits (N, n_classes, H, W) for the 2-D network, (N, C_in, D, H, W)
        -> (N, n_classes, D, H, W) for the 3-D one; every side divisible by 2**depth."""
        factor = 2**self.depth
        sides = images.shape[-self.spatial_dims :]
        if any(side % factor for side in sides):
            name = "unet" if self.spatial_dims == 2 else f"unet{self.spatial_dims}d"
            raise ValueError(
                f"{name} of depth {self.depth} needs sides divisible by {factor}, got "
                f"{tuple(sides)}"
            )
        skips = []
        features = images
        for block in self.down:
            features = block(features)
            skips.append(features)
            features = self.pool(features)
        features = self.bottom(features)
        for step, skip in zip(self.up, reversed(skips), strict=True):
            features = step(features, skip)
        return self.head(self.dropout(features))


def build(n_classes, in_channels, width, depth, dropout):
    """The network; the catalogue (xrayseg.settings.architectures) holds the defaults."""
    return UNet(n_classes, in_channels, width, depth, dropout)


SPEC = ModelSpec(build=build)
