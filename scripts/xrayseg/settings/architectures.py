"""The architecture catalogue: every architecture a model's `arch` can name, declared once.

Standard library only: rules/common.smk reads it at every start-up, before torch could be
imported. Everything else derives from it: xrayseg.models binds each name to the code of the
module named after it (builder or fit function, which take their argument defaults from here);
settings.schema fills config/schema.yaml's arch names and per-architecture rules in from it when
the schema is loaded; settings.checks, settings.models and the rules ask it what an architecture
trains on and what constrains its patches.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

TORCH, PIXEL = "torch", "pixel"


@dataclass(frozen=True)
class Architecture:
    """What the workflow knows about one architecture without running its code.

    kind: "torch" (a network trained on patches by the training loop) or "pixel" (a classic
    per-pixel classifier fitted on the train slices directly).
    arguments: config key -> default, for every argument its builder (torch) or fit function
    (pixel) takes; a model's config entry overrides any of them.
    spatial_dims: 2 (slices) or 3 (a volumetric network: 3-D patches, blocks predicted whole).
    pooling: the argument d whose 2**d must divide every patch side (a UNet's depth); None when
    nothing but the slices bounds the patch size.
    probabilities: False where the model gives hard one-hot decisions (the threshold baseline):
    no uncertainty, nothing to calibrate.
    """

    kind: str
    arguments: Mapping
    spatial_dims: int = 2
    pooling: str | None = None
    probabilities: bool = True

    @property
    def trains_on_patches(self):
        """A network: it needs a patch_size and trains on results/patches/."""
        return self.kind == TORCH

    @property
    def volumetric(self):
        return self.spatial_dims == 3

    @property
    def takes_context(self):
        """A 2-D network can take neighbouring slices as channels (2.5-D, `context`)."""
        return self.kind == TORCH and not self.volumetric

    @property
    def fixed_input_size(self):
        """Built for its patch size alone (a patch_size argument): predicts in patch windows."""
        return "patch_size" in self.arguments

    def arguments_of(self, settings):
        """{argument: value} of a model's settings, the catalogue's default where they leave one
        out (every argument, in catalogue order)."""
        return {key: settings.get(key, default) for key, default in self.arguments.items()}


def _entry(kind, arguments=None, **facts):
    return Architecture(kind, MappingProxyType(dict(arguments or {})), **facts)


# The order is the order config errors list the names in.
CATALOGUE = MappingProxyType(
    {
        # Two global grey thresholds (models/threshold.py).
        "threshold": _entry(PIXEL, probabilities=False),
        # A random forest on multi-scale pixel features (models/rf.py).
        "rf": _entry(
            PIXEL, {"trees": 32, "max_depth": 14, "samples": 60_000, "slices": 16, "sigma_max": 8.0}
        ),
        # The seed's dense network, patch to patch (models/dnn.py).
        "dnn": _entry(TORCH, {"patch_size": 32, "hidden": 128, "dropout": 0.0}),
        # The seed's UNet (models/unet.py).
        "unet": _entry(TORCH, {"width": 32, "depth": 4, "dropout": 0.2}, pooling="depth"),
        # The UNet in 3-D (models/unet3d.py).
        "unet3d": _entry(
            TORCH, {"width": 8, "depth": 3, "dropout": 0.1}, spatial_dims=3, pooling="depth"
        ),
    }
)

# Derived views for the rules: the architectures trained on patches, and the volumetric ones
# among them (3-D patches, results/patches/{depth}x{side}x{side}px.h5).
PATCH_ARCHS = tuple(name for name, entry in CATALOGUE.items() if entry.trains_on_patches)
VOLUME_ARCHS = tuple(name for name, entry in CATALOGUE.items() if entry.volumetric)


def architecture(name):
    """The catalogue entry of an architecture name; ValueError lists the known names."""
    if name not in CATALOGUE:
        raise ValueError(f"unknown model arch {name!r}; known: {', '.join(CATALOGUE)}")
    return CATALOGUE[name]
