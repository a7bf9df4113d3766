"""Sliding-window inference over whole slices, or whole blocks of slices for a 3-D network.

The windows are stitched with Gaussian weights (nnU-Net's scheme).

Windows overlap by a set fraction; each window's logits are weighted by a Gaussian centred on the
window (edges of a window see less context, so they count less) and summed; the sum is divided by
the summed weights. The seed stitched by taking the maximum class index over windows instead.

The per-window Python work is one slice-add: the Gaussian weights are applied per batch and the
normaliser (1 / summed weights) is precomputed once per image shape.
"""

import functools
import itertools
import math

import numpy as np
import torch

# Flip test-time augmentation: the in-plane axes of an (N, C, H, W) batch (or of an
# (N, C, D, H, W) one: a 3-D network gets the same four in-plane flips, at the same 4x cost) that
# each variant flips.
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
    return window_grid((height, width), window, overlap)


def window_grid(shape, window, overlap):
    """Every window corner over an image of `shape` (any number of axes), the last axis fastest.

    `window`: one side for every axis, or one per axis."""
    sides = window_sides(window, len(shape))
    starts = [
        window_starts(length, side, overlap) for length, side in zip(shape, sides, strict=True)
    ]
    return list(itertools.product(*starts))


def window_sides(window, dims):
    """The window's side along each of `dims` axes (an int is the same along all)."""
    if isinstance(window, int | np.integer):
        return (int(window),) * dims
    sides = tuple(int(side) for side in window)
    if len(sides) != dims:
        raise ValueError(f"window {sides} has {len(sides)} sides for a {dims}-D image")
    return sides


def gaussian_importance(window, sigma_scale=0.125):
    """A float32 map peaking at the window's centre, sigma = side * sigma_scale along each axis.

    `window`: a side (a square map) or a tuple of sides (a map of that shape: rectangular for the
    planes across a block of slices, as tall as the block is deep; 3-D for a volumetric network).
    Normalised to a maximum of 1; the smallest value is raised above zero so that every pixel of a
    window gets some weight (nnU-Net does the same), and to at least the smallest normal float32:
    a narrow Gaussian (sigma_scale below about 0.05 at 512 px) underflows far from the centre, and
    a zero or subnormal weight makes the stitching divide by zero where only that window reaches.
    """
    sides = window_sides(window, 2) if isinstance(window, int | np.integer) else tuple(window)
    profiles = []
    for side in sides:
        coords = np.arange(side, dtype=np.float64) - (side - 1) / 2
        profiles.append(np.exp(-0.5 * (coords / (side * sigma_scale)) ** 2))
    weights = functools.reduce(np.multiply.outer, profiles)
    weights /= weights.max()
    floor = max(weights[weights > 0].min(), np.finfo(np.float32).tiny)
    weights = np.maximum(weights, floor)
    return weights.astype(np.float32)


@functools.lru_cache(maxsize=16)
def _stitch_weights(shape, window, overlap, sigma_scale):
    """(importance map, 1 / summed importance over the image), both float32 numpy, per shape.

    `window` is a tuple of sides; a square 2-D window asks gaussian_importance for its side."""
    square = len(window) == 2 and window[0] == window[1]
    importance = gaussian_importance(window[0] if square else window, sigma_scale)
    total = np.zeros(shape, dtype=np.float64)
    for corner in window_grid(shape, window, overlap):
        total[_box(corner, window)] += importance
    return importance, (1.0 / total).astype(np.float32)


def _box(corner, sides):
    """The index of the window at `corner` (a slice per axis)."""
    return tuple(slice(start, start + side) for start, side in zip(corner, sides, strict=True))


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
    """Stitched logits (n_classes, *spatial) float32 numpy of a (C, *spatial) float32 image.

    2-D: a (C, H, W) image and square windows of side `window`; 3-D (a volumetric network): a
    (C, D, H, W) image and `window` a side per axis (2-D: a side, or (rows, cols) for
    rectangular windows), e.g. (depth, side, side). `network_fn` maps a
    torch batch (N, C, *window) on `device` to logits (N, n_classes, *window). Images smaller than
    the window along an axis are padded at its end by reflection and the result cropped back.

    On the CPU, windows are cut and accumulated with numpy: a multi-threaded torch op on a small
    array waits for its worker threads, which costs milliseconds per op on a busy machine, while
    numpy's single-threaded slice-adds take microseconds. On a GPU everything stays on the device.
    """
    image = np.asarray(image, dtype=np.float32)
    shape = image.shape[1:]
    sides = window_sides(window, len(shape))
    padding = [max(0, side - length) for side, length in zip(sides, shape, strict=True)]
    if any(padding):
        image = np.pad(image, [(0, 0)] + [(0, pad) for pad in padding], mode="reflect")
    padded = image.shape[1:]
    # Cached per slice shape (every slice of a stack has the same); a 3-D slab's weights are as
    # large as the slab and its shape varies, so they are computed afresh instead of kept.
    weights = _stitch_weights if len(padded) == 2 else _stitch_weights.__wrapped__
    importance, normaliser = weights(padded, sides, overlap, sigma_scale)
    device = torch.device(device)
    if device.type == "cpu":
        source = np.ascontiguousarray(image)
        logits = np.zeros((n_classes, *padded), dtype=np.float32)

        def batch_of(windows):
            return torch.from_numpy(np.stack(windows))

        def array_of(out):
            return out.detach().float().numpy()

    else:
        source = torch.from_numpy(image).to(device)
        logits = torch.zeros((n_classes, *padded), dtype=torch.float32, device=device)
        importance = torch.from_numpy(importance).to(device)
        normaliser = torch.from_numpy(normaliser).to(device)
        batch_of = torch.stack

        def array_of(out):
            return out.detach().float()

    corners = window_grid(padded, sides, overlap)
    for first in range(0, len(corners), batch_size):
        chunk = corners[first : first + batch_size]
        boxes = [(slice(None), *_box(corner, sides)) for corner in chunk]
        batch = batch_of([source[box] for box in boxes])
        out = array_of(network_fn(batch))
        if tuple(out.shape) != (len(chunk), n_classes, *sides):
            raise ValueError(
                f"network gave {tuple(out.shape)} for a batch of {len(chunk)} windows of "
                f"{' x '.join(map(str, sides))} px and {n_classes} classes"
            )
        out = out * importance
        for box, window_logits in zip(boxes, out, strict=True):
            logits[box] += window_logits
    logits *= normaliser
    logits = logits[(slice(None), *(slice(0, length) for length in shape))]
    return logits if device.type == "cpu" else logits.cpu().numpy()
