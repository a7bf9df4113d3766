"""Fit a model's temperature on whole val slices: results/calibration/{model}/calibration.json.

Why here, a job of its own between training and evaluation: the temperature must be fitted on
the same kind of prediction it is applied to, whole slices through the sliding window with the
configured inference settings (flip TTA averages logits and makes them less confident), on
slices no model trained on (val). The training job knows neither those settings nor whole
slices, and fitting it inside evaluate would make every prediction set depend on an evaluation.
As its own job, evaluate and predict both read this small file, and it reruns only when the
model, the val slices or the inference settings change.

Up to `calibration.val_slices` labelled val slices, spread evenly over the block, are predicted;
`calibration.pixels` labelled pixels sampled evenly from them (seeded) fit T by minimising the
NLL (xrayseg.evaluation.calibration.fit_temperature). The file records T, the val NLL and ECE
before and after, the slices and pixels used. A model without probabilities (the threshold
baseline) gets `fitted: false` and the reason.
"""

import json
import logging
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import torch

from xrayseg.data.labelled import labelled_slices_of
from xrayseg.data.split import slices_of
from xrayseg.evaluation.calibration import (
    RELIABILITY_BINS,
    expected_calibration_error,
    fit_temperature,
    top_class_confidence,
)
from xrayseg.evaluation.subset import spread_subset
from xrayseg.inference.predictor import Predictor
from xrayseg.inference.uncertainty import UncertainPredictor, logits_of, softmax
from xrayseg.io.progress import Progress
from xrayseg.io.tables import write_json
from xrayseg.models.checkpoint import load_checkpoint
from xrayseg.models.device import pick_device

log = logging.getLogger(__name__)


def calibrate_model(
    checkpoint_path, volume_path, split_csv, settings, output, threads=1, device="auto"
):
    """Fit and write the temperature of one model.

    settings: xrayseg.settings.evaluate.CalibrateSettings (inference, val_slices, pixels, seed);
    output: the calibration.json path.
    """
    torch.set_num_threads(max(1, int(threads)))
    checkpoint = load_checkpoint(checkpoint_path)
    predictor = Predictor(checkpoint, pick_device(device), settings.inference)
    uncertain = UncertainPredictor(predictor)
    record = {
        "model": checkpoint.header.model_name,
        "arch": checkpoint.header.arch,
        "fitted": False,
        "temperature": None,
        "inference": vars(predictor.settings),
        "device": str(predictor.device),
    }
    if not uncertain.has_probabilities:
        record["reason"] = "hard class decisions (one-hot): no probabilities to calibrate"
        log.info("%s: %s", record["model"], record["reason"])
        write_json(record, output)
        return record
    started = time.perf_counter()
    split_frame = pd.read_csv(split_csv)
    labelled = labelled_slices_of(split_frame, "val", split_csv)
    if not labelled:
        raise ValueError(f"{split_csv}: no labelled val slice to fit the temperature on")
    chosen = spread_subset(labelled, settings.val_slices, settings.seed)
    scores, labels = sample_val_pixels(
        uncertain,
        volume_path,
        chosen,
        slices_of(split_frame, "val"),
        settings.pixels,
        settings.seed,
    )
    logits = logits_of(scores, uncertain.kind).T
    temperature, nll_before, nll_after = fit_temperature(logits, labels)
    before = predictor.probabilities_from(scores)
    after = softmax(logits.T, temperature)
    record.update(
        {
            "fitted": True,
            "temperature": temperature,
            "val_slices": chosen,
            "val_pixels": int(len(labels)),
            "val_nll": {"before": nll_before, "after": nll_after},
            "val_ece": {
                "before": expected_calibration_error(*top_class_confidence(before, labels)),
                "after": expected_calibration_error(*top_class_confidence(after, labels)),
            },
            "reliability_bins": RELIABILITY_BINS,
            "seconds": time.perf_counter() - started,
        }
    )
    log.info(
        "%s: temperature %.4f from %d pixels of %d val slices; val NLL %.4f -> %.4f, "
        "ECE %.4f -> %.4f",
        record["model"],
        temperature,
        len(labels),
        len(chosen),
        nll_before,
        nll_after,
        record["val_ece"]["before"],
        record["val_ece"]["after"],
    )
    write_json(record, output)
    return record


def sample_val_pixels(uncertain, volume_path, slices, block, pixels, seed):
    """(scores (C, N), labels (N,)) of up to `pixels` labelled pixels drawn evenly (seeded) from
    the given slices, each predicted whole (2.5-D neighbours from the val `block`)."""
    rng = np.random.default_rng(seed)
    per_slice = max(1, int(pixels) // len(slices))
    n_classes = uncertain.predictor.n_classes
    all_scores, all_labels = [], []
    progress = Progress("calibrate", len(slices), log.info)
    with h5py.File(volume_path, "r") as volume:
        for z, scores in _val_scores(uncertain, volume["raw"], slices, block):
            scores = scores.reshape(n_classes, -1)
            labels = np.asarray(volume["labels"][z]).ravel()
            usable = np.flatnonzero(labels < n_classes)
            if usable.size > per_slice:
                usable = np.sort(rng.choice(usable, per_slice, replace=False))
            all_scores.append(scores[:, usable])
            all_labels.append(labels[usable].astype(np.int64))
            progress.advance()
    labels = np.concatenate(all_labels)
    if labels.size == 0:
        raise ValueError(f"{volume_path}: the val slices {slices} hold no labelled pixel")
    return np.concatenate(all_scores, axis=1), labels


def _val_scores(uncertain, raw, slices, block):
    """(z, scores) of each of `slices`: predicted slice by slice, or by a 3-D network from its
    slabs of the val block, as evaluate predicts them."""
    predictor = uncertain.predictor
    if predictor.volumetric:
        for z, scores, _ in predictor.block_scores(raw, block, slices):
            yield z, scores
        return
    for z in slices:
        yield z, uncertain.predict(uncertain.slice_input(raw, z, block)).scores


def read_calibration(path):
    """calibration.json of the calibrate job as a dict; None when no path is given."""
    if path is None:
        return None
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: cannot read the calibration ({error})") from error


def fitted_temperature(calibration):
    """The temperature of a calibration record; None when there is none (no record, or a model
    without probabilities)."""
    if not calibration or not calibration.get("fitted"):
        return None
    return float(calibration["temperature"])
