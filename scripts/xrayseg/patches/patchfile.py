"""The steps every patch file is built by, 2-D (xrayseg.patches.build) or 3-D (patches.cubes).

Read the volume and the split table and check that they fit; then per split, held-out splits
first: cut the split's pieces (slices, planes or layers of slices) into grids of candidate
patches, skip the mostly ignored ones, drop exact and near duplicates, store the rest and count
what became of each; last the file's attributes and its counts table (one row per split).

Splits are selected test first, then val, then train, sharing one set of content hashes: a patch
whose exact content is already in a held-out split is dropped from the later split, never from the
held-out one. What a kind of patch file does its own way (which slices, how they are cut, what is
skipped, its near-duplicate filter, its table columns and attributes) is a PatchKind.
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import h5py
import numpy as np
import pandas as pd

from xrayseg.data.split import GUARD, SPLITS, labelled_flags
from xrayseg.io.atomic import atomic_output
from xrayseg.io.resultnames import COUNT_NAMES
from xrayseg.io.volume import IGNORE_INDEX, read_volume_info
from xrayseg.patches.dedup import content_key
from xrayseg.patches.store import PatchWriter
from xrayseg.settings.confighash import config_hash

log = logging.getLogger(__name__)

# Held-out splits first: a duplicate across splits then always leaves train, not val or test.
SELECTION_ORDER = ("test", "val", "train")


class Grid(NamedTuple):
    """The candidate patches of one piece (a slice, a plane or a layer), on a rows x cols grid."""

    position: int  # the piece's index along its stack: the near-duplicate filter's clock
    raw: np.ndarray  # (rows, cols, *patch shape) float32
    labels: np.ndarray  # (rows, cols, *patch shape) uint8
    origins: np.ndarray  # (rows, cols, 2): each patch's (y, x) corner in its piece
    volume_origins: np.ndarray  # (rows, cols, 3): the (z, y, x) stored with each patch


class NoNearDuplicates:
    """The near-duplicate filter of a kind that has none: nothing is near, nothing remembered."""

    def near_duplicates(self, position, raw, labels, origins):
        return np.zeros(origins.shape[:2], dtype=bool)

    def remember(self, position, raw, labels, origins, kept):
        pass


def no_attrs(slices):
    return {}


@dataclass(frozen=True)
class PatchKind:
    """What one kind of patch file does its own way; build_patch_file does the rest."""

    name: str  # in the log: "64px z", "16x32x32px"
    patch_shape: tuple[int, ...]  # one patch: (size, size) or (depth, side, side)
    settings: dict  # the root attribute `settings` (hashed); its "seed" seeds each split's cut
    split_slices: Callable  # (split table, split) -> the slices the split is cut from
    # (raw, labels, slices, rng) -> (iterable of Grid, near-duplicate filter of the split)
    cut: Callable
    skipped: Callable  # (labels of a grid) -> bool mask of the patches skipped as mostly ignored
    table_columns: Callable  # (split, slices) -> the first columns of the split's counts row
    split_attrs: Callable = no_attrs  # (slices) -> a split group's attributes besides the counts
    root_attrs: dict = field(default_factory=dict)
    hash_labelled: bool = True  # the labelled flags of the split table go into config_hash


def build_patch_file(volume_path, split_csv, kind, out_h5, out_csv):
    """Write the patch file of `kind` and its counts table; returns the table."""
    split_frame = read_split(split_csv)
    info = read_volume_info(volume_path)
    started = time.perf_counter()
    rows = {}
    cut_slices = 0
    with h5py.File(volume_path, "r") as volume, atomic_output(out_h5) as tmp:
        raw_volume, label_volume = volume["raw"], volume["labels"]
        check_inputs(volume_path, raw_volume.shape, split_csv, split_frame, kind.patch_shape[-1])
        n_classes = len(info.class_names)
        seen = set()
        with h5py.File(tmp, "w") as out:
            writers = {
                split: PatchWriter(out.create_group(split), kind.patch_shape) for split in SPLITS
            }
            for number, split in enumerate(SELECTION_ORDER):
                slices = kind.split_slices(split_frame, split)
                rng = np.random.default_rng([kind.settings["seed"], number])
                grids, near_filter = kind.cut(raw_volume, label_volume, slices, rng)
                counts, histogram = select_split(
                    grids, near_filter, kind.skipped, seen, writers[split]
                )
                fractions, ignored = class_fractions(histogram, n_classes)
                out[split].attrs.update(
                    {
                        **counts,
                        "slices": len(slices),
                        **kind.split_attrs(slices),
                        "class_fractions": fractions,
                        "ignored_fraction": ignored,
                    }
                )
                fraction_columns = {f"fraction_class{i}": f for i, f in enumerate(fractions)}
                rows[split] = {**kind.table_columns(split, slices), **counts, **fraction_columns}
                cut_slices += len(slices)
                log.info("%s, %s: %d slices, %s", kind.name, split, len(slices), counts)
            out.attrs["settings"] = json.dumps(kind.settings)
            out.attrs.update(kind.root_attrs)
            out.attrs["volume_config_hash"] = info.config_hash
            hashed = {
                "settings": kind.settings,
                "volume": info.config_hash,
                "split": split_frame["split"].tolist(),
            }
            if kind.hash_labelled:
                hashed["labelled"] = labelled_flags(split_frame).tolist()
            out.attrs["config_hash"] = config_hash(hashed)
        megabytes = cut_slices * raw_volume.shape[1] * raw_volume.shape[2] * 4 / 1e6
    seconds = time.perf_counter() - started
    log.info(
        "%s: %.0f MB of raw slices in %.1f s (%.1f MB/s)",
        kind.name,
        megabytes,
        seconds,
        megabytes / seconds,
    )
    table = pd.DataFrame([rows[split] for split in SPLITS])
    with atomic_output(out_csv) as tmp_csv:
        table.to_csv(tmp_csv, index=False)
    return table


def select_split(grids, near_filter, skipped, seen, writer):
    """Skip, deduplicate and append one split's grids of patches to `writer`; returns (counts,
    histogram of the kept labels).

    `seen` holds the content keys of every patch kept so far (any split) and is extended here.
    A patch is skipped as mostly ignored, or dropped as an exact duplicate of kept content, or as
    a near-duplicate (`near_filter`), or kept: the first of these that applies is counted.
    """
    counts = dict.fromkeys(COUNT_NAMES, 0)
    histogram = np.zeros(256, dtype=np.int64)
    for grid in grids:
        near = near_filter.near_duplicates(grid.position, grid.raw, grid.labels, grid.origins)
        skip = skipped(grid.labels)
        kept = np.zeros_like(near)
        for index in np.ndindex(near.shape):
            if skip[index]:
                counts["mostly_ignored"] += 1
                continue
            key = content_key(grid.raw[index], grid.labels[index])
            if key in seen:
                counts["exact_duplicates"] += 1
            elif near[index]:
                counts["near_duplicates"] += 1
            else:
                seen.add(key)
                kept[index] = True
        counts["made"] += near.size
        counts["kept"] += int(kept.sum())
        near_filter.remember(grid.position, grid.raw, grid.labels, grid.origins, kept)
        writer.append(grid.raw[kept], grid.labels[kept], grid.volume_origins[kept])
        histogram += np.bincount(grid.labels[kept].ravel(), minlength=256)
    return counts, histogram


def class_fractions(label_histogram, n_classes):
    """(fraction of each class among labelled pixels, fraction of ignored pixels)."""
    labelled = label_histogram[:n_classes]
    total = label_histogram.sum()
    fractions = labelled / max(labelled.sum(), 1)
    return fractions, float(label_histogram[IGNORE_INDEX] / max(total, 1))


def read_split(split_csv):
    """The split table; an error when it lacks a column or names an unknown split."""
    frame = pd.read_csv(split_csv)
    missing = {"slice", "split"} - set(frame.columns)
    if missing:
        raise ValueError(f"{split_csv}: missing column(s) {sorted(missing)}")
    unknown = set(frame["split"]) - {*SPLITS, GUARD}
    if unknown:
        raise ValueError(f"{split_csv}: unknown split name(s) {sorted(unknown)}")
    return frame


def check_inputs(volume_path, shape, split_csv, split_frame, side):
    """An error unless the split table covers the volume's slices and a patch side of `side`
    fits in a slice."""
    n_slices, height, width = shape
    if sorted(split_frame["slice"]) != list(range(n_slices)):
        raise ValueError(
            f"{split_csv}: slice indices do not match the {n_slices} slices of {volume_path}"
        )
    if side > min(height, width):
        raise ValueError(
            f"patch size {side} (models.*.patch_size) is larger than the {height}x{width} slices "
            f"of {volume_path}"
        )
