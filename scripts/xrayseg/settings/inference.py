"""How whole slices are predicted: the `evaluate` settings every predicting stage shares.

Calibration, evaluation, prediction and the suggestions use them (standard library, jsonschema and
yaml only).

Each of those stages' settings holds one InferenceSettings, so only these settings rerun a
prediction when changed. The field defaults are config/schema.yaml's, read once, so that code
that builds InferenceSettings() without a config (tests, benchmarks) predicts as a default run
does; a Snakemake run takes every value from the checked config.
"""

from dataclasses import dataclass

from xrayseg.settings.schema import section_defaults
from xrayseg.settings.stage import StageSettings

_DEFAULTS = section_defaults("evaluate")


@dataclass(frozen=True)
class InferenceSettings(StageSettings):
    """How whole slices are predicted (config section `evaluate`, same names)."""

    overlap: float = _DEFAULTS["overlap"]
    # Windows per forward pass; 0 picks as many as make about a megapixel
    # (xrayseg.inference.predictor.AUTO_BATCH_PIXELS).
    batch_size: int = _DEFAULTS["batch_size"]
    # Window side: "auto" (the whole slice up to a side set by the network's width, windows of
    # that side beyond: xrayseg.inference.predictor.AUTO_ACTIVATIONS), "slice"
    # (the whole slice in one window), "patch" (the training patch size) or pixels. Networks
    # built for one input size (patch_size among their architecture arguments, like the dense
    # network) always use their patch size.
    window: str | int = _DEFAULTS["window"]
    flip_tta: bool = _DEFAULTS["flip_tta"]
    # Autocast of the forward passes: auto (bf16 on CUDA cards and CPUs with native bf16, else
    # fp32; xrayseg.models.device.resolve_precision), fp32 or bf16.
    precision: str = _DEFAULTS["precision"]
    channels_last: bool = _DEFAULTS["channels_last"]
    sigma_scale: float = _DEFAULTS["sigma_scale"]

    @classmethod
    def from_config(cls, config):
        """The inference settings of a checked config (its `evaluate` section)."""
        return cls.from_section(config["evaluate"])

    @classmethod
    def from_section(cls, section):
        """The inference settings among a mapping's keys (the `evaluate` section, or the
        `inference` record of a summary.json); the other keys are not inference settings."""
        return cls(**{name: section[name] for name in cls.field_names()})
