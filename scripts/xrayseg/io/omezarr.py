"""OME-Zarr images written slab by slab, with their multiscale pyramid, never held whole.

Layout (OME-NGFF 0.4 on Zarr v2, which napari's ome-zarr plugin, Fiji's n5-viewer / MoBIE and
neuroglancer all read):
  <name>.ome.zarr/.zattrs    multiscales: axes (c,) z, y, x; one dataset per level with its
                             scale (voxel size x 2**level); omero channel names for images
  <name>.ome.zarr/0, 1, ...  level 0 is full resolution; each next level halves z, y and x
                             (rounding up). Chunks of half a million voxels (256 x 256 px tiles,
                             8 slices deep), "/"-separated chunk keys, Blosc-compressed.

Labels are downsampled by the mode of each 2 x 2 x 2 box (ties: the lowest class), so every
level holds real label values; images (uncertainty) by the mean. The writer takes class indices
and stores them through a lookup (the training label values; RGB colours become a c axis of 3).
Slices arrive in order; each level keeps one slice awaiting its pair and at most one chunk depth
of slices before writing them, so memory is a few slices per level whatever the depth.

The metadata is written by hand (a few lines of JSON): ome-zarr-py would bring dask into every
prediction job for it. tests/unit/io/test_omezarr.py reads the images back with ome-zarr-py's
reader and with plain zarr.
"""

import numpy as np
import zarr

NGFF_VERSION = "0.4"
# Levels are added until the largest in-plane side of the last is at most this.
TOP_SIDE = 256
TILE = 256
CHUNK_VOXELS = 2**19


