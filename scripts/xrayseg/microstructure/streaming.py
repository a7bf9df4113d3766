"""Microstructure metrics of a predicted volume fed one slice at a time (volume.csv).

A prediction set can be larger than memory, so its label volume is never held whole. Slices are
gathered into slabs of `slab` slices; consecutive slabs share one slice, so every face and edge
between two slices lies inside exactly one slab. The counts of xrayseg.microstructure (classes,
interface faces, triple-phase edges and their counted sites) add up over slabs once the shared
slice's in-plane counts, seen by both slabs, are taken off once. Connected fractions join the
slabs' face-connected components (scipy.ndimage.label) across the shared slice into a graph whose
connected components (scipy.sparse.csgraph) are the volume's. The results equal
measure_microstructure on the whole volume (tests/test_predict_volume.py checks it), with memory
for one slab (about 15 bytes per slab voxel at the peak) plus a few integers per component.
"""

import itertools

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.microstructure import interface_face_counts, triple_edge_counts
from xrayseg.microstructure.compare import UNITS, check_roles, class_labels
from xrayseg.microstructure.counting import check_labels, check_voxel_size, class_counts

# Slices per slab: large enough that labelling runs on big arrays, small enough for any slice size.
DEFAULT_SLAB = 32


class PhaseComponents:
    """Face-connected components of one phase, grown slab by slab."""

    def __init__(self, phase, axis):
        self.phase, self.axis = phase, axis
        self.sizes = []  # voxels per component of each slab (the shared slice counted once)
        self.starts, self.ends = [], []  # component ids touching the first / last layer
        self.links = []  # (id, id) pairs of components joined across a shared slice
        self.count = 0  # components so far; ids are 1-based and global
        self.last_slice = None  # ids in the last slab's last slice

    def add(self, slab, shared):
        """Label one slab (Z x Y x X); `shared`: its first slice is the previous slab's last."""
        structure = ndimage.generate_binary_structure(3, 1)
        ids, n_local = ndimage.label(slab == self.phase, structure=structure)
        counted = ids[1:] if shared else ids
        self.sizes.append(np.bincount(counted.ravel(), minlength=n_local + 1)[1:])
        np.add(ids, self.count, out=ids, where=ids > 0)  # global ids
        if shared:
            joined = (self.last_slice > 0) & (ids[0] > 0)
            self.links.append(unique_pairs(self.last_slice[joined], ids[0][joined]))
        elif self.axis == 0:
            self.starts.append(np.unique(ids[0]))
        if self.axis != 0:
            self.starts.append(np.unique(np.take(ids, 0, axis=self.axis)))
            self.ends.append(np.unique(np.take(ids, -1, axis=self.axis)))
        self.last_slice = ids[-1].copy()
        self.count += n_local

    def connected_fraction(self):
        """Share of the phase's voxels in components touching both ends; NaN without voxels."""
        sizes = np.concatenate(self.sizes).astype(np.int64)
        total = sizes.sum()
        if total == 0:
            return float("nan")
        ends = self.ends if self.axis != 0 else [np.unique(self.last_slice)]
        links = np.concatenate(self.links) if self.links else np.zeros((0, 2), dtype=np.int64)
        graph = coo_matrix(
            (np.ones(len(links), dtype=np.int8), (links[:, 0] - 1, links[:, 1] - 1)),
            shape=(self.count, self.count),
        )
        _, component = connected_components(graph, directed=False)
        spanning = np.intersect1d(component[_ids(self.starts) - 1], component[_ids(ends) - 1])
        return float(sizes[np.isin(component, spanning)].sum() / total)


def unique_pairs(first, second):
    """The distinct (first[i], second[i]) pairs of two equal-length id arrays, as (n, 2) int64.

    One int64 key per pair (ids stay below 2**31) sorts far faster than np.unique(axis=0), which
    matters on slices of millions of pixels."""
    keys = np.unique(first.astype(np.int64) << 32 | second.astype(np.int64))
    return np.stack([keys >> 32, keys & 0xFFFFFFFF], axis=1)


def _ids(arrays):
    ids = np.unique(np.concatenate(arrays)) if arrays else np.zeros(0, dtype=np.int64)
    return ids[ids > 0]


