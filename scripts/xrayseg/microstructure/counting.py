"""Local counts on the voxel grid: phase fractions, interface faces and triple-phase edges.

Every density is a count of events divided by the number of grid sites where that event could have
been seen (sites whose voxels are all counted, i.e. not IGNORE_INDEX), scaled by the voxel size.
This is the usual point-counting estimator of stereology; it stays unbiased when some voxels are
ignored, and without ignored voxels it differs from "count / box volume" only by the missing layer
of sites at the box faces (a factor n / (n - 1) per axis).

The functions work unchanged on a 2-D slice, where faces become pixel edges (boundary length per
area) and voxel edges become pixel corners (triple points per area).
"""

import itertools

import numpy as np

from xrayseg.io.volume import IGNORE_INDEX

# Face counting measures a flat interface with unit normal n as (|n_x| + |n_y| + |n_z|) times its
# true area; averaged over isotropic orientations this is 3 * 1/2 = 3/2 (Cauchy-Crofton: S_V = 2 P_L
# while face counting sums P_L over the three axes). In 2-D, edge counting gives |cos| + |sin|, on
# average 4/pi. Divide by these factors for an estimate of the true isotropic area / length.
FACE_COUNT_OVERESTIMATE_3D = 1.5
EDGE_COUNT_OVERESTIMATE_2D = 4 / np.pi
# Triple-phase edge counting over true length for randomly oriented straight lines with 120-degree
# junctions, measured (the package documentation says how); about 1.60 at unequal angles.
TPB_EDGE_COUNT_OVERESTIMATE = 1.53


