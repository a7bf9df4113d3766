"""A clean-up setting: a majority vote over a box and/or the removal of islands below a size.

Config form: a mapping {majority: box side (odd, 1: none), min_island: voxels (0: none)}; {} is
no clean-up. Applied in that order: the vote first (it removes specks of a few voxels and smooths
edges), then whole islands below the size.
"""

from dataclasses import asdict, dataclass

from xrayseg.cleanup.islands import check_min_voxels, remove_islands
from xrayseg.cleanup.majority import check_box, majority_vote


@dataclass(frozen=True)
class Cleanup:
    majority: int = 1
    min_island: int = 0

    def __post_init__(self):
        check_box(self.majority)
        check_min_voxels(self.min_island)

    @classmethod
    def from_config(cls, entry):
        """A Cleanup from one config entry ({majority, min_island}, either left out)."""
        unknown = set(entry or {}) - {"majority", "min_island"}
        if unknown:
            raise ValueError(f"clean-up keys {sorted(unknown)} unknown; use majority, min_island")
        return cls(**(entry or {}))

    @classmethod
    def from_record(cls, record):
        """The Cleanup a record describes (record(), or evaluate's cleanup.json, which adds why it
        was chosen: only majority and min_island are read)."""
        return cls(int(record["majority"]), int(record["min_island"]))

    @property
    def is_none(self):
        return self.majority == 1 and self.min_island <= 1

    @property
    def name(self):
        """A short readable name: 'none', 'majority 3', 'islands < 100', or both."""
        parts = []
        if self.majority > 1:
            parts.append(f"majority {self.majority}")
        if self.min_island > 1:
            parts.append(f"islands < {self.min_island}")
        return ", ".join(parts) or "none"

    def record(self):
        return {**asdict(self), "name": self.name}

    def apply(self, labels, n_classes):
        """The cleaned copy of a whole (Z, Y, X) label volume."""
        labels = majority_vote(labels, n_classes, self.majority)
        return remove_islands(labels, n_classes, self.min_island)
