"""Label files: class maps written in the label values of the training data, and read back.

Every segmentation the pipeline writes (evaluate's test_predictions.tif, predict's slices/ and
segmentation.tif) goes through these functions, so they all open next to the training labels in
Fiji or napari: grey values as uint8 (uint16 when a value exceeds 255), RGB colours as uint8
Y x X x 3.
"""

import numpy as np
import tifffile

from xrayseg.io.atomic import atomic_output
from xrayseg.io.volume import IGNORE_INDEX

# ImageJ hyperstacks are classic TIFFs (< 4 GiB); larger stacks are written as BigTIFF.
IMAGEJ_LIMIT = 2**32 - 2**25


def label_lookup(label_values):
    """Array mapping class index -> label value: (C,) grey or (C, 3) RGB, the smallest dtype."""
    values = np.asarray(label_values)
    if values.min() < 0 or values.max() > 65535 or not np.all(values == np.round(values)):
        raise ValueError(f"label values {label_values} are not integers in 0..65535")
    if values.ndim == 2 and values.max() > 255:
        raise ValueError(f"RGB label values {label_values} must lie in 0..255")
    return values.astype(np.uint8 if values.max() <= 255 else np.uint16)


def label_classes(labels, label_values, where):
    """Class indices (uint8) of label images in `label_values` (grey, or RGB in the last axis):
    the inverse of label_lookup. An error names `where` when a value is not a label value."""
    values = np.asarray(label_values)
    rgb = values.ndim == 2
    classes = np.full(labels.shape[:-1] if rgb else labels.shape, IGNORE_INDEX, dtype=np.uint8)
    for index, value in enumerate(values):
        classes[np.all(labels == value, axis=-1) if rgb else labels == value] = index
    if (classes == IGNORE_INDEX).any():
        raise ValueError(f"{where}: values outside the label values {label_values}")
    return classes


def write_label_slice(path, labels):
    """One label slice (Y x X, or Y x X x 3 for RGB) as a zlib-compressed TIFF (not atomic:
    write it into a folder that appears as a whole)."""
    photometric = "rgb" if labels.ndim == 3 else "minisblack"
    tifffile.imwrite(path, labels, photometric=photometric, compression="zlib")


def write_label_stack(path, slices, stack_shape, dtype, slice_labels=None):
    """A Z x Y x X (x 3) TIFF of label slices, taken one at a time from the iterable `slices`
    (never all in memory): an ImageJ hyperstack when it fits a classic TIFF, else a BigTIFF.
    Written atomically.

    stack_shape: Z x Y x X, or Z x Y x X x 3 for RGB; dtype: label_lookup's; slice_labels: a
    name per slice for ImageJ's slice labels (hyperstacks only).
    """
    rgb = len(stack_shape) == 4
    size = int(np.prod(stack_shape)) * np.dtype(dtype).itemsize
    options = {"bigtiff": True}
    if size < IMAGEJ_LIMIT:
        metadata = {"axes": "ZYXS" if rgb else "ZYX"}
        if slice_labels is not None:
            metadata["Labels"] = list(slice_labels)
        options = {"imagej": True, "metadata": metadata}
    with atomic_output(path) as tmp:
        tifffile.imwrite(
            tmp,
            iter(slices),
            shape=tuple(stack_shape),
            dtype=dtype,
            photometric="rgb" if rgb else "minisblack",
            compression="zlib",
            **options,
        )


def write_class_stack(path, class_maps, label_values):
    """Class maps {slice index: Y x X class indices} as a label stack in `label_values`, in
    slice order; ImageJ names each slice by its index ("slice 12")."""
    slices = sorted(class_maps)
    lookup = label_lookup(label_values)
    shape = (len(slices), *class_maps[slices[0]].shape, *lookup.shape[1:])
    maps = (lookup[class_maps[z]] for z in slices)
    write_label_stack(path, maps, shape, lookup.dtype, [f"slice {z}" for z in slices])


def read_label_stack(path, label_values):
    """Class maps (Z x Y x X uint8) of a label stack written by write_label_stack; an error names
    the file when it holds values outside `label_values`."""
    stack = tifffile.imread(path)
    rgb = np.asarray(label_values).ndim == 2
    if stack.ndim == (3 if rgb else 2):  # tifffile drops the Z axis of a one-slice stack
        stack = stack[np.newaxis]
    return label_classes(stack, label_values, path)
