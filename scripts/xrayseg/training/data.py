"""Patch data for training, read from results/patches/{size}px.h5."""

from dataclasses import dataclass

import h5py
import numpy as np
import torch


@dataclass
class PatchSet:
    """Patches of one split: images (N, C, H, W) float32 and labels (N, H, W) int64 tensors."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self):
        return self.images.shape[0]


def load_patch_set(patches_path, split):
    """All patches of one split as tensors (the 2-D models take one input channel)."""
    with h5py.File(patches_path, "r") as patches:
        group = patches[split]
        raw = np.asarray(group["raw"], dtype=np.float32)
        labels = np.asarray(group["labels"], dtype=np.int64)
    if len(raw) == 0:
        raise ValueError(f"{patches_path}: the {split} split holds no patches")
    return PatchSet(torch.from_numpy(raw)[:, None], torch.from_numpy(labels))


def batches(count, batch_size, generator=None):
    """Index tensors of successive batches; shuffled when a generator is given."""
    order = (
        torch.randperm(count, generator=generator) if generator is not None else torch.arange(count)
    )
    for start in range(0, count, batch_size):
        yield order[start : start + batch_size]
