"""Non-overlapping, deduplicated 3-D training patches per split block, for the 3-D UNet:
results/patches/{depth}x{side}x{side}px.h5.

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

Exact duplicates (equal raw and labels) are dropped as in 2-D, held-out splits first. There is no
near-duplicate filter: 3-D patches of one block never overlap and neighbours along the stack
start `depth` slices apart, beyond the distance (about 5 slices on tomograms like the electrode
data) at which the 2-D filter still finds near-copies.
"""

import json
import logging
import time

import h5py
import numpy as np
import pandas as pd

from xrayseg.data.split import GUARD, SPLITS, slices_of
from xrayseg.io.atomic import atomic_output
from xrayseg.io.volume import IGNORE_INDEX, read_volume_info
from xrayseg.patches.build import COUNT_NAMES, SELECTION_ORDER, class_fractions
from xrayseg.patches.dedup import content_key
from xrayseg.patches.grid import slice_offsets
from xrayseg.patches.store import PatchWriter
from xrayseg.settings.confighash import config_hash

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


def contiguous_block(slices, split, split_csv):
    """The split's slices as (first, stop); an error when they are not one run."""
    if not slices:
        return None
    if slices != list(range(slices[0], slices[-1] + 1)):
        raise ValueError(
            f"{split_csv}: the {split} slices are not one contiguous block; 3-D patches are cut "
            "from within one block"
        )
    return slices[0], slices[-1] + 1


def select_block(raw_volume, label_volume, block, depth, side, rng, seen, writer):
    """Cut, deduplicate and append one block's 3-D patches; returns (counts, class histogram)."""
    first, stop = block
    height, width = raw_volume.shape[1:]
    starts = layer_starts(stop - first, depth, rng)
    offsets = slice_offsets(len(starts), height, width, side, rng)
    counts = dict.fromkeys(COUNT_NAMES, 0)
    histogram = np.zeros(256, dtype=np.int64)
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
        kept = np.zeros(origins.shape[:2], dtype=bool)
        for index in np.ndindex(kept.shape):
            key = content_key(raw_boxes[index], label_boxes[index])
            if key in seen:
                counts["exact_duplicates"] += 1
            else:
                seen.add(key)
                kept[index] = True
        counts["made"] += kept.size
        counts["kept"] += int(kept.sum())
        kept_origins = origins[kept]
        fronts = np.full((len(kept_origins), 1), front)
        writer.append(raw_boxes[kept], label_boxes[kept], np.hstack([fronts, kept_origins]))
        histogram += np.bincount(label_boxes[kept].ravel(), minlength=256)
    return counts, histogram


def build_cubes(volume_path, split_csv, depth, side, seed, out_h5, out_csv):
    """Write the 3-D patch file and its counts table for one patch shape; returns the table."""
    split_frame = pd.read_csv(split_csv)
    info = read_volume_info(volume_path)
    settings = {"depth": depth, "side": side, "seed": seed}
    started = time.perf_counter()
    rows = {}
    with h5py.File(volume_path, "r") as volume, atomic_output(out_h5) as tmp:
        raw_volume, label_volume = volume["raw"], volume["labels"]
        _check_inputs(volume_path, raw_volume.shape, split_csv, split_frame, side)
        n_classes = len(info.class_names)
        seen = set()
        with h5py.File(tmp, "w") as out:
            for number, split in enumerate(SELECTION_ORDER):
                slices = slices_of(split_frame, split)
                block = contiguous_block(slices, split, split_csv)
                group = out.create_group(split)
                writer = PatchWriter(group, (depth, side, side))
                counts, histogram = dict.fromkeys(COUNT_NAMES, 0), np.zeros(256, dtype=np.int64)
                if block is not None:
                    counts, histogram = select_block(
                        raw_volume,
                        label_volume,
                        block,
                        depth,
                        side,
                        np.random.default_rng([seed, number]),
                        seen,
                        writer,
                    )
                fractions, ignored = class_fractions(histogram, n_classes)
                group.attrs.update(
                    {
                        **counts,
                        "slices": len(slices),
                        "block_depth": min(depth, len(slices)),
                        "class_fractions": fractions,
                        "ignored_fraction": ignored,
                    }
                )
                fraction_columns = {f"fraction_class{i}": f for i, f in enumerate(fractions)}
                rows[split] = {
                    "size": f"{depth}x{side}x{side}",
                    "split": split,
                    **counts,
                    **fraction_columns,
                }
                log.info(
                    "%dx%dx%d px %s: %d slices, %s", depth, side, side, split, len(slices), counts
                )
                if len(slices) < depth:
                    log.info(
                        "%s block of %d slices is shorter than the patch depth %d: its patches "
                        "are mirrored to depth (mirrored voxels ignored)",
                        split,
                        len(slices),
                        depth,
                    )
            out.attrs["settings"] = json.dumps(settings)
            out.attrs["volume_config_hash"] = info.config_hash
            out.attrs["config_hash"] = config_hash(
                {
                    "settings": settings,
                    "volume": info.config_hash,
                    "split": split_frame["split"].tolist(),
                }
            )
    log.info("%dx%dx%d px patches in %.1f s", depth, side, side, time.perf_counter() - started)
    table = pd.DataFrame([rows[split] for split in SPLITS])
    with atomic_output(out_csv) as tmp_csv:
        table.to_csv(tmp_csv, index=False)
    return table


def _check_inputs(volume_path, shape, split_csv, split_frame, side):
    n_slices, height, width = shape
    if sorted(split_frame["slice"]) != list(range(n_slices)):
        raise ValueError(
            f"{split_csv}: slice indices do not match the {n_slices} slices of {volume_path}"
        )
    unknown = set(split_frame["split"]) - {*SPLITS, GUARD}
    if unknown:
        raise ValueError(f"{split_csv}: unknown split name(s) {sorted(unknown)}")
    if side > min(height, width):
        raise ValueError(
            f"patch size {side} (models.*.patch_size) is larger than the {height}x{width} slices "
            f"of {volume_path}"
        )
