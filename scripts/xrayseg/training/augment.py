"""On-the-fly augmentation of training batches; images and labels always move together.

Everything works on a whole batch at once (no per-sample Python loop), on whatever device the batch
lives on, so augmenting costs little next to a training step. Random draws come from a CPU
torch.Generator, so a seed gives the same augmentations on any device.

Batches are 2-D, images (N, C, H, W) with labels (N, H, W), or 3-D, images (N, C, D, H, W) with
labels (N, D, H, W) (the 3-D UNet's patches). Transforms, in order (each sample draws its own
parameters):
- flip / rotate90: the 8 symmetries of the square (labels move identically); a 3-D patch is
  also flipped along D (flip), which mirrors the stack: as valid a sample of the material as the
  original. Turns stay in the H/W plane: a turn into D would need cubic patches and isotropic
  voxels, and in-plane turns with the D flip already give 16 orientations.
- zoom: scale by a factor from `range` (log-uniform) about a random centre; the image is
  resampled bilinearly (trilinearly in 3-D, the same factor along every axis), the labels with
  nearest neighbour, both with reflection at the border.
- contrast: stretch about the sample's mean by a factor from `range`.
- gamma: x -> x**gamma on the sample's own min..max range, gamma from `range`.
- blur: Gaussian blur with sigma from `sigma` (labels unchanged: the phases did not move); in
  3-D along D as well (the partial-volume blur of a tomogram is three-dimensional).
- cutout: a rectangle (a box in 3-D) with sides from `size` (fractions of the patch side) is set
  to the sample's mean; its labels become IGNORE_INDEX, because nothing in the image says what
  lies there.
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
# Random draws per sample: 2-D batches take 17 (the stream a 2-D run has always drawn); 3-D
# batches 4 more (flip along D, zoom shift along D, cutout depth and start along D).
DRAWS_2D, DRAWS_3D_EXTRA = 17, 4


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
    """augment(images (N, C, H, W) float, labels (N, H, W) int, generator) -> augmented copies;
    or images (N, C, D, H, W) with labels (N, D, H, W)."""

    def __init__(self, settings):
        self.settings = augment_settings(settings)

    @property
    def active(self):
        return is_active(self.settings)

    def __call__(self, images, labels, generator):
        if not self.active:
            return images, labels
        s = self.settings
        if images.dim() not in (4, 5) or labels.dim() != images.dim() - 1:
            raise ValueError(
                f"augment takes images (N, C, [D,] H, W) and labels (N, [D,] H, W), got "
                f"{tuple(images.shape)} and {tuple(labels.shape)}"
            )
        if images.shape[-1] != images.shape[-2] and s["rotate90"]:
            raise ValueError(f"rotate90 needs square patches, got {tuple(images.shape[-2:])}")
        volumetric = images.dim() == 5
        count = images.shape[0]
        # Draw every parameter up front, the same number every batch, so the stream of random
        # numbers (and a resumed run) does not depend on which transforms happen to fire.
        # Columns: 0-1 flip/turn, 2-6 whether each transform fires, then each one's own values;
        # 17-20 (3-D only): flip along D, zoom shift along D, cutout depth and start along D.
        columns = DRAWS_2D + (DRAWS_3D_EXTRA if volumetric else 0)
        draws = torch.rand((count, columns), generator=generator, dtype=torch.float64)
        depth_flip = draws[:, 17] if volumetric else None
        images, labels = dihedral(images, labels, draws[:, 0], draws[:, 1], s, depth_flip)
        hit = {name: draws[:, 2 + i] < s[name]["p"] for i, name in enumerate(TRANSFORMS)}
        if hit["zoom"].any():
            zoom_draws = draws[:, [7, 8, 9, 18]] if volumetric else draws[:, 7:10]
            images, labels = zoom(images, labels, hit["zoom"], zoom_draws, s["zoom"]["range"])
        if hit["contrast"].any():
            images = contrast(images, hit["contrast"], draws[:, 10], s["contrast"]["range"])
        if hit["gamma"].any():
            images = gamma(images, hit["gamma"], draws[:, 11], s["gamma"]["range"])
        if hit["blur"].any():
            images = blur(images, hit["blur"], draws[:, 12], s["blur"]["sigma"])
        if hit["cutout"].any():
            cutout_draws = draws[:, [13, 14, 15, 16, 19, 20]] if volumetric else draws[:, 13:17]
            images, labels = cutout(images, labels, hit["cutout"], cutout_draws, s)
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


def dihedral(images, labels, flip_draw, turn_draw, settings, depth_flip_draw=None):
    """Random flips and 90-degree turns in the H/W plane, and (3-D batches, depth_flip_draw
    given) flips along D, applied group by group (at most 8, or 16, groups per batch)."""
    off = torch.zeros_like(flip_draw, dtype=torch.bool)
    flips = (flip_draw < 0.5) if settings["flip"] else off
    turns = (
        (turn_draw * 4).long()
        if settings["rotate90"]
        else torch.zeros_like(flips, dtype=torch.long)
    )
    depth_flips = off
    if depth_flip_draw is not None and settings["flip"]:
        depth_flips = depth_flip_draw < 0.5
    if not flips.any() and not turns.any() and not depth_flips.any():
        return images, labels
    images, labels = images.clone(), labels.clone()
    for depth_flip in (False, True) if depth_flips.any() else (False,):
        for flip in (False, True):
            for turn in range(4):
                group = (flips == flip) & (turns == turn) & (depth_flips == depth_flip)
                chosen = torch.nonzero(group).flatten()
                if (not flip and not turn and not depth_flip) or not len(chosen):
                    continue
                chosen = _on(chosen, images)
                image, label = images[chosen], labels[chosen]
                if depth_flip:  # D is axis -3 of both (N, C, D, H, W) and (N, D, H, W)
                    image, label = image.flip(-3), label.flip(-3)
                if flip:
                    image, label = image.flip(-1), label.flip(-1)
                if turn:
                    image = torch.rot90(image, turn, dims=(-2, -1))
                    label = torch.rot90(label, turn, dims=(-2, -1))
                images[chosen], labels[chosen] = image, label
    return images, labels


def zoom(images, labels, hit, unit, bounds):
    """Scale the chosen samples about a random centre; labels by nearest neighbour.

    unit columns: scale, shift along y, shift along x (and along D for a 3-D batch)."""
    chosen = torch.nonzero(hit).flatten()
    scale = _between(unit[chosen, 0], bounds, log=True)
    # Zooming in (scale > 1) may shift the view anywhere the crop stays inside the patch.
    room = (1 - 1 / scale).clamp(min=0)
    shift_y = (2 * unit[chosen, 1] - 1) * room
    shift_x = (2 * unit[chosen, 2] - 1) * room
    axes = images.dim() - 2
    # theta maps output to input coordinates, ordered x, y (, z): the last axis first.
    theta = torch.zeros((len(chosen), axes, axes + 1), dtype=torch.float64)
    for axis in range(axes):
        theta[:, axis, axis] = 1 / scale
    theta[:, 0, axes], theta[:, 1, axes] = shift_x, shift_y
    if axes == 3:
        theta[:, 2, axes] = (2 * unit[chosen, 3] - 1) * room
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
    factors = _on(values[chosen], images).to(images.dtype)
    factors = factors.view(-1, *[1] * (images.dim() - 1))
    chosen = _on(chosen, images)
    part = images[chosen]
    images = images.clone()
    images[chosen] = transform(part, factors)
    return images


def _sample_axes(part):
    """The axes of one sample (channels and space) of a batch."""
    return tuple(range(1, part.dim()))


def _contrast(part, factor):
    mean = part.mean(dim=_sample_axes(part), keepdim=True)
    return mean + factor * (part - mean)


def _gamma(part, power):
    low = part.amin(dim=_sample_axes(part), keepdim=True)
    span = (part.amax(dim=_sample_axes(part), keepdim=True) - low).clamp(min=1e-6)
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
    count, channels, *space = part.shape
    offsets = torch.arange(-radius, radius + 1, device=part.device, dtype=part.dtype)
    # sigma 0 -> 1e-3: exp(-0.5 * (1 / 1e-3)**2) underflows to exactly 0 beside the centre.
    kernel = torch.exp(-0.5 * (offsets / sigma.clamp(min=1e-3)[:, None]) ** 2)
    kernel = kernel / kernel.sum(1, keepdim=True)
    kernel = kernel.repeat_interleave(channels, 0)  # one kernel per (sample, channel)
    flat = part.reshape(1, count * channels, *space)
    flat = F.pad(flat, (radius, radius) * len(space), mode="reflect")
    groups = count * channels
    convolve = F.conv2d if len(space) == 2 else F.conv3d
    # One pass per axis, the kernel laid along that axis (separable Gaussian).
    for axis in range(len(space)):
        shape = [1] * len(space)
        shape[axis] = kernel.shape[1]
        flat = convolve(flat, kernel.view(kernel.shape[0], 1, *shape), groups=groups)
    return flat.reshape(count, channels, *space)


def cutout(images, labels, hit, unit, settings):
    """Blank one rectangle (a box in 3-D) per chosen sample; its labels are ignored by the loss.

    unit columns: box height, box width, top, left (and for a 3-D batch box depth, front)."""
    height, width = images.shape[-2:]
    bounds = settings["cutout"]["size"]
    box_h = (_between(unit[:, 0], bounds) * height).round()
    box_w = (_between(unit[:, 1], bounds) * width).round()
    top = (unit[:, 2] * (height - box_h + 1)).floor()
    left = (unit[:, 3] * (width - box_w + 1)).floor()
    device = images.device
    volumetric = images.dim() == 5
    # Each coordinate indexes its own axis of a (N, [D,] H, W) mask.
    ys = torch.arange(height, device=device).view(-1, 1)
    xs = torch.arange(width, device=device).view(1, -1)
    if volumetric:
        ys, xs = ys[None], xs[None]

    def column(values):
        return _on(values, images).view(-1, *[1] * (labels.dim() - 1))

    inside = (
        (ys >= column(top))
        & (ys < column(top + box_h))
        & (xs >= column(left))
        & (xs < column(left + box_w))
        & column(hit)
    )
    if volumetric:
        depth = images.shape[-3]
        box_d = (_between(unit[:, 4], bounds) * depth).round()
        front = (unit[:, 5] * (depth - box_d + 1)).floor()
        zs = torch.arange(depth, device=device).view(-1, 1, 1)
        inside = inside & (zs >= column(front)) & (zs < column(front + box_d))
    fill = images.mean(dim=_sample_axes(images), keepdim=True)
    images = torch.where(inside[:, None], fill, images)
    labels = labels.masked_fill(inside, IGNORE_INDEX)
    return images, labels
