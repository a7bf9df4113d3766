"""Turn a checkpoint into a predictor of class scores for whole slices.

Every torch network goes through the same sliding-window path (inference.sliding_window) with
the same fast forward (inference.fastforward); pixel classifiers (the baselines) predict whole
slices directly.
Models with `context` k > 0 (2.5-D) get slice z and its k neighbours on each side, clamped into
z's own split block (xrayseg.data.context), as input channels.
A volumetric (3-D) network predicts a split block as a volume, slab by slab (inference.volume),
through 3-D windows of its training patch depth. Predictor.block_scores is the one way callers
(evaluation, prediction) get the scores of a block's slices, whichever kind the model is.
"""

import time

import numpy as np
import torch

from xrayseg.data.context import context_stack
from xrayseg.inference.fastforward import inference_forward
from xrayseg.inference.sliding_window import (
    FLIP_VARIANTS,
    flip_averaged,
    flipped,
    sliding_window_logits,
)
from xrayseg.inference.volume import block_volume_scores
from xrayseg.models import build_network, spec_for
from xrayseg.models.device import resolve_precision
from xrayseg.settings.architectures import PIXEL
from xrayseg.settings.inference import InferenceSettings

# Pixels per forward pass when batch_size is 0 (auto): 16 windows of 256 px, 256 of 64 px. Fewer,
# larger forward passes cut the per-op overhead that dominates small windows on a CPU.
AUTO_BATCH_PIXELS = 2**20
# window auto: the image goes through whole (as `slice`) while a window's first-level activations
# (pixels x the network's width, x the window depth of a 3-D network) stay within this many
# values; a longer side goes in windows of the largest power-of-two side that does. Measured on a
# 2048 x 2048 slice, 2 threads, the default 2.5-D UNet (width 8): whole 2.2 s and 660 MB above
# the process, 1024 px windows 6.2 s and 290 MB, 512 px windows 9.9 s and 310 MB (overlap 0.5),
# so the default UNet predicts slices up to 2048 px whole and the paper UNet (width 32) up to
# 1024 px; the memory of a forward pass then stops growing with the slice.
AUTO_ACTIVATIONS = 8 * 2048 * 2048


