"""Non-overlapping, deduplicated training patches per split: results/patches/{size}px.h5.

Layout of {size}px.h5: one group per split (train, val, test) holding
  raw      float32 (N, size, size)   normalised raw values, one compressed chunk per patch
  labels   uint8   (N, size, size)   class indices (255 = ignore), one chunk per patch
  origins  int32   (N, 3)            slice index, y, x of the patch's top-left corner
Root attrs: settings (JSON), config_hash (settings + volume + split assignment),
volume_config_hash. Group attrs: made, mostly_ignored, exact_duplicates, near_duplicates, kept,
slices (the labelled slices cut), class_fractions (over labelled pixels), ignored_fraction; root
attr orientation ("z").

{size}px_y.h5 and {size}px_x.h5 have the same layout with patches cut from the planes across each
block's slices (xrayseg.patches.planes: orientation "y" or "x"; origins (z, y, x) of the patch's
first row and column, its rows running along the stack). Planes span every slice of the block;
rows from unlabelled slices are ignored labels and count towards max_ignored_fraction).

Patches of a split come only from that split's labelled slices (guard and unlabelled slices give
none). A patch with no labelled pixel, or with more than `max_ignored_fraction` of its pixels
ignored (mask, unlabelled parts of a scribbled slice), is skipped and counted as mostly_ignored:
it would fill a batch slot with almost no loss. Splits are
selected test first, then val, then train, sharing one set of content hashes: a patch whose exact
content is already in a held-out split is dropped from the later split, never from the held-out one.
Near-duplicates (xrayseg.patches.dedup) are judged against the content kept from the same
split's slices.
"""

import json
import logging
import time

import h5py
import numpy as np
import pandas as pd

from xrayseg.data.planes import check_axes
from xrayseg.data.split import GUARD, SPLITS, labelled_flags, labelled_slices_of, slices_of
from xrayseg.io.atomic import atomic_output
from xrayseg.io.resultnames import COUNT_NAMES
from xrayseg.io.volume import IGNORE_INDEX, read_volume_info
from xrayseg.patches.dedup import NearDuplicateFilter, content_key
from xrayseg.patches.grid import slice_offsets, tile_slice
from xrayseg.patches.planes import VolumeOrigins, block_planes
from xrayseg.patches.store import PatchWriter
from xrayseg.settings.confighash import config_hash

log = logging.getLogger(__name__)

# Held-out splits first: a duplicate across splits then always leaves train, not val or test.
SELECTION_ORDER = ("test", "val", "train")


def mostly_ignored(label_tiles, max_ignored_fraction):
    """Boolean mask over the tiles: True where a tile has no labelled pixel, or more than
    `max_ignored_fraction` of its pixels ignored."""
    ignored = (label_tiles == IGNORE_INDEX).mean(axis=(-2, -1))
    return (ignored > max_ignored_fraction) | (ignored == 1.0)


def select_split(
    raw_volume,
    label_volume,
    slices,
    size,
    rng,
    near_duplicate,
    seen,
    writer,
    max_ignored_fraction=1.0,
):
    """Cut, deduplicate and append one split's patches to `writer`; returns (counts, class hist).

    `slices`: the split's labelled slices. `seen` holds the content keys of every patch kept so
    far (any split) and is extended here.
    """
    height, width = raw_volume.shape[1:]
    offsets = slice_offsets(len(slices), height, width, size, rng)
    near_filter = NearDuplicateFilter(height, width, **near_duplicate)
    counts = dict.fromkeys(COUNT_NAMES, 0)
    label_histogram = np.zeros(256, dtype=np.int64)
    for z, (offset_y, offset_x) in zip(slices, offsets, strict=True):
        raw_tiles, origins = tile_slice(
            np.asarray(raw_volume[z], dtype=np.float32), size, offset_y, offset_x
        )
        label_tiles, _ = tile_slice(
            np.asarray(label_volume[z], dtype=np.uint8), size, offset_y, offset_x
        )
        near = near_filter.near_duplicates(z, raw_tiles, label_tiles, origins)
        skipped = mostly_ignored(label_tiles, max_ignored_fraction)
        kept = np.zeros_like(near)
        for index in np.ndindex(near.shape):
            if skipped[index]:
                counts["mostly_ignored"] += 1
                continue
            key = content_key(raw_tiles[index], label_tiles[index])
            if key in seen:
                counts["exact_duplicates"] += 1
            elif near[index]:
                counts["near_duplicates"] += 1
            else:
                seen.add(key)
                kept[index] = True
        counts["made"] += near.size
        counts["kept"] += int(kept.sum())
        near_filter.remember(z, raw_tiles, label_tiles, origins, kept)
        kept_origins = origins[kept]
        slice_column = np.full((len(kept_origins), 1), z)
        writer.append(raw_tiles[kept], label_tiles[kept], np.hstack([slice_column, kept_origins]))
        label_histogram += np.bincount(label_tiles[kept].ravel(), minlength=256)
    return counts, label_histogram


def class_fractions(label_histogram, n_classes):
    """(fraction of each class among labelled pixels, fraction of ignored pixels)."""
    labelled = label_histogram[:n_classes]
    total = label_histogram.sum()
    fractions = labelled / max(labelled.sum(), 1)
    return fractions, float(label_histogram[IGNORE_INDEX] / max(total, 1))


