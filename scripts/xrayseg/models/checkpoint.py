"""Checkpoints: everything needed to rebuild and use a trained model, written atomically."""

import torch

from xrayseg.io.atomic import atomic_output


def save_checkpoint(checkpoint, path):
    """Write a checkpoint dict; the file appears complete or not at all."""
    with atomic_output(path) as tmp:
        torch.save(checkpoint, tmp)


def load_checkpoint(path):
    """A checkpoint dict (tensors on the CPU); only plain data is unpickled."""
    return torch.load(path, map_location="cpu", weights_only=True)
