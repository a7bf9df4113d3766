"""Class probabilities of predicted slices, one HDF5 layout for evaluate and predict.

Layout (evaluate's test_probabilities.h5, predict's probabilities.h5):
  probabilities  float16 (Z, C, Y, X)  one chunk per slice and class, gzip (float16 keeps three
                                       significant digits and halves the size)
  slice_index    int64 (Z,)            each slice's index: in the ingested volume (evaluate) or
                                       in the new scan (predict)
  slice_name     str (Z,)              each slice's source name (raw file, or stack[page])
  attrs          class_names, label_values (JSON; grey values or [R, G, B] colours, as the config
                 gives them), model (the model's name), temperature (JSON: the temperature the
                 probabilities are scaled with, xrayseg.inference.uncertainty; null: the model's
                 own probabilities)
"""

import json

import h5py
import numpy as np


class ProbabilityFile:
    """Writes the class probabilities of the given slices, one slice at a time."""

    def __init__(
        self,
        path,
        slice_index,
        slice_names,
        shape,
        class_names,
        label_values,
        model,
        temperature=None,
    ):
        slice_index = [int(z) for z in slice_index]
        if len(slice_names) != len(slice_index):
            raise ValueError(f"{len(slice_names)} slice names for {len(slice_index)} slices")
        self.position = {z: i for i, z in enumerate(slice_index)}
        self.file = h5py.File(path, "w")
        self.data = self.file.create_dataset(
            "probabilities",
            shape=(len(slice_index), len(class_names), *shape),
            dtype=np.float16,
            chunks=(1, 1, *shape) if slice_index else None,
            compression="gzip" if slice_index else None,
        )
        self.file.create_dataset("slice_index", data=np.asarray(slice_index, dtype=np.int64))
        self.file.create_dataset(
            "slice_name",
            data=np.asarray([str(n) for n in slice_names], dtype=object),
            dtype=h5py.string_dtype(),
        )
        self.file.attrs["class_names"] = json.dumps(list(class_names))
        self.file.attrs["label_values"] = json.dumps(np.asarray(label_values).tolist())
        self.file.attrs["model"] = str(model)
        self.file.attrs["temperature"] = json.dumps(temperature)

    def write(self, z, probabilities):
        """Store slice z's (C, Y, X) probabilities; z is one of the file's slice indices."""
        self.data[self.position[int(z)]] = probabilities.astype(np.float16)

    def close(self):
        self.file.close()
