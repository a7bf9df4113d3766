"""The pass over a new scan: predict each slice, write it, count it.

One slice (and a 2.5-D model's neighbours) in memory at a time, or for a volumetric model one
slab of slices (xrayseg.inference.volume: the scan is one block, predicted slab by slab); the
label slices, the stack, the uncertainty maps and the class probabilities appear complete or not
at all.
"""

import contextlib
import logging

import numpy as np
import tifffile

from xrayseg.io.atomic import atomic_output
from xrayseg.io.labelfiles import label_lookup, write_label_slice, write_label_stack
from xrayseg.io.probabilities import ProbabilityFile
from xrayseg.io.progress import Progress
from xrayseg.io.uncertainty import UncertaintyFile
from xrayseg.prediction.scan import context_window, output_names

log = logging.getLogger(__name__)


def fraction_row(z, name, output, classes, class_names):
    """fractions.csv row of one slice: its index, input and output names, class fractions."""
    counts = np.bincount(classes.ravel(), minlength=len(class_names))[: len(class_names)]
    row = {"slice": z, "name": name, "file": output}
    for cls, count in zip(class_names, counts, strict=True):
        row[f"fraction_{cls}"] = float(count / classes.size)
    return row


def segment_slices(scan, uncertain, context, checkpoint, model, volume, outputs):
    """Predict every slice in order with `uncertain` (an UncertainPredictor; a 2.5-D model with
    `context` neighbours each side; a volumetric model's context comes from anywhere in the
    scan, which is one block); write label slices, the stack and (when outputs names them)
    the uncertainty maps and the class probabilities; feed `volume` (a StreamingMicrostructure).
    Returns the fractions.csv rows."""
    class_names = list(checkpoint.header.class_names)
    lookup = label_lookup(checkpoint.header.label_values)
    names = output_names(scan.source)
    rows = []
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(atomic_output(outputs["slices"]))
        folder.mkdir()
        uncertainty = None
        if outputs.get("uncertainty"):
            path = stack.enter_context(atomic_output(outputs["uncertainty"]))
            uncertainty = UncertaintyFile(
                path,
                range(len(scan)),
                scan.names,
                scan.shape,
                uncertain.map_names,
                model,
                uncertain.temperature,
                uncertain.has_probabilities,
            )
            stack.callback(uncertainty.close)
        probabilities = None
        if outputs.get("probabilities"):
            path = stack.enter_context(atomic_output(outputs["probabilities"]))
            probabilities = ProbabilityFile(
                path,
                range(len(scan)),
                scan.names,
                scan.shape,
                class_names,
                checkpoint.header.label_values,
                model,
                uncertain.temperature,
            )
            stack.callback(probabilities.close)
        progress = Progress("predict", len(scan), log.info)
        for z, prediction in scan_predictions(scan, uncertain, context):
            classes = prediction.classes
            write_label_slice(folder / names[z], lookup[classes])
            volume.add(classes)
            rows.append(fraction_row(z, scan.names[z], names[z], classes, class_names))
            if uncertainty is not None:
                uncertainty.write(z, prediction.maps)
            if probabilities is not None:
                probabilities.write(z, prediction.probabilities)
            progress.advance()
        # Read back slice by slice, so the stack never sits in memory whole.
        write_label_stack(
            outputs["stack"],
            (tifffile.imread(folder / name) for name in names),
            (len(names), *scan.shape, *lookup.shape[1:]),
            lookup.dtype,
        )
    return rows


def scan_predictions(scan, uncertain, context):
    """(z, SlicePrediction) of every slice of the scan in order: slice by slice, or for a
    volumetric network from its slabs (their probabilities then carry the uncertainty)."""
    predictor = uncertain.predictor
    if predictor.volumetric:
        whole_scan = range(len(scan))
        for z, scores, _ in predictor.block_scores(scan, whole_scan, whole_scan):
            yield z, uncertain.from_probabilities(predictor.probabilities_from(scores))
        return
    for z in range(len(scan)):
        image = uncertain.slice_input(scan, z, context_window(z, context, len(scan)))
        yield z, uncertain.predict(image)
