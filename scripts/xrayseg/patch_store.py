"""Appending patches to one split's group of a patch file, one compressed chunk per patch.

One chunk per patch lets a reader fetch any single patch (random access for a data loader) without
decompressing its neighbours.
"""

import numpy as np

# Raw float32 noise barely compresses; byte shuffling plus the cheapest gzip level still saves a
# part at little cost to reading. Labels are long runs and shrink many times. (Measured choices:
# see the patches section of config/config.yaml.)
RAW_COMPRESSION = {"compression": "gzip", "compression_opts": 1, "shuffle": True}
LABEL_COMPRESSION = {"compression": "gzip", "compression_opts": 1, "shuffle": False}
ORIGIN_CHUNK_ROWS = 4096


class PatchWriter:
    """Grows the raw, labels and origins datasets of one group as patches are appended."""

    def __init__(self, group, size):
        patch_shape = (size, size)
        self.raw = group.create_dataset(
            "raw",
            (0, *patch_shape),
            dtype="float32",
            maxshape=(None, *patch_shape),
            chunks=(1, *patch_shape),
            **RAW_COMPRESSION,
        )
        self.labels = group.create_dataset(
            "labels",
            (0, *patch_shape),
            dtype="uint8",
            maxshape=(None, *patch_shape),
            chunks=(1, *patch_shape),
            **LABEL_COMPRESSION,
        )
        self.origins = group.create_dataset(
            "origins",
            (0, 3),
            dtype="int32",
            maxshape=(None, 3),
            chunks=(ORIGIN_CHUNK_ROWS, 3),
            compression="gzip",
            compression_opts=1,
        )

    def append(self, raw, labels, origins):
        """Add patches: raw (n, s, s), labels (n, s, s), origins (n, 3) as slice, y, x."""
        count = len(raw)
        if count == 0:
            return
        start = self.raw.shape[0]
        for dataset, values in ((self.raw, raw), (self.labels, labels), (self.origins, origins)):
            dataset.resize(start + count, axis=0)
            dataset[start:] = np.asarray(values, dtype=dataset.dtype)
