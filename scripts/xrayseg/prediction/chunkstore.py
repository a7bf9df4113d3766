"""What a chunk job hands the assemble job: one folder per chunk, complete or absent.

results/predict/{model}/{set}/chunks/{start}-{stop}/ (written under a temporary name and
renamed into place when complete: xrayseg.io.atomic):
  store.zarr/       Zarr v2 group, slices [start, stop) of the chunk only:
                      labels         uint8 (Z, Y, X)     class indices after the majority vote
                      <map>          float16 (Z, Y, X)   each uncertainty map (uncertainty, and
                                                         flip_disagreement with flip TTA)
                      probabilities  float16 (Z, C, Y, X) only when the set saves them
  survey.npz        the island survey of the chunk's labels (xrayseg.cleanup.survey.Survey), only
                    when the clean-up removes islands
  chunk.json        the chunk's range, the plan it followed, the model, per-slice rows (name,
                    mean uncertainty), timings and the job's peak memory
Each array is chunked one slice deep, so any run of slices reads back without decompressing
more than it needs.
"""

import json
from pathlib import Path

import numpy as np
import zarr

from xrayseg.cleanup.survey import Survey

STORE, SURVEY, META = "store.zarr", "survey.npz", "chunk.json"
TILE = 1024


def _slice_chunks(shape):
    """One slice deep, tiles of at most TILE px: (1, ..., rows, cols)."""
    return (1, *shape[1:-2], min(shape[-2], TILE), min(shape[-1], TILE))


class ChunkWriter:
    """Writes one chunk's folder (`folder`: the temporary path atomic_output gives)."""

    def __init__(self, folder, chunk, slice_shape, map_names, n_classes, probabilities=False):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True)
        self.start, self.stop = chunk
        depth = self.stop - self.start
        group = zarr.open_group(str(self.folder / STORE), mode="w", zarr_format=2)

        def create(name, shape, dtype):
            return group.create_array(
                name, shape=shape, chunks=_slice_chunks(shape), dtype=dtype, fill_value=0
            )

        self.labels = create("labels", (depth, *slice_shape), np.uint8)
        self.maps = {name: create(name, (depth, *slice_shape), np.float16) for name in map_names}
        self.probabilities = None
        if probabilities:
            self.probabilities = create(
                "probabilities", (depth, n_classes, *slice_shape), np.float16
            )

    def write_labels(self, first, labels):
        """Class-index slices starting at scan slice `first` (within the chunk)."""
        offset = first - self.start
        self.labels[offset : offset + len(labels)] = labels

    def write_prediction(self, z, prediction):
        """Scan slice z's uncertainty maps (and probabilities) from a SlicePrediction."""
        for name, array in self.maps.items():
            array[z - self.start] = np.asarray(prediction.maps[name]).astype(np.float16)
        if self.probabilities is not None:
            self.probabilities[z - self.start] = prediction.probabilities.astype(np.float16)

    def finish(self, meta, survey=None):
        if survey is not None:
            np.savez(self.folder / SURVEY, **survey.arrays())
        (self.folder / META).write_text(json.dumps(meta, indent=1))


class ChunkReader:
    """A finished chunk folder, read back by scan slice."""

    def __init__(self, folder):
        self.folder = Path(folder)
        meta_path = self.folder / META
        if not meta_path.is_file():
            raise ValueError(f"{self.folder} is not a finished chunk (no {META}); run it again")
        self.meta = json.loads(meta_path.read_text())
        self.start, self.stop = self.meta["chunk"]
        self.group = zarr.open_group(str(self.folder / STORE), mode="r")

    def labels(self, start, stop):
        return np.asarray(self.group["labels"][start - self.start : stop - self.start])

    def maps(self, name, start, stop):
        return np.asarray(self.group[name][start - self.start : stop - self.start])

    def probabilities(self, start, stop):
        return np.asarray(self.group["probabilities"][start - self.start : stop - self.start])

    def survey(self):
        path = self.folder / SURVEY
        if not path.is_file():
            raise ValueError(f"{self.folder} has no island survey; run the chunk again")
        with np.load(path) as arrays:
            return Survey.from_arrays({key: arrays[key] for key in arrays.files})
