"""Sliding-window inference over whole slices with Gaussian-weighted stitching (nnU-Net's scheme).

Windows overlap by a set fraction; each window's logits are weighted by a Gaussian centred on the
window (edges of a window see less context, so they count less) and summed; the sum is divided by
the summed weights. The seed stitched by taking the maximum class index over windows instead.

The per-window Python work is one slice-add: the Gaussian weights are applied per batch and the
normaliser (1 / summed weights) is precomputed once per image shape.
"""

import functools
import math

import numpy as np
import torch

# Flip test-time augmentation: the spatial axes of an (N, C, H, W) batch each variant flips.
FLIP_VARIANTS = ((), (-1,), (-2,), (-2, -1))


def window_starts(length, window, overlap):
    """Start offsets of windows covering [0, length) with at least `overlap` fractional overlap.

    The fewest windows that keep every step <= window * (1 - overlap): the first starts at 0, the
    last ends at `length`, the steps between are as equal as integers allow (nnU-Net's
    compute_steps_for_sliding_window), and the layout is mirror-symmetric about the image centre
    (start i and the mirror of start -1-i coincide; a middle window sits within half a pixel of the
    centre). `length` >= `window` (pad first).
    """
    if window < 1:
        raise ValueError(f"window must be at least 1 pixel, got {window}")
    if length < window:
        raise ValueError(f"image side {length} is smaller than the window {window}; pad it first")
    if not 0 <= overlap < 1:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    span = length - window
    target_step = window * (1 - overlap)
    # No more windows than distinct integer starts (steps of at least one pixel).
    count = min(math.ceil(span / target_step - 1e-9) + 1, span + 1)
    if count == 1:
        return [0]
    step = span / (count - 1)
    first_half = [math.floor(i * step + 0.5) for i in range(count // 2)]
    middle = [span // 2] if count % 2 else []
    return first_half + middle + [span - start for start in reversed(first_half)]


def window_shape(window):
    """(rows, cols) of a window given as one side (square) or as a (rows, cols) pair."""
    if isinstance(window, int | np.integer):
        return int(window), int(window)
    rows, cols = window
    return int(rows), int(cols)


def window_positions(height, width, window, overlap):
    """Every (y, x) window corner over a (height, width) image, row by row; `window` is a side
    (square windows) or (rows, cols)."""
    rows, cols = window_shape(window)
    return [
        (y, x)
        for y in window_starts(height, rows, overlap)
        for x in window_starts(width, cols, overlap)
    ]


def _gaussian_profile(side, sigma_scale):
    coords = np.arange(side, dtype=np.float64) - (side - 1) / 2
    return np.exp(-0.5 * (coords / (side * sigma_scale)) ** 2)


def gaussian_importance(window, sigma_scale=0.125):
    """A (rows, cols) float32 map peaking at the centre, sigma = side * sigma_scale per axis.

    `window` is a side (square) or (rows, cols): rectangular windows fit the planes across a
    block of slices (a y- or x-plane of a 100-slice block is 100 rows tall). Normalised to a
    maximum of 1; the smallest value is raised above zero so that every pixel of a window gets
    some weight (nnU-Net does the same), and to at least the smallest normal float32: a narrow
    Gaussian (sigma_scale below about 0.05 at 512 px) underflows far from the centre, and a zero
    or subnormal weight makes the stitching divide by zero where only that window reaches.
    """
    rows, cols = window_shape(window)
    weights = np.outer(_gaussian_profile(rows, sigma_scale), _gaussian_profile(cols, sigma_scale))
    weights /= weights.max()
    floor = max(weights[weights > 0].min(), np.finfo(np.float32).tiny)
    weights = np.maximum(weights, floor)
    return weights.astype(np.float32)


@functools.lru_cache(maxsize=16)
def _stitch_weights(height, width, window, overlap, sigma_scale):
    """(importance map, 1 / summed importance over the image), both float32 numpy, per shape."""
    importance = gaussian_importance(window, sigma_scale)
    rows, cols = window_shape(window)
    total = np.zeros((height, width), dtype=np.float64)
    for y, x in window_positions(height, width, window, overlap):
        total[y : y + rows, x : x + cols] += importance
    return importance, (1.0 / total).astype(np.float32)


def flipped(network_fn, dims):
    """`network_fn` applied to each batch flipped along `dims` (one of FLIP_VARIANTS), its logits
    flipped back."""
    if not dims:
        return network_fn

    def forward(batch):
        return torch.flip(network_fn(torch.flip(batch, dims)).float(), dims)

    return forward


def flip_averaged(network_fn):
    """Wrap `network_fn` so each batch is predicted under the four flips and the logits averaged."""

    def averaged(batch):
        total = None
        for dims in FLIP_VARIANTS:
            flipped = torch.flip(batch, dims) if dims else batch
            out = network_fn(flipped).float()
            out = torch.flip(out, dims) if dims else out
            # Not in place: an output may share memory with the network's input.
            total = out if total is None else total + out
        return total / len(FLIP_VARIANTS)

    return averaged


def sliding_window_logits(
    image,
    network_fn,
    window,
    n_classes,
    overlap=0.5,
    batch_size=8,
    sigma_scale=0.125,
    device="cpu",
):
    """Stitched logits (n_classes, H, W) float32 numpy of a (C, H, W) float32 image.

    `window` is a side (square windows) or (rows, cols). `network_fn` maps a torch batch
    (N, C, rows, cols) on `device` to logits (N, n_classes, rows, cols). Images smaller than the
    window are padded at the bottom and right by reflection and the result cropped back.

    On the CPU, windows are cut and accumulated with numpy: a multi-threaded torch op on a small
    array waits for its worker threads, which costs milliseconds per op on a busy machine, while
    numpy's single-threaded slice-adds take microseconds. On a GPU everything stays on the device.
    """
    image = np.asarray(image, dtype=np.float32)
    _, height, width = image.shape
    window = window_shape(window)
    rows, cols = window
    pad_y, pad_x = max(0, rows - height), max(0, cols - width)
    if pad_y or pad_x:
        image = np.pad(image, ((0, 0), (0, pad_y), (0, pad_x)), mode="reflect")
    _, padded_h, padded_w = image.shape
    importance, normaliser = _stitch_weights(padded_h, padded_w, window, overlap, sigma_scale)
    device = torch.device(device)
    if device.type == "cpu":
        source = np.ascontiguousarray(image)
        logits = np.zeros((n_classes, padded_h, padded_w), dtype=np.float32)

        def batch_of(windows):
            return torch.from_numpy(np.stack(windows))

        def array_of(out):
            return out.detach().float().numpy()

    else:
        source = torch.from_numpy(image).to(device)
        logits = torch.zeros((n_classes, padded_h, padded_w), dtype=torch.float32, device=device)
        importance = torch.from_numpy(importance).to(device)
        normaliser = torch.from_numpy(normaliser).to(device)
        batch_of = torch.stack

        def array_of(out):
            return out.detach().float()

    positions = window_positions(padded_h, padded_w, window, overlap)
    for first in range(0, len(positions), batch_size):
        chunk = positions[first : first + batch_size]
        batch = batch_of([source[:, y : y + rows, x : x + cols] for y, x in chunk])
        out = array_of(network_fn(batch))
        if tuple(out.shape) != (len(chunk), n_classes, rows, cols):
            raise ValueError(
                f"network gave {tuple(out.shape)} for a batch of {len(chunk)} windows of "
                f"{rows} x {cols} px and {n_classes} classes"
            )
        out = out * importance
        for (y, x), window_logits in zip(chunk, out, strict=True):
            logits[:, y : y + rows, x : x + cols] += window_logits
    logits *= normaliser
    logits = logits[:, :height, :width]
    return logits if device.type == "cpu" else logits.cpu().numpy()
