"""Island removal that streams: a survey of the components slab by slab, then a relabelling.

A component of a volume larger than memory can run through many slabs, so whether it is an
island (fewer than N voxels) is known only once every slab has been seen. Pass 1 surveys each
slab alone (its components, sizes and faces with other classes: xrayseg.cleanup.islands) and
merges the surveys of neighbouring slabs: components of one class that touch across the border
are linked, and the faces across it counted. Once the whole volume is surveyed, `resolve` joins
the linked components (scipy.sparse.csgraph) and gives each its fill class. Pass 2 labels each
slab again, exactly as pass 1 did (the plan keeps the slab grid and each slab's id offset), and
maps every voxel through its component's fill class.

Surveys of separate runs of slices (chunk jobs) merge the same way, in any grouping, so the
result equals xrayseg.cleanup.islands.remove_islands on the whole volume, voxel for voxel.
Memory: one slab's labels and ids (9 bytes per voxel), the border slices' ids, and per component
a few integers.
"""

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from xrayseg.cleanup.islands import (
    check_min_voxels,
    component_ids,
    contact_counts,
    fill_classes,
)


@dataclass
class Survey:
    """The components of slices [start, stop) of a volume.

    Ids are 1-based; index 0 of phases, sizes and contacts stands for voxels of no class. slabs
    lists (start, stop, id offset) of each slab surveyed alone; links are pairs of ids of one
    class that touch across a border between slabs. first / last: the labels and ids of the
    first and last slice (for merging with a neighbour).
    """

    n_classes: int
    start: int
    stop: int
    phases: np.ndarray
    sizes: np.ndarray
    contacts: np.ndarray
    links: np.ndarray
    slabs: list
    first_labels: np.ndarray
    first_ids: np.ndarray
    last_labels: np.ndarray
    last_ids: np.ndarray

    @property
    def count(self):
        """Components surveyed (ids 1..count)."""
        return len(self.phases) - 1

    def arrays(self):
        """The survey as a dict of arrays (np.savez), for a chunk job to hand to the assembler."""
        return {
            "meta": np.array([self.n_classes, self.start, self.stop], dtype=np.int64),
            "phases": self.phases,
            "sizes": self.sizes,
            "contacts": self.contacts,
            "links": self.links,
            "slabs": np.asarray(self.slabs, dtype=np.int64).reshape(-1, 3),
            "first_labels": self.first_labels,
            "first_ids": self.first_ids,
            "last_labels": self.last_labels,
            "last_ids": self.last_ids,
        }

    @classmethod
    def from_arrays(cls, arrays):
        n_classes, start, stop = (int(v) for v in arrays["meta"])
        return cls(
            n_classes,
            start,
            stop,
            arrays["phases"],
            arrays["sizes"],
            arrays["contacts"],
            arrays["links"],
            [tuple(int(v) for v in row) for row in arrays["slabs"]],
            arrays["first_labels"],
            arrays["first_ids"],
            arrays["last_labels"],
            arrays["last_ids"],
        )


def survey_slab(labels, n_classes, start):
    """The Survey of one slab (Z, Y, X) of class labels whose first slice is slice `start`."""
    labels = np.asarray(labels)
    if labels.ndim != 3 or labels.shape[0] == 0:
        raise ValueError(f"a slab is a (Z, Y, X) array of at least one slice, got {labels.shape}")
    ids, phases = component_ids(labels, n_classes)
    count = len(phases) - 1
    return Survey(
        n_classes=n_classes,
        start=start,
        stop=start + labels.shape[0],
        phases=phases,
        sizes=np.bincount(ids.ravel(), minlength=count + 1).astype(np.int64),
        contacts=contact_counts(ids, labels, n_classes, count),
        links=np.zeros((0, 2), dtype=np.int64),
        slabs=[(start, start + labels.shape[0], 0)],
        first_labels=labels[0].copy(),
        first_ids=ids[0].copy(),
        last_labels=labels[-1].copy(),
        last_ids=ids[-1].copy(),
    )