class Predictor:
    """Scores (n_classes, H, W) float32 for whole slices of a normalised raw volume, from a
    xrayseg.models.checkpoint.Checkpoint."""

    def __init__(self, checkpoint, device="cpu", settings=None):
        self.checkpoint = checkpoint
        self.header = header = checkpoint.header
        self.settings = settings or InferenceSettings()
        self.n_classes = header.n_classes
        self.context = header.context
        # The catalogue's facts (kind, dimensions, probabilities) and the code of the model.
        self.architecture = header.architecture
        self.spec = spec_for(header.arch)
        self.device = torch.device(device)
        self.forward = None
        self.pixel_model = None
        # The precision used (fp32 or bf16); a pixel model always predicts in its own way.
        self.precision = None
        if self.architecture.kind == PIXEL:
            unpack = self.spec.unpack or (lambda params: params)
            self.pixel_model = unpack(checkpoint.payload)
        else:
            self.precision = resolve_precision(
                self.settings.precision, self.device, fp16=False, key="evaluate.precision"
            )
            network = build_network(
                header.arch, self.n_classes, header.in_channels, header.arch_args
            )
            network.load_state_dict(checkpoint.payload)
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
        is deep); auto: as slice along each side up to auto_side() px, windows of that side
        along a longer one; patch (and networks built for one input size): the training patch;
        pixels: a square of that side.
        """
        if self.forward is None:
            return None
        patch = self.header.patch_size
        setting = self.settings.window
        if setting == "patch" or self.architecture.fixed_input_size:
            return patch, patch
        # The patch size's largest power-of-two factor: a size every pooling level divides.
        multiple = patch & -patch
        if setting in ("slice", "auto"):
            whole = tuple(-(-side // multiple) * multiple for side in (height, width))
            if setting == "slice":
                return whole
            largest = self.auto_side()
            return tuple(min(side, largest) for side in whole)
        return int(setting), int(setting)

    def auto_side(self):
        """The longest window side `auto` uses: the largest power of two whose square window
        keeps the first level's activations within AUTO_ACTIVATIONS (at least the patch)."""
        width = int(self.header.arch_args.get("width", 8))
        depth = self.header.patch_depth if self.volumetric else 1
        side = self.header.patch_size
        while (2 * side) ** 2 * width * depth <= AUTO_ACTIVATIONS:
            side *= 2
        return side

    @property
    def volumetric(self):
        """A volumetric network, which predicts blocks of slices as volumes."""
        return self.architecture.volumetric

    def window_shape(self, height, width):
        """The window on (height, width) slices: (rows, cols) (window_for), or for a volumetric
        network (patch depth, rows, cols); None for pixel models."""
        window = self.window_for(height, width)
        if window is None or not self.volumetric:
            return window
        return (self.header.patch_depth, *window)

    def batch_for(self, window):
        """Windows per forward pass (window: a side, (rows, cols), or a volumetric window's
        shape)."""
        voxels = window**2 if isinstance(window, int) else int(np.prod(window))
        return self.settings.batch_size or max(1, AUTO_BATCH_PIXELS // voxels)

    def slice_input(self, raw_volume, z, allowed):
        """The (C, H, W) float32 input of slice z: the slice itself, or its context stack."""
        if self.context > 0:
            return context_stack(raw_volume, z, self.context, allowed)
        return np.asarray(raw_volume[z], dtype=np.float32)[None]

    def scores(self, image):
        """Class scores (n_classes, H, W) float32 of one (C, H, W) input: logits of a network,
        the baseline's own scores for a pixel model. Their argmax is the predicted class.
        A volumetric network takes a (C, D, H, W) block and gives (n_classes, D, H, W)."""
        if self.forward is None:
            return np.asarray(
                self.spec.predict_proba(self.pixel_model, image[0], self.n_classes),
                dtype=np.float32,
            )
        return self.stitched(image, self.forward)

    def scores_per_flip(self, image):
        """Logits (4, n_classes, H, W) of a network under each flip of FLIP_VARIANTS, each
        stitched on its own; their mean equals scores() with flip TTA (stitching is linear)."""
        if self.forward is None:
            raise ValueError(f"{self.header.arch} is a pixel model; it has no flips")
        return np.stack(
            [self.stitched(image, flipped(self.single_forward, dims)) for dims in FLIP_VARIANTS]
        )

    def stitched(self, image, forward):
        """Sliding-window logits of one (C, H, W) input through `forward`."""
        window = self.window_shape(*image.shape[-2:])
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

    def block_scores(self, raw, block, wanted):
        """Yield (z, scores (n_classes, H, W), seconds) for each slice z of `wanted`, in order.

        raw: the normalised slices, indexable by z (an HDF5 dataset, a NewScan); block: the
        slice indices of the split block the wanted slices lie in (a new scan is one block),
        the only slices a prediction may look at; seconds: prediction time of the slice (a
        volumetric network's slab time shared by the slab's slices).
        Slice models predict slice by slice (with a 2.5-D model's neighbours from the block);
        a volumetric network predicts the block as a volume, slab by slab (inference.volume).
        """
        if self.volumetric:
            block = sorted(block)
            if block != list(range(block[0], block[-1] + 1)):
                raise ValueError("a volumetric model predicts contiguous blocks of slices")
            depth = self.header.patch_depth
            yield from block_volume_scores(
                self.scores, raw, (block[0], block[-1] + 1), wanted, depth
            )
            return
        for z in wanted:
            image = self.slice_input(raw, z, block)
            started = time.perf_counter()
            scores = self.scores(image)
            yield z, scores, time.perf_counter() - started

    def probabilities_from(self, scores):
        """Class probabilities from scores(): softmax of network logits over the class axis (the
        first); a pixel model's scores are its probabilities already."""
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
