"""The seed's UNet, ending in logits and with its dropout applied.

Encoder: `depth` double 3x3 conv + BN + ReLU blocks at width, 2*width, ... each followed by 2x2 max
pooling; a bottom block at width * 2**depth; decoder: 2x2 transposed conv + BN + ReLU, skip
concatenation, double conv block; a 1x1 conv to class logits. width=32, depth=4 is the seed's
network (32-64-128-256, 512 at the bottom, 7.77 M parameters). Inputs must be divisible by
2**depth. `in_channels` > 1 makes it the 2.5-D variant (neighbouring slices as channels).
"""

import torch
from torch import nn

from xrayseg.models.spec import ModelSpec


def double_conv(in_channels, out_channels):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class UpStep(nn.Module):
    """Transposed conv + BN + ReLU, concatenation with the skip, double conv."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.up = nn.Sequential(
            nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )
        self.conv = double_conv(2 * out_channels, out_channels)

    def forward(self, features, skip):
        return self.conv(torch.cat([self.up(features), skip], dim=1))


class UNet(nn.Module):
    def __init__(self, n_classes, in_channels=1, width=32, depth=4, dropout=0.2):
        super().__init__()
        self.depth = depth
        widths = [width * 2**level for level in range(depth + 1)]
        self.down = nn.ModuleList()
        previous = in_channels
        for level_width in widths[:-1]:
            self.down.append(double_conv(previous, level_width))
            previous = level_width
        self.pool = nn.MaxPool2d(2)
        self.bottom = double_conv(widths[-2], widths[-1])
        self.up = nn.ModuleList(
            UpStep(widths[level + 1], widths[level]) for level in reversed(range(depth))
        )
        self.dropout = nn.Dropout2d(dropout)
        self.head = nn.Conv2d(widths[0], n_classes, 1)

    def forward(self, images):
        """(N, C_in, H, W) -> logits (N, n_classes, H, W); H and W divisible by 2**depth."""
        factor = 2**self.depth
        if images.shape[-2] % factor or images.shape[-1] % factor:
            raise ValueError(f"unet of depth {self.depth} needs sides divisible by {factor}")
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


def build(n_classes, in_channels, width=32, depth=4, dropout=0.2):
    return UNet(n_classes, in_channels, width, depth, dropout)


SPEC = ModelSpec(kind="torch", build=build, arch_keys=("width", "depth", "dropout"))
