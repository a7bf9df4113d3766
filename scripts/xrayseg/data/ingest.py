"""Ingest raw and label slices into one normalised HDF5 volume: results/ingest/volume.h5.

The layout of volume.h5 and its attributes: xrayseg.io.volume.

Two passes over the slices, one slice in memory at a time: the first reads the train slices for
the normalisation percentiles (no val/test information shapes the inputs), the second checks,
converts and writes every slice. Nothing appears under the output names unless every slice passed.

Every raw slice is kept. A slice is labelled when at least one of its pixels holds a class: a raw
slice without a label file (data.sparse_labels) or whose label slice is all mask holds
IGNORE_INDEX everywhere and is marked unlabelled (volume.h5's `labelled`, summary.csv's
`labelled` column).
"""

import contextlib
import logging
import math

import h5py
import numpy as np

from xrayseg.data.consistency import (
    StackRanges,
    class_presence_problems,
    classes_present,
    swapped_problem,
)
from xrayseg.data.labels import LabelMapping, UnknownLabels
from xrayseg.data.pairing import pair_sources
from xrayseg.data.split import SPLITS, assign_splits
from xrayseg.data.summary import SliceStatistics
from xrayseg.io.atomic import atomic_output
from xrayseg.io.errors import InputError
from xrayseg.io.greyslice import grey_slice, is_finite, non_finite_error
from xrayseg.io.logsetup import FILE_ONLY
from xrayseg.io.readers import open_slices
from xrayseg.io.volume import IGNORE_INDEX, LABELLED_DATASET, volume_attrs
from xrayseg.settings.confighash import config_hash
from xrayseg.settings.specs import data_problems

log = logging.getLogger(__name__)

# Train pixels sampled for the percentiles: plenty for a stable 0.5 % quantile, small in memory.
NORMALISATION_SAMPLE = 4_000_000


def normalisation_from(sample, percentiles):
    """(low, high) grey values at the given percentiles of a sample of train pixels."""
    if not percentiles[0] < percentiles[1]:
        raise InputError(
            f"data.normalise_percentiles {list(percentiles)}: give the low percentile first, "
            "e.g. [0.5, 99.5]"
        )
    low, high = np.percentile(sample, percentiles)
    if not high > low:
        raise InputError(
            f"the raw train slices are blank: their grey values at percentiles "
            f"{list(percentiles)} are {low:g} and {high:g}; check data.raw points at the scans "
            "(not a blank export), or widen data.normalise_percentiles when most of each slice "
            "is empty background"
        )
    return float(low), float(high)


def check_settings(label_values, class_names, mask, slices):
    """Raise one InputError listing every problem with the data settings."""
    settings = {
        "label_values": label_values,
        "class_names": class_names,
        "mask": mask,
        "slices": slices,
    }
    problems = data_problems(settings, check_files=False)
    if problems:
        raise InputError("; ".join(f"{key}: {problem}" for key, problem in problems))


def select_range(raw, labels, slices):
    """Both sources cut to the configured [start, stop) range of the paired stack."""
    if slices is None:
        return raw, labels
    start, stop = slices
    if stop > len(raw):
        raise InputError(
            f"data.slices {list(slices)} reaches slice {stop - 1}, but {raw.spec!r} and "
            f"{labels.spec!r} pair into {len(raw)} slices (0..{len(raw) - 1}); lower the stop"
        )
    positions = range(start, stop)
    return raw.select(positions), labels.select(positions)


def stack_splits(n_slices, split, raw, labels):
    """The split of every slice; the error names the data when the stack is too short."""
    try:
        return assign_splits(
            n_slices, split["val_fraction"], split["test_fraction"], split["guard_slices"]
        )
    except ValueError as error:
        raise InputError(
            f"{raw.spec!r} and {labels.spec!r} give {n_slices} slice pairs, too few for the "
            f"split: {error}"
        ) from error