def select_block(
    raw_volume,
    label_volume,
    slices,
    size,
    rng,
    near_duplicate,
    seen,
    writer,
    axis,
    max_ignored_fraction=1.0,
):
    """select_split over one split's labelled slices (axis z) or over its block's planes of axis
    y or x (slices: the labelled ones for z, the whole block for y and x)."""
    if axis != "z" and slices:
        raw_volume, label_volume = block_planes(raw_volume, label_volume, slices, axis, size)
        writer = VolumeOrigins(writer, axis, slices[0])
        slices = list(range(len(raw_volume)))
    return select_split(
        raw_volume,
        label_volume,
        slices,
        size,
        rng,
        near_duplicate,
        seen,
        writer,
        max_ignored_fraction,
    )


def build_patches(
    volume_path,
    split_csv,
    size,
    seed,
    near_duplicate,
    out_h5,
    out_csv,
    max_ignored_fraction=1.0,
    orientation="z",
):
    """Write the patch file and its counts table for one patch size and orientation (z: from
    the slices; y, x: from the planes across each block); returns the counts table.

    max_ignored_fraction: patches.max_ignored_fraction (1: skip only patches with no labelled
    pixel)."""
    split_frame = _read_split(split_csv)
    info = read_volume_info(volume_path)
    check_axes([orientation], "patch orientation")
    settings = {
        "size": size,
        "seed": seed,
        "near_duplicate": dict(near_duplicate),
        "max_ignored_fraction": float(max_ignored_fraction),
    }
    if orientation != "z":
        settings["orientation"] = orientation
    started = time.perf_counter()
    rows = {}
    with h5py.File(volume_path, "r") as volume, atomic_output(out_h5) as tmp:
        raw_volume, label_volume = volume["raw"], volume["labels"]
        _check_inputs(volume_path, raw_volume, split_csv, split_frame, size)
        n_classes = len(info.class_names)
        seen = set()
        with h5py.File(tmp, "w") as out:
            writers = {split: PatchWriter(out.create_group(split), size) for split in SPLITS}
            for number, split in enumerate(SELECTION_ORDER):
                if orientation == "z":
                    slices = labelled_slices_of(split_frame, split)
                else:
                    slices = slices_of(split_frame, split)
                counts, histogram = select_block(
                    raw_volume,
                    label_volume,
                    slices,
                    size,
                    np.random.default_rng([seed, number]),
                    near_duplicate,
                    seen,
                    writers[split],
                    orientation,
                    max_ignored_fraction,
                )
                fractions, ignored = class_fractions(histogram, n_classes)
                out[split].attrs.update(
                    {
                        **counts,
                        "slices": len(slices),
                        "class_fractions": fractions,
                        "ignored_fraction": ignored,
                    }
                )
                fraction_columns = {f"fraction_class{i}": f for i, f in enumerate(fractions)}
                rows[split] = {
                    "size": size,
                    "orientation": orientation,
                    "split": split,
                    "slices": len(slices),
                    **counts,
                    **fraction_columns,
                }
                log.info(
                    "%dpx %s, %s: %d slices, %s", size, orientation, split, len(slices), counts
                )
            out.attrs["settings"] = json.dumps(settings)
            out.attrs["orientation"] = orientation
            out.attrs["volume_config_hash"] = info.config_hash
            out.attrs["config_hash"] = config_hash(
                {
                    "settings": settings,
                    "volume": info.config_hash,
                    "split": split_frame["split"].tolist(),
                    "labelled": labelled_flags(split_frame).tolist(),
                }
            )
        used_slices = int(((split_frame["split"] != GUARD) & labelled_flags(split_frame)).sum())
        megabytes = used_slices * raw_volume.shape[1] * raw_volume.shape[2] * 4 / 1e6
    seconds = time.perf_counter() - started
    log.info(
        "%dpx: %.0f MB of raw slices in %.1f s (%.1f MB/s)",
        size,
        megabytes,
        seconds,
        megabytes / seconds,
    )
    table = pd.DataFrame([rows[split] for split in SPLITS])
    with atomic_output(out_csv) as tmp_csv:
        table.to_csv(tmp_csv, index=False)
    return table


def _read_split(split_csv):
    frame = pd.read_csv(split_csv)
    missing = {"slice", "split"} - set(frame.columns)
    if missing:
        raise ValueError(f"{split_csv}: missing column(s) {sorted(missing)}")
    unknown = set(frame["split"]) - {*SPLITS, GUARD}
    if unknown:
        raise ValueError(f"{split_csv}: unknown split name(s) {sorted(unknown)}")
    return frame


def _check_inputs(volume_path, raw_volume, split_csv, split_frame, size):
    n_slices, height, width = raw_volume.shape
    if sorted(split_frame["slice"]) != list(range(n_slices)):
        raise ValueError(
            f"{split_csv}: slice indices do not match the {n_slices} slices of {volume_path}"
        )
    if size > min(height, width):
        raise ValueError(
            f"patch size {size} (models.*.patch_size) is larger than the {height}x{width} slices "
            f"of {volume_path}"
        )
