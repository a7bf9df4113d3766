"""The seed's dense network, exactly: flatten -> 128 -> BN -> ReLU -> 128 -> BN -> ReLU -> C*p*p.

544,512 parameters for 3 classes on 32 x 32 patches. It maps a whole patch to a whole patch, so it
only accepts inputs of its training patch size (the sliding window supplies exactly that).
"""

from torch import nn

from xrayseg.models.spec import ModelSpec


class DenseSegmenter(nn.Module):
    def __init__(self, n_classes, in_channels, patch_size, hidden, dropout):
        super().__init__()
        self.n_classes = n_classes
        self.patch_size = patch_size
        inputs = in_channels * patch_size * patch_size
        self.layers = nn.Sequential(
            nn.Flatten(),
            nn.Linear(inputs, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_classes * patch_size * patch_size),
        )
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                # The seed's initialisation: Xavier weights, constant bias.
                nn.init.xavier_uniform_(layer.weight)
                nn.init.constant_(layer.bias, 0.0)

    def forward(self, images):
        """(N, C_in, p, p) -> logits (N, n_classes, p, p)."""
        if images.shape[-2:] != (self.patch_size, self.patch_size):
            side = self.patch_size
            raise ValueError(f"dnn takes {side}x{side} inputs, got {tuple(images.shape[-2:])}")
        logits = self.layers(images)
        return logits.view(-1, self.n_classes, self.patch_size, self.patch_size)


def build(n_classes, in_channels, patch_size, hidden, dropout):
    """The network; the catalogue (xrayseg.settings.architectures) holds the defaults."""
    return DenseSegmenter(n_classes, in_channels, patch_size, hidden, dropout)


SPEC = ModelSpec(build=build)
