"""Active triple-phase boundary: TPB where each phase belongs to a network reaching the faces.

A TPB edge can only react when gas reaches it through the pores, ions through the YSZ and
electrons through the Ni: each of its three phases must belong to a face-connected component of
that phase which touches the sample faces named for it (both faces along the stack by default:
a network that percolates through the sample; one face: a network connected to, say, the current
collector). An edge counts as active when, for each phase of its triple, at least one of its four
voxels holding that phase lies in such a component. Edges and counted sites are those of
xrayseg.microstructure.counting (edge counting, IGNORE_INDEX cuts paths and leaves sites out), so
the active density is a part of the total TPB density with the same denominators.
"""

import numpy as np
from scipy import ndimage

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.microstructure.counting import check_labels, check_voxel_size, tpb_densities

# Faces by name: (axis, first or last layer).
FACES = {
    "zmin": (0, 0),
    "zmax": (0, -1),
    "ymin": (1, 0),
    "ymax": (1, -1),
    "xmin": (2, 0),
    "xmax": (2, -1),
}
# Where an isolated voxel of a triple's phase is moved to: a label no phase uses, so edges around
# it lack that phase (and are still counted sites).
ISOLATED = IGNORE_INDEX - 1


def connected_to_faces(labels, phase, faces):
    """Boolean map of `phase`'s voxels in face-connected components touching every face named in
    `faces` (names of FACES); every voxel of the phase when `faces` is empty."""
    labels = check_labels(labels)
    if labels.ndim != 3:
        raise ValueError(f"need a 3-D volume, got shape {labels.shape}")
    unknown = sorted(set(faces) - set(FACES))
    if unknown:
        raise ValueError(f"unknown face {unknown[0]!r}; faces are {', '.join(FACES)}")
    mask = labels == phase
    if not faces:
        return mask
    structure = ndimage.generate_binary_structure(3, 1)
    components, count = ndimage.label(mask, structure=structure)
    keep = np.ones(count + 1, dtype=bool)
    keep[0] = False
    for face in faces:
        axis, layer = FACES[face]
        touching = np.zeros(count + 1, dtype=bool)
        touching[np.unique(np.take(components, layer, axis=axis))] = True
        keep &= touching
    return keep[components]


def active_labels(labels, faces_by_phase):
    """The labels with every voxel of a phase in `faces_by_phase` ({class index: face names})
    that is not connected to its faces moved to ISOLATED."""
    labels = check_labels(labels)
    if np.any(labels == ISOLATED):
        raise ValueError(f"label {ISOLATED} is reserved for isolated voxels in active TPB")
    active = labels.copy()
    for phase, faces in faces_by_phase.items():
        isolated = (labels == phase) & ~connected_to_faces(labels, phase, faces)
        active[isolated] = ISOLATED
    return active


def active_tpb_densities(labels, triples, faces_by_phase, voxel_size=1.0):
    """(total, active) TPB length per volume for each triple of class indices, as two arrays.

    faces_by_phase: {class index: face names} for every phase of the triples (a phase left out
    counts whole, as with no faces). Densities as xrayseg.microstructure.tpb_densities gives them.
    """
    voxel_size = check_voxel_size(voxel_size)
    labels = check_labels(labels)
    triples = [tuple(int(p) for p in triple) for triple in triples]
    phases = {phase for triple in triples for phase in triple}
    faces = {phase: list(faces_by_phase.get(phase, [])) for phase in sorted(phases)}
    total = tpb_densities(labels, triples, voxel_size)
    active = tpb_densities(active_labels(labels, faces), triples, voxel_size)
    return total, active
