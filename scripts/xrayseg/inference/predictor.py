"""Turn a checkpoint into a predictor of class scores for whole slices.

Every torch network goes through the same sliding-window path (inference.sliding_window) with
the same fast forward (inference.fastforward); pixel classifiers (the baselines) predict whole
slices directly.
Models with `context` k > 0 (2.5-D) get slice z and its k neighbours on each side, clamped into
z's own split block (xrayseg.data.context), as input channels.
"""

import numpy as np
import torch

from xrayseg.data.context import context_stack
from xrayseg.inference.fastforward import inference_forward
from xrayseg.inference.sliding_window import (
    FLIP_VARIANTS,
    flip_averaged,
    flipped,
    sliding_window_logits,
    window_shape,
)
from xrayseg.models import build_network, spec_for
from xrayseg.models.device import resolve_precision
from xrayseg.settings.inference import InferenceSettings

# Pixels per forward pass when batch_size is 0 (auto): 16 windows of 256 px, 256 of 64 px. Fewer,
# larger forward passes cut the per-op overhead that dominates small windows on a CPU.
AUTO_BATCH_PIXELS = 2**20


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
        # The precision used (fp32 or bf16); a pixel model always predicts in its own way.
        self.precision = None
        if self.spec.kind == "torch":
            self.precision = resolve_precision(
                self.settings.precision, self.device, fp16=False, key="evaluate.precision"
            )
            network = build_network(
                checkpoint["arch"],
                self.n_classes,
                checkpoint["in_channels"],
                checkpoint["arch_args"],
            )
            network.load_state_dict(checkpoint["state_dict"])
            # One forward pass per batch; flip TTA averages it over the flips (scores) or keeps
            # each flip's logits apart (scores_per_flip, for their disagreement).
            self.single_forward = inference_forward(
                network.eval(),
                self.device,
                bf16=self.precision == "bf16",
                channels_last=self.settings.channels_last,
            )
            self.forward = self.single_forward
            if self.settings.flip_tta:
                self.forward = flip_averaged(self.single_forward)

    def window_for(self, height, width):
        """Window (rows, cols) in px used on a (height, width) image; None for pixel models.

        slice: the image in one window, each side rounded up to a size every pooling level
        divides (rectangular for the y- and x-planes of a block, which are as tall as the block
        is deep); patch (and networks built for one input size): the training patch; pixels: a
        square of that side.
        """
        if self.forward is None:
            return None
        patch = int(self.checkpoint["patch_size"])
        setting = self.settings.window
        if setting == "patch" or "patch_size" in self.spec.arch_keys:
            return patch, patch
        if setting == "slice":
            # The patch size's largest power-of-two factor: a size every pooling level divides.
            multiple = patch & -patch
            return tuple(-(-side // multiple) * multiple for side in (height, width))
        return int(setting), int(setting)

    def batch_for(self, window):
        """Windows per forward pass for a window side or (rows, cols)."""
        rows, cols = window_shape(window)
        return self.settings.batch_size or max(1, AUTO_BATCH_PIXELS // (rows * cols))

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
        return self.stitched(image, self.forward)

    def scores_per_flip(self, image):
        """Logits (4, n_classes, H, W) of a network under each flip of FLIP_VARIANTS, each
        stitched on its own; their mean equals scores() with flip TTA (stitching is linear)."""
        if self.forward is None:
            raise ValueError(f"{self.checkpoint['arch']} is a pixel model; it has no flips")
        return np.stack(
            [self.stitched(image, flipped(self.single_forward, dims)) for dims in FLIP_VARIANTS]
        )

    def stitched(self, image, forward):
        """Sliding-window logits of one (C, H, W) input through `forward`."""
        window = self.window_for(*image.shape[-2:])
        return sliding_window_logits(
            image,
            forward,
            window,
            self.n_classes,
            overlap=self.settings.overlap,
            batch_size=self.batch_for(window),
            sigma_scale=self.settings.sigma_scale,
            device=self.device,
        )

    def probabilities_from(self, scores):
        """Class probabilities from scores(): softmax of network logits; a pixel model's scores
        are its probabilities already."""
        if self.forward is None:
            return scores
        exp = np.exp(scores - scores.max(axis=0, keepdims=True))
        return exp / exp.sum(axis=0, keepdims=True)

    def probabilities(self, image):
        """Class probabilities (n_classes, H, W) float32 of one (C, H, W) input."""
        return self.probabilities_from(self.scores(image))

    def classes(self, image):
        """Class index map (H, W) uint8."""
        return np.argmax(self.scores(image), axis=0).astype(np.uint8)
