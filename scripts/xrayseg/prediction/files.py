"""Files a prediction set gets: label slices, the label stack, class probabilities, tables.

Segmentations are written in the label values of the training data (the class -> value mapping
of data.label_values): grey values as uint8 (uint16 when a value exceeds 255), RGB colours as
uint8 Y x X x 3, so they open next to the training labels in Fiji or napari.
"""

import json

import h5py
import numpy as np
import pandas as pd
import tifffile

from xrayseg.io.atomic import atomic_output

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


def write_label_slice(path, labels):
    """One label slice (Y x X, or Y x X x 3 for RGB) as a zlib-compressed TIFF."""
    photometric = "rgb" if labels.ndim == 3 else "minisblack"
    tifffile.imwrite(path, labels, photometric=photometric, compression="zlib")


def write_label_stack(path, slice_paths, shape, dtype):
    """A Z x Y x X (x 3) TIFF of the slice files, read back one at a time (never all in memory):
    an ImageJ hyperstack when it fits a classic TIFF, else a BigTIFF."""
    slice_paths = list(slice_paths)
    rgb = len(shape) == 3
    full_shape = (len(slice_paths), *shape)
    size = int(np.prod(full_shape)) * np.dtype(dtype).itemsize
    options = {"bigtiff": True}
    if size < IMAGEJ_LIMIT:
        options = {"imagej": True, "metadata": {"axes": "ZYXS" if rgb else "ZYX"}}
    tifffile.imwrite(
        path,
        (tifffile.imread(p) for p in slice_paths),
        shape=full_shape,
        dtype=dtype,
        photometric="rgb" if rgb else "minisblack",
        compression="zlib",
        **options,
    )


class ProbabilityFile:
    """Class probabilities of every slice, written one slice at a time (float16 HDF5).

    Layout: `probabilities` (Z, C, Y, X) float16, one chunk per slice and class, gzip;
    `names` (Z,) the input slice names; attrs class_names, label_values (JSON), model.
    """

    def __init__(self, path, names, n_classes, shape, class_names, label_values, model):
        self.file = h5py.File(path, "w")
        self.data = self.file.create_dataset(
            "probabilities",
            shape=(len(names), n_classes, *shape),
            dtype=np.float16,
            chunks=(1, 1, *shape),
            compression="gzip",
        )
        self.file.create_dataset(
            "names", data=np.asarray(names, dtype=object), dtype=h5py.string_dtype()
        )
        self.file.attrs["class_names"] = json.dumps(list(class_names))
        self.file.attrs["label_values"] = json.dumps(np.asarray(label_values).tolist())
        self.file.attrs["model"] = model

    def write(self, z, probabilities):
        self.data[z] = probabilities.astype(np.float16)

    def close(self):
        self.file.close()


def fraction_row(z, name, output, classes, class_names):
    """fractions.csv row of one slice: its index, input and output names, class fractions."""
    counts = np.bincount(classes.ravel(), minlength=len(class_names))[: len(class_names)]
    row = {"slice": z, "name": name, "file": output}
    for cls, count in zip(class_names, counts, strict=True):
        row[f"fraction_{cls}"] = float(count / classes.size)
    return row


def write_csv(rows, path, columns=None):
    with atomic_output(path) as tmp:
        pd.DataFrame(rows, columns=columns).to_csv(tmp, index=False)


def write_json(data, path):
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, allow_nan=True))
