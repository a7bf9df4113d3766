"""Ingest raw and label slices into one normalised HDF5 volume: results/ingest/volume.h5.

Layout of volume.h5:
  raw     float32 (Z, Y, X)  grey values mapped so the train slices' low/high percentiles are 0/1
  labels  uint8   (Z, Y, X)  class indices 0..C-1 (label_values[i] in the files -> class i)
  attrs   class_names, label_values, norm_low, norm_high, norm_percentiles, raw_names,
          label_names, n_slices, config_hash
"""

import json
import logging

import h5py
import numpy as np

from xrayseg.atomic import atomic_output
from xrayseg.confighash import config_hash
from xrayseg.pairing import pair_slices
from xrayseg.readers import SliceSource, open_slices
from xrayseg.split import assign_splits

log = logging.getLogger(__name__)


def label_lookup(label_values):
    """A 256-entry table mapping a grey label value to its class index (255 marks unknown).

    255 cannot be a real class index: configs have fewer than 255 classes.
    """
    table = np.full(256, 255, dtype=np.uint8)
    for index, value in enumerate(label_values):
        table[int(value)] = index
    return table


def labels_to_classes(label_slice, label_values, name):
    """Class indices (uint8) of one grey-value label slice; ValueError names unknown values."""
    if label_slice.ndim != 2:
        raise ValueError(f"{name}: labels must be 2-D grey values, got shape {label_slice.shape}")
    values = np.asarray(label_slice)
    if values.min() < 0 or values.max() > 255:
        raise ValueError(f"{name}: label values outside 0..255 ({values.min()}..{values.max()})")
    classes = label_lookup(label_values)[values.astype(np.int64)]
    unknown = classes == 255
    if unknown.any():
        found, counts = np.unique(values[unknown], return_counts=True)
        listing = ", ".join(f"{v} ({c} px)" for v, c in zip(found, counts, strict=True))
        raise ValueError(
            f"{name}: label values not in data.label_values {list(label_values)}: {listing}"
        )
    return classes


def normalisation_from(sample, percentiles):
    """(low, high) grey values at the given percentiles of a sample of train pixels."""
    low, high = np.percentile(sample, percentiles)
    if not high > low:
        raise ValueError(
            f"raw train slices have no grey-value spread (percentiles give {low}, {high})"
        )
    return float(low), float(high)


def ingest_volume(raw_spec, labels_spec, label_values, class_names, split, out_path, percentiles):
    """Read, pair, check, normalise and write the volume; returns the number of slices."""
    if len(label_values) != len(class_names):
        raise ValueError(
            f"data.label_values has {len(label_values)} entries but data.class_names has "
            f"{len(class_names)}; give one name per label value"
        )
    raw_source, label_source = open_slices(raw_spec), open_slices(labels_spec)
    pairs = pair_slices(raw_source.paths, label_source.paths)
    raw_source = SliceSource(raw_source.spec, [p for p, _ in pairs])
    label_source = SliceSource(label_source.spec, [p for _, p in pairs])
    n_slices = len(pairs)
    splits = assign_splits(
        n_slices, split["val_fraction"], split["test_fraction"], split["guard_slices"]
    )
    first = raw_source.read(0)
    shape = first.shape
    log.info("%d slice pairs of %s from %s and %s", n_slices, shape, raw_spec, labels_spec)

    # Pass 1: normalisation from the train slices only, so no test information shapes the inputs.
    train_sample = []
    for z in (i for i, s in enumerate(splits) if s == "train"):
        train_sample.append(_checked_raw(raw_source, z, shape)[::2, ::2].ravel())
    low, high = normalisation_from(np.concatenate(train_sample), percentiles)
    log.info(
        "normalisation: %.6g -> 0, %.6g -> 1 (percentiles %s of train slices)",
        low,
        high,
        percentiles,
    )

    settings = {
        "label_values": list(label_values),
        "class_names": list(class_names),
        "split": dict(split),
        "percentiles": list(percentiles),
    }
    # Pass 2: slice by slice, so a large volume never sits in memory twice.
    with atomic_output(out_path) as tmp, h5py.File(tmp, "w") as out:
        raw_ds = out.create_dataset(
            "raw",
            (n_slices, *shape),
            dtype="float32",
            chunks=(1, *shape),
            compression="gzip",
            compression_opts=1,
            shuffle=True,
        )
        label_ds = out.create_dataset(
            "labels",
            (n_slices, *shape),
            dtype="uint8",
            chunks=(1, *shape),
            compression="gzip",
            compression_opts=1,
            shuffle=True,
        )
        for z in range(n_slices):
            raw = _checked_raw(raw_source, z, shape)
            labels = label_source.read(z)
            if labels.shape != shape:
                raise ValueError(
                    f"{label_source.paths[z]}: label shape {labels.shape} differs from its "
                    f"raw slice {raw_source.paths[z]} {shape}"
                )
            raw_ds[z] = (raw.astype(np.float32) - low) / (high - low)
            label_ds[z] = labels_to_classes(labels, label_values, str(label_source.paths[z]))
        out.attrs.update(
            {
                "class_names": json.dumps(list(class_names)),
                "label_values": json.dumps(list(label_values)),
                "norm_low": low,
                "norm_high": high,
                "norm_percentiles": json.dumps(list(percentiles)),
                "raw_names": json.dumps(raw_source.names),
                "label_names": json.dumps(label_source.names),
                "n_slices": n_slices,
                "config_hash": config_hash(settings),
            }
        )
    return n_slices


def _checked_raw(source, z, shape):
    raw = source.read(z)
    if raw.shape != shape:
        raise ValueError(
            f"{source.paths[z]}: shape {raw.shape} differs from the first slice's {shape}"
        )
    if raw.ndim != 2:
        raise ValueError(
            f"{source.paths[z]}: raw slices must be 2-D greyscale, got shape {raw.shape}"
        )
    if np.issubdtype(raw.dtype, np.floating) and not np.isfinite(raw).all():
        raise ValueError(f"{source.paths[z]}: raw slice holds NaN or infinite values")
    return raw