def level_count(shape, top_side=TOP_SIDE):
    """Levels of a pyramid over a (Z, Y, X) shape: halve until y and x are at most top_side."""
    count, side = 1, max(shape[1:])
    while side > top_side:
        side = -(-side // 2)
        count += 1
    return count


def level_shape(shape, level):
    """(Z, Y, X) of `level` (each side halved `level` times, rounding up)."""
    return tuple(-(-side // 2**level) for side in shape)


def chunk_shape(shape):
    """(depth, rows, cols) of the chunks of a (Z, Y, X) level: 256 px tiles, ~0.5 M voxels."""
    rows, cols = min(shape[1], TILE), min(shape[2], TILE)
    depth = max(1, min(shape[0], CHUNK_VOXELS // (rows * cols)))
    return depth, rows, cols


def mode_pair(first, second, n_classes):
    """The mode of each 2 x 2 x 2 box of two consecutive class slices (second None: the last
    slice of an odd stack, 1 x 2 x 2 boxes); ties go to the lowest class."""
    pair = first[None] if second is None else np.stack([first, second])
    rows, cols = pair.shape[1:]
    padded = np.full((len(pair), rows + rows % 2, cols + cols % 2), n_classes, np.uint8)
    padded[:, :rows, :cols] = pair
    boxes = padded.reshape(len(pair), padded.shape[1] // 2, 2, padded.shape[2] // 2, 2)
    counts = np.stack([(boxes == c).sum(axis=(0, 2, 4), dtype=np.uint8) for c in range(n_classes)])
    return np.argmax(counts, axis=0).astype(np.uint8)


def mean_pair(first, second):
    """The mean of each 2 x 2 x 2 box of two consecutive (C, Y, X) image slices (second None:
    1 x 2 x 2 boxes); odd sides repeat their last row or column."""
    pair = first[None] if second is None else np.stack([first, second])
    pair = pair.astype(np.float32)
    rows, cols = pair.shape[-2:]
    pair = np.pad(pair, [(0, 0)] * (pair.ndim - 2) + [(0, rows % 2), (0, cols % 2)], mode="edge")
    shape = pair.shape[:-2] + (pair.shape[-2] // 2, 2, pair.shape[-1] // 2, 2)
    return pair.reshape(shape).mean(axis=(0, -3, -1))


class _Level:
    """One level of the pyramid: slices buffered to a chunk depth, and paired for the next."""

    def __init__(self, array, store, reduce, following):
        self.array = array  # zarr array, (Z, Y, X) or (C, Z, Y, X)
        self.store = store  # slice -> what the array stores (label lookup, channel move)
        self.reduce = reduce  # (slice, slice or None) -> the next level's slice
        self.following = following
        self.depth = array.chunks[-3]
        self.buffer = []
        self.written = 0
        self.waiting = None

    def push(self, piece):
        self.buffer.append(piece)
        if len(self.buffer) == self.depth:
            self._flush()
        if self.following is None:
            return
        if self.waiting is None:
            self.waiting = piece
        else:
            self.following.push(self.reduce(self.waiting, piece))
            self.waiting = None

    def _flush(self):
        if not self.buffer:
            return
        stored = np.stack([self.store(piece) for piece in self.buffer], axis=-3)
        stop = self.written + len(self.buffer)
        self.array[..., self.written : stop, :, :] = stored
        self.written = stop
        self.buffer = []

    def finish(self):
        self._flush()
        if self.following is not None:
            if self.waiting is not None:
                self.following.push(self.reduce(self.waiting, None))
                self.waiting = None
            self.following.finish()


def _create_levels(group, shape, dtype, channels, levels, store, reduce):
    arrays = []
    for level in range(levels):
        spatial = level_shape(shape, level)
        chunks = chunk_shape(spatial)
        full = spatial if channels is None else (channels, *spatial)
        full_chunks = chunks if channels is None else (1, *chunks)
        arrays.append(
            group.create_array(
                str(level),
                shape=full,
                chunks=full_chunks,
                dtype=dtype,
                fill_value=0,
                chunk_key_encoding={"name": "v2", "separator": "/"},
            )
        )
    following = None
    for array in reversed(arrays):
        following = _Level(array, store, reduce, following)
    return following


def multiscales(name, levels, voxel_size, channels=False, kind="mean"):
    """The NGFF 0.4 `multiscales` attribute: axes ((c,) z, y, x) and each level's scale."""
    size = float(voxel_size)
    axes = [{"name": axis, "type": "space"} for axis in "zyx"]
    if channels:
        axes = [{"name": "c", "type": "channel"}, *axes]
    datasets = []
    for level in range(levels):
        scale = [size * 2**level] * 3
        if channels:
            scale = [1.0, *scale]
        datasets.append(
            {"path": str(level), "coordinateTransformations": [{"type": "scale", "scale": scale}]}
        )
    return [
        {"version": NGFF_VERSION, "name": name, "axes": axes, "datasets": datasets, "type": kind}
    ]


class LabelImageWriter:
    """A label image (segmentation.ome.zarr) from class-index slabs, in order.

    lookup: class index -> label value, (C,) grey or (C, 3) RGB
    (xrayseg.io.labelfiles.label_lookup).
    """

    def __init__(
        self,
        path,
        shape,
        lookup,
        voxel_size=1.0,
        name="segmentation",
        top_side=TOP_SIDE,
        attrs=None,
    ):
        lookup = np.asarray(lookup)
        self.path = path
        self.shape = tuple(int(s) for s in shape)
        self.levels = level_count(self.shape, top_side)
        rgb = lookup.ndim == 2
        n_classes = len(lookup)
        group = zarr.open_group(str(path), mode="w", zarr_format=2)

        def store(classes):
            values = lookup[classes]
            return np.moveaxis(values, -1, 0) if rgb else values

        self.first = _create_levels(
            group,
            self.shape,
            lookup.dtype,
            3 if rgb else None,
            self.levels,
            store,
            lambda a, b: mode_pair(a, b, n_classes),
        )
        group.attrs.update(
            {
                "multiscales": multiscales(name, self.levels, voxel_size, rgb, "mode"),
                "xrayseg": {"label_values": lookup.tolist(), **(attrs or {})},
            }
        )
        self.slices = 0

    def write(self, classes):
        """Append class-index slices (Z', Y, X) uint8."""
        for piece in np.asarray(classes, dtype=np.uint8):
            self.first.push(piece)
            self.slices += 1

    def close(self):
        if self.slices != self.shape[0]:
            raise ValueError(f"{self.path}: {self.slices} slices written of {self.shape[0]}")
        self.first.finish()


class MapImageWriter:
    """A float16 image of named maps per voxel (uncertainty.ome.zarr: one channel per map)."""

    def __init__(
        self,
        path,
        shape,
        names,
        voxel_size=1.0,
        name="uncertainty",
        top_side=TOP_SIDE,
        attrs=None,
    ):
        self.path = path
        self.names = list(names)
        self.shape = tuple(int(s) for s in shape)
        self.levels = level_count(self.shape, top_side)
        group = zarr.open_group(str(path), mode="w", zarr_format=2)
        self.first = _create_levels(
            group,
            self.shape,
            np.float16,
            len(self.names),
            self.levels,
            lambda maps: maps.astype(np.float16),
            mean_pair,
        )
        channels = [
            {
                "label": label,
                "color": "FFFFFF",
                "active": True,
                "window": {"start": 0.0, "end": 1.0, "min": 0.0, "max": 1.0},
            }
            for label in self.names
        ]
        group.attrs.update(
            {
                "multiscales": multiscales(name, self.levels, voxel_size, True, "mean"),
                "omero": {"channels": channels},
                "xrayseg": {"maps": self.names, **(attrs or {})},
            }
        )
        self.slices = 0

    def write(self, maps):
        """Append one slice's maps: {name: (Y, X)}."""
        # float16 as stored: the buffered slices take half the memory of float32.
        self.first.push(np.stack([np.asarray(maps[n], dtype=np.float16) for n in self.names]))
        self.slices += 1

    def close(self):
        if self.slices != self.shape[0]:
            raise ValueError(f"{self.path}: {self.slices} slices written of {self.shape[0]}")
        self.first.finish()
