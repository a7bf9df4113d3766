"""On-the-fly augmentation of training batches; images and labels always move together.

Everything works on a whole batch at once (no per-sample Python loop), on whatever device the batch
lives on, so augmenting costs little next to a training step. Random draws come from a CPU
torch.Generator, so a seed gives the same augmentations on any device.

Transforms, in order (each sample draws its own parameters):
- flip / rotate90: the 8 symmetries of the square (labels move identically).
- zoom: scale by a factor from `range` (log-uniform) about a random centre; the image is
  resampled bilinearly, the labels with nearest neighbour, both with reflection at the border.
- contrast: stretch about the sample's mean by a factor from `range`.
- gamma: x -> x**gamma on the sample's own min..max range, gamma from `range`.
- blur: Gaussian blur with sigma from `sigma` (labels unchanged: the phases did not move).
- cutout: a rectangle with sides from `size` (fractions of the patch side) is set to the sample's
  mean; its labels become IGNORE_INDEX, because nothing in the image says what lies there.
Each of zoom .. cutout hits a sample with probability `p`.
"""

import math

import torch
import torch.nn.functional as F

from xrayseg.io.volume import IGNORE_INDEX

# Mild by default: on tomograms the grey value itself tells the phase, so strong contrast or gamma
# changes would teach the network to distrust its best cue.
DEFAULT_AUGMENT = {
    "flip": True,
    "rotate90": True,
    "zoom": {"p": 0.2, "range": [0.85, 1.18]},
    "contrast": {"p": 0.2, "range": [0.9, 1.1]},
    "gamma": {"p": 0.2, "range": [0.85, 1.18]},
    "blur": {"p": 0.1, "sigma": [0.3, 1.0]},
    "cutout": {"p": 0.1, "size": [0.1, 0.25]},
}
TRANSFORMS = ("zoom", "contrast", "gamma", "blur", "cutout")


def augment_settings(value):
    """Full augmentation settings from a config value: true (defaults), false (none) or a dict
    overriding the defaults transform by transform."""
    if value is True or value is None:
        return {k: dict(v) if isinstance(v, dict) else v for k, v in DEFAULT_AUGMENT.items()}
    if value is False:
        off = {name: {**DEFAULT_AUGMENT[name], "p": 0.0} for name in TRANSFORMS}
        return {"flip": False, "rotate90": False, **off}
    if not isinstance(value, dict):
        raise ValueError(f"training.augment: expected true, false or a mapping, got {value!r}")
    unknown = sorted(set(value) - set(DEFAULT_AUGMENT))
    if unknown:
        raise ValueError(
            f"training.augment: unknown keys {unknown}; known: {list(DEFAULT_AUGMENT)}"
        )
    settings = augment_settings(True)
    for key, setting in value.items():
        settings[key] = {**settings[key], **setting} if key in TRANSFORMS else bool(setting)
    return settings


def is_active(settings):
    return settings["flip"] or settings["rotate90"] or any(settings[t]["p"] > 0 for t in TRANSFORMS)


class Augmenter:
    """augment(images (N, C, H, W) float, labels (N, H, W) int, generator) -> augmented copies."""

    def __init__(self, settings):
        self.settings = augment_settings(settings)

    @property
    def active(self):
        return is_active(self.settings)

    def __call__(self, images, labels, generator):
        if not self.active:
            return images, labels
        s = self.settings
        if images.shape[-1] != images.shape[-2] and s["rotate90"]:
            raise ValueError(f"rotate90 needs square patches, got {tuple(images.shape[-2:])}")
        count = images.shape[0]
        # Draw every parameter up front, the same number every batch, so the stream of random
        # numbers (and a resumed run) does not depend on which transforms happen to fire.
        # Columns: 0-1 flip/turn, 2-6 whether each transform fires, then each one's own values.
        draws = torch.rand((count, 17), generator=generator, dtype=torch.float64)
        images, labels = dihedral(images, labels, draws[:, 0], draws[:, 1], s)
        hit = {name: draws[:, 2 + i] < s[name]["p"] for i, name in enumerate(TRANSFORMS)}
        if hit["zoom"].any():
            images, labels = zoom(images, labels, hit["zoom"], draws[:, 7:10], s["zoom"]["range"])
        if hit["contrast"].any():
            images = contrast(images, hit["contrast"], draws[:, 10], s["contrast"]["range"])
        if hit["gamma"].any():
            images = gamma(images, hit["gamma"], draws[:, 11], s["gamma"]["range"])
        if hit["blur"].any():
            images = blur(images, hit["blur"], draws[:, 12], s["blur"]["sigma"])
        if hit["cutout"].any():
            images, labels = cutout(images, labels, hit["cutout"], draws[:, 13:17], s)
        return images, labels


def _on(tensor, like):
    """A small CPU tensor on `like`'s device. Non-blocking: a blocking copy to a GPU would wait
    for every queued kernel, stalling the pipeline once per batch."""
    return tensor.to(like.device, non_blocking=True)


def _between(unit, bounds, log=False):
    """Map uniform [0, 1) draws into [low, high] (log-uniformly for scale factors)."""
    low, high = float(bounds[0]), float(bounds[1])
    if log:
        return torch.exp(math.log(low) + unit * (math.log(high) - math.log(low)))
    return low + unit * (high - low)


