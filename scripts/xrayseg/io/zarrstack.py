"""A Zarr array (v2 or v3) as a stack of slices: "scan.zarr", "scan.ome.zarr/0", "scan.zarr:raw".

zarr-python reads both formats and every compressor they use, lazily: a slice or a run of slices
is read (and decompressed) only when asked for, chunk by chunk. Reading a run of slices at once
(`read_block`) decompresses each chunk once, where slice-by-slice reads of a store chunked deeper
than one slice would decompress it once per slice.
Errors say what is wrong in the same words as the other readers: no array there (and which
arrays the store does hold), wrong dimensionality, a dtype that holds no grey values.
"""

from pathlib import Path

import numpy as np
import zarr
import zarr.errors

from xrayseg.io.errors import InputError
from xrayseg.io.slicesource import SliceSource, unreadable

# dtype kinds that hold grey values or labels: unsigned and signed integers, floats.
NUMERIC_KINDS = "uif"


class ZarrStack(SliceSource):
    """A Zarr array of Z x Y x X (or Z x Y x X x 3) slices; `array` its path in the store."""

    kind = "zarr"
    reads_blocks = True

    def __init__(self, spec, path, array="", indices=None):
        self.path = Path(path)
        self.array_path = array or ""
        self._array = None
        if indices is None:
            indices = range(self._open().shape[0])
        super().__init__(spec, indices)

    def _open(self):
        if self._array is None:
            self._array = open_zarr_array(self.path, self.array_path)
        return self._array

    @property
    def where(self):
        return f"{self.path}/{self.array_path}" if self.array_path else str(self.path)

    @property
    def files(self):
        return [self.path]

    def name_of(self, item):
        inside = f"/{self.array_path}" if self.array_path else ""
        return f"{self.path.name}{inside}[{item}]"

    def read(self, index):
        item = self.items[index]
        try:
            return np.asarray(self._open()[item])
        except Exception as error:
            raise InputError(unreadable(self.where, error, f"slice {item}")) from error

    def read_block(self, start, stop):
        """Slices start..stop-1 (positions in this source) as one array, read at once."""
        items = self.items[start:stop]
        if items and items == list(range(items[0], items[0] + len(items))):
            try:
                return np.asarray(self._open()[items[0] : items[-1] + 1])
            except Exception as error:
                where = f"slices {items[0]}..{items[-1]}"
                raise InputError(unreadable(self.where, error, where)) from error
        return super().read_block(start, stop)

    def select(self, positions):
        return ZarrStack(self.spec, self.path, self.array_path, [self.items[p] for p in positions])

    def close(self):
        self._array = None


def open_zarr_array(path, array=""):
    """The zarr.Array at `array` in the store at `path`, checked: 3-D (or 4-D with 3 colour
    channels last) and numeric; every error names the place and what to give instead."""
    path = Path(path)
    where = f"{path}/{array}" if array else str(path)
    if not path.is_dir():
        raise InputError(f"{path} does not exist or is not a Zarr store (a folder)")
    try:
        node = zarr.open(store=str(path), path=array or None, mode="r")
    except (zarr.errors.NodeTypeValidationError, FileNotFoundError, KeyError) as error:
        raise InputError(_no_array(path, array)) from error
    except Exception as error:
        if "not found" in str(error).lower() or "no array" in str(error).lower():
            raise InputError(_no_array(path, array)) from error
        raise InputError(unreadable(where, error)) from error
    if not isinstance(node, zarr.Array):
        raise InputError(_no_array(path, array, " (a group is there)"))
    shape = node.shape
    if len(shape) not in (3, 4) or (len(shape) == 4 and shape[-1] not in (3, 4)):
        raise InputError(
            f"{where} must be a Z x Y x X (or Z x Y x X x 3) array, got shape {shape}; give the "
            "array of one channel and time point (an OME-Zarr image with more axes: cut it)"
        )
    if node.dtype.kind not in NUMERIC_KINDS:
        raise InputError(
            f"{where} holds {node.dtype} values; slices must be integer or float grey values"
        )
    return node


def _no_array(path, array, note=""):
    found = zarr_arrays(path)
    place = f"no array at {array!r}" if array else "no array at its root"
    hint = f"; give one as '{path}/<array>'" if found else ""
    return (
        f"{path} holds {place}{note}{hint}. Arrays of 3 or more dimensions in the store: "
        f"{', '.join(found) or 'none'}"
    )


def zarr_arrays(path):
    """'<path> <shape>' of every array of 3 or more dimensions in a Zarr store (for errors)."""
    try:
        root = zarr.open(store=str(path), mode="r")
    except Exception:
        return []
    if isinstance(root, zarr.Array):
        return [f"/ {root.shape}"] if root.ndim >= 3 else []
    found = []

    def visit(group, prefix):
        for name, node in group.members():
            if isinstance(node, zarr.Array):
                if node.ndim >= 3:
                    found.append(f"{prefix}{name} {node.shape}")
            else:
                visit(node, f"{prefix}{name}/")

    try:
        visit(root, "")
    except Exception:
        return found
    return found
