"""A synthetic 4-phase sandstone scan labelled on a few slices far apart.

The labelling pattern of many users (issue 23): lab X-ray microscopy, 8-bit raw, classes pore, clay,
quartz and pyrite, RGB label masks, and only every 50th slice of the scan written, named by its
slice number (`Sandstone_Versa0000.tif`, `Sandstone_Versa0050.tif`, ...).

Structure: quartz grains (discs of random size, packed at random and overlapping a little) with the
pore space between them; clay as thin coats (1-3 px) on parts of the grain surfaces, as a fill of
narrow pore throats and as pore-filling aggregates, microporous (a grainy texture); pyrite as rare
small bright crystals. Clay is hard on purpose: often thin, and its grey value lies between pore and
quartz, where the partial volume at every pore-quartz edge lies too. Slices 50 apart are independent
(grains are ~15-45 px across), so each written slice is its own 2-D section, generated from a seed
of its own.

Imaging: class grey means (clay's varying per pixel), a Gaussian blur (partial volume), spatially
correlated noise (xrayseg.data.imaging), rounded to uint8.
"""

import logging
from pathlib import Path

import numpy as np
import tifffile
from scipy import ndimage

from xrayseg.data.imaging import correlated_noise, unit_filtered_noise
from xrayseg.io.atomic import atomic_output

log = logging.getLogger(__name__)

CLASS_NAMES = ("pore", "clay", "quartz", "pyrite")
PORE, CLAY, QUARTZ, PYRITE = range(4)
# RGB mask colours, in class order (the config's data.label_values).
LABEL_COLOURS = ((0, 0, 0), (0, 255, 0), (255, 0, 0), (255, 255, 0))
# 8-bit grey means: pore dark, clay between pore and quartz, pyrite far brighter.
GREY_MEANS = (45.0, 105.0, 150.0, 235.0)
EDGE_BLUR = 1.2
NOISE_STD = 9.0
NOISE_SIGMA = 0.9
GRAIN_RADII = (8.0, 22.0)
GRAIN_COVER = 0.72
CLAY_COAT_PX = (1, 3)
CLAY_SHARE = 0.3
# Pore-filling clay aggregates: where a smooth field (sigma 8 px) is in its top 12 %, in the pore.
CLAY_FILL_SIGMA = 8.0
CLAY_FILL_SHARE = 0.12
# Clay is microporous: its grey value varies from pixel to pixel (std, grey levels).
CLAY_TEXTURE = 22.0
THROAT_PX = 3
PYRITE_PER_MPX = 400
PYRITE_RADII = (1.5, 5.0)
SLICE_STEP = 50
NAME = "Sandstone_Versa"


