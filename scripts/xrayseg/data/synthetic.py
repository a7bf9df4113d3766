"""A seeded synthetic three-phase tomogram that resembles the real Ni-YSZ electrode data.

Microstructure: one smoothed 3-D Gaussian random field per phase; each voxel takes the phase whose
field is largest, with offsets fitted to the volume fractions. Every pair of phases touches, so
triple-phase boundaries exist as in the real electrode. Because the fields are 3-D, neighbouring
slices are strongly correlated, as in a real tomogram (the leakage the split stage must prevent).

Imaging: each phase gets its measured mean grey level on uint16, a 3-D Gaussian blur gives the
partial-volume edges (a pore->Ni edge passes through YSZ grey values over a band 2-3 px wide,
labelled pore or Ni, as in the real data), noise, and a slow linear intensity drift along the
stack. The noise is either white, per class, up to each class's measured within-class spread (the
`easy` volume: every release so far), or (synthetic.realism: real) the real tomogram's spatially
correlated noise, fitted to its phase interiors (REALISTIC_NOISE), with an optional slow shading
within each class (xrayseg.data.imaging).
"""

import logging
from pathlib import Path

import numpy as np
import tifffile
from scipy import ndimage

from xrayseg.data.imaging import correlated_noise, slow_field
from xrayseg.io.atomic import atomic_output
from xrayseg.settings.split_blocks import assign_splits, every_nth_train_labelled

log = logging.getLogger(__name__)

# Measured on the real data (../shared/DESIGN.md): class order pore, YSZ, Ni.
REAL_DATA_DEFAULTS = {
    "fractions": [0.30, 0.43, 0.27],
    "grey_means": [22700, 35000, 40900],
    "grey_stds": [2400, 1300, 1700],
    "label_values": [0, 128, 255],
}

# synthetic.realism: real, the real tomogram's imaging: the partial-volume blur (Gaussian sigma
# along z, y, x) and the noise fitted together by `benchmarks/fit_noise.py --fit-blur` (on a
# 96 x 320 x 320 volume of the default structure, 24 slices mid-stack measured) to the real
# tomogram's interior statistics (xrayseg.data.realism.REAL_INTERIOR) and its ~5 px pore->Ni edge
# rise. Measured as there, they give noise 0.059 / 0.052 / 0.056 of the contrast (real 0.059 /
# 0.054 / 0.054), in-plane correlation 0.77-0.80 / 0.40-0.46 / 0.15-0.19 / 0.10-0.12 at 1 / 2 /
# 4 / 8 px (real 0.78-0.82 / 0.38-0.47 / 0.12-0.23 / 0.07-0.13), 0.67 / 0.25-0.27 at 1 / 2
# slices (real 0.66-0.69 / 0.21-0.27) and an edge rise of 4.8 px. Why the blur is fitted too:
# the statistics are taken on 2-D interiors, and a 3-D blur leaks the grey value of a phase just
# above or below a slice into them, a smooth signal that adds to the measured noise and to its
# long tail; the isotropic sigma 2 of the easy volume leaks more than the real data shows (fitted
# with it, the noise lands 10-20 % above the real level). The noise's own std (0.048 of the
# contrast) is below the measured one; its weak long-range part (12 % of the variance, ~15 px) is
# a slow mottling within each class. One noise std for every class; `contrast` is a fraction of
# |grey_means[1] - grey_means[0]|.
REALISTIC_BLUR = (1.26, 2.35, 2.35)
REALISTIC_NOISE = {
    "contrast": 0.048,
    "short_sigma": (0.76, 0.88, 0.88),
    "long_sigma": (11.7, 14.8, 14.8),
    "long_share": 0.117,
}


def smooth_field(shape, sigma, rng):
    """A zero-mean, unit-variance Gaussian random field with correlation length ~ `sigma` voxels."""
    noise = rng.standard_normal(shape, dtype=np.float32)
    field = ndimage.gaussian_filter(noise, sigma=sigma, mode="reflect")
    field -= field.mean()
    field /= field.std()
    return field


def fit_biases(fields, fractions, iterations=200, step=0.5):
    """Offsets b such that argmax_k(fields[k] + b[k]) gives each class its volume fraction.

    Fitted on every 4th voxel along each axis (plenty for percent-level accuracy on any size).
    """
    sample = fields[:, ::4, ::4, ::4]
    target = np.asarray(fractions, dtype=np.float64)
    biases = np.zeros(len(fractions), dtype=np.float32)
    for _ in range(iterations):
        classes = np.argmax(sample + biases[:, None, None, None], axis=0)
        found = np.bincount(classes.ravel(), minlength=len(fractions)) / classes.size
        biases += (step * (target - found)).astype(np.float32)
    return biases


