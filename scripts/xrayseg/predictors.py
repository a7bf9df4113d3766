"""Turn a checkpoint into a predictor of class probabilities for whole slices.

Every network goes through the same sliding-window path; pixel classifiers (the baselines) predict
whole slices directly.
"""

import numpy as np
import torch

from xrayseg.inference import sliding_window_logits
from xrayseg.models import build_network, spec_for


class Predictor:
    """probabilities(image) maps a (C, H, W) normalised slice to (n_classes, H, W) float32."""

    def __init__(self, checkpoint, device="cpu", overlap=0.5, batch_size=8):
        self.checkpoint = checkpoint
        self.n_classes = checkpoint["n_classes"]
        self.spec = spec_for(checkpoint["arch"])
        self.device = torch.device(device)
        self.overlap = overlap
        self.batch_size = batch_size
        self.network = None
        if self.spec.kind == "torch":
            self.network = build_network(
                checkpoint["arch"],
                self.n_classes,
                checkpoint["in_channels"],
                checkpoint["arch_args"],
            )
            self.network.load_state_dict(checkpoint["state_dict"])
            self.network.to(self.device).eval()

    @torch.no_grad()
    def _network_logits(self, batch):
        return self.network(batch.to(self.device))

    def probabilities(self, image):
        if self.network is None:
            return self.spec.predict_proba(self.checkpoint["params"], image[0], self.n_classes)
        logits = sliding_window_logits(
            image,
            self._network_logits,
            self.checkpoint["patch_size"],
            self.n_classes,
            overlap=self.overlap,
            batch_size=self.batch_size,
        )
        return torch.softmax(torch.from_numpy(logits), dim=0).numpy()

    def classes(self, image):
        """Class index map (H, W) uint8."""
        return np.argmax(self.probabilities(image), axis=0).astype(np.uint8)
