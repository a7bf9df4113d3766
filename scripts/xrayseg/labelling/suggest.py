"""Which slices of the stack to label next: results/suggest/{model}/.

The candidates are the stack's unlabelled slices (split.csv's `labelled` column; every split
block and the guard slices). Each is predicted whole with the model and its temperature (`best`,
the default: the highest test mean IoU among the models with class probabilities, since a model
of hard decisions, the threshold baseline, has no uncertainty to rank by), and ranked by its
mean uncertainty, spread out along the stack (xrayseg.labelling.ranking). A fully labelled
stack has nothing to label; its guard slices are then ranked instead, marked `guard
(labelled)`, only to show where the model is least sure (they are labelled already, and used
by no split so that no split leaks into another).

  stack.csv        every candidate: rank, kind, slice, name, split, mean uncertainty (and mean
                   flip disagreement with flip TTA), predicted class fractions, suggested, near
  uncertainty.h5   the candidates' uncertainty maps (xrayseg.io.uncertainty)
  next_slices.png  raw / prediction / uncertainty of the top three suggestions
  summary.json     the model and temperature, what the candidates are, and a note saying so
"""

import contextlib
import logging

import h5py
import numpy as np
import pandas as pd
import torch

from xrayseg.data.labelled import unlabelled_slices
from xrayseg.data.split import GUARD
from xrayseg.evaluation.calibrate import fitted_temperature
from xrayseg.inference.predictor import Predictor
from xrayseg.inference.uncertainty import UncertainPredictor
from xrayseg.io.atomic import atomic_output
from xrayseg.io.progress import Progress
from xrayseg.io.tables import write_csv, write_json
from xrayseg.io.uncertainty import UncertaintyFile
from xrayseg.io.volume import read_volume_info
from xrayseg.labelling.ranking import spread_ranking
from xrayseg.labelling.suggestpanel import save_suggestion_panel
from xrayseg.models.checkpoint import load_checkpoint
from xrayseg.models.device import pick_device
from xrayseg.prediction.choose import choose_model, model_name_of
from xrayseg.prediction.model import as_list, calibration_of
from xrayseg.settings.predict import BEST

log = logging.getLogger(__name__)

UNLABELLED, GUARD_LABELLED = "unlabelled", "guard (labelled)"
PANEL_SLICES = 3


def candidate_slices(split_frame, source="split.csv"):
    """(slices, kind, note): the unlabelled slices, else the guard slices, else none."""
    unlabelled = unlabelled_slices(split_frame, source)
    if unlabelled:
        return unlabelled, UNLABELLED, f"{len(unlabelled)} unlabelled slices of the stack"
    guards = sorted(int(z) for z in split_frame.loc[split_frame["split"] == GUARD, "slice"])
    note = (
        "every slice of the stack is labelled, so there is nothing left to label; the guard "
        "slices (labelled, but used by no split) are ranked instead, only to show where the "
        "model is least sure"
    )
    if not guards:
        note = "every slice of the stack is labelled and there are no guard slices: no candidate"
    return guards, GUARD_LABELLED, note


def context_blocks(split_frame):
    """{slice: the run of consecutive slices of its split (its 2.5-D neighbours' block)}."""
    frame = split_frame.sort_values("slice")
    blocks, run = {}, []
    previous = None
    for z, split in zip(frame["slice"], frame["split"], strict=True):
        if split != previous and run:
            blocks.update({s: run for s in run})
            run = []
        run.append(int(z))
        previous = split
    blocks.update({s: run for s in run})
    return blocks


def choose_suggesting_model(requested, checkpoints, summaries):
    """(ModelChoice, Checkpoint): the requested model, or for `best` the best-scoring model
    whose checkpoint gives class probabilities (all models when none does)."""
    checkpoints, summaries = as_list(checkpoints), as_list(summaries)
    if requested != BEST:
        choice = choose_model(requested, checkpoints, summaries)
        return choice, load_checkpoint(choice.checkpoint)
    loaded = {model_name_of(path): load_checkpoint(path) for path in checkpoints}
    uncertain = {name for name, c in loaded.items() if c.header.architecture.probabilities}
    if uncertain:
        checkpoints = [p for p in checkpoints if model_name_of(p) in uncertain]
        summaries = [p for p in summaries if model_name_of(p) in uncertain]
    choice = choose_model(BEST, checkpoints, summaries)
    return choice, loaded[choice.name]


