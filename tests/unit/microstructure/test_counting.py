"""Edge cases of the counting functions: bad labels, many phases, nothing counted, defaults."""

import itertools
import warnings

import numpy as np
import pytest

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.microstructure.counting import (
    check_labels,
    class_counts,
    interface_densities,
    interface_face_counts,
    phase_fractions,
    tpb_densities,
    triple_edge_counts,
    triple_edge_maps,
)


@pytest.fixture(autouse=True)
def no_warnings():
    """Undefined densities come out NaN quietly, never through a division warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_labels_outside_0_to_255_are_refused_with_the_range_named():
    for bad in (np.array([[0, 300]], np.int16), np.array([[-1, 0]], np.int16)):
        with pytest.raises(ValueError, match=r"^labels must lie in 0\.\.255 \(255 = ignored\)$"):
            check_labels(bad)
    assert check_labels(np.array([[0, 255]], np.int16)).dtype == np.uint8


def test_class_counts_count_every_label_value():
    volume = np.array([[[0, 1], [1, 255]], [[2, 1], [0, 0]]], np.uint8)
    counts = class_counts(volume)
    assert counts.shape == (256,)
    assert (counts[[0, 1, 2, 255]].tolist(), counts.sum()) == ([3, 3, 1, 1], 8)
    assert class_counts(volume[0]).tolist()[:3] == [1, 2, 0]


def test_one_counted_voxel_is_the_whole_of_its_phase():
    volume = np.full((2, 2), IGNORE_INDEX, np.uint8)
    volume[1, 0] = 2
    assert phase_fractions(volume, 3).tolist() == [0, 0, 1]


def test_the_unexpected_class_is_named():
    with pytest.raises(ValueError, match="^labels hold class 5 but only 3 classes exist$"):
        phase_fractions(np.array([[0, 5]], np.uint8), 3)


def test_nothing_counted_gives_nan_densities_without_warnings():
    ignored = np.full((3, 4, 4), IGNORE_INDEX, np.uint8)
    faces, sites = interface_face_counts(ignored, 3)
    assert faces.sum() == 0 and sites.tolist() == [0, 0, 0]
    assert np.isnan(interface_densities(ignored, 3)[0, 1])
    edges, edge_sites = triple_edge_counts(ignored, [(0, 1, 2)])
    assert edges.sum() == 0 and edge_sites.tolist() == [0, 0, 0]
    assert np.isnan(tpb_densities(ignored, [(0, 1, 2)])).all()
    assert np.isnan(interface_densities(ignored[0], 3)[0, 1])


def test_the_default_voxel_size_is_one():
    volume = np.random.default_rng(0).integers(0, 3, (4, 5, 6)).astype(np.uint8)
    np.testing.assert_array_equal(
        tpb_densities(volume, [(0, 1, 2)]), tpb_densities(volume, [(0, 1, 2)], 1.0)
    )
    np.testing.assert_array_equal(interface_densities(volume, 3), interface_densities(volume, 3, 1))


def corner_of_phases(phases):
    """A 2 x 2(n - 2) map of blocks [[k, k+1], [k+2, k+2]], side by side for k = 0..n-3."""
    rows = []
    for first in range(len(phases) - 2):
        a, b, c = phases[first : first + 3]
        rows.append(np.array([[a, b], [c, c]], np.uint8))
    return np.concatenate(rows, axis=1)


@pytest.mark.parametrize("n_phases", [8, 9, 31])
def test_triple_points_are_found_among_many_phases(n_phases):
    phases = list(range(n_phases))
    labels = corner_of_phases(phases)
    triples = [tuple(phases[k : k + 3]) for k in range(n_phases - 2)]
    edges, sites = triple_edge_counts(labels, triples)
    assert sites.tolist() == [labels.size // 2 - 1]
    # Triple k meets inside its own block and, for k > 0, where block k - 1 meets block k:
    # k, k+1 over k+2, k+2 | k+1, k+2 over k+3, k+3 has k+1, k+1 over k+2, k+3 in between.
    assert edges[:, 0].tolist() == [1] + [2] * (n_phases - 3)
    assert triple_edge_maps(labels, triples[-1])[(0, 1)].sum() == 2


def test_at_most_31_phases_at_once():
    labels = corner_of_phases(list(range(32)))
    triples = [(k, k + 1, k + 2) for k in range(30)]
    with pytest.raises(ValueError, match="^at most 31 phases can be tested for triple junctions"):
        triple_edge_counts(labels, triples)


def test_a_triple_of_repeated_phases_is_refused_with_its_phases_named():
    with pytest.raises(ValueError, match=r"needs three different phases, got \(1, 1, 2\)"):
        triple_edge_maps(np.zeros((3, 3), np.uint8), (1, 1, 2))


@pytest.mark.parametrize("shape", [(7, 9), (5, 6, 7)])
def test_the_counted_edge_maps_hold_the_counted_edge_sites(shape):
    """One map per axis pair; True where the edge's four voxels are all counted: as many as
    triple_edge_counts' sites, and none touching an ignored voxel."""
    from xrayseg.microstructure.counting import counted_edge_maps

    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, shape).astype(np.uint8)
    labels[rng.random(shape) < 0.15] = IGNORE_INDEX
    maps = counted_edge_maps(labels)
    _, sites = triple_edge_counts(labels, [(0, 1, 2)])
    assert list(maps) == list(itertools.combinations(range(len(shape)), 2))
    assert [int(m.sum()) for m in maps.values()] == sites.tolist()
    clean = labels.copy()
    clean[clean == IGNORE_INDEX] = 0
    assert all(m.all() for m in counted_edge_maps(clean).values())
