"""The transport jobs: the test block's labels, a model's prediction of it, a prediction set.

The test block is measured where evaluate measures its microstructure: the longest contiguous run
of labelled test slices (the whole block when fully labelled). The labels' job writes their
values (xrayseg.transport.measure's rows); a model's job measures its prediction of the same
slices (evaluate's test_predictions.tif), with the voxels the labels ignore ignored in it too,
and writes it beside the labels' values (xrayseg.transport.compare). A prediction set's job
measures its segmentation (values only: it has no labels). Every volume over
transport.max_voxels is measured on its central crop (xrayseg.transport.crop); the job's log
and the table's note say so.
"""

import logging
import time

import h5py
import numpy as np
import pandas as pd
import zarr

from xrayseg.data.split import labelled_slices_of
from xrayseg.evaluation.microstructure import longest_run
from xrayseg.io.errors import InputError
from xrayseg.io.labelfiles import label_classes, read_label_stack
from xrayseg.io.tables import write_csv
from xrayseg.io.volume import IGNORE_INDEX, read_volume_info
from xrayseg.settings.startchecks import device_problem
from xrayseg.transport.compare import compare_tables, read_table
from xrayseg.transport.crop import central_crop
from xrayseg.transport.measure import COLUMNS, measure_volume

log = logging.getLogger(__name__)


def run_transport(inputs, settings, output, threads=1, device="auto"):
    """The job of the rule whose inputs these are: a model's (predictions), a prediction set's
    (segmentation) or the labels'. device: the config's (auto: CUDA when present)."""
    solves = "tortuosity" in settings.quantities
    run = {"threads": threads, "device": solver_device(device) if solves else "cpu"}
    if "predictions" in inputs:
        measure_model(
            inputs["predictions"],
            inputs["volume"],
            inputs["split"],
            inputs["labels"],
            settings,
            output,
            **run,
        )
    elif "segmentation" in inputs:
        measure_set(inputs["segmentation"], inputs["volume"], settings, output, **run)
    else:
        measure_labels(inputs["volume"], inputs["split"], settings, output, **run)


def solver_device(requested):
    """The torch device TauFactor solves on: CUDA when present for auto (as training and
    prediction choose, xrayseg.models.device, whose package this job does not load), else the
    device asked for; an InputError for a CUDA device this machine lacks."""
    import torch

    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    problem = device_problem(requested, count, torch.__version__)
    if problem:
        raise InputError(problem)
    return torch.device(requested)


def use_threads(threads, settings):
    """Let the libraries the quantities need use `threads` threads: torch (TauFactor) for the
    tortuosity, numba and PoreSpy's distance transform for the sizes. Imported only then (each
    takes seconds to import)."""
    if "tortuosity" in settings.quantities:
        import torch

        torch.set_num_threads(threads)
    if "sizes" in settings.quantities:
        import numba
        import porespy

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        porespy.settings.ncores = threads


def test_run(split_csv):
    """The test slices measured: the longest contiguous run of labelled test slices."""
    slices = labelled_slices_of(pd.read_csv(split_csv), "test")
    if not slices:
        raise ValueError(f"{split_csv}: no labelled test slices to measure")
    return longest_run(slices)


def crop_note(shape, box):
    kept = tuple(s.stop - s.start for s in box)
    if kept == tuple(shape):
        return ""
    return f"central crop {' x '.join(map(str, kept))} of {' x '.join(map(str, shape))}"


def measured(volume, settings, class_names, device, where):
    """measure_volume of the central crop of `volume`, the crop noted on every row."""
    box = central_crop(volume.shape, settings.max_voxels)
    note = crop_note(volume.shape, box)
    if note:
        log.info("%s: measured on the %s (transport.max_voxels)", where, note)
    start = time.perf_counter()
    rows = measure_volume(np.ascontiguousarray(volume[box]), settings, class_names, device)
    log.info("%s: measured in %.1f s", where, time.perf_counter() - start)
    for row in rows:
        row["note"] = "; ".join(n for n in (row["note"], note) if n)
    return rows


def read_rows(path):
    """The rows of a measure_volume table written by the labels' or a set's job."""
    return read_table(path).to_dict("records")


def measure_labels(volume_path, split_csv, settings, output, threads=1, device="cpu"):
    """The labels' transport table (measure.COLUMNS) of the test block, written to `output`."""
    use_threads(threads, settings)
    info = read_volume_info(volume_path)
    run = test_run(split_csv)
    with h5py.File(volume_path, "r") as volume:
        labels = np.asarray(volume["labels"][run[0] : run[-1] + 1])
    log.info("labels: test slices %d-%d, %s voxels", run[0], run[-1], labels.shape)
    rows = measured(labels, settings, info.class_names, device, "labels")
    write_csv(rows, output, COLUMNS)


def measure_model(
    predictions_path,
    volume_path,
    split_csv,
    labels_table,
    settings,
    output,
    threads=1,
    device="cpu",
):
    """A model's transport table (compare.COLUMNS) of its test block prediction against the
    labels' table, written to `output`."""
    use_threads(threads, settings)
    info = read_volume_info(volume_path)
    predicted = read_label_stack(predictions_path, info.label_values)
    test_slices = labelled_slices_of(pd.read_csv(split_csv), "test")
    if predicted.shape[0] != len(test_slices):
        raise ValueError(
            f"{predictions_path}: {predicted.shape[0]} slices, but {split_csv} has "
            f"{len(test_slices)} labelled test slices"
        )
    run = test_run(split_csv)
    first = test_slices.index(run[0])
    predicted = predicted[first : first + len(run)]
    with h5py.File(volume_path, "r") as volume:
        ignored = np.asarray(volume["labels"][run[0] : run[-1] + 1]) == IGNORE_INDEX
    predicted[ignored] = IGNORE_INDEX  # scored over the labels' voxels only, as evaluate does
    rows = measured(predicted, settings, info.class_names, device, "prediction")
    write_csv(compare_tables(read_rows(labels_table), rows), output)


def read_segmentation(path, label_values, max_voxels):
    """The central crop (at most max_voxels) of a prediction set's segmentation.ome.zarr (its
    full-resolution level, which every output layout writes) as class indices, read from the
    chunks that hold it so the whole scan is never in memory; and the scan's shape."""
    level = zarr.open_array(str(path), path="0", mode="r")
    rgb = np.asarray(label_values).ndim == 2
    shape = tuple(level.shape[1:] if rgb else level.shape)
    box = central_crop(shape, max_voxels)
    crop = level[(slice(None), *box)] if rgb else level[box]
    crop = np.moveaxis(crop, 0, -1) if rgb else crop
    return label_classes(crop, label_values, path), shape


def measure_set(segmentation_path, volume_path, settings, output, threads=1, device="cpu"):
    """A prediction set's transport table (measure.COLUMNS) of its segmentation."""
    use_threads(threads, settings)
    info = read_volume_info(volume_path)
    volume, shape = read_segmentation(segmentation_path, info.label_values, settings.max_voxels)
    note = crop_note(shape, central_crop(shape, settings.max_voxels))
    if note:
        log.info("%s: measured on the %s (transport.max_voxels)", segmentation_path, note)
    rows = measure_volume(volume, settings, info.class_names, device)
    for row in rows:
        row["note"] = "; ".join(n for n in (row["note"], note) if n)
    write_csv(rows, output, COLUMNS)