class StreamingMicrostructure:
    """measure_microstructure of a volume whose slices arrive one at a time, in order.

    roles: {name: class index} as measure_microstructure takes it; names: a display name per class
    0..n_classes-1 for classes without a role (None: "class <i>", as measure_microstructure).
    """

    def __init__(
        self, n_classes, roles, voxel_size=1.0, axis=0, class_names=None, slab=DEFAULT_SLAB
    ):
        if axis not in (0, 1, 2):
            raise ValueError(f"microstructure.axis must be 0, 1 or 2, got {axis}")
        self.n_classes = int(n_classes)
        self.roles = check_roles(roles)
        if max(self.roles.values(), default=-1) >= self.n_classes:
            raise ValueError(f"roles {self.roles} name a class beyond the {n_classes} classes")
        self.voxel_size = check_voxel_size(voxel_size)
        self.axis = axis
        self.slab = max(1, int(slab))
        self.names = class_labels(self.roles, self.n_classes, class_names)
        self.triples = list(itertools.combinations(sorted(self.roles.values()), 3))
        self.class_counts = np.zeros(256, dtype=np.int64)
        self.faces = self.face_sites = self.edges = self.edge_sites = 0
        self.components = [PhaseComponents(p, axis) for p in range(self.n_classes)]
        self.buffer = []  # slices of the slab being gathered (after the shared one)
        self.shared = None  # the previous slab's last slice
        self.shape = None
        self.n_slices = 0

    def add(self, labels):
        """Feed the next slice (Y x X class indices, IGNORE_INDEX for unknown)."""
        labels = check_labels(labels)
        if labels.ndim != 2:
            raise ValueError(f"feed one 2-D slice at a time, got shape {labels.shape}")
        if self.shape is None:
            self.shape = labels.shape
        elif labels.shape != self.shape:
            raise ValueError(f"slice shape {labels.shape} differs from the first {self.shape}")
        self.buffer.append(labels)
        self.n_slices += 1
        if len(self.buffer) == self.slab:
            self._flush()

    def _flush(self):
        if not self.buffer:
            return
        shared = self.shared is not None
        slab = np.stack(([self.shared] if shared else []) + self.buffer)
        self.class_counts += class_counts(slab[1:] if shared else slab)
        faces, face_sites = interface_face_counts(slab, self.n_classes)
        if self.triples:
            edges, edge_sites = triple_edge_counts(slab, self.triples)
        if shared:  # the shared slice's in-plane faces and edges were counted with its own slab
            plane_faces, plane_sites = interface_face_counts(slab[:1], self.n_classes)
            faces, face_sites = faces - plane_faces, face_sites - plane_sites
            if self.triples:
                plane_edges, plane_edge_sites = triple_edge_counts(slab[:1], self.triples)
                edges, edge_sites = edges - plane_edges, edge_sites - plane_edge_sites
        self.faces, self.face_sites = self.faces + faces, self.face_sites + face_sites
        if self.triples:
            self.edges, self.edge_sites = self.edges + edges, self.edge_sites + edge_sites
        for components in self.components:
            components.add(slab, shared)
        self.shared = slab[-1]
        self.buffer = []

    def result(self):
        """{(metric, phases): value}, keyed and computed as measure_microstructure does."""
        if self.n_slices == 0:
            raise ValueError("no slices were fed to the volume metrics")
        self._flush()
        counts = self.class_counts
        unexpected = np.flatnonzero(counts[self.n_classes : IGNORE_INDEX])
        if unexpected.size:
            raise ValueError(
                f"labels hold class {self.n_classes + unexpected[0]} "
                f"but only {self.n_classes} classes exist"
            )
        counted = counts[: self.n_classes].sum()
        names = self.names
        metrics = {}
        for index in range(self.n_classes):
            fraction = counts[index] / counted if counted else float("nan")
            metrics["volume_fraction", names[index]] = float(fraction)
        for index, components in enumerate(self.components):
            metrics["connected_fraction", names[index]] = components.connected_fraction()
        with np.errstate(invalid="ignore", divide="ignore"):
            per_axis = self.faces / self.face_sites[:, None, None]
        density = per_axis.sum(axis=0) / self.voxel_size
        density = density + density.T
        for low, high in itertools.combinations(range(self.n_classes), 2):
            metrics["interface_density", f"{names[low]}/{names[high]}"] = float(density[low, high])
        if self.triples:
            with np.errstate(invalid="ignore", divide="ignore"):
                per_pair = self.edges / self.edge_sites[None, :]
            tpb = per_pair.sum(axis=1) / self.voxel_size**2
            for triple, value in zip(self.triples, tpb, strict=True):
                metrics["tpb_density", "/".join(names[i] for i in triple)] = float(value)
        return metrics


def metrics_table(metrics):
    """volume.csv rows: metric, phases, unit, value."""
    return [
        {"metric": metric, "phases": phases, "unit": UNITS[metric], "value": value}
        for (metric, phases), value in metrics.items()
    ]
