"""Segment a new scan with a trained model: results/predict/{model}/{set}/.

One pass over the scan, one slice (and a 2.5-D model's neighbours) in memory at a time:
  slices/            a label TIFF per input slice, same base names, training label values
  segmentation.tif   the same as one multi-page stack (read back from slices/, slice by slice)
  fractions.csv      per slice its names and class fractions
  volume.csv         microstructure of the whole predicted volume (xrayseg.microstructure.streaming)
  shift.csv          grey-value percentiles of the scan against the train slices' (predict_shift)
  summary.json       the model used (and why), the shift verdict, inference settings, timings
  probabilities.h5   class probabilities, when the set asks for them
Every file appears complete or not at all.
"""

import contextlib
import logging
import math
import time

import h5py
import numpy as np
import pandas as pd
import torch

from xrayseg.data.split import slices_of
from xrayseg.inference.predictor import InferenceSettings, Predictor
from xrayseg.io.atomic import atomic_output
from xrayseg.microstructure.roles import class_roles
from xrayseg.microstructure.streaming import StreamingMicrostructure, metrics_table
from xrayseg.models.checkpoint import load_checkpoint
from xrayseg.models.device import pick_device
from xrayseg.prediction.choose import choose_model
from xrayseg.prediction.files import (
    ProbabilityFile,
    fraction_row,
    label_lookup,
    write_csv,
    write_json,
    write_label_slice,
    write_label_stack,
)
from xrayseg.prediction.scan import NewScan, context_window, output_names
from xrayseg.prediction.shift import (
    DEFAULT_TOLERANCE,
    grey_shift,
    sample_percentiles,
    shift_message,
)

log = logging.getLogger(__name__)

NO_MICROSTRUCTURE = {"roles": {}, "voxel_size": 1.0, "axis": 0}


def train_percentiles(volume_path, split_csv):
    """Normalised grey-value percentiles of the train slices of the ingested volume."""
    train = slices_of(pd.read_csv(split_csv), "train")
    with h5py.File(volume_path, "r") as volume:
        return sample_percentiles(lambda z: volume["raw"][z], train)


def as_list(paths):
    """One path or several as a list of str (Snakemake gives a one-file input as a str)."""
    return [str(paths)] if isinstance(paths, str) else [str(p) for p in paths]


def check_shift(set_name, scan, reference, normalisation, tolerance):
    """shift.csv rows and the verdict; logs a WARNING when the scan is flagged."""
    new = sample_percentiles(lambda z: scan[z], range(len(scan)))
    rows, flagged = grey_shift(reference, new, tolerance, normalisation)
    if flagged:
        log.warning(shift_message(set_name, rows))
    else:
        log.info(
            "grey values match the training data (largest percentile shift %.3f <= %g)",
            max(abs(r["shift"]) for r in rows),
            tolerance,
        )
    return rows, flagged


