"""Models, scans and training data for the prediction tests run without Snakemake."""

import h5py
import numpy as np
import pandas as pd
import torch
from scipy import ndimage

from helpers.checkpoints import checkpoint_of
from helpers.networks import randomised_norms
from xrayseg.models import build_network
from xrayseg.models.checkpoint import save_checkpoint

CLASS_NAMES = ["pore", "YSZ", "Ni"]
GREY_VALUES = [0, 128, 255]
NORMALISATION = {"low": 20000.0, "high": 44000.0}
# The data facts a trained model's checkpoint holds.
DATA = {"class_names": CLASS_NAMES, "normalisation": NORMALISATION}
THRESHOLDS = [0.25, 0.6]  # normalised: 26000 and 34400 grey


def electrode_raw(shape, seed, gain=1.0):
    """Blobby three-phase uint16 raw with the real data's grey levels."""
    rng = np.random.default_rng(seed)
    fields = ndimage.gaussian_filter(rng.standard_normal((3, *shape)), (0, 1.5, 2, 2))
    phases = fields.argmax(axis=0)
    grey = np.take([22700.0, 35000.0, 40900.0], phases) + rng.normal(0, 800, shape)
    return np.clip(grey * gain, 0, 65535).astype(np.uint16)


def normalise(raw):
    low, high = NORMALISATION["low"], NORMALISATION["high"]
    return (raw.astype(np.float32) - np.float32(low)) / np.float32(high - low)


def write_training_data(folder):
    """The ingested training volume and split that the shift check compares against."""
    raw = normalise(electrode_raw((10, 40, 40), seed=0))
    volume = folder / "volume.h5"
    with h5py.File(volume, "w") as out:
        out["raw"] = raw
    split = folder / "split.csv"
    splits = ["train"] * 6 + ["guard", "val", "guard", "test"]
    pd.DataFrame({"slice": range(10), "name": range(10), "split": splits}).to_csv(split)
    return {"volume": str(volume), "split": str(split)}


def threshold_checkpoint(path, label_values=GREY_VALUES):
    """A threshold model at THRESHOLDS: its classes are known exactly from the raw values."""
    params = {"thresholds": THRESHOLDS, "order": [0, 1, 2]}
    save_checkpoint(checkpoint_of("threshold", params, label_values=label_values, **DATA), path)
    return str(path)


def context_unet_checkpoint(path):
    """An untrained 2.5-D UNet (context 1: three input slices); its outputs depend on all three,
    and on the electrode-like scans it predicts every class in blobs that change from slice to
    slice (so clean-ups and chunk borders have something to change)."""
    torch.manual_seed(3)
    arch_args = {"width": 4, "depth": 2}
    network = build_network("unet", 3, 3, arch_args)
    with torch.no_grad():  # larger weights than at initialisation: outputs that vary with input
        for weight in network.parameters():
            if weight.ndim == 4:
                weight.mul_(4.0)
        # No class favoured by a bias: each wins somewhere.
        [m for m in network.modules() if isinstance(m, torch.nn.Conv2d)][-1].bias.zero_()
    checkpoint = checkpoint_of(
        "unet",
        network.state_dict(),
        arch_args,
        patch_size=16,
        context=1,
        model_name="unet25d",
        label_values=GREY_VALUES,
        **DATA,
    )
    save_checkpoint(checkpoint, path)
    return checkpoint, str(path)


def volumetric_checkpoint(path, patch_depth=4):
    """An untrained small 3-D UNet (window depth `patch_depth`, 16 px windows)."""
    torch.manual_seed(0)
    arch_args = {"width": 2, "depth": 2}
    network = randomised_norms(build_network("unet3d", 3, 1, arch_args))
    checkpoint = checkpoint_of(
        "unet3d",
        network.state_dict(),
        arch_args,
        16,
        patch_depth=patch_depth,
        model_name="unet3d",
        label_values=GREY_VALUES,
        **DATA,
    )
    save_checkpoint(checkpoint, path)
    return checkpoint, str(path)