def suggest_slices(requested_model, inputs, settings, outputs, threads=1, device="auto"):
    """Rank the stack's candidate slices and write outputs ranking (stack.csv), uncertainty,
    panel and summary (xrayseg.settings.layout.suggest_outputs).

    inputs: checkpoints, summaries (for best), calibrations, volume, split; settings:
    xrayseg.settings.labelling.SuggestSettings (inference, min_distance in slices).
    """
    torch.set_num_threads(max(1, int(threads)))
    choice, checkpoint = choose_suggesting_model(
        requested_model, inputs["checkpoints"], inputs.get("summaries", [])
    )
    predictor = Predictor(checkpoint, pick_device(device), settings.inference)
    calibration = calibration_of(choice.name, as_list(inputs.get("calibrations", [])))
    uncertain = UncertainPredictor(predictor, fitted_temperature(calibration))
    split_frame = pd.read_csv(inputs["split"])
    slices, kind, note = candidate_slices(split_frame, inputs["split"])
    log.info("%s: %s", choice.name, note)
    if not uncertain.has_probabilities:
        note += f"; {choice.name} makes hard decisions, so it has no uncertainty to rank by"
        log.warning(
            "%s gives no probabilities: every slice's uncertainty is undefined", choice.name
        )
    info = read_volume_info(inputs["volume"])
    names = split_frame.set_index("slice")["name"]
    splits = split_frame.set_index("slice")["split"]
    blocks = context_blocks(split_frame)
    rows = []
    with h5py.File(inputs["volume"], "r") as volume, contextlib.ExitStack() as stack:
        path = stack.enter_context(atomic_output(outputs["uncertainty"]))
        maps = UncertaintyFile(
            path,
            slices,
            [names[z] for z in slices],
            volume["raw"].shape[1:],
            uncertain.map_names,
            choice.name,
            uncertain.temperature,
            uncertain.has_probabilities,
        )
        stack.callback(maps.close)
        progress = Progress("suggest", len(slices), log.info)
        for z in slices:
            prediction = uncertain.predict_slice(volume["raw"], z, blocks[z])
            maps.write(z, prediction.maps)
            rows.append(candidate_row(z, names[z], splits[z], kind, prediction, info.class_names))
            progress.advance()
        ranking = spread_ranking(candidate_frame(rows), settings.min_distance)
        top = ranking.loc[ranking["suggested"], "slice"].head(PANEL_SLICES).astype(int).tolist()
        panel_slices = {z: panel_row(uncertain, volume, z, blocks[z]) for z in top}
    with atomic_output(outputs["panel"]) as tmp:
        save_suggestion_panel(tmp, panel_slices, info.class_names, choice.name, kind)
    write_csv(ranking, outputs["ranking"])
    suggested = ranking.loc[ranking["suggested"], "slice"].astype(int).tolist()
    write_json(
        {
            "requested_model": requested_model,
            "model": choice.name,
            # For best: the test mean IoU of every model it chose among (those with
            # probabilities).
            "candidates_test_mean_iou": choice.candidates,
            "temperature": uncertain.temperature,
            "has_uncertainty": uncertain.has_probabilities,
            "kind": kind,
            "candidates": len(slices),
            "suggested": suggested,
            "min_distance": settings.min_distance,
            "note": note,
        },
        outputs["summary"],
    )
    log.info("suggested slices, most uncertain first: %s", suggested)


def candidate_row(z, name, split, kind, prediction, class_names):
    """stack.csv's row of one predicted candidate slice."""
    row = {"source": "stack", "kind": kind, "slice": int(z), "name": str(name), "split": split}
    for map_name, values in prediction.maps.items():
        row[f"mean_{map_name}"] = _mean(values)
    counts = np.bincount(prediction.classes.ravel(), minlength=len(class_names))
    for cls, count in zip(class_names, counts[: len(class_names)], strict=True):
        row[f"fraction_{cls}"] = float(count / prediction.classes.size)
    return row


def candidate_frame(rows):
    columns = ["source", "kind", "slice", "name", "split", "mean_uncertainty"]
    return pd.DataFrame(rows, columns=None if rows else columns)


def panel_row(uncertain, volume, z, block):
    """(raw, classes, uncertainty) of slice z for the panel (predicted once more: the top
    suggestions are known only once every candidate has been ranked)."""
    prediction = uncertain.predict_slice(volume["raw"], z, block)
    return np.asarray(volume["raw"][z]), prediction.classes, prediction.maps["uncertainty"]


def _mean(values):
    values = np.asarray(values, dtype=np.float32)
    defined = np.isfinite(values)
    return float(values[defined].mean()) if defined.any() else float("nan")
