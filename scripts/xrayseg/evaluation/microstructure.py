"""Microstructure scores of a model on the test block: the table and the summary evaluate writes.

The test block is a contiguous run of whole slices, so it is a small 3-D volume: the true labels
and the model's predictions of it are measured alike (xrayseg.microstructure) and compared metric
by metric. Ignored voxels (IGNORE_INDEX in the labels) are left out of both.

With sparse labels only the labelled test slices are predicted, and 3-D measures need neighbours
in the stack: the longest contiguous run of labelled test slices is measured (the first of equal
runs), and the summary says which slices and how many of the labelled ones that is. A fully
labelled test block is one run, measured whole. An unlabelled slice is not a gap that the
ignore rule could bridge: it would cut every connected path along the stack.

Where the slices are not neighbours or the voxels not cubes (microstructure.measure: sections,
which xrayseg.settings.adapt chooses then), 3-D measures mean nothing: each labelled test slice
is measured as a 2-D section instead (boundary length and triple points per area), and the true
and predicted values are averaged over the slices.
"""

import logging
import math

import numpy as np
import pandas as pd

from xrayseg.microstructure import microstructure_table
from xrayseg.microstructure.roles import class_roles

log = logging.getLogger(__name__)


def measure_test_block(labels, predictions, settings, class_names, metrics=None):
    """(table, summary) for the test slices of one model.

    labels: the volume's label dataset (Z x Y x X class indices, IGNORE_INDEX ignored);
    predictions: {slice index: predicted class map} of the test block; settings:
    xrayseg.settings.roles.MicrostructureSettings (roles by class name, voxel_size, axis);
    metrics: the metrics measured (default all). The table is microstructure_table's; the
    summary holds every relative error and their mean per metric.
    """
    predicted_slices = sorted(predictions)
    if not predicted_slices:
        raise ValueError("no test slices to measure the microstructure on")
    if settings.measure == "sections":
        table = section_table(labels, predictions, settings, class_names)
        summary = summarise_microstructure(table, settings, predicted_slices)
        summary["labelled_test_slices"] = len(predicted_slices)
        return table, summary
    slices = longest_run(predicted_slices)
    if len(slices) < len(predicted_slices):
        log.warning(
            "microstructure: measured over test slices %d-%d, the longest contiguous run of "
            "the %d labelled test slices (3-D measures need neighbouring slices)",
            slices[0],
            slices[-1],
            len(predicted_slices),
        )
    true_volume = np.asarray(labels[slices[0] : slices[-1] + 1])
    predicted_volume = np.stack([predictions[z] for z in slices])
    table = microstructure_table(
        true_volume,
        predicted_volume,
        class_roles(settings.roles, class_names),
        settings.voxel_size,
        settings.axis,
        class_names=class_names,
        metrics=metrics,
    )
    summary = summarise_microstructure(table, settings, slices)
    summary["labelled_test_slices"] = len(predicted_slices)
    return table, summary


def section_table(labels, predictions, settings, class_names):
    """microstructure_table's columns for the test slices measured one by one in 2-D, true and
    predicted values averaged over the slices (NaN where a slice has none, e.g. a connected
    fraction of an absent phase, left out). The connected fraction spans each section along y
    (microstructure.axis 0, the stack, or 1) or along x (axis 2)."""
    axis = max(int(settings.axis) - 1, 0)
    roles = class_roles(settings.roles, class_names)
    tables = [
        microstructure_table(
            np.asarray(labels[z]),
            predictions[z],
            roles,
            settings.voxel_size,
            axis,
            class_names=class_names,
        )
        for z in sorted(predictions)
    ]
    joined = pd.concat(tables)
    table = joined.groupby(["metric", "phases"], sort=False).agg(
        unit=("unit", "first"), true=("true", "mean"), predicted=("predicted", "mean")
    )
    table = table.reset_index()
    table["relative_error"] = [
        (predicted - true) / true if true != 0 and np.isfinite(true) else float("nan")
        for true, predicted in zip(table["true"], table["predicted"], strict=True)
    ]
    return table[list(tables[0].columns)]


def longest_run(slices):
    """The longest run of consecutive indices in sorted `slices` (the first of equal ones)."""
    best_start, best_length, start = 0, 1, 0
    for i in range(1, len(slices) + 1):
        if i == len(slices) or slices[i] != slices[i - 1] + 1:
            if i - start > best_length:
                best_start, best_length = start, i - start
            start = i
    return list(slices[best_start : best_start + best_length])


def summarise_microstructure(table, settings, slices):
    """summary.json's `microstructure` entry: the block measured, relative errors per metric and
    phases, and per metric the mean absolute relative error over its phases (NaN left out)."""
    errors, mean_abs = {}, {}
    for metric, rows in table.groupby("metric", sort=False):
        values = dict(zip(rows["phases"], rows["relative_error"].astype(float), strict=True))
        errors[metric] = values
        finite = [abs(v) for v in values.values() if math.isfinite(v)]
        mean_abs[metric] = float(np.mean(finite)) if finite else float("nan")
    return {
        "test_slices": [int(slices[0]), int(slices[-1])],
        "slices_measured": len(slices),
        "roles": dict(settings.roles),
        "voxel_size": float(settings.voxel_size),
        "axis": int(settings.axis),
        "measure": settings.measure,
        "relative_error": errors,
        "mean_abs_relative_error": mean_abs,
    }
