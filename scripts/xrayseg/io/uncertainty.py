"""Per-pixel uncertainty of predicted slices: one HDF5 layout for evaluate, predict and suggest.

The sibling of xrayseg.io.probabilities, whose slice table and attributes it shares.

Layout (evaluate's test_uncertainty.h5, predict's uncertainty.h5, suggest's uncertainty.h5):
  uncertainty        float16 (Z, Y, X)  normalised entropy of the temperature-scaled class
                                        probabilities, 0 (sure) .. 1 (every class alike); NaN
                                        for a model without probabilities (threshold)
  flip_disagreement  float16 (Z, Y, X)  only with flip TTA: mutual information between the
                                        prediction and the flip, over log C, 0 .. 1
  slice_index        int64 (Z,)         each slice's index: in the ingested volume (evaluate,
                                        suggest) or in the new scan (predict)
  slice_name         str (Z,)           each slice's source name
  attrs              model, temperature (null: the model's own probabilities), defined
                     (false for a model without probabilities), maps (JSON list of the maps)
Every map is one gzip chunk per slice; float16 keeps three significant digits.
"""

import json

import h5py
import numpy as np


class UncertaintyFile:
    """Writes the uncertainty maps of the given slices, one slice at a time."""

    def __init__(self, path, slice_index, slice_names, shape, maps, model, temperature, defined):
        slice_index = [int(z) for z in slice_index]
        if len(slice_names) != len(slice_index):
            raise ValueError(f"{len(slice_names)} slice names for {len(slice_index)} slices")
        self.position = {z: i for i, z in enumerate(slice_index)}
        self.file = h5py.File(path, "w")
        self.maps = {
            name: self.file.create_dataset(
                name,
                shape=(len(slice_index), *shape),
                dtype=np.float16,
                chunks=(1, *shape) if slice_index else None,
                compression="gzip" if slice_index else None,
            )
            for name in maps
        }
        self.file.create_dataset("slice_index", data=np.asarray(slice_index, dtype=np.int64))
        self.file.create_dataset(
            "slice_name",
            data=np.asarray([str(n) for n in slice_names], dtype=object),
            dtype=h5py.string_dtype(),
        )
        self.file.attrs["model"] = str(model)
        self.file.attrs["temperature"] = json.dumps(temperature)
        self.file.attrs["defined"] = bool(defined)
        self.file.attrs["maps"] = json.dumps(list(maps))

    def write(self, z, maps):
        """Store slice z's {name: (Y, X)} maps; z is one of the file's slice indices."""
        for name, dataset in self.maps.items():
            dataset[self.position[int(z)]] = np.asarray(maps[name]).astype(np.float16)

    def close(self):
        self.file.close()


def slice_means(path, name="uncertainty"):
    """{slice_index: mean of map `name` over the slice} of an uncertainty file (NaN pixels left
    out; NaN for a slice without a defined pixel), read one slice at a time."""
    with h5py.File(path, "r") as file:
        if name not in file:
            raise ValueError(f"{path}: no {name!r} map (it holds {json.loads(file.attrs['maps'])})")
        data, index = file[name], file["slice_index"][:]
        means = {}
        for i, z in enumerate(index):
            values = np.asarray(data[i], dtype=np.float32)
            defined = np.isfinite(values)
            means[int(z)] = float(values[defined].mean()) if defined.any() else float("nan")
    return means
