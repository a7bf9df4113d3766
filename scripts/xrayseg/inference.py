"""Sliding-window inference over whole slices with Gaussian-weighted stitching (nnU-Net's scheme).

Windows overlap by a set fraction; each window's logits are weighted by a Gaussian centred on the
window (edges of a window see less context, so they count less) and summed; the sum is divided by
the summed weights. The seed stitched by taking the maximum class index over windows instead.
"""

import math

import numpy as np
import torch


def window_starts(length, window, overlap):
    """Start offsets of windows covering [0, length) with at least `overlap` fractional overlap.

    The first window starts at 0, the last ends at `length`, and the steps between are as equal as
    integers allow (nnU-Net's compute_steps_for_sliding_window). `length` >= `window` (pad first).
    """
    if length < window:
        raise ValueError(f"image side {length} is smaller than the window {window}; pad it first")
    if not 0 <= overlap < 1:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    target_step = window * (1 - overlap)
    count = math.ceil((length - window) / target_step) + 1
    if count == 1:
        return [0]
    step = (length - window) / (count - 1)
    return [int(round(i * step)) for i in range(count)]


def gaussian_importance(window, sigma_scale=0.125):
    """A (window, window) float32 map peaking at the centre, sigma = window * sigma_scale.

    Normalised to a maximum of 1; the smallest value is raised above zero so that every pixel of a
    window gets some weight (nnU-Net does the same).
    """
    centre = (window - 1) / 2
    coords = np.arange(window, dtype=np.float64) - centre
    profile = np.exp(-0.5 * (coords / (window * sigma_scale)) ** 2)
    weights = np.outer(profile, profile)
    weights /= weights.max()
    weights = np.maximum(weights, weights[weights > 0].min())
    return weights.astype(np.float32)


def sliding_window_logits(
    image, network_fn, window, n_classes, overlap=0.5, batch_size=8, importance=None
):
    """Stitched logits (n_classes, H, W) of a (C, H, W) float32 image.

    `network_fn` maps a torch batch (N, C, window, window) to logits (N, n_classes, window, window).
    Images smaller than the window are padded (by reflection) and the result cropped back.
    """
    channels, height, width = image.shape
    pad_y, pad_x = max(0, window - height), max(0, window - width)
    if pad_y or pad_x:
        image = np.pad(image, ((0, 0), (0, pad_y), (0, pad_x)), mode="reflect")
    _, padded_h, padded_w = image.shape
    if importance is None:
        importance = gaussian_importance(window)
    weight = torch.from_numpy(importance)
    logits = torch.zeros((n_classes, padded_h, padded_w), dtype=torch.float32)
    weights = torch.zeros((padded_h, padded_w), dtype=torch.float32)
    positions = [
        (y, x)
        for y in window_starts(padded_h, window, overlap)
        for x in window_starts(padded_w, window, overlap)
    ]
    tensor = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))
    for start in range(0, len(positions), batch_size):
        chunk = positions[start : start + batch_size]
        batch = torch.stack([tensor[:, y : y + window, x : x + window] for y, x in chunk])
        out = network_fn(batch).float().cpu()
        for (y, x), window_logits in zip(chunk, out, strict=True):
            logits[:, y : y + window, x : x + window] += window_logits * weight
            weights[y : y + window, x : x + window] += weight
    logits /= weights
    return logits[:, :height, :width].numpy()
