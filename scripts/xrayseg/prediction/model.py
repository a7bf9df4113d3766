"""The model a prediction job uses: the requested or best one, its predictor and temperature."""

import logging

from xrayseg.evaluation.calibrate import read_calibration
from xrayseg.inference.predictor import Predictor
from xrayseg.models.checkpoint import load_checkpoint
from xrayseg.models.device import pick_device
from xrayseg.prediction.choose import choose_model, model_name_of

log = logging.getLogger(__name__)


def as_list(paths):
    """One path or several as a list of str (Snakemake gives a one-file input as a str)."""
    return [str(paths)] if isinstance(paths, str) else [str(p) for p in paths]


def chosen_model(requested_model, inputs):
    """The ModelChoice of the requested model or the best one (inputs: checkpoints, and the
    evaluation summaries for best)."""
    choice = choose_model(
        requested_model, as_list(inputs["checkpoints"]), as_list(inputs.get("summaries", []))
    )
    if requested_model != choice.name:
        log.info("best model by test mean IoU: %s (%s)", choice.name, choice.candidates)
    return choice


def load_model(requested_model, inputs, inference, device):
    """(ModelChoice, Checkpoint, Predictor) of the requested model or the best one."""
    choice = chosen_model(requested_model, inputs)
    checkpoint = load_checkpoint(choice.checkpoint)
    predictor = Predictor(checkpoint, pick_device(device), inference)
    return choice, checkpoint, predictor


def calibration_of(model, paths):
    """The calibration record of `model` among results/calibration/{model}/calibration.json
    paths; None when none is given for it."""
    for path in as_list(paths):
        if model_name_of(path) == model:
            return read_calibration(path)
    return None
