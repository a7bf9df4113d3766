"""Non-overlapping, deduplicated training patches per split: results/patches/{size}px.h5.

Layout of {size}px.h5: one group per split (train, val, test) holding
  raw      float32 (N, size, size)   normalised raw values
  labels   uint8   (N, size, size)   class indices
  origins  int32   (N, 3)            slice index, y, x of the patch's top-left corner
Root attrs hold the settings and a config hash; each group's attrs hold its counts.
"""

import hashlib
import json
import logging

import h5py
import numpy as np
import pandas as pd

from xrayseg.atomic import atomic_output
from xrayseg.confighash import config_hash
from xrayseg.split import SPLITS, slices_of

log = logging.getLogger(__name__)


def grid_origins(height, width, size, offset_y=0, offset_x=0):
    """Top-left corners of the non-overlapping size x size tiles that fit from the given offset."""
    if size > min(height, width):
        raise ValueError(f"patch size {size} is larger than the {height}x{width} slice")
    ys = range(offset_y, height - size + 1, size)
    xs = range(offset_x, width - size + 1, size)
    return [(y, x) for y in ys for x in xs]


def slice_grid_offsets(height, width, size, rng):
    """A random grid offset per slice so that, over the stack, the leftover border gets covered."""
    return int(rng.integers(0, height % size + 1)), int(rng.integers(0, width % size + 1))


def content_key(raw_patch, label_patch):
    """Hash of a patch's raw and label content; equal content gives an equal key."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.ascontiguousarray(raw_patch).tobytes())
    digest.update(np.ascontiguousarray(label_patch).tobytes())
    return digest.digest()


def patches_of_slices(raw_volume, label_volume, slice_indices, size, rng):
    """Yield (slice, y, x, raw patch, label patch) over a non-overlapping grid of every slice."""
    for z in slice_indices:
        raw = raw_volume[z]
        labels = label_volume[z]
        oy, ox = slice_grid_offsets(raw.shape[0], raw.shape[1], size, rng)
        for y, x in grid_origins(raw.shape[0], raw.shape[1], size, oy, ox):
            yield z, y, x, raw[y : y + size, x : x + size], labels[y : y + size, x : x + size]


def select_patches(candidates, n_classes):
    """Drop exact duplicates; return kept arrays and the counts for the report."""
    seen = set()
    raws, labels, origins = [], [], []
    made = exact = 0
    for z, y, x, raw, label in candidates:
        made += 1
        key = content_key(raw, label)
        if key in seen:
            exact += 1
            continue
        seen.add(key)
        raws.append(raw)
        labels.append(label)
        origins.append((z, y, x))
    counts = {"made": made, "exact_duplicates": exact, "near_duplicates": 0, "kept": len(raws)}
    stacked_labels = np.asarray(labels, dtype=np.uint8)
    fractions = np.bincount(stacked_labels.ravel(), minlength=n_classes) / max(
        stacked_labels.size, 1
    )
    return raws, labels, origins, counts, fractions


def build_patches(volume_path, split_csv, size, seed, out_h5, out_csv):
    """Write the patch file and its counts table for one patch size."""
    split_frame = pd.read_csv(split_csv)
    rng = np.random.default_rng(seed)
    settings = {"size": size, "seed": seed}
    rows = []
    with h5py.File(volume_path, "r") as volume, atomic_output(out_h5) as tmp:
        n_classes = len(json.loads(volume.attrs["class_names"]))
        with h5py.File(tmp, "w") as out:
            for split in SPLITS:
                candidates = patches_of_slices(
                    volume["raw"], volume["labels"], slices_of(split_frame, split), size, rng
                )
                raws, labels, origins, counts, fractions = select_patches(candidates, n_classes)
                group = out.create_group(split)
                _write_stack(
                    group, "raw", np.asarray(raws, dtype=np.float32).reshape(-1, size, size)
                )
                _write_stack(
                    group, "labels", np.asarray(labels, dtype=np.uint8).reshape(-1, size, size)
                )
                group.create_dataset(
                    "origins", data=np.asarray(origins, dtype=np.int32).reshape(-1, 3)
                )
                group.attrs.update(counts)
                group.attrs["class_fractions"] = fractions
                rows.append(
                    {"size": size, "split": split, **counts, **_fraction_columns(fractions)}
                )
                log.info("%s: %s", split, counts)
            out.attrs["settings"] = json.dumps(settings)
            out.attrs["config_hash"] = config_hash(settings)
            out.attrs["volume_config_hash"] = volume.attrs["config_hash"]
    with atomic_output(out_csv) as tmp_csv:
        pd.DataFrame(rows).to_csv(tmp_csv, index=False)


def _write_stack(group, name, array):
    size = array.shape[1:]
    chunks = (1, *size) if len(array) else None
    group.create_dataset(name, data=array, chunks=chunks, compression="gzip", compression_opts=1)


def _fraction_columns(fractions):
    return {f"fraction_class{i}": float(f) for i, f in enumerate(fractions)}
