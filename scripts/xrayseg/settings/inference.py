"""How whole slices are predicted: the `evaluate` settings evaluation and prediction share.

Standard library only, so that rules/common.smk can pass exactly these to prediction.

The defaults equal config/schema.yaml's `evaluate` defaults (tests/unit/settings/test_inference.py
compares them), so code that builds InferenceSettings() predicts as a default run does.
"""

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class InferenceSettings:
    """How whole slices are predicted (config section `evaluate`, same names)."""

    overlap: float = 0.5
    # Windows per forward pass; 0 picks as many as make about a megapixel
    # (xrayseg.inference.predictor.AUTO_BATCH_PIXELS).
    batch_size: int = 0
    # Window side: "slice" (the whole slice in one window), "patch" (the training patch size) or
    # pixels. Networks built for one input size (patch_size among their architecture arguments,
    # like the dense network) always use their patch size.
    window: str | int = "slice"
    flip_tta: bool = False
    # Autocast of the forward passes: auto (bf16 on CUDA cards and CPUs with native bf16, else
    # fp32; xrayseg.models.device.resolve_precision), fp32 or bf16.
    precision: str = "auto"
    channels_last: bool = True
    sigma_scale: float = 0.125

    @classmethod
    def from_config(cls, section):
        """Settings from a config dict, ignoring keys that are not inference settings."""
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in section.items() if key in names})


def inference_settings(section):
    """The inference settings of a config `evaluate` section as a plain dict (every field, the
    section's value or the default): what a prediction job takes, so that only these rerun it."""
    return asdict(InferenceSettings.from_config(section))
