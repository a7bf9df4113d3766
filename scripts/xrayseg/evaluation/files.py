"""Files an evaluation writes: tables, the prediction stack, class probabilities. All atomic."""

import json

import h5py
import numpy as np
import pandas as pd
import tifffile

from xrayseg.io.atomic import atomic_output


def write_table(frame, path):
    with atomic_output(path) as tmp:
        frame.to_csv(tmp, index=False)


def write_json(data, path):
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, allow_nan=True))


def confusion_table(confusions, class_names):
    """Long table split, true, predicted, count of pooled confusion matrices per split."""
    return pd.DataFrame(
        [
            {"split": split, "true": true, "predicted": pred, "count": int(matrix[t, p])}
            for split, matrix in confusions.items()
            for t, true in enumerate(class_names)
            for p, pred in enumerate(class_names)
        ],
        columns=["split", "true", "predicted", "count"],
    )


def write_prediction_stack(predictions, label_values, path):
    """A uint8 ZYX TIFF of predicted slices in the label values of the input (so it opens in Fiji
    or napari next to the labels); ImageJ metadata names each slice by its index in the volume.
    RGB label values give an RGB stack (ZYXS)."""
    slices = sorted(predictions)
    lookup = np.asarray(label_values, dtype=np.uint8)
    rgb = lookup.ndim == 2
    if slices:
        stack = np.stack([lookup[predictions[z]] for z in slices])
    else:
        stack = np.zeros((0, 1, 1, 3) if rgb else (0, 1, 1), dtype=np.uint8)
    with atomic_output(path) as tmp:
        tifffile.imwrite(
            tmp,
            stack,
            imagej=True,
            photometric="rgb" if rgb else "minisblack",
            metadata={"axes": "ZYXS" if rgb else "ZYX", "Labels": [f"slice {z}" for z in slices]},
            compression="zlib",
        )


class ProbabilityWriter:
    """Class probabilities of predicted slices into an HDF5 file, one slice at a time.

    Layout: dataset `probabilities` float16 (Z, C, Y, X) (float16 keeps 3 significant digits and
    halves the size), dataset `slices` (volume index of each Z), attrs class_names, label_values.
    """

    def __init__(self, path, slices, n_classes, shape, class_names, label_values):
        self.file = h5py.File(path, "w")
        self.index = {int(z): i for i, z in enumerate(slices)}
        self.data = self.file.create_dataset(
            "probabilities",
            shape=(len(slices), n_classes, *shape),
            dtype=np.float16,
            chunks=(1, 1, *shape) if len(slices) else None,
            compression="gzip" if len(slices) else None,
        )
        self.file.create_dataset("slices", data=np.asarray(slices, dtype=np.int64))
        self.file.attrs["class_names"] = json.dumps(list(class_names))
        # Grey values or [R, G, B] colours, as the config gives them.
        self.file.attrs["label_values"] = json.dumps(np.asarray(label_values).tolist())

    def write(self, z, probabilities):
        self.data[self.index[int(z)]] = probabilities.astype(np.float16)

    def close(self):
        self.file.close()