def make_phases(shape, fractions, feature_size, seed):
    """Class indices (uint8) of a multi-phase structure with the given volume fractions.

    One smoothed random field per phase; each voxel takes the phase whose field (plus a fitted
    offset) is largest. Every pair of phases touches, so triple-phase lines exist as in a real
    electrode. A `feature_size` (Gaussian sigma, voxels) of 13 gives mean chord lengths of about
    33 / 42 / 30 voxels for fractions 0.30 / 0.43 / 0.27, the real data's 33 / 41 / 36.
    """
    if len(fractions) < 2 or not np.isclose(sum(fractions), 1.0, atol=1e-6):
        raise ValueError(f"synthetic.fractions must sum to 1, got {fractions}")
    rng = np.random.default_rng(seed)
    fields = np.stack([smooth_field(shape, feature_size, rng) for _ in fractions])
    biases = fit_biases(fields, fractions)
    fields += biases[:, None, None, None]
    return np.argmax(fields, axis=0).astype(np.uint8)


def image_phases(
    phases, grey_means, grey_stds, edge_blur, drift, seed, noise=None, shading_sigma=None
):
    """Raw uint16 grey values for a phase volume: class means, partial-volume blur (`edge_blur`:
    a Gaussian sigma in px, or one per axis z, y, x), noise, drift.

    `grey_stds` are the within-class spreads of the finished image, as measured on real data. The
    blur alone already spreads each class (pixels near an edge mix with the neighbour phase).
    With `noise` None (the easy volume), white noise added per class tops the spread up to the
    target, with at least a quarter of it as noise: on the real data's settings this gives
    adjacent-slice raw correlation ~0.98 and a threshold baseline ~95 % accurate (real data: 0.99
    and 96-97 %), but noise that is white, unlike a real tomogram's.

    `noise` (a dict of correlated_noise's arguments, its std as `contrast`: a fraction of the
    first two classes' contrast) adds the same spatially correlated noise to every class
    instead; `shading_sigma` (px along z, y, x) then tops each class's spread up to its target
    with a slow field, an additive shading of its own amplitude per class (blurred with the
    phases, so no step appears at an edge).
    """
    rng = np.random.default_rng(seed + 1)
    means = np.asarray(grey_means, dtype=np.float32)
    targets = np.asarray(grey_stds, dtype=np.float32)
    grey = means[phases]
    if np.any(np.asarray(edge_blur) > 0):
        grey = ndimage.gaussian_filter(grey, sigma=edge_blur, mode="nearest")
    if noise is None:
        noise_stds = noise_to_reach(grey, phases, targets)
        grey += rng.standard_normal(phases.shape, dtype=np.float32) * noise_stds[phases]
    else:
        add_realistic_noise(grey, phases, means, targets, edge_blur, noise, shading_sigma, rng)
    depth = phases.shape[0]
    along_stack = np.linspace(-0.5, 0.5, depth, dtype=np.float32) if depth > 1 else np.zeros(1)
    grey *= (1.0 + drift * along_stack)[:, None, None]
    return np.clip(np.rint(grey), 0, np.iinfo(np.uint16).max).astype(np.uint16)


def add_realistic_noise(grey, phases, means, targets, edge_blur, noise, shading_sigma, rng):
    """Adds (in place) slow per-class shading up to the class spreads `targets` (when
    `shading_sigma` is given) and correlated noise to the blurred class means `grey`."""
    noise_std = noise["contrast"] * abs(float(means[1] - means[0]))
    if shading_sigma is not None:
        amplitudes = shading_to_reach(grey, phases, targets, noise_std)
        shading = amplitudes[phases]
        if np.any(np.asarray(edge_blur) > 0):
            ndimage.gaussian_filter(shading, sigma=edge_blur, mode="nearest", output=shading)
        shading *= slow_field(phases.shape, shading_sigma, rng)
        grey += shading
        del shading
    grey += correlated_noise(
        phases.shape,
        noise_std,
        noise["short_sigma"],
        noise["long_sigma"],
        noise["long_share"],
        rng,
    )


def shading_to_reach(blurred, phases, targets, noise_std):
    """Per-class shading amplitude that brings each class's grey spread (blur, noise of
    `noise_std`, shading) to its target; 0 where blur and noise already reach it."""
    spreads = class_variances(blurred, phases, len(targets))
    return np.sqrt(np.maximum(targets**2 - spreads - noise_std**2, 0.0)).astype(np.float32)


def class_variances(grey, phases, n_classes):
    """Each class's grey variance, on every 2nd voxel along each axis (0 for an absent class)."""
    sample = (slice(None, None, 2),) * phases.ndim
    grey, phases = grey[sample], phases[sample]
    variances = np.zeros(n_classes, dtype=np.float32)
    for cls in range(n_classes):
        inside = grey[phases == cls]
        variances[cls] = float(inside.var()) if inside.size else 0.0
    return variances


