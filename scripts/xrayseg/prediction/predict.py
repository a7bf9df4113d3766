"""Segment a new scan with a trained model: results/predict/{model}/{set}/.

One pass over the scan, one slice (and a 2.5-D model's neighbours) in memory at a time:
  slices/            a label TIFF per input slice, same base names, training label values
  segmentation.tif   the same as one multi-page stack (read back from slices/, slice by slice)
  fractions.csv      per slice its names and class fractions
  volume.csv         microstructure of the whole predicted volume (xrayseg.microstructure.streaming)
  shift.csv          grey-value percentiles of the scan against the train slices' (predict_shift)
  summary.json       the model used (and why), the shift verdict, inference settings, timings
  uncertainty.h5     per-pixel uncertainty of every slice (xrayseg.io.uncertainty)
  probabilities.h5   class probabilities, when the set asks for them
Probabilities and uncertainty use the temperature the calibrate job fitted for the model.
Every file appears complete or not at all.
"""

import logging
import math
import time
from dataclasses import asdict

import h5py
import numpy as np
import pandas as pd
import torch

from xrayseg.data.split import slices_of
from xrayseg.evaluation.calibrate import fitted_temperature, read_calibration
from xrayseg.inference.predictor import Predictor
from xrayseg.inference.uncertainty import UncertainPredictor
from xrayseg.io.tables import write_csv, write_json
from xrayseg.microstructure.roles import class_roles
from xrayseg.microstructure.streaming import StreamingMicrostructure, metrics_table
from xrayseg.models.checkpoint import load_checkpoint
from xrayseg.models.device import pick_device
from xrayseg.prediction.choose import choose_model, model_name_of
from xrayseg.prediction.scan import NewScan
from xrayseg.prediction.segment import segment_slices
from xrayseg.prediction.shift import grey_shift, sample_percentiles, shift_message

log = logging.getLogger(__name__)


def train_percentiles(volume_path, split_csv):
    """Normalised grey-value percentiles of the train slices of the ingested volume."""
    train = slices_of(pd.read_csv(split_csv), "train")
    with h5py.File(volume_path, "r") as volume:
        return sample_percentiles(lambda z: volume["raw"][z], train)


def as_list(paths):
    """One path or several as a list of str (Snakemake gives a one-file input as a str)."""
    return [str(paths)] if isinstance(paths, str) else [str(p) for p in paths]


def check_shift(set_name, scan, inputs, normalisation, tolerance, path):
    """Compare the scan's grey values with the train slices' (inputs volume and split); write
    shift.csv to `path`, log a WARNING when the scan is flagged, return summary.json's verdict."""
    reference = train_percentiles(inputs["volume"], inputs["split"])
    new = sample_percentiles(lambda z: scan[z], range(len(scan)))
    rows, flagged = grey_shift(reference, new, tolerance, normalisation)
    write_csv(rows, path)
    largest = max(abs(r["shift"]) for r in rows)
    if flagged:
        log.warning(shift_message(set_name, rows))
    else:
        log.info(
            "grey values match the training data (largest percentile shift %.3f <= %g)",
            largest,
            tolerance,
        )
    return {"flagged": flagged, "tolerance": tolerance, "max_abs_shift": largest}


def load_model(requested_model, inputs, inference, device):
    """(ModelChoice, Checkpoint, Predictor) of the requested model or the best one."""
    choice = choose_model(
        requested_model, as_list(inputs["checkpoints"]), as_list(inputs.get("summaries", []))
    )
    if requested_model != choice.name:
        log.info("best model by test mean IoU: %s (%s)", choice.name, choice.candidates)
    checkpoint = load_checkpoint(choice.checkpoint)
    predictor = Predictor(checkpoint, pick_device(device), inference)
    return choice, checkpoint, predictor


