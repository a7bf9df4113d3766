"""Removal of small islands, in memory: small components take the class they touch most.

A face-connected component of one class with fewer than a given number of voxels is an island.

Predicted segmentations carry specks a few voxels large (a YSZ speck on a pore-Ni edge, where
partial volume gives YSZ grey values); each adds interfaces and triple-phase boundary that the
labels do not have. A component is face-connected (6-connectivity, as the microstructure
measures connectivity); its fill class is the class across the most of its faces (ties: the
lowest class), counted on the labels before any removal, so the result does not depend on the
order components are visited. A component that touches no other class (the whole volume, or
only ignored voxels around it) is kept.

This module is the in-memory reference: the whole (Z, Y, X) volume at once. The streaming version
(xrayseg.cleanup.survey) gives the same labels slab by slab.
"""

import numpy as np
from scipy import ndimage

FACES = ndimage.generate_binary_structure(3, 1)


def check_min_voxels(min_voxels):
    """Islands below this many voxels are removed: an integer >= 0 (0 and 1 remove nothing)."""
    if isinstance(min_voxels, bool) or int(min_voxels) != min_voxels or min_voxels < 0:
        raise ValueError(f"an island size must be an integer >= 0, got {min_voxels!r}")
    return int(min_voxels)


def component_ids(labels, n_classes):
    """(ids, phases): int64 ids of every voxel's face-connected component, 0 for voxels of no
    class, numbered class by class (all components of class 0 first); phases[id] is the class of
    component id (phases[0] = -1)."""
    ids = np.zeros(labels.shape, dtype=np.int64)
    phases = [-1]
    for cls in range(n_classes):
        local, count = ndimage.label(labels == cls, structure=FACES)
        ids[local > 0] = local[local > 0] + (len(phases) - 1)
        phases += [cls] * count
    return ids, np.asarray(phases, dtype=np.int64)


def face_pairs(labels, axis):
    """The voxels on either side of every face normal to `axis`: (before, after) views."""
    before = [slice(None)] * labels.ndim
    after = [slice(None)] * labels.ndim
    before[axis], after[axis] = slice(None, -1), slice(1, None)
    return labels[tuple(before)], labels[tuple(after)]


def add_contacts(contacts, ids_a, classes_b):
    """contacts[id, class] += 1 for every face whose side a is component `id` and whose side b
    holds another class (arrays of equal shape; ids 0 and classes outside 0..n-1 skipped)."""
    count, n_classes = contacts.shape
    ids_a, classes_b = ids_a.ravel(), classes_b.ravel()
    counted = (ids_a > 0) & (classes_b < n_classes)
    flat = ids_a[counted] * n_classes + classes_b[counted].astype(np.int64)
    contacts += np.bincount(flat, minlength=count * n_classes).reshape(count, n_classes)


def contact_counts(ids, labels, n_classes, count):
    """(count + 1, n_classes) faces between each component and each other class."""
    contacts = np.zeros((count + 1, n_classes), dtype=np.int64)
    for axis in range(labels.ndim):
        ids_before, ids_after = face_pairs(ids, axis)
        labels_before, labels_after = face_pairs(labels, axis)
        differs = labels_before != labels_after
        add_contacts(contacts, ids_before[differs], labels_after[differs])
        add_contacts(contacts, ids_after[differs], labels_before[differs])
    return contacts


def fill_classes(sizes, phases, contacts, min_voxels):
    """Per component the class it becomes: its own, or for an island (fewer than min_voxels
    voxels, touching another class) the class across most of its faces, ties to the lowest."""
    fill = phases.copy()
    touching = contacts.sum(axis=1) > 0
    islands = (sizes < min_voxels) & touching & (phases >= 0)
    fill[islands] = np.argmax(contacts[islands], axis=1)
    return fill


def remove_islands(labels, n_classes, min_voxels):
    """`labels` (Z, Y, X) with every island below `min_voxels` voxels filled (a copy)."""
    min_voxels = check_min_voxels(min_voxels)
    labels = np.asarray(labels)
    if labels.ndim != 3:
        raise ValueError(f"remove_islands takes a (Z, Y, X) volume, got shape {labels.shape}")
    if min_voxels <= 1:
        return labels.copy()
    ids, phases = component_ids(labels, n_classes)
    sizes = np.bincount(ids.ravel(), minlength=len(phases))
    contacts = contact_counts(ids, labels, n_classes, len(phases) - 1)
    fill = fill_classes(sizes, phases, contacts, min_voxels)
    result = labels.copy()
    counted = ids > 0
    result[counted] = fill[ids[counted]].astype(labels.dtype)
    return result