def predict_set(
    set_name,
    prediction_set,
    requested_model,
    inputs,
    inference,
    microstructure,
    outputs,
    threads=1,
    device="auto",
):
    """Segment one configured prediction set and write its outputs.

    prediction_set: the set's config (raw, shift_tolerance); requested_model: a model name or
    "best"; inputs: checkpoints (list), summaries (list, for best), volume and split (the
    ingested training data, for the shift reference); inference: the config's `evaluate`
    inference settings; microstructure: the config's `microstructure` section; outputs: paths
    slices (folder), stack, fractions, volume, shift, summary and, optionally, probabilities.
    """
    torch.set_num_threads(max(1, int(threads)))
    choice = choose_model(
        requested_model, as_list(inputs["checkpoints"]), as_list(inputs.get("summaries", []))
    )
    if requested_model != choice.name:
        log.info("best model by test mean IoU: %s (%s)", choice.name, choice.candidates)
    checkpoint = load_checkpoint(choice.checkpoint)
    predictor = Predictor(checkpoint, pick_device(device), InferenceSettings.from_config(inference))
    class_names = list(checkpoint["class_names"])
    lookup = label_lookup(checkpoint["label_values"])
    microstructure = {**NO_MICROSTRUCTURE, **(microstructure or {})}
    roles = class_roles(microstructure["roles"], class_names)
    normalisation = checkpoint["normalisation"]
    tolerance = float(prediction_set.get("shift_tolerance", DEFAULT_TOLERANCE))
    context = predictor.context if predictor.spec.kind == "torch" else 0
    with NewScan(prediction_set["raw"], normalisation, 2 * context + 1) as scan:
        log.info(
            "%s: %d slices of %s from %r with %s on %s (%s)",
            set_name,
            len(scan),
            scan.shape,
            prediction_set["raw"],
            choice.name,
            predictor.device,
            predictor.precision or "pixel model",
        )
        reference = train_percentiles(inputs["volume"], inputs["split"])
        shift_rows, flagged = check_shift(set_name, scan, reference, normalisation, tolerance)
        write_csv(shift_rows, outputs["shift"])
        volume = StreamingMicrostructure(
            len(class_names),
            roles,
            microstructure["voxel_size"],
            microstructure["axis"],
            class_names,
        )
        started = time.perf_counter()
        rows = segment_slices(
            scan, predictor, lookup, class_names, volume, outputs, choice.name, context
        )
        seconds = time.perf_counter() - started
    metrics = volume.result()
    write_csv(rows, outputs["fractions"])
    write_csv(metrics_table(metrics), outputs["volume"], ["metric", "phases", "unit", "value"])
    for (metric, phases), value in metrics.items():
        if metric in ("volume_fraction", "connected_fraction"):
            log.info("%s %s: %.4f", metric, phases, value)
    write_json(
        {
            "set": set_name,
            "raw": prediction_set["raw"],
            "requested_model": requested_model,
            "model": choice.name,
            "arch": checkpoint["arch"],
            "context": context,
            # Known for `best` (from the evaluations it depends on); null for a named model.
            "test_mean_iou": choice.test_mean_iou if math.isfinite(choice.test_mean_iou) else None,
            "candidates_test_mean_iou": choice.candidates,
            "n_slices": len(rows),
            "slice_shape": list(volume.shape),
            "class_names": class_names,
            "label_values": np.asarray(checkpoint["label_values"]).tolist(),
            "normalisation": {k: float(v) for k, v in normalisation.items()},
            "grey_shift": {
                "flagged": flagged,
                "tolerance": tolerance,
                "max_abs_shift": max(abs(r["shift"]) for r in shift_rows),
            },
            "microstructure": {**microstructure, "roles": dict(microstructure["roles"])},
            "inference": vars(predictor.settings),
            # The precision the network ran in (fp32 / bf16; None for a pixel model).
            "precision": predictor.precision,
            "seconds": seconds,
            "seconds_per_slice": seconds / len(rows),
        },
        outputs["summary"],
    )


def segment_slices(scan, predictor, lookup, class_names, volume, outputs, model, context):
    """Predict every slice in order; write label slices, the stack and probabilities; feed the
    volume metrics. Returns the fractions.csv rows."""
    names = output_names(scan.source)
    rows = []
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(atomic_output(outputs["slices"]))
        folder.mkdir()
        probabilities = None
        if outputs.get("probabilities"):
            path = stack.enter_context(atomic_output(outputs["probabilities"]))
            probabilities = ProbabilityFile(
                path, scan.names, len(class_names), scan.shape, class_names, lookup, model
            )
            stack.callback(probabilities.close)
        for z in range(len(scan)):
            image = predictor.slice_input(scan, z, context_window(z, context, len(scan)))
            scores = predictor.scores(image)
            classes = np.argmax(scores, axis=0).astype(np.uint8)
            write_label_slice(folder / names[z], lookup[classes])
            volume.add(classes)
            rows.append(fraction_row(z, scan.names[z], names[z], classes, class_names))
            if probabilities is not None:
                probabilities.write(z, predictor.probabilities_from(scores))
            if (z + 1) % 50 == 0:
                log.info("slice %d of %d segmented", z + 1, len(scan))
        with atomic_output(outputs["stack"]) as tmp:
            paths = [folder / name for name in names]
            write_label_stack(tmp, paths, scan.shape + lookup.shape[1:], lookup.dtype)
    return rows