def predict_set(
    set_name,
    settings,
    requested_model,
    inputs,
    outputs,
    threads=1,
    device="auto",
):
    """Segment one configured prediction set and write its outputs.

    settings: xrayseg.settings.predict.PredictSettings (the set's raw and shift_tolerance, the
    inference and microstructure settings); requested_model: a model name or "best"; inputs:
    checkpoints (list), summaries (list, for best), calibrations (list of calibration.json: the
    chosen model's temperature; optional), volume and split (the ingested training data, for
    the shift reference); outputs: the paths of xrayseg.settings.layout.predict_outputs
    (probabilities optional).
    """
    torch.set_num_threads(max(1, int(threads)))
    choice, checkpoint, predictor = load_model(requested_model, inputs, settings.inference, device)
    calibration = calibration_of(choice.name, as_list(inputs.get("calibrations", [])))
    uncertain = UncertainPredictor(predictor, fitted_temperature(calibration))
    class_names = list(checkpoint.header.class_names)
    microstructure = settings.microstructure
    normalisation = checkpoint.header.normalisation
    tolerance = float(settings.shift_tolerance)
    context = predictor.context
    with NewScan(settings.raw, normalisation, 2 * context + 1) as scan:
        log.info(
            "%s: %d slices of %s from %r with %s on %s (%s)",
            set_name,
            len(scan),
            scan.shape,
            settings.raw,
            choice.name,
            predictor.device,
            predictor.precision or "pixel model",
        )
        shift = check_shift(set_name, scan, inputs, normalisation, tolerance, outputs["shift"])
        volume = StreamingMicrostructure(
            len(class_names),
            class_roles(microstructure.roles, class_names),
            microstructure.voxel_size,
            microstructure.axis,
            class_names,
        )
        started = time.perf_counter()
        rows = segment_slices(scan, uncertain, context, checkpoint, choice.name, volume, outputs)
        seconds = time.perf_counter() - started
    write_volume_tables(rows, volume.result(), outputs)
    summary = set_summary(set_name, settings.raw, requested_model, choice, checkpoint, predictor)
    write_json(
        {
            **summary,
            "context": context,
            "n_slices": len(rows),
            "slice_shape": list(volume.shape),
            "grey_shift": shift,
            "microstructure": asdict(microstructure),
            "inference": vars(predictor.settings),
            # The precision the network ran in (fp32 / bf16; None for a pixel model).
            "precision": predictor.precision,
            # The temperature of the probabilities and uncertainty (null: the model's own).
            "temperature": uncertain.temperature,
            "seconds": seconds,
            "seconds_per_slice": seconds / len(rows),
        },
        outputs["summary"],
    )


def calibration_of(model, paths):
    """The calibration record of `model` among results/calibration/{model}/calibration.json
    paths; None when none is given for it."""
    for path in paths:
        if model_name_of(path) == model:
            return read_calibration(path)
    return None


def write_volume_tables(rows, metrics, outputs):
    """fractions.csv (per slice) and volume.csv (the whole predicted volume's microstructure)."""
    write_csv(rows, outputs["fractions"])
    write_csv(metrics_table(metrics), outputs["volume"], ["metric", "phases", "unit", "value"])
    for (metric, phases), value in metrics.items():
        if metric in ("volume_fraction", "connected_fraction"):
            log.info("%s %s: %.4f", metric, phases, value)


def set_summary(set_name, raw, requested_model, choice, checkpoint, predictor):
    """summary.json's account of the set (its data spec `raw`) and the model that segmented it
    (and why)."""
    return {
        "set": set_name,
        "raw": raw,
        "requested_model": requested_model,
        "model": choice.name,
        "arch": checkpoint.header.arch,
        # Known for `best` (from the evaluations it depends on); null for a named model.
        "test_mean_iou": choice.test_mean_iou if math.isfinite(choice.test_mean_iou) else None,
        "candidates_test_mean_iou": choice.candidates,
        "class_names": list(checkpoint.header.class_names),
        "label_values": np.asarray(checkpoint.header.label_values).tolist(),
        "normalisation": {k: float(v) for k, v in checkpoint.header.normalisation.items()},
        "device": str(predictor.device),
    }
