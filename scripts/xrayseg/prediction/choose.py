"""Which trained model segments a prediction set: a named one, or `best`.

`best` is the model with the highest pooled test mean IoU in results/eval/{model}/summary.json
(splits.test.mean_iou). Ties go to the model listed first (rules/common.smk lists the configured
models in name order: xrayseg.settings.config sorts the config's keys); a NaN or missing
score never wins.
"""

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from xrayseg.settings.predict import BEST


@dataclass(frozen=True)
class ModelChoice:
    """The chosen model, its checkpoint and the test mean IoU of every candidate."""

    name: str
    checkpoint: str
    test_mean_iou: float
    candidates: dict = field(default_factory=dict)


def model_name_of(path):
    """The model a results/models/{model}/model.pt or results/eval/{model}/summary.json is of."""
    return Path(path).parent.name


def read_test_mean_iou(summary_path):
    """splits.test.mean_iou of an evaluation summary; a clear error when it is missing."""
    summary = json.loads(Path(summary_path).read_text())
    try:
        return float(summary["splits"]["test"]["mean_iou"])
    except (KeyError, TypeError) as error:
        raise ValueError(f"{summary_path} holds no splits.test.mean_iou") from error


def best_model(scores):
    """The name with the highest finite score in {name: score}, the first one on a tie."""
    finite = {name: score for name, score in scores.items() if math.isfinite(score)}
    if not finite:
        raise ValueError(f"no model has a finite test mean IoU to choose the best by: {scores}")
    top = max(finite.values())
    return next(name for name, score in finite.items() if score == top)


def choose_model(requested, checkpoints, summaries=()):
    """A ModelChoice for `requested` (a model name or BEST).

    checkpoints: paths results/models/{model}/model.pt in the configured order; summaries:
    the matching results/eval/{model}/summary.json (needed for BEST, optional otherwise).
    """
    paths = {model_name_of(p): str(p) for p in checkpoints}
    scores = {model_name_of(p): read_test_mean_iou(p) for p in summaries}
    name = best_model(scores) if requested == BEST else requested
    if name not in paths:
        raise ValueError(f"no checkpoint of model {name!r} among {list(paths)}")
    return ModelChoice(name, paths[name], scores.get(name, float("nan")), scores)
