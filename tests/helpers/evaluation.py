"""What evaluate_model takes in the unit tests: settings for a small CPU run, and its output paths
(xrayseg.settings.layout, as the rules have them)."""

from pathlib import Path

from xrayseg.settings.evaluate import EvaluateSettings
from xrayseg.settings.layout import evaluate_outputs
from xrayseg.settings.schema import section_defaults

# Patch windows in fp32 without channels-last: small and exact on any CPU; few resamples.
SMALL_CPU = {
    "window": "patch",
    "batch_size": 4,
    "precision": "fp32",
    "channels_last": False,
    "bootstrap_resamples": 50,
}


def evaluate_settings(microstructure=None, cleanup=None, **evaluate):
    """EvaluateSettings of the schema's defaults with SMALL_CPU and then `evaluate` (keys of the
    config's evaluate section) over them; microstructure: keys of that section over the
    schema's defaults, which here have no roles (no TPB); cleanup: keys of that section over
    the schema's defaults."""
    config = {
        "evaluate": {**section_defaults("evaluate"), **SMALL_CPU, **evaluate},
        "microstructure": {
            **section_defaults("microstructure"),
            "roles": {},
            **(microstructure or {}),
        },
        "cleanup": {**section_defaults("cleanup"), **(cleanup or {})},
    }
    return EvaluateSettings.from_config(config)


def evaluation_outputs(folder, uncertainty=False, probabilities=False):
    """evaluate_model's outputs in `folder` as Paths, the optional ones as asked."""
    outputs = evaluate_outputs(folder, uncertainty=uncertainty, probabilities=probabilities)
    return {key: Path(path) for key, path in outputs.items()}
