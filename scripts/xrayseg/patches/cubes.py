"""Non-overlapping, deduplicated 3-D training patches per split block, for the 3-D UNet.

The file: results/patches/{depth}x{side}x{side}px.h5.

Layout: as {size}px.h5 (xrayseg.patches.build), with patches of depth x side x side voxels:
  raw      float32 (N, depth, side, side)   normalised raw values, one compressed chunk per patch
  labels   uint8   (N, depth, side, side)   class indices (255 = ignore)
  origins  int32   (N, 3)                   front slice, y, x of the patch's corner
Group attrs: made, exact_duplicates, near_duplicates (always 0, see below), kept, slices,
block_depth (slices of the block inside each patch: depth, or the whole block when it is
shorter), class_fractions, ignored_fraction.

A patch never spans a guard gap or another split: its slices all come from one split block.
Each block is cut into layers of `depth` consecutive slices, flush with the block's first or
last slice (a seeded choice per split; the other end's `len % depth` slices go unused), and each
layer into a non-overlapping in-plane grid whose corner offset cycles through the four corners
layer by layer, as the 2-D grids do slice by slice (xrayseg.patches.grid).

A block shorter than `depth` (the 7-slice val and 10-slice test blocks of the default run under
16-slice patches) gives one layer of the whole block, extended to `depth` slices by mirroring
it at its last slice (np.pad reflect: the block's own slices in reverse order, then forward
again): the network sees a plausible continuation of the block, never a slice from outside it,
and the mirrored voxels' labels are IGNORE_INDEX, so they count for nothing in the loss or the
validation scores. Prediction pads such a block the same way (inference.sliding_window).

Exact duplicates (equal raw and labels) are dropped as in 2-D, held-out splits first
(xrayseg.patches.patchfile, the steps shared with the 2-D patches). No patch is skipped as mostly
ignored: a short block's patches are mostly mirrored, ignored voxels by design. There is no
near-duplicate filter: 3-D patches of one block never overlap and neighbours along the stack
start `depth` slices apart, beyond the distance (about 5 slices on tomograms like the electrode
data) at which the 2-D filter still finds near-copies.
"""

import logging
from functools import partial

import numpy as np

from xrayseg.data.planes import check_contiguous
from xrayseg.data.split import slices_of
from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.patches.grid import slice_offsets
from xrayseg.patches.patchfile import Grid, NoNearDuplicates, PatchKind, build_patch_file

log = logging.getLogger(__name__)


def layer_starts(block_length, depth, rng):
    """First slice (relative to the block) of each layer of `depth` slices in a block.

    Layers sit flush with the block's start or end, chosen by `rng`; a block shorter than
    `depth` gives one layer at 0 (padded later)."""
    if block_length <= depth:
        return [0]
    count = block_length // depth
    offset = (block_length - count * depth) * int(rng.integers(2))
    return [offset + depth * i for i in range(count)]


def mirrored_to_depth(raw, labels, depth):
    """(raw, labels) of a layer extended along axis 0 to `depth` slices by reflection at its
    last slice; the mirrored labels are IGNORE_INDEX (their content repeats the layer's)."""
    missing = depth - raw.shape[0]
    if missing <= 0:
        return raw, labels
    # numpy mirrors as many times as needed (a 7-slice block fills 16 slices), and repeats a
    # single slice, the same padding the sliding window gives a short block at prediction.
    raw = np.pad(raw, [(0, missing), (0, 0), (0, 0)], mode="reflect")
    labels = np.pad(labels, [(0, missing), (0, 0), (0, 0)], constant_values=IGNORE_INDEX)
    return raw, labels


def tile_layer(layer, side, offset_y, offset_x):
    """The in-plane grid's boxes of a (depth, H, W) layer: (rows, cols, depth, side, side) and
    their (rows, cols, 2) top-left (y, x) origins."""
    depth, height, width = layer.shape
    rows, cols = (height - offset_y) // side, (width - offset_x) // side
    region = layer[:, offset_y : offset_y + rows * side, offset_x : offset_x + cols * side]
    boxes = region.reshape(depth, rows, side, cols, side).transpose(1, 3, 0, 2, 4)
    ys = offset_y + side * np.arange(rows)
    xs = offset_x + side * np.arange(cols)
    return boxes, np.stack(np.meshgrid(ys, xs, indexing="ij"), axis=-1)


def cut_layers(raw_volume, label_volume, slices, rng, depth, side):
    """(grids, near-duplicate filter: none) of one split: the boxes of each layer of its block."""
    block = check_contiguous(slices, "the slices of a split cut into 3-D patches")
    if 0 < len(block) < depth:
        log.info(
            "a block of %d slices is shorter than the patch depth %d: its patches are mirrored "
            "to depth (mirrored voxels ignored)",
            len(block),
            depth,
        )
    return layer_grids(raw_volume, label_volume, block, depth, side, rng), NoNearDuplicates()


def layer_grids(raw_volume, label_volume, block, depth, side, rng):
    """The Grid of boxes of each layer of a block (none for an empty block)."""
    if not block:
        return
    first, stop = block[0], block[-1] + 1
    height, width = raw_volume.shape[1:]
    starts = layer_starts(stop - first, depth, rng)
    offsets = slice_offsets(len(starts), height, width, side, rng)
    for start, (offset_y, offset_x) in zip(starts, offsets, strict=True):
        front = first + start
        back = min(front + depth, stop)
        raw, labels = mirrored_to_depth(
            np.asarray(raw_volume[front:back], dtype=np.float32),
            np.asarray(label_volume[front:back], dtype=np.uint8),
            depth,
        )
        raw_boxes, origins = tile_layer(raw, side, offset_y, offset_x)
        label_boxes, _ = tile_layer(labels, side, offset_y, offset_x)
        fronts = np.full((*origins.shape[:2], 1), front)
        yield Grid(front, raw_boxes, label_boxes, origins, np.concatenate([fronts, origins], -1))


def nothing_skipped(label_boxes):
    return np.zeros(label_boxes.shape[:2], dtype=bool)


def build_cubes(volume_path, split_csv, depth, side, seed, out_h5, out_csv):
    """Write the 3-D patch file and its counts table for one patch shape; returns the table."""
    kind = PatchKind(
        name=f"{depth}x{side}x{side}px",
        patch_shape=(depth, side, side),
        settings={"depth": depth, "side": side, "seed": seed},
        split_slices=slices_of,
        cut=partial(cut_layers, depth=depth, side=side),
        skipped=nothing_skipped,
        table_columns=lambda split, slices: {"size": f"{depth}x{side}x{side}", "split": split},
        split_attrs=lambda slices: {"block_depth": min(depth, len(slices))},
        # As before the shared skeleton: the 3-D file's config_hash holds no labelled flags, so
        # its stored value stays what it was.
        hash_labelled=False,
    )
    return build_patch_file(volume_path, split_csv, kind, out_h5, out_csv)
