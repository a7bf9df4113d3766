"""Patch data for training, read from results/patches/{size}px.h5.

For 2.5-D models, the neighbouring slices come from results/ingest/volume.h5.

A 2.5-D model with `context` k sees each patch as 2k+1 channels: the patch's own slice and k
slices on each side, cut at the patch's origin. Neighbours come from xrayseg.data.context,
which clamps them into the patch's own split block, so a train input never contains a val or
test slice. A patch cut across the slices (a y- or x-plane patch, xrayseg.patches.planes) has the
neighbouring planes of its own block as neighbours, cut at the same rows and columns.
"""

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view

from xrayseg.data.context import context_indices
from xrayseg.data.planes import check_contiguous, padded_rows, plane_position, plane_stack
from xrayseg.data.split import slices_of


@dataclass
class PatchSet:
    """Patches of one split: images (N, C, H, W) float32 and labels (N, H, W) int64 tensors."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self):
        return self.images.shape[0]

    def to(self, device):
        """The set on `device` (held there whole: patch sets are small next to a GPU's memory)."""
        return PatchSet(self.images.to(device), self.labels.to(device))

    def subset(self, index):
        """The patches at `index` (a LongTensor) as a PatchSet."""
        return PatchSet(self.images[index], self.labels[index])

    def batch(self, index, device):
        """(images, labels) of the patches at `index`, on `device`."""
        # Non-blocking: the set usually sits on `device` already; a blocking copy of the index
        # to a GPU would wait for all queued work every batch.
        index = index.to(self.images.device, non_blocking=True)
        return self.images[index].to(device), self.labels[index].to(device)


def load_patch_sets(patches_paths, split, context=0, volume_path=None, split_frame=None):
    """load_patch_set of every patch file (one per orientation) in one PatchSet, in order."""
    if isinstance(patches_paths, str | Path):
        patches_paths = [patches_paths]
    sets = [
        load_patch_set(path, split, context, volume_path, split_frame) for path in patches_paths
    ]
    if len(sets) == 1:
        return sets[0]
    return PatchSet(torch.cat([s.images for s in sets]), torch.cat([s.labels for s in sets]))


def load_patch_set(patches_path, split, context=0, volume_path=None, split_frame=None):
    """All patches of one split as tensors: one channel, or 2*context+1 for a 2.5-D model.

    `context` > 0 needs the volume (neighbouring slices or planes) and the split table (the
    split's block).
    """
    with h5py.File(patches_path, "r") as patches:
        if split not in patches:
            raise ValueError(f"{patches_path}: no {split!r} group")
        orientation = str(patches.attrs.get("orientation", "z"))
        group = patches[split]
        raw = np.asarray(group["raw"], dtype=np.float32)
        labels = np.asarray(group["labels"], dtype=np.int64)
        origins = np.asarray(group["origins"], dtype=np.int64)
    if len(raw) == 0:
        raise ValueError(f"{patches_path}: the {split} split holds no patches")
    if context:
        if volume_path is None or split_frame is None:
            raise ValueError("a context (2.5-D) patch set needs the volume and the split table")
        block = slices_of(split_frame, split)
        if orientation == "z":
            images = context_patches(volume_path, block, origins, raw.shape[-1], context)
        else:
            images = plane_context_patches(
                volume_path, block, origins, raw.shape[-1], context, orientation
            )
        if not np.array_equal(images[:, context], raw):
            raise ValueError(
                f"{patches_path} ({split}) does not match {volume_path} at the patch origins; "
                "the patches were cut from another volume"
            )
    else:
        images = raw[:, None]
    return PatchSet(torch.from_numpy(images), torch.from_numpy(labels))


def context_patches(volume_path, block, origins, size, context):
    """(N, 2*context+1, size, size) float32: each origin's patch in its slice and neighbours.

    `block` lists the slice indices of the patches' split; neighbours never leave it.
    """
    feeds = defaultdict(list)  # slice index -> (patch, channel) pairs it fills
    for n, z in enumerate(origins[:, 0]):
        for c, i in enumerate(context_indices(int(z), context, block)):
            feeds[i].append((n, c))
    images = np.empty((len(origins), 2 * context + 1, size, size), dtype=np.float32)
    with h5py.File(volume_path, "r") as volume:
        raw = volume["raw"]
        # Read each needed slice once (the volume can be far larger than memory needs to hold).
        for z in sorted(feeds):
            windows = sliding_window_view(np.asarray(raw[z], dtype=np.float32), (size, size))
            patch, channel = np.asarray(feeds[z]).T
            images[patch, channel] = windows[origins[patch, 1], origins[patch, 2]]
    return images


def plane_context_patches(volume_path, block, origins, size, context, axis):
    """(N, 2*context+1, size, size) float32: each y- or x-plane patch in its plane and the
    neighbouring planes of its block (the end plane repeats), padded as the patches were."""
    block = check_contiguous(block)
    with h5py.File(volume_path, "r") as volume:
        raw_block = np.asarray(volume["raw"][block[0] : block[-1] + 1], dtype=np.float32)
    planes = padded_rows(plane_stack(raw_block, axis), size)
    windows = sliding_window_view(planes, (size, size), axis=(1, 2))
    plane, row, col = plane_position(axis, block[0], *origins.T)
    images = np.empty((len(origins), 2 * context + 1, size, size), dtype=np.float32)
    for channel, offset in enumerate(range(-context, context + 1)):
        images[:, channel] = windows[np.clip(plane + offset, 0, len(planes) - 1), row, col]
    return images


def batches(count, batch_size):
    """Index tensors of successive batches, in order (validation; training draws its batches
    from xrayseg.training.sampling.BatchStream)."""
    order = torch.arange(count)
    for start in range(0, count, batch_size):
        yield order[start : start + batch_size]
