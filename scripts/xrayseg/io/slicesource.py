"""The interface every reader of slices offers (xrayseg.io.readers, xrayseg.io.zarrstack).

A SliceSource is an ordered list of slices of one side (raw or labels) with a name each; it
reads one slice, or a run of them, only when asked.
"""

import numpy as np

from xrayseg.io.errors import disk_problem


class SliceSource:
    """Slices of one side (raw or labels), in order. Subclasses say how to read one item."""

    # Whether read_block reads a run of slices at once (else it reads them one by one).
    reads_blocks = False

    def __init__(self, spec, items):
        self.spec = str(spec)
        self.items = list(items)

    def __len__(self):
        return len(self.items)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Release an open file handle, if any."""

    @property
    def names(self):
        """A name per slice, as stored in volume.h5 and split.csv."""
        return [self.name_of(item) for item in self.items]

    @property
    def files(self):
        """The files this source reads (rule inputs, provenance)."""
        raise NotImplementedError

    def name(self, index):
        """The name of slice `index`."""
        return self.name_of(self.items[index])

    def name_of(self, item):
        raise NotImplementedError

    def read(self, index):
        raise NotImplementedError

    def read_block(self, start, stop):
        """Slices start..stop-1 (positions in this source) as one (Z, ...) array; sources that
        can read a run of slices at once (a Zarr array) do so."""
        return np.stack([self.read(index) for index in range(start, stop)])

    def select(self, positions):
        """A source of the same files holding only the slices at `positions`, in that order."""
        raise NotImplementedError


def unreadable(path, error, where=None):
    """The message for a file that cannot be read: a refused permission or a full disk as such,
    anything else as a damaged file or one of another format."""
    problem = disk_problem(error)  # no permission to read it: not a damaged file
    if problem:
        return problem
    place = f"{path} ({where})" if where else str(path)
    return (
        f"cannot read {place}: {error}. The file may be truncated or not the format its name "
        "says; copy it again or remove it (and its partner) from the data"
    )
