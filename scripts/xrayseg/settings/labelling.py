"""The config's `suggest` and `learning_curve` sections, checked, and the targets they add.

Checked before any job, with the suggest stage's settings (no numpy or torch: rules/common.smk
imports this at every start-up).

suggest: {model: best | a model, min_distance: slices}
learning_curve: {model: null | a model, slices: [n, ...], seed: int}
"""

from dataclasses import dataclass

from xrayseg.settings.inference import InferenceSettings
from xrayseg.settings.predict import BEST
from xrayseg.settings.stage import StageSettings


@dataclass(frozen=True)
class SuggestSettings(StageSettings):
    """How suggest ranks the stack's slices: predicted with the `evaluate` inference settings,
    spread at least suggest.min_distance slices apart."""

    inference: InferenceSettings
    min_distance: int

    @classmethod
    def from_config(cls, config):
        return cls(InferenceSettings.from_config(config), config["suggest"]["min_distance"])


def labelling_problems(config):
    """(config key, problem) pairs for the suggest and learning_curve sections."""
    models = list(config["models"])
    problems = []
    model = config["suggest"]["model"]
    if model != BEST and model not in models:
        problems.append(
            (
                "suggest.model",
                f"{model!r} is not a configured model; use {BEST!r} or one of {models}",
            )
        )
    model = config["learning_curve"]["model"]
    if model is not None and model not in models:
        problems.append(
            (
                "learning_curve.model",
                f"{model!r} is not a configured model; use null (no curve) or one of {models}",
            )
        )
    return problems


def learning_curve_model(config):
    """The model of the learning curve; None when it is off."""
    return config["learning_curve"]["model"]


def learning_curve_points(config):
    """The configured numbers of labelled train slices, sorted."""
    return sorted(int(n) for n in config["learning_curve"]["slices"])
