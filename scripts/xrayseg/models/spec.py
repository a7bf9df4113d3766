"""What the registry knows about an architecture."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    """How to make and use one architecture.

    kind "torch": build(n_classes, in_channels, **arch_args) -> nn.Module, trained on patches.
    kind "pixel": fit(raw_slices, label_slices, n_classes, seed, **arch_args) -> params (plain
    numbers) and predict_proba(params, image, n_classes) -> (n_classes, H, W) scores.
    """

    kind: str
    build: Callable | None = None
    fit: Callable | None = None
    predict_proba: Callable | None = None
    # Names of the config keys that are architecture arguments (passed to build).
    arch_keys: tuple = ()
