"""The config's `predict` section, checked before any job, and a prediction job's settings.

rules/common.smk imports this module at every start-up, so it must stay free of numpy and torch.

predict: {set name: {raw: spec, model: best | a model, save_probabilities: bool,
                     shift_tolerance: number}}
"""

from dataclasses import dataclass

from xrayseg.settings.inference import InferenceSettings
from xrayseg.settings.roles import MicrostructureSettings
from xrayseg.settings.specs import spec_files
from xrayseg.settings.stage import StageSettings

# The model name that stands for "the highest test mean IoU of the last evaluation".
BEST = "best"


def predict_problems(predict, models):
    """(config key, problem) pairs for the `predict` section; empty when it is usable."""
    problems = []
    if BEST in models:
        problems.append(
            (
                f"models.{BEST}",
                f"{BEST!r} is reserved for the best-scoring model in results/predict/{BEST}/; "
                "rename the model",
            )
        )
    for name, settings in (predict or {}).items():
        model = settings.get("model", BEST)
        if model != BEST and model not in models:
            problems.append(
                (
                    f"predict.{name}.model",
                    f"{model!r} is not a configured model; use {BEST!r} or one of {list(models)}",
                )
            )
        raw = settings.get("raw")
        if not raw:
            problems.append((f"predict.{name}.raw", "a folder, glob, TIFF stack or file.h5:/path"))
        elif not spec_files(raw):
            problems.append(
                (
                    f"predict.{name}.raw",
                    f"no files match {raw!r}; check the path (relative to the working directory)",
                )
            )
    return problems


def set_model(settings):
    """The model rule all predicts a set with: its `model`, or the best one."""
    return settings.get("model", BEST)


@dataclass(frozen=True)
class PredictSettings(StageSettings):
    """What a prediction job segments and how: the set's settings that change what its job
    writes (its `model` picks the job and save_probabilities its outputs, so neither is here),
    the `evaluate` inference settings and the `microstructure` section."""

    raw: str  # the scan's data spec
    shift_tolerance: float  # grey-value shift beyond which the scan is flagged
    inference: InferenceSettings
    microstructure: MicrostructureSettings

    @classmethod
    def from_config(cls, config, set_name):
        prediction_set = config["predict"][set_name]
        return cls(
            raw=prediction_set["raw"],
            shift_tolerance=prediction_set["shift_tolerance"],
            inference=InferenceSettings.from_config(config),
            microstructure=MicrostructureSettings.from_config(config),
        )