def noise_to_reach(blurred, phases, targets, min_share=0.25):
    """Per-class white-noise std that brings each class's grey spread to its target."""
    spreads = class_variances(blurred, phases, len(targets))
    stds = np.zeros(len(targets), dtype=np.float32)
    for cls, target in enumerate(targets):
        stds[cls] = np.sqrt(max(target**2 - float(spreads[cls]), (min_share * target) ** 2))
    return stds


def slice_file_names(depth):
    """The real data's names: SOCprist0001.tiff (raw) and slice__001.tif (labels), 1-based."""
    width = max(3, len(str(depth)))
    raw = [f"SOCprist{z + 1:0{width + 1}d}.tiff" for z in range(depth)]
    labels = [f"slice__{z + 1:0{width}d}.tif" for z in range(depth)]
    return raw, labels


def write_synthetic_dataset(
    out_dir,
    shape,
    fractions,
    feature_size,
    grey_means,
    grey_stds,
    edge_blur,
    drift,
    label_values,
    seed,
    labelled=None,
    noise=None,
    shading_sigma=None,
):
    """Generate a synthetic tomogram and write it as the real data's layout under `out_dir`.

    `out_dir/raw/SOCprist*.tiff` hold uint16 raw slices (PackBits), `out_dir/labels/slice__*.tif`
    uint8 labels with `label_values` (one per class), for the slices `labelled` marks (a bool per
    slice; None: every slice). `noise` and `shading_sigma`: image_phases's. The folder appears
    complete or not at all.
    """
    shape = tuple(int(s) for s in shape)
    log.info(
        "generating a %s synthetic volume (seed %d, %s noise)",
        shape,
        seed,
        "white" if noise is None else "correlated",
    )
    phases = make_phases(shape, fractions, feature_size, seed)
    raw = image_phases(phases, grey_means, grey_stds, edge_blur, drift, seed, noise, shading_sigma)
    label_lut = np.asarray(label_values, dtype=np.uint8)
    raw_names, label_names = slice_file_names(shape[0])
    with atomic_output(out_dir) as tmp:
        (tmp / "raw").mkdir(parents=True)
        (tmp / "labels").mkdir()
        for z in range(shape[0]):
            tifffile.imwrite(tmp / "raw" / raw_names[z], raw[z], compression="packbits")
            if labelled is None or labelled[z]:
                tifffile.imwrite(tmp / "labels" / label_names[z], label_lut[phases[z]])
    if labelled is not None and not all(labelled):
        log.info("labels written for %d of %d slices", sum(map(bool, labelled)), shape[0])
    fractions_found = np.bincount(phases.ravel(), minlength=len(fractions)) / phases.size
    log.info(
        "wrote %d slices to %s; phase fractions %s", shape[0], out_dir, fractions_found.round(3)
    )
    return Path(out_dir)


def synthetic_labelled(depth, train_label_every, split):
    """A bool per slice of a `depth`-slice synthetic stack: which get a label file. Every slice
    when train_label_every is 1 (or absent); else every n-th train slice and the val and test
    blocks of the split (the config's split section), as xrayseg.settings.split_blocks places
    them."""
    if not train_label_every or train_label_every <= 1:
        return None
    if split is None:
        raise ValueError("synthetic.train_label_every above 1 needs the split's blocks")
    splits = assign_splits(
        depth, split["val_fraction"], split["test_fraction"], split["guard_slices"]
    )
    return every_nth_train_labelled(splits, train_label_every)


def imaging_options(settings):
    """image_phases's `edge_blur`, `noise` and `shading_sigma` for the config's `synthetic`
    section by its realism preset: `easy` (the section's edge_blur, white noise: the volume of
    every release so far) or `real` (REALISTIC_BLUR, REALISTIC_NOISE and the section's
    shading_sigma)."""
    realism = settings.get("realism", "easy")
    if realism == "easy":
        return {"edge_blur": settings["edge_blur"], "noise": None, "shading_sigma": None}
    if realism == "real":
        return {
            "edge_blur": REALISTIC_BLUR,
            "noise": REALISTIC_NOISE,
            "shading_sigma": settings.get("shading_sigma"),
        }
    raise ValueError(f"synthetic.realism must be easy or real, got {realism!r}")


def write_synthetic_from_config(out_dir, settings, label_values, shape=None, split=None):
    """write_synthetic_dataset with the config's `synthetic` section (`shape` overrides its
    shape: the benchmarks generate other sizes); `split` (val_fraction, test_fraction,
    guard_slices) places the train block when synthetic.train_label_every labels part of it."""
    shape = settings["shape"] if shape is None else shape
    return write_synthetic_dataset(
        **imaging_options(settings),
        out_dir=out_dir,
        shape=shape,
        fractions=settings["fractions"],
        feature_size=settings["feature_size"],
        grey_means=settings["grey_means"],
        grey_stds=settings["grey_stds"],
        drift=settings["drift"],
        label_values=label_values,
        seed=settings["seed"],
        labelled=synthetic_labelled(shape[0], settings["train_label_every"], split),
    )
