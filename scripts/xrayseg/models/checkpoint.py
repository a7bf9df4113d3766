"""Checkpoints: everything needed to rebuild and use a trained model, written atomically."""

import torch

from xrayseg.io.atomic import atomic_output
from xrayseg.models import spec_for


def save_checkpoint(checkpoint, path):
    """Write a checkpoint dict; the file appears complete or not at all."""
    with atomic_output(path) as tmp:
        torch.save(checkpoint, tmp)


def load_checkpoint(path):
    """A checkpoint dict (tensors on the CPU); only plain data is unpickled."""
    return torch.load(path, map_location="cpu", weights_only=True)


def training_device(checkpoint):
    """The device the model was trained on, as its checkpoint records it. Pixel models (the
    threshold baseline, the random forest) are fitted with numpy and scikit-learn: always on
    the CPU, whether or not their checkpoint says so."""
    if "device" in checkpoint:
        return str(checkpoint["device"])
    return "cpu" if spec_for(checkpoint["arch"]).kind == "pixel" else None
