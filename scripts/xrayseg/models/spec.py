"""What the registry binds to a catalogued architecture: its code."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    """The code of one architecture; what it is (kind, dimensions, arguments and their defaults,
    probabilities) is in its entry of xrayseg.settings.architectures.CATALOGUE.

    torch: build(n_classes, in_channels, **arguments) -> nn.Module, trained on patches. A torch
    model's `context` setting (neighbouring slices on each side) makes its input 2*context+1
    channels. A volumetric network takes (N, C, D, H, W) inputs cut from 3-D patches
    (patches.cubes) and predicts whole blocks as volumes (inference.volume); a 2-D one takes
    (N, C, H, W) slices.
    pixel: fit(raw_slices, label_slices, n_classes, seed, threads, **arguments) -> params (plain
    data: numbers, lists, strings, tensors, so that torch.load(weights_only=True) reads them);
    unpack(params) -> what predict_proba takes (params themselves when unpack is None), called
    once per loaded checkpoint; predict_proba(unpacked, image, n_classes) -> (n_classes, H, W)
    float32 scores for one 2-D normalised slice; parameter_count(params) gives the model's size
    for the report.
    """

    build: Callable | None = None
    fit: Callable | None = None
    unpack: Callable | None = None
    predict_proba: Callable | None = None
    parameter_count: Callable | None = None
