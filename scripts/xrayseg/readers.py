"""Read image slices from the layouts users bring, behind one small interface.

`open_slices(spec)` turns a config entry into a `SliceSource`: an ordered list of slice names and a
`read(i)` that returns slice i as a 2-D (or, for RGB labels, Y x X x 3) array.
"""

import glob
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile

SINGLE_SLICE_SUFFIXES = (".tif", ".tiff", ".png")


@dataclass
class SliceSource:
    """Slices of one side (raw or labels), in the order they were listed."""

    spec: str
    paths: list

    @property
    def names(self):
        return [p.name for p in self.paths]

    def __len__(self):
        return len(self.paths)

    def read(self, index):
        return read_image_file(self.paths[index])


def read_image_file(path):
    """One slice from a single-image file, chosen by its ending; the error names the file."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".tif", ".tiff"):
            return tifffile.imread(path)
        if suffix == ".png":
            from skimage.io import imread

            return np.asarray(imread(path))
    except Exception as error:  # any decoder failure: report which file and why
        raise ValueError(f"cannot read {path}: {error}") from error
    raise ValueError(
        f"{path}: unsupported file type {suffix!r}; use one of {SINGLE_SLICE_SUFFIXES}"
    )


def expand_glob(spec):
    """Sorted files matching a glob (or every image file in a folder)."""
    path = Path(spec)
    if path.is_dir():
        files = [p for p in path.iterdir() if p.suffix.lower() in SINGLE_SLICE_SUFFIXES]
    else:
        files = [Path(p) for p in glob.glob(str(spec))]
    files = sorted(p for p in files if p.is_file())
    if not files:
        raise ValueError(
            f"no image files match {spec!r}; check the path in the config's data section"
        )
    return files


def open_slices(spec):
    """A SliceSource for a glob or a folder of single-slice image files."""
    return SliceSource(spec=str(spec), paths=expand_glob(spec))
