"""Read image slices from the layouts users bring, behind one small interface.

`open_slices(spec)` turns a data spec (see xrayseg.settings.specs) into a `SliceSource`
(xrayseg.io.slicesource): an ordered list of slice names and a `read(i)` that returns slice i as
a 2-D array, or Y x X x C for colour images; Zarr arrays come from xrayseg.io.zarrstack.
Sources open their file lazily and read one slice at a time, so no stack ever sits in memory whole.
Every read error names the file (and the slice of a stack) and says what to do.
"""

from pathlib import Path

import h5py
import numpy as np
import tifffile

from xrayseg.io.errors import InputError
from xrayseg.io.slicesource import SliceSource, unreadable
from xrayseg.io.zarrstack import ZarrStack
from xrayseg.settings.specs import SINGLE_SLICE_SUFFIXES, parse_spec, spec_files


class FileSlices(SliceSource):
    """One image file per slice: a folder or glob of TIFF / PNG files."""

    kind = "files"

    @property
    def paths(self):
        return [Path(p) for p in self.items]

    @property
    def files(self):
        return self.paths

    def name_of(self, item):
        return Path(item).name

    def read(self, index):
        return read_image_file(self.items[index])

    def select(self, positions):
        return FileSlices(self.spec, [self.items[p] for p in positions])


class TiffStack(SliceSource):
    """A multi-page TIFF: page z is slice z (Z x Y x X, or Z x Y x X x 3 for RGB)."""

    kind = "stack"

    def __init__(self, spec, path, indices=None):
        self.path = Path(path)
        self._tiff = None
        if indices is None:
            indices = range(self._count())
        super().__init__(spec, indices)

    def _handle(self):
        if self._tiff is None:
            try:
                self._tiff = tifffile.TiffFile(self.path)
            except Exception as error:
                raise InputError(unreadable(self.path, error)) from error
        return self._tiff

    def _count(self):
        tiff = self._handle()
        try:
            return len(tiff.series[0].pages)
        except Exception as error:  # a damaged page index shows up here, not on opening
            self.close()
            raise InputError(unreadable(self.path, error)) from error

    @property
    def files(self):
        return [self.path]

    def name_of(self, item):
        return f"{self.path.name}[{item}]"

    def read(self, index):
        item = self.items[index]
        try:
            return self._handle().asarray(key=item, series=0)
        except Exception as error:
            raise InputError(unreadable(self.path, error, f"page {item}")) from error

    def select(self, positions):
        return TiffStack(self.spec, self.path, [self.items[p] for p in positions])

    def close(self):
        if self._tiff is not None:
            self._tiff.close()
            self._tiff = None


class Hdf5Stack(SliceSource):
    """An HDF5 dataset of Z x Y x X (or Z x Y x X x 3) slices: "scan.h5:/exchange/data"."""

    kind = "hdf5"

    def __init__(self, spec, path, dataset, indices=None):
        self.path = Path(path)
        self.dataset = dataset
        self._file = None
        if indices is None:
            indices = range(self._dataset().shape[0])
        super().__init__(spec, indices)

    def _dataset(self):
        if self._file is None:
            try:
                self._file = h5py.File(self.path, "r")
            except Exception as error:
                raise InputError(unreadable(self.path, error)) from error
        if self.dataset is None or self.dataset not in self._file:
            found = _stack_datasets(self._file)
            self.close()
            what = (
                "names no dataset" if self.dataset is None else f"has no dataset {self.dataset!r}"
            )
            raise InputError(
                f"{self.path} {what}; give it as '{self.path}:/path/to/dataset'. "
                f"Datasets of 3 or more dimensions in the file: {found or 'none'}"
            )
        dataset = self._file[self.dataset]
        shape = getattr(dataset, "shape", None)  # a group has none
        if shape is None or len(shape) not in (3, 4):
            self.close()
            raise InputError(
                f"{self.path}:{self.dataset} must be a Z x Y x X (or Z x Y x X x 3) dataset, "
                f"got {'a group' if shape is None else f'shape {shape}'}"
            )
        return dataset

    @property
    def files(self):
        return [self.path]

    def name_of(self, item):
        return f"{self.path.name}:{self.dataset}[{item}]"

    def read(self, index):
        item = self.items[index]
        dataset = self._dataset()
        try:
            return np.asarray(dataset[item])
        except Exception as error:
            raise InputError(unreadable(self.path, error, f"{self.dataset}[{item}]")) from error

    def select(self, positions):
        return Hdf5Stack(self.spec, self.path, self.dataset, [self.items[p] for p in positions])

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None


def _stack_datasets(h5file):
    found = []

    def visit(name, node):
        if getattr(node, "ndim", 0) >= 3:
            found.append(f"/{name} {node.shape}")

    h5file.visititems(visit)
    return found


def read_image_file(path):
    """One slice from a single-image file, chosen by its ending; errors name the file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SINGLE_SLICE_SUFFIXES:
        raise InputError(
            f"{path}: unsupported file type {suffix!r}; slice files must be one of "
            f"{SINGLE_SLICE_SUFFIXES} (narrow the glob in the config's data section)"
        )
    try:
        if suffix == ".png":
            from skimage.io import imread

            return np.asarray(imread(path))
        with tifffile.TiffFile(path) as tiff:
            n_pages = len(tiff.pages)
            if n_pages == 1:
                return tiff.asarray()
    except Exception as error:  # any decoder failure: say which file and why
        raise InputError(unreadable(path, error)) from error
    raise InputError(
        f"{path} is a stack of {n_pages} pages, but it was listed as one slice of a folder or "
        "glob; give a multi-page TIFF as its own path (data.raw: scan.tif), not in a folder of "
        "slices"
    )


def open_slices(spec):
    """A SliceSource for a data spec: folder, glob, multi-page TIFF, HDF5 dataset or Zarr
    array."""
    parsed = parse_spec(spec)
    if parsed.kind == "zarr":
        return ZarrStack(spec, parsed.path, parsed.dataset)
    if parsed.kind == "hdf5":
        if not parsed.path.is_file():
            raise InputError(f"{parsed.path} does not exist (from data spec {spec!r})")
        return Hdf5Stack(spec, parsed.path, parsed.dataset)
    if parsed.kind == "stack":
        if not parsed.path.is_file():
            raise InputError(f"{parsed.path} does not exist (from data spec {spec!r})")
        return TiffStack(spec, parsed.path)
    files = spec_files(spec)
    if not files:
        raise InputError(
            f"no image files match {spec!r}; check the path (relative to the working directory) "
            "in the config's data section"
        )
    return FileSlices(spec, files)