def dihedral(images, labels, flip_draw, turn_draw, settings):
    """Random flips and 90-degree turns, applied group by group (at most 8 groups per batch)."""
    flips = (flip_draw < 0.5) if settings["flip"] else torch.zeros_like(flip_draw, dtype=torch.bool)
    turns = (
        (turn_draw * 4).long()
        if settings["rotate90"]
        else torch.zeros_like(flips, dtype=torch.long)
    )
    if not flips.any() and not turns.any():
        return images, labels
    images, labels = images.clone(), labels.clone()
    for flip in (False, True):
        for turn in range(4):
            chosen = torch.nonzero((flips == flip) & (turns == turn)).flatten()
            if (not flip and not turn) or not len(chosen):
                continue
            chosen = _on(chosen, images)
            image, label = images[chosen], labels[chosen]
            if flip:
                image, label = image.flip(-1), label.flip(-1)
            if turn:
                image = torch.rot90(image, turn, dims=(-2, -1))
                label = torch.rot90(label, turn, dims=(-2, -1))
            images[chosen], labels[chosen] = image, label
    return images, labels


def zoom(images, labels, hit, unit, bounds):
    """Scale the chosen samples about a random centre; labels by nearest neighbour."""
    chosen = torch.nonzero(hit).flatten()
    scale = _between(unit[chosen, 0], bounds, log=True)
    # Zooming in (scale > 1) may shift the view anywhere the crop stays inside the patch.
    room = (1 - 1 / scale).clamp(min=0)
    shift_y = (2 * unit[chosen, 1] - 1) * room
    shift_x = (2 * unit[chosen, 2] - 1) * room
    theta = torch.zeros((len(chosen), 2, 3), dtype=torch.float64)
    theta[:, 0, 0] = theta[:, 1, 1] = 1 / scale
    theta[:, 0, 2], theta[:, 1, 2] = shift_x, shift_y
    chosen = _on(chosen, images)
    part = images[chosen]
    grid = F.affine_grid(_on(theta, part).to(part.dtype), list(part.shape), align_corners=False)
    sample = dict(padding_mode="reflection", align_corners=False)
    images, labels = images.clone(), labels.clone()
    images[chosen] = F.grid_sample(part, grid, mode="bilinear", **sample)
    label_part = labels[chosen][:, None].to(part.dtype)
    labels[chosen] = F.grid_sample(label_part, grid, mode="nearest", **sample)[:, 0].to(
        labels.dtype
    )
    return images, labels


def _on_chosen(transform, images, hit, values):
    """Apply transform(part, values) to the hit samples only; the others stay bit-for-bit."""
    chosen = torch.nonzero(hit).flatten()
    factors = _on(values[chosen], images).to(images.dtype).view(-1, 1, 1, 1)
    chosen = _on(chosen, images)
    part = images[chosen]
    images = images.clone()
    images[chosen] = transform(part, factors)
    return images


def _contrast(part, factor):
    mean = part.mean(dim=(1, 2, 3), keepdim=True)
    return mean + factor * (part - mean)


def _gamma(part, power):
    low = part.amin(dim=(1, 2, 3), keepdim=True)
    span = (part.amax(dim=(1, 2, 3), keepdim=True) - low).clamp(min=1e-6)
    return low + span * ((part - low) / span).clamp(0, 1) ** power


def contrast(images, hit, unit, bounds):
    return _on_chosen(_contrast, images, hit, _between(unit, bounds, log=True))


def gamma(images, hit, unit, bounds):
    return _on_chosen(_gamma, images, hit, _between(unit, bounds, log=True))


def blur(images, hit, unit, bounds):
    """Separable Gaussian blur with a sigma per hit sample.

    The whole batch goes through one convolution (a GPU tunes its kernels once per shape, and a
    varying number of hit samples would make a new shape every batch); samples not hit get
    sigma 0, a kernel of exactly one 1 and zeros, which leaves them bit for bit unchanged.
    """
    radius = max(1, math.ceil(3 * float(bounds[1])))
    sigma = torch.where(hit, _between(unit, bounds), torch.zeros_like(unit))
    return _blur(images, _on(sigma, images).to(images.dtype), radius)


def _blur(part, sigma, radius):
    count, channels, height, width = part.shape
    offsets = torch.arange(-radius, radius + 1, device=part.device, dtype=part.dtype)
    # sigma 0 -> 1e-3: exp(-0.5 * (1 / 1e-3)**2) underflows to exactly 0 beside the centre.
    kernel = torch.exp(-0.5 * (offsets / sigma.clamp(min=1e-3)[:, None]) ** 2)
    kernel = kernel / kernel.sum(1, keepdim=True)
    kernel = kernel.repeat_interleave(channels, 0)  # one kernel per (sample, channel)
    flat = part.reshape(1, count * channels, height, width)
    flat = F.pad(flat, (radius, radius, radius, radius), mode="reflect")
    groups = count * channels
    flat = F.conv2d(flat, kernel[:, None, :, None], groups=groups)
    flat = F.conv2d(flat, kernel[:, None, None, :], groups=groups)
    return flat.reshape(count, channels, height, width)


def cutout(images, labels, hit, unit, settings):
    """Blank one rectangle per chosen sample; its labels are ignored by the loss."""
    height, width = images.shape[-2:]
    bounds = settings["cutout"]["size"]
    box_h = (_between(unit[:, 0], bounds) * height).round()
    box_w = (_between(unit[:, 1], bounds) * width).round()
    top = (unit[:, 2] * (height - box_h + 1)).floor()
    left = (unit[:, 3] * (width - box_w + 1)).floor()
    device = images.device
    ys = torch.arange(height, device=device)[None, :, None]
    xs = torch.arange(width, device=device)[None, None, :]

    def column(values):
        return _on(values, images).view(-1, 1, 1)

    inside = (
        (ys >= column(top))
        & (ys < column(top + box_h))
        & (xs >= column(left))
        & (xs < column(left + box_w))
        & column(hit)
    )
    fill = images.mean(dim=(1, 2, 3), keepdim=True)
    images = torch.where(inside[:, None], fill, images)
    labels = labels.masked_fill(inside, IGNORE_INDEX)
    return images, labels