def disc_window(shape, centre, radius):
    """(window slices, bool disc within them) of a disc clipped to `shape`."""
    low = [max(0, int(np.floor(c - radius))) for c in centre]
    high = [min(n, int(np.ceil(c + radius)) + 1) for n, c in zip(shape, centre, strict=True)]
    yy, xx = np.ogrid[low[0] : high[0], low[1] : high[1]]
    disc = (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 < radius**2
    return (slice(low[0], high[0]), slice(low[1], high[1])), disc


def random_disc(shape, radii, rng):
    centre = (rng.uniform(0, shape[0]), rng.uniform(0, shape[1]))
    return disc_window(shape, centre, rng.uniform(*radii))


def grains(shape, rng):
    """Bool mask of quartz: random discs, added until they cover GRAIN_COVER of the section.
    Grains touch and overlap a little, as compacted sand does, but do not pile up: a disc that
    would overlap others by more than a quarter of its area is drawn again."""
    quartz = np.zeros(shape, dtype=bool)
    covered, target = 0, GRAIN_COVER * quartz.size
    while covered < target:
        window, disc = random_disc(shape, GRAIN_RADII, rng)
        overlap = (disc & quartz[window]).sum()
        if overlap < 0.25 * disc.sum():
            quartz[window] |= disc
            covered += int(disc.sum() - overlap)
    return quartz


def sandstone_section(shape, rng):
    """Class indices (uint8) of one 2-D section: see the module docstring."""
    quartz = grains(shape, rng)
    classes = np.where(quartz, QUARTZ, PORE).astype(np.uint8)
    # Clay coats: pore pixels within a coat thickness of a grain, on the part of the surfaces
    # where a smooth field is high, the thickness varying along the surface.
    to_grain = ndimage.distance_transform_edt(~quartz)
    patchy = unit_filtered_noise(shape, 6.0, rng)
    thickness = np.interp(unit_filtered_noise(shape, 4.0, rng), (-1.5, 1.5), CLAY_COAT_PX)
    coat = ~quartz & (to_grain <= thickness) & (patchy > np.quantile(patchy, 1 - CLAY_SHARE))
    # Narrow throats (pore no wider than THROAT_PX from grain to grain) fill with clay.
    throat = ~quartz & (ndimage.distance_transform_edt(~quartz) <= THROAT_PX)
    throat &= ndimage.binary_opening(~quartz, iterations=THROAT_PX) == 0
    fill = unit_filtered_noise(shape, CLAY_FILL_SIGMA, rng)
    aggregate = ~quartz & (fill > np.quantile(fill, 1 - CLAY_FILL_SHARE))
    classes[coat | throat | aggregate] = CLAY
    # Pyrite: a few small crystals anywhere.
    for _ in range(rng.poisson(PYRITE_PER_MPX * shape[0] * shape[1] / 1e6)):
        window, disc = random_disc(shape, PYRITE_RADII, rng)
        classes[window][disc] = PYRITE
    return classes


def image_section(classes, rng):
    """8-bit raw grey values of a section: class means, blur, correlated noise."""
    grey = np.asarray(GREY_MEANS, dtype=np.float32)[classes]
    clay = classes == CLAY
    grey[clay] += rng.normal(0.0, CLAY_TEXTURE, int(clay.sum())).astype(np.float32)
    grey = ndimage.gaussian_filter(grey, EDGE_BLUR, mode="nearest")
    grey += correlated_noise(classes.shape, NOISE_STD, NOISE_SIGMA, NOISE_SIGMA, 0.0, rng)
    return np.clip(np.rint(grey), 0, 255).astype(np.uint8)


def sparse_slice_numbers(count, step=SLICE_STEP):
    """The original slice numbers of the `count` written slices: 0, step, 2 step, ..."""
    return [i * step for i in range(count)]


def sparse_file_name(number):
    return f"{NAME}{number:04d}.tif"


def write_sparse_sandstone(out_dir, count=9, shape=(512, 498), seed=0):
    """Write `count` labelled sections 50 slices apart: `out_dir/raw/Sandstone_VersaNNNN.tif`
    (uint8) and `out_dir/labels/Sandstone_VersaNNNN.tif` (RGB masks in LABEL_COLOURS), NNNN the
    original slice number. The folder appears complete or not at all."""
    colours = np.asarray(LABEL_COLOURS, dtype=np.uint8)
    numbers = sparse_slice_numbers(count)
    counts = np.zeros(len(CLASS_NAMES))
    with atomic_output(out_dir) as tmp:
        (tmp / "raw").mkdir(parents=True)
        (tmp / "labels").mkdir()
        for number in numbers:
            rng = np.random.default_rng([seed, number])
            classes = sandstone_section(tuple(shape), rng)
            raw = image_section(classes, rng)
            tifffile.imwrite(tmp / "raw" / sparse_file_name(number), raw)
            tifffile.imwrite(tmp / "labels" / sparse_file_name(number), colours[classes])
            counts += np.bincount(classes.ravel(), minlength=len(CLASS_NAMES))
    log.info(
        "wrote %d sections of %s (slices %s) to %s; class fractions %s",
        count,
        tuple(shape),
        numbers,
        out_dir,
        dict(zip(CLASS_NAMES, (counts / counts.sum()).round(3), strict=True)),
    )
    return Path(out_dir)
