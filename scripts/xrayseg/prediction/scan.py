"""A new scan to segment: its slices read, checked and normalised as training was.

Slices are read one at a time or a slab at a time; the volume is never loaded whole. A 2.5-D
model reads each slice up to 2k+1 times (as itself and as a neighbour's context), so the last few
normalised slices are kept in a small cache; the prediction engine reads a slab and its halo at
once (`block`), which decompresses each chunk of a Zarr array once.
"""

from collections import OrderedDict
from pathlib import Path

import numpy as np

from xrayseg.io.greyslice import grey_block, grey_slice, is_finite, non_finite_error
from xrayseg.io.readers import open_slices
from xrayseg.settings.specs import TIFF_SUFFIXES


class NewScan:
    """Slices of a prediction set: raw(z) as read, scan[z] normalised float32 (Y x X)."""

    def __init__(self, spec, normalisation, cache_slices=1):
        self.source = open_slices(spec)
        if len(self.source) == 0:
            raise ValueError(f"{spec!r} holds no slices")
        self.low = np.float32(normalisation["low"])
        self.scale = np.float32(float(normalisation["high"]) - float(normalisation["low"]))
        self.cache = OrderedDict()
        self.cache_slices = max(1, int(cache_slices))
        self.shape = None
        self.shape = self.raw(0).shape

    def __len__(self):
        return len(self.source)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.source.close()

    @property
    def names(self):
        return self.source.names

    def raw(self, z):
        """Slice z as stored: 2-D greyscale, same shape as slice 0, finite."""
        pixels = grey_slice(self.source, z, self.shape)
        if not is_finite(pixels):
            raise non_finite_error([self.source.name(z)], self.source.spec)
        return pixels

    def block(self, start, stop):
        """Slices start..stop-1 normalised, float32 (Z, Y, X), read at once."""
        pixels = grey_block(self.source, start, stop, self.shape)
        if not is_finite(pixels):
            bad = [z for z in range(start, stop) if not is_finite(pixels[z - start])]
            raise non_finite_error([self.source.name(z) for z in bad], self.source.spec)
        pixels = pixels.astype(np.float32)
        pixels -= self.low
        pixels /= self.scale
        return pixels

    def __getitem__(self, z):
        """Slice z normalised with the training normalisation, float32."""
        if z not in self.cache:
            pixels = self.raw(z).astype(np.float32)
            self.cache[z] = (pixels - self.low) / self.scale
            while len(self.cache) > self.cache_slices:
                self.cache.popitem(last=False)
        return self.cache[z]


def output_names(source):
    """A TIFF file name per slice of a SliceSource: the input's base name for slice files
    (.png becomes .tif), `<file stem>_<index>.tif` for the pages of a stack or HDF5 dataset."""
    if source.kind == "files":
        names = [slice_file_name(Path(name)) for name in source.names]
    else:
        width = max(4, len(str(len(source) - 1)))
        stem = source.path.stem.removesuffix(".ome")  # scan.ome.zarr: scan
        names = [f"{stem}_{item:0{width}d}.tif" for item in source.items]
    return unique_names(names, source.spec)


def slice_file_name(path):
    """The output name of one slice file: the same name for a TIFF, .tif for anything else."""
    return path.name if path.suffix.lower() in TIFF_SUFFIXES else f"{path.stem}.tif"


def unique_names(names, spec):
    """The names, or a clear error when two slices would write the same file."""
    seen, repeated = set(), []
    for name in names:
        if name in seen:
            repeated.append(name)
        seen.add(name)
    if repeated:
        raise ValueError(
            f"{spec!r}: several slices would be written as {sorted(set(repeated))[:5]}; give "
            "the slices distinct base names (one folder, or a narrower glob)"
        )
    return names
