"""Checkpoints: a typed header saying what a trained model is, and its weights or fitted params.

Written atomically by one function, read by one function.

On disk, torch.save of plain data: {"format": FORMAT, "header": the header's fields, "payload":
a network's state dict or a pixel model's params}. load_checkpoint reads it with
torch.load(weights_only=True), which unpickles plain data only (dicts, lists, numbers, strings,
tensors), never code.
"""

import dataclasses
from dataclasses import dataclass

import torch

from xrayseg.io.atomic import atomic_output
from xrayseg.settings.architectures import architecture

# The layout of the header. Another version's checkpoints do not load: the rules list the package
# modules as the training jobs' inputs, so a changed header retrains the models anyway.
FORMAT = 2


@dataclass(frozen=True)
class CheckpointHeader:
    """What a trained model is and how it was trained.

    model_name: its name in the config; arch, arch_args: its catalogued architecture and every
    argument it was built or fitted with (the catalogue's defaults filled in).
    n_classes, class_names, label_values, normalisation ({"low", "high"}: the raw grey values
    mapped to 0 and 1): the data it was trained on, so that evaluate and predict need no volume.
    in_channels: 2 * context + 1, context being the neighbouring slices on each side a 2.5-D
    network takes (0 otherwise); patch_size: a network's training patch side (None for a pixel
    model); patch_depth: a volumetric network's patch depth (None otherwise).
    config: the model's merged settings; seed; torch_version; device: where it was trained (the
    CPU for pixel models); parameters: trainable weights, or a pixel model's size (tree nodes,
    thresholds); train_seconds: wall time of the job.
    Networks only (None for pixel models): precision (the one used: fp32, bf16, fp16), step
    (optimiser steps taken), best_step, best_val_loss, stopped_by ("steps" | "patience" |
    "max_minutes": why training ended), validations, budget (the step budget and why:
    xrayseg.training.budget.Budget.to_record, {"steps", "rule", "train_patches", ...}).
    """

    model_name: str
    arch: str
    arch_args: dict
    n_classes: int
    class_names: list
    label_values: list
    normalisation: dict
    in_channels: int
    context: int
    patch_size: int | None
    patch_depth: int | None
    config: dict
    seed: int
    torch_version: str
    device: str
    parameters: int
    train_seconds: float
    precision: str | None = None
    step: int | None = None
    best_step: int | None = None
    best_val_loss: float | None = None
    stopped_by: str | None = None
    validations: int | None = None
    budget: dict | None = None

    @property
    def architecture(self):
        """The catalogue entry of its architecture (kind, spatial_dims, probabilities, ...)."""
        return architecture(self.arch)

    @property
    def kind(self):
        return self.architecture.kind

    @property
    def volumetric(self):
        return self.architecture.volumetric


@dataclass(frozen=True)
class Checkpoint:
    """A header and its payload: a network's state dict (its best validation's weights), or a
    pixel model's params (what its fit function returned)."""

    header: CheckpointHeader
    payload: dict


def save_checkpoint(checkpoint, path):
    """Write a Checkpoint; the file appears complete or not at all."""
    save_plain(
        {
            "format": FORMAT,
            "header": dataclasses.asdict(checkpoint.header),
            "payload": checkpoint.payload,
        },
        path,
    )


def load_checkpoint(path):
    """The Checkpoint of a file save_checkpoint wrote (tensors on the CPU)."""
    saved = load_plain(path)
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ValueError(
            f"{path}: not a checkpoint of this version (format {FORMAT}); train the model again"
        )
    return Checkpoint(CheckpointHeader(**saved["header"]), saved["payload"])


def save_plain(data, path):
    """torch.save plain data (dicts, lists, numbers, strings, tensors) atomically."""
    with atomic_output(path) as tmp:
        torch.save(data, tmp)


def load_plain(path):
    """Plain data save_plain wrote (tensors on the CPU); nothing else is unpickled."""
    return torch.load(path, map_location="cpu", weights_only=True)


def bare_header(arch, n_classes, arch_args=None, patch_size=None, context=0, patch_depth=None):
    """The header of a model made outside a training job (benchmarks, tests): its architecture
    and input shape as given, class names "0", "1", ..., label values 0, 1, ..., the identity
    normalisation, and no training record (zero parameters and seconds)."""
    return CheckpointHeader(
        model_name=arch,
        arch=arch,
        arch_args=architecture(arch).arguments_of(arch_args or {}),
        n_classes=n_classes,
        class_names=[str(index) for index in range(n_classes)],
        label_values=list(range(n_classes)),
        normalisation={"low": 0.0, "high": 1.0},
        in_channels=2 * context + 1,
        context=context,
        patch_size=patch_size,
        patch_depth=patch_depth,
        config={},
        seed=0,
        torch_version=str(torch.__version__),
        device="cpu",
        parameters=0,
        train_seconds=0.0,
    )