def normalisation_pass(raw, splits, percentiles):
    """(shape, low, high) from the train slices; every train slice is read and checked."""
    train = [z for z, s in enumerate(splits) if s == "train"]
    shape = grey_slice(raw, train[0]).shape
    stride = max(1, math.ceil(math.sqrt(len(train) * shape[0] * shape[1] / NORMALISATION_SAMPLE)))
    sample, bad = [], []
    for z in train:
        pixels = grey_slice(raw, z, shape)
        if not is_finite(pixels):
            bad.append(raw.name(z))
            continue
        sample.append(pixels[::stride, ::stride].ravel())
    if bad:  # name every bad slice in one go, not only the train ones
        others = (z for z in range(len(raw)) if splits[z] != "train")
        bad += [raw.name(z) for z in others if not is_finite(grey_slice(raw, z))]
        raise non_finite_error(bad, raw.spec)
    low, high = normalisation_from(np.concatenate(sample), percentiles)
    log.info(
        "normalisation: %.6g -> 0, %.6g -> 1 (percentiles %s of %d train slices, every %d. pixel)",
        low,
        high,
        list(percentiles),
        len(train),
        stride,
    )
    return shape, low, high


def _create(out, name, shape, dtype):
    return out.create_dataset(
        name,
        shape,
        dtype=dtype,
        chunks=(1, *shape[1:]),
        compression="gzip",
        compression_opts=1,
        shuffle=True,
    )


def ingest_volume(
    raw_spec,
    labels_spec,
    label_values,
    class_names,
    split,
    out_path,
    percentiles,
    mask=None,
    slices=None,
    summary_path=None,
    figure_path=None,
    histograms_path=None,
    sparse_labels=False,
):
    """Read, pair, check, normalise and write the volume (and summary.csv, histograms.csv, the
    figure); returns the number of slices. Raises InputError naming the files and the fix for any
    bad input. sparse_labels (data.sparse_labels): raw slices without a label file are allowed
    (xrayseg.data.pairing) and ingested unlabelled."""
    check_settings(label_values, class_names, mask, slices)
    mapping = LabelMapping(label_values, mask)
    settings = {
        "raw": str(raw_spec),
        "labels": str(labels_spec),
        "label_values": list(label_values),
        "class_names": list(class_names),
        "mask": mask,
        "slices": None if slices is None else list(slices),
        "split": dict(split),
        "percentiles": list(percentiles),
    }
    with open_slices(raw_spec) as raw_all, open_slices(labels_spec) as labels_all:
        raw, labels = select_range(*pair_sources(raw_all, labels_all, sparse_labels), slices)
        swapped = swapped_problem(raw, labels, mapping)
        if swapped:
            raise InputError(swapped)
        splits = stack_splits(len(raw), split, raw, labels)
        shape, low, high = normalisation_pass(raw, splits, percentiles)
        log.info("%d slice pairs of %s from %s and %s", len(raw), shape, raw_spec, labels_spec)
        statistics = SliceStatistics(class_names, low, high)
        with contextlib.ExitStack() as outputs:
            tmp = outputs.enter_context(atomic_output(out_path))
            extras = {}  # the tables and the figure, renamed into place with the volume
            for kind, path in (
                ("summary", summary_path),
                ("histograms", histograms_path),
                ("figure", figure_path),
            ):
                if path is not None:
                    extras[kind] = outputs.enter_context(atomic_output(path))
            with h5py.File(tmp, "w") as out:
                labelled = _write_slices(
                    out, raw, labels, splits, shape, (low, high), mapping, statistics, class_names
                )
                out.attrs.update(_volume_attrs(settings, raw, labels, mapping, (low, high)))
            _log_labelled(labelled, splits)
            if "summary" in extras:
                statistics.write_csv(extras["summary"])
            if "histograms" in extras:
                statistics.write_histograms(extras["histograms"])
            if "figure" in extras:
                statistics.write_figure(extras["figure"])
    log.info("wrote %d slices to %s", len(raw), out_path)
    return len(raw)


