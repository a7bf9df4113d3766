"""What the registry knows about an architecture."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    """How to make and use one architecture.

    kind "torch": build(n_classes, in_channels, **arch_args) -> nn.Module, trained on patches. A
    torch model's `context` setting (neighbouring slices on each side, default 0) makes its input
    2*context+1 channels; the checkpoint records `context` and `in_channels`. spatial_dims 3
    (a volumetric network): inputs are (N, C, D, H, W) cut from 3-D patches (patches.cubes),
    and whole blocks are predicted as volumes (inference.volume); 2: (N, C, H, W) slices.
    kind "pixel": fit(raw_slices, label_slices, n_classes, seed, threads, **arch_args) -> params
    (plain data: numbers, lists, strings, tensors, so that torch.load(weights_only=True) reads
    them) and predict_proba(params, image, n_classes) -> (n_classes, H, W) float32 scores for one
    2-D normalised slice. parameter_count(params) gives the model's size for the report.
    probabilities: False where predict_proba gives hard one-hot decisions, not probabilities (the
    threshold baseline): such a model has no uncertainty and nothing to calibrate.
    """

    kind: str
    build: Callable | None = None
    fit: Callable | None = None
    predict_proba: Callable | None = None
    # Names of the config keys that are architecture arguments (passed to build or fit).
    arch_keys: tuple = ()
    parameter_count: Callable | None = None
    probabilities: bool = True
    spatial_dims: int = 2