def merge(before, after):
    """One Survey of two that cover neighbouring runs of slices (before.stop == after.start)."""
    if before.stop != after.start or before.n_classes != after.n_classes:
        raise ValueError(
            f"surveys of slices [{before.start}, {before.stop}) and "
            f"[{after.start}, {after.stop}) are not neighbours"
        )
    offset = before.count
    shifted_first = np.where(after.first_ids > 0, after.first_ids + offset, 0)
    # Components of one class facing each other across the border are one component.
    same = (before.last_labels == after.first_labels) & (before.last_ids > 0)
    border_links = np.unique(np.stack([before.last_ids[same], shifted_first[same]], axis=1), axis=0)
    after_links = after.links + offset  # links join components: their ids are never 0
    contacts = np.concatenate([before.contacts, after.contacts[1:]])
    contacts[0] += after.contacts[0]
    # Faces across the border between two classes: a contact for the component on each side.
    differs = before.last_labels != after.first_labels
    cross = np.zeros_like(contacts)
    _add(cross, before.last_ids[differs], after.first_labels[differs])
    _add(cross, shifted_first[differs], before.last_labels[differs])
    sizes = np.concatenate([before.sizes, after.sizes[1:]])
    sizes[0] += after.sizes[0]
    return Survey(
        n_classes=before.n_classes,
        start=before.start,
        stop=after.stop,
        phases=np.concatenate([before.phases, after.phases[1:]]),
        sizes=sizes,
        contacts=contacts + cross,
        links=np.concatenate([before.links, border_links, after_links]),
        slabs=before.slabs + [(s, e, o + offset) for s, e, o in after.slabs],
        first_labels=before.first_labels,
        first_ids=before.first_ids,
        last_labels=after.last_labels,
        last_ids=np.where(after.last_ids > 0, after.last_ids + offset, 0),
    )


def _add(contacts, ids, classes):
    count, n_classes = contacts.shape
    counted = (ids > 0) & (classes < n_classes)
    flat = ids[counted].astype(np.int64) * n_classes + classes[counted].astype(np.int64)
    contacts += np.bincount(flat, minlength=count * n_classes).reshape(count, n_classes)


@dataclass
class IslandPlan:
    """What pass 2 needs: the slab grid of the survey and the class every component becomes."""

    n_classes: int
    slabs: list  # (start, stop, id offset)
    fill: np.ndarray  # class per surveyed id (index 0: unused)
    removed: int  # islands filled
    removed_voxels: int

    def relabel(self, labels, slab):
        """The cleaned labels of one slab of the plan (`labels`: that slab's slices as surveyed)."""
        start, stop, offset = slab
        labels = np.asarray(labels)
        if labels.shape[0] != stop - start:
            raise ValueError(
                f"slab [{start}, {stop}) has {stop - start} slices, got {labels.shape}"
            )
        ids, _ = component_ids(labels, self.n_classes)
        counted = ids > 0
        result = labels.copy()
        result[counted] = self.fill[ids[counted] + offset].astype(labels.dtype)
        return result


def resolve(survey, min_voxels):
    """The IslandPlan of a survey of the whole volume: linked components joined, islands below
    `min_voxels` voxels given the class across most of their faces."""
    min_voxels = check_min_voxels(min_voxels)
    n = survey.count + 1
    links = survey.links
    graph = coo_matrix(
        (np.ones(len(links), dtype=np.int8), (links[:, 0], links[:, 1])), shape=(n, n)
    )
    _, root = connected_components(graph, directed=False)
    # Sum sizes and contacts over each joined component (id 0 stays alone: it has no links).
    sizes = np.bincount(root, weights=survey.sizes, minlength=root.max() + 1).astype(np.int64)
    contacts = np.stack(
        [
            np.bincount(root, weights=survey.contacts[:, cls], minlength=root.max() + 1)
            for cls in range(survey.n_classes)
        ],
        axis=1,
    ).astype(np.int64)
    phases = np.full(root.max() + 1, -1, dtype=np.int64)
    phases[root] = survey.phases
    fill = fill_classes(sizes, phases, contacts, min_voxels)
    changed = fill != phases
    return IslandPlan(
        n_classes=survey.n_classes,
        slabs=list(survey.slabs),
        fill=fill[root],
        removed=int(np.count_nonzero(changed)),
        removed_voxels=int(sizes[changed].sum()),
    )