def check_labels(labels):
    """The labels as an integer array of 2 or 3 dimensions; a clear error otherwise."""
    labels = np.asarray(labels)
    if labels.ndim not in (2, 3):
        raise ValueError(f"need a 2-D slice or a 3-D volume, got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must hold integer class indices, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() > IGNORE_INDEX):
        raise ValueError(f"labels must lie in 0..{IGNORE_INDEX} ({IGNORE_INDEX} = ignored)")
    return labels.astype(np.uint8, copy=False)


def check_voxel_size(voxel_size):
    if not np.isfinite(voxel_size) or voxel_size <= 0:
        raise ValueError(f"voxel_size must be a positive number, got {voxel_size}")
    return float(voxel_size)


def class_counts(labels):
    """Voxels per label value 0..255 (index 255 holds the ignored voxels).

    Counted slab by slab so that a large volume never needs a full-size int64 copy.
    """
    labels = check_labels(labels)
    counts = np.zeros(256, dtype=np.int64)
    for plane in labels.reshape(labels.shape[0], -1):
        counts += np.bincount(plane, minlength=256)
    return counts


def phase_fractions(labels, n_classes):
    """Fraction of each class 0..n_classes-1 among the counted (not ignored) voxels.

    The fractions sum to one unless a label outside 0..n_classes-1 (other than the ignore
    index) is present, which raises. NaN everywhere when no voxel is counted.
    """
    counts = class_counts(labels)
    unexpected = np.flatnonzero(counts[n_classes:IGNORE_INDEX])
    if unexpected.size:
        raise ValueError(
            f"labels hold class {n_classes + unexpected[0]} but only {n_classes} classes exist"
        )
    counted = counts[:n_classes].sum()
    if counted == 0:
        return np.full(n_classes, np.nan)
    return counts[:n_classes] / counted


def _neighbour_views(labels, axis):
    """The voxels before and after every face normal to `axis` (two same-shape views)."""
    before = [slice(None)] * labels.ndim
    after = [slice(None)] * labels.ndim
    before[axis] = slice(None, -1)
    after[axis] = slice(1, None)
    return labels[tuple(before)], labels[tuple(after)]


def interface_face_counts(labels, n_classes):
    """Faces between two different counted classes, per axis, and the counted face sites.

    Returns (faces, sites): faces[axis, i, j] (i < j) is the number of faces normal to `axis`
    with class i on one side and class j on the other; sites[axis] is the number of faces normal
    to `axis` whose two voxels are both counted. A face next to an ignored voxel is neither an
    interface nor a site: unknown, it says nothing either way.
    """
    labels = check_labels(labels)
    faces = np.zeros((labels.ndim, n_classes, n_classes), dtype=np.int64)
    sites = np.zeros(labels.ndim, dtype=np.int64)
    any_ignored = bool(np.any(labels == IGNORE_INDEX))
    for axis in range(labels.ndim):
        before, after = _neighbour_views(labels, axis)
        if any_ignored:
            sites[axis] = np.count_nonzero((before != IGNORE_INDEX) & (after != IGNORE_INDEX))
        else:
            sites[axis] = before.size
        differs = before != after
        low = np.minimum(before[differs], after[differs]).astype(np.int64)
        high = np.maximum(before[differs], after[differs]).astype(np.int64)
        counted = high != IGNORE_INDEX  # the larger label is 255 whenever either side is ignored
        low, high = low[counted], high[counted]
        if high.size and high.max() >= n_classes:
            raise ValueError(f"labels hold class {high.max()} but only {n_classes} classes exist")
        pair_counts = np.bincount(low * n_classes + high, minlength=n_classes * n_classes)
        faces[axis] = pair_counts.reshape(n_classes, n_classes)
    return faces, sites


def interface_densities(labels, n_classes, voxel_size=1.0):
    """Interface area per volume (3-D) or boundary length per area (2-D) for each class pair.

    Face counting: every voxel face (pixel edge) with class i on one side and j on the other
    counts one face of area voxel_size**2 (length voxel_size). Per axis, the interface faces are
    divided by the counted face sites and by voxel_size; the axes add up. Returns an
    (n_classes, n_classes) symmetric array with a zero diagonal.

    Known bias: face counting overestimates smooth isotropic interfaces by 3/2 in 3-D and by 4/pi
    in 2-D (FACE_COUNT_OVERESTIMATE_3D, EDGE_COUNT_OVERESTIMATE_2D). Relative errors between two
    segmentations of the same structure are affected far less than the absolute values.
    """
    voxel_size = check_voxel_size(voxel_size)
    faces, sites = interface_face_counts(labels, n_classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_axis = faces / sites[:, None, None]
    density = per_axis.sum(axis=0) / voxel_size
    return density + density.T


def _corner_blocks(labels, axes):
    """The four voxels around every grid line running perpendicular to both `axes`.

    In 3-D with axes (1, 2) these are the 2 x 2 voxels around each voxel edge along axis 0; in
    2-D with axes (0, 1) the 2 x 2 pixels around each pixel corner.
    """
    first, second = axes
    blocks = []
    for shift_first, shift_second in itertools.product((0, 1), repeat=2):
        index = [slice(None)] * labels.ndim
        index[first] = slice(shift_first, labels.shape[first] - 1 + shift_first)
        index[second] = slice(shift_second, labels.shape[second] - 1 + shift_second)
        blocks.append(labels[tuple(index)])
    return blocks


def _phase_bits(labels, phases):
    """One bit per phase in `phases` (bit k for phases[k]); the bit after them marks ignored."""
    if len(phases) > 31:
        raise ValueError("at most 31 phases can be tested for triple junctions at once")
    dtype = np.uint8 if len(phases) < 8 else np.uint32
    table = np.zeros(256, dtype=dtype)
    for bit, phase in enumerate(phases):
        table[phase] = 1 << bit
    table[IGNORE_INDEX] = 1 << len(phases)
    return table[labels], dtype(1 << len(phases))


def _phases_around_edges(labels, phases):
    """Per axis pair, the bit set of `phases` (and the ignored bit) around every edge / corner.

    Yields (axes, present, ignored_bit); `present` has the labels' shape less one along both axes.
    """
    bits, ignored_bit = _phase_bits(labels, phases)
    for axes in itertools.combinations(range(labels.ndim), 2):
        blocks = _corner_blocks(bits, axes)
        present = blocks[0] | blocks[1]
        present |= blocks[2]
        present |= blocks[3]
        yield axes, present, ignored_bit


def _triple_bits(phases, triple):
    return sum(1 << phases.index(p) for p in triple)


def triple_edge_maps(labels, triple):
    """Where the three phases of `triple` meet: one boolean map per axis pair.

    Returns {axes: map}; in 3-D, map (1, 2) marks the voxel edges along axis 0, and map[z, y, x]
    is the edge shared by voxels (z, y..y+1, x..x+1). In 2-D the only map, (0, 1), marks pixel
    corners. An edge is marked when its four voxels hold all three phases (the fourth voxel may
    be any phase) and none of them is ignored.
    """
    labels = check_labels(labels)
    phases = sorted({int(p) for p in triple})
    if len(phases) != 3:
        raise ValueError(f"a triple-phase boundary needs three different phases, got {triple}")
    wanted = _triple_bits(phases, phases)
    return {
        axes: (present & (wanted | ignored_bit)) == wanted
        for axes, present, ignored_bit in _phases_around_edges(labels, phases)
    }


def counted_edge_maps(labels):
    """Where a triple-phase edge could be seen: one boolean map per axis pair, laid out as
    triple_edge_maps' maps, True where none of the edge's four voxels is ignored."""
    labels = check_labels(labels)
    ignored = (labels == IGNORE_INDEX).view(np.uint8)
    maps = {}
    for axes in itertools.combinations(range(labels.ndim), 2):
        blocks = _corner_blocks(ignored, axes)
        maps[axes] = (blocks[0] | blocks[1] | blocks[2] | blocks[3]) == 0
    return maps


def triple_edge_counts(labels, triples):
    """Voxel edges (pixel corners) where each triple of phases meets, and the counted edge sites.

    The counting rule is that of triple_edge_maps. Returns (edges, sites): edges[t, k] counts the
    edges of triple t for the k-th axis pair of itertools.combinations(range(ndim), 2) (in 3-D:
    edges along axis 0, 1, 2 in reverse order); sites[k] counts that pair's edges with four counted
    voxels.
    """
    labels = check_labels(labels)
    triples = [tuple(int(p) for p in triple) for triple in triples]
    if any(len(set(triple)) != 3 for triple in triples):
        raise ValueError(f"a triple-phase boundary needs three different phases, got {triples}")
    phases = sorted({phase for triple in triples for phase in triple})
    n_pairs = labels.ndim * (labels.ndim - 1) // 2
    edges = np.zeros((len(triples), n_pairs), dtype=np.int64)
    sites = np.zeros(n_pairs, dtype=np.int64)
    any_ignored = bool(np.any(labels == IGNORE_INDEX))
    for k, (_, present, ignored_bit) in enumerate(_phases_around_edges(labels, phases)):
        sites[k] = np.count_nonzero((present & ignored_bit) == 0) if any_ignored else present.size
        for t, triple in enumerate(triples):
            wanted = _triple_bits(phases, triple)
            edges[t, k] = np.count_nonzero((present & (wanted | ignored_bit)) == wanted)
    return edges, sites


def tpb_densities(labels, triples, voxel_size=1.0):
    """Triple-phase boundary length per volume (3-D) or triple points per area (2-D), per triple.

    Edge counting: each voxel edge whose four voxels hold all three phases contributes one edge
    of length voxel_size (in 2-D, one point per such pixel corner). Per axis pair, the counted
    edges are divided by the counted edge sites and by voxel_size**2; the axis pairs add up.
    NaN where no site is counted.

    Known bias: a voxelised line is counted as a staircase of edges along the axes, longer than
    the line: about TPB_EDGE_COUNT_OVERESTIMATE (1.53) for isotropic lines in 3-D; in 2-D the
    point count is nearly unbiased (see the package documentation).
    """
    voxel_size = check_voxel_size(voxel_size)
    edges, sites = triple_edge_counts(labels, triples)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_pair = edges / sites[None, :]
    return per_pair.sum(axis=1) / voxel_size**2