def _volume_attrs(settings, raw, labels, mapping, norm):
    """volume.h5's attributes (encoded by xrayseg.io.volume.volume_attrs)."""
    return volume_attrs(
        class_names=settings["class_names"],
        label_values=settings["label_values"],
        normalisation=norm,
        percentiles=settings["percentiles"],
        raw_names=raw.names,
        label_names=labels.names,
        sources=(settings["raw"], settings["labels"]),
        mask=settings["mask"],
        label_kind="rgb" if mapping.rgb else "grey",
        slice_range=settings["slices"] or [0, len(raw)],
        config_hash=config_hash(settings),
    )


def _write_slices(out, raw, labels, splits, shape, norm, mapping, statistics, class_names):
    """Pass 2: check, convert and write every slice into the open HDF5 file `out`; returns
    the labelled flag of each slice (also written as the dataset `labelled`). Content problems
    are gathered and raised together at the end, one line each, so one run names every bad
    slice: NaN grey values, slices that do not fit the stack (xrayseg.data.consistency), label
    values not in label_values, classes missing from the train block."""
    low, high = norm
    raw_ds = _create(out, "raw", (len(raw), *shape), "float32")
    label_ds = _create(out, "labels", (len(raw), *shape), "uint8")
    labelled = np.zeros(len(raw), dtype=bool)
    present = np.zeros((len(raw), len(class_names)), dtype=bool)
    unknown, non_finite, ranges = UnknownLabels(mapping), [], StackRanges(raw.spec)
    for z in range(len(raw)):
        pixels = grey_slice(raw, z, shape)
        label_name = labels.name(z)
        label_slice = labels.read(z)
        if label_slice is None:  # no label file (data.sparse_labels): every pixel ignored
            classes, strange = np.full(shape, IGNORE_INDEX, dtype=np.uint8), {}
        else:
            classes, strange = mapping.classes(label_slice, f"{label_name} ({labels.spec})")
        if classes.shape != shape:
            raise InputError(
                f"label slice {label_name} has shape {classes.shape} but its raw partner "
                f"{raw.name(z)} has {shape}; labels must cover the raw slice pixel for pixel"
            )
        labelled[z] = bool((classes != IGNORE_INDEX).any())
        present[z] = classes_present(classes, len(class_names))
        unknown.add(label_name, strange)
        if not is_finite(pixels):
            non_finite.append(raw.name(z))
            continue
        ranges.add(raw.name(z), pixels)
        if unknown or non_finite:
            continue  # the run fails below; keep checking, skip the work
        normalised = (pixels.astype(np.float32) - np.float32(low)) / np.float32(high - low)
        raw_ds[z] = normalised
        label_ds[z] = classes
        statistics.add(
            z, splits[z], raw.name(z), label_name, pixels, normalised, classes, labelled[z]
        )
        if (z + 1) % 50 == 0:
            log.info("slice %d of %d written", z + 1, len(raw))
    problems = ranges.problems()
    if non_finite:
        problems.append(str(non_finite_error(non_finite, raw.spec)))
    if unknown:
        log.error(
            "label values not in data.label_values, in full:\n%s",
            "\n".join(unknown.lines()),
            extra={FILE_ONLY: True},
        )
        problems.append(unknown.message())
    else:
        values = [mapping.describe(code) for code in mapping.codes]
        problems += class_presence_problems(present, splits, class_names, values)
    if problems:
        raise InputError("\n".join(problems))
    out.create_dataset(LABELLED_DATASET, data=labelled)
    return labelled


def _log_labelled(labelled, splits):
    """Say how many slices of each block hold labels, when not all do."""
    if labelled.all():
        return
    per_block = ", ".join(
        f"{name} {sum(labelled[z] for z, s in enumerate(splits) if s == name)} of "
        f"{splits.count(name)}"
        for name in SPLITS
    )
    log.info(
        "%d of %d slices labelled (%s); unlabelled slices hold no labels (ignored everywhere)",
        int(labelled.sum()),
        len(labelled),
        per_block,
    )
