"""Turn a checkpoint into a predictor of class scores for whole slices.

Every torch network goes through the same sliding-window path (xrayseg.inference) with the same
fast forward (xrayseg.fastforward); pixel classifiers (the baselines) predict whole slices directly.
Models with `context` k > 0 (2.5-D) get slice z and its k neighbours on each side, clamped into
z's own split block (xrayseg.context), as input channels.
"""

from dataclasses import dataclass, fields

import numpy as np
import torch

from xrayseg.context import context_stack
from xrayseg.fastforward import inference_forward
from xrayseg.inference import sliding_window_logits
from xrayseg.models import build_network, spec_for


@dataclass(frozen=True)
class InferenceSettings:
    """How whole slices are predicted (config section `evaluate`, same names)."""

    overlap: float = 0.5
    batch_size: int = 8
    # Window side in pixels; 0 uses the model's training patch size.
    window: int = 0
    flip_tta: bool = False
    bf16: bool = False
    channels_last: bool = False
    sigma_scale: float = 0.125

    @classmethod
    def from_config(cls, section):
        """Settings from a config dict, ignoring keys that are not inference settings."""
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in section.items() if key in names})


class Predictor:
    """Scores (n_classes, H, W) float32 for whole slices of a normalised raw volume."""

    def __init__(self, checkpoint, device="cpu", settings=None):
        self.checkpoint = checkpoint
        self.settings = settings or InferenceSettings()
        self.n_classes = int(checkpoint["n_classes"])
        self.context = int(checkpoint.get("context", 0))
        self.spec = spec_for(checkpoint["arch"])
        self.device = torch.device(device)
        self.forward = None
        if self.spec.kind == "torch":
            network = build_network(
                checkpoint["arch"],
                self.n_classes,
                checkpoint["in_channels"],
                checkpoint["arch_args"],
            )
            network.load_state_dict(checkpoint["state_dict"])
            self.forward = inference_forward(
                network.eval(),
                self.device,
                bf16=self.settings.bf16,
                channels_last=self.settings.channels_last,
                flip_tta=self.settings.flip_tta,
            )

    @property
    def window(self):
        return int(self.settings.window or self.checkpoint["patch_size"])

    def slice_input(self, raw_volume, z, allowed):
        """The (C, H, W) float32 input of slice z: the slice itself, or its context stack."""
        if self.spec.kind == "torch" and self.context > 0:
            return context_stack(raw_volume, z, self.context, allowed)
        return np.asarray(raw_volume[z], dtype=np.float32)[None]

    def scores(self, image):
        """Class scores (n_classes, H, W) float32 of one (C, H, W) input: logits of a network,
        the baseline's own scores for a pixel model. Their argmax is the predicted class."""
        if self.forward is None:
            return np.asarray(
                self.spec.predict_proba(self.checkpoint["params"], image[0], self.n_classes),
                dtype=np.float32,
            )
        tensor = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).to(self.device)
        logits = sliding_window_logits(
            tensor,
            self.forward,
            self.window,
            self.n_classes,
            overlap=self.settings.overlap,
            batch_size=self.settings.batch_size,
            sigma_scale=self.settings.sigma_scale,
        )
        return logits.cpu().numpy()

    def probabilities_from(self, scores):
        """Class probabilities from scores(): softmax of network logits; a pixel model's scores
        are its probabilities already."""
        if self.forward is None:
            return scores
        return torch.softmax(torch.from_numpy(scores), dim=0).numpy()

    def probabilities(self, image):
        """Class probabilities (n_classes, H, W) float32 of one (C, H, W) input."""
        return self.probabilities_from(self.scores(image))

    def classes(self, image):
        """Class index map (H, W) uint8."""
        return np.argmax(self.scores(image), axis=0).astype(np.uint8)
