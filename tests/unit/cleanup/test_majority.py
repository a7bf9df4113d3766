"""The majority vote: a mode filter over k x k x k boxes, exact, and the same slab by slab."""

import numpy as np
import pytest
from scipy import ndimage

from xrayseg.cleanup.majority import check_box, count_dtype, majority_vote
from xrayseg.cleanup.stream import stream_majority


def brute_force_vote(labels, n_classes, size):
    """Per voxel: the counts of each class in its box (edges repeated), the tie rule spelled out."""
    radius = size // 2
    padded = np.pad(labels, radius, mode="edge")
    result = labels.copy()
    for z, y, x in np.ndindex(labels.shape):
        box = padded[z : z + size, y : y + size, x : x + size]
        counts = np.bincount(box[box < n_classes].ravel(), minlength=n_classes)
        own = labels[z, y, x]
        if own < n_classes and counts[own] == counts.max():
            continue
        if own < n_classes:
            result[z, y, x] = int(np.argmax(counts))
    return result


def random_labels(shape, n_classes, seed, smooth=1.0):
    rng = np.random.default_rng(seed)
    fields = ndimage.gaussian_filter(rng.standard_normal((n_classes, *shape)), (0, *[smooth] * 3))
    return np.argmax(fields, axis=0).astype(np.uint8)


def test_constant_volume_unchanged():
    labels = np.full((5, 6, 7), 2, dtype=np.uint8)
    np.testing.assert_array_equal(majority_vote(labels, 3, 3), labels)


# 3 and 5 count in uint8, 7 (343 voxels) in uint16.
@pytest.mark.parametrize("size", [3, 5, 7])
def test_equals_brute_force(size):
    labels = random_labels((6, 7, 8), 3, seed=size, smooth=0.6)
    np.testing.assert_array_equal(majority_vote(labels, 3, size), brute_force_vote(labels, 3, size))


def test_removes_a_speck_and_keeps_the_bulk():
    labels = np.zeros((7, 7, 7), dtype=np.uint8)
    labels[3, 3, 3] = 1
    labels[:, :, 5:] = 2
    voted = majority_vote(labels, 3, 3)
    assert voted[3, 3, 3] == 0
    np.testing.assert_array_equal(voted[:, :, :4], 0)
    np.testing.assert_array_equal(voted[:, :, 5:], 2)


def test_ignored_voxels_count_for_no_class_and_stay():
    labels = np.zeros((3, 3, 3), dtype=np.uint8)
    labels[1, 1, 1] = 255
    labels[0] = 1
    voted = majority_vote(labels, 2, 3)
    assert voted[1, 1, 1] == 255
    np.testing.assert_array_equal(voted, brute_force_vote(labels, 2, 3))


def test_a_label_just_past_the_classes_counts_for_none_and_stays():
    labels = np.zeros((3, 3, 3), dtype=np.uint8)
    labels[1, 1, 1] = 2  # with classes 0 and 1, as ignored as 255
    voted = majority_vote(labels, 2, 3)
    assert voted[1, 1, 1] == 2
    np.testing.assert_array_equal(voted, brute_force_vote(labels, 2, 3))


def test_the_voted_labels_keep_the_type_of_the_labels():
    labels = random_labels((5, 6, 7), 3, seed=1, smooth=0.6)
    for dtype in (np.uint8, np.int32):
        assert majority_vote(labels.astype(dtype), 3, 3).dtype == dtype


def test_a_large_box_counts_a_dominant_class_without_overflow():
    # 7 x 7 x 7 = 343 voxels, more than uint8 holds: 298 of one class around the centre, 45 of
    # another.
    labels = np.zeros((7, 7, 7), dtype=np.uint8)
    labels.flat[:45] = 1
    voted = majority_vote(labels, 2, 7)
    assert voted[3, 3, 3] == 0
    np.testing.assert_array_equal(voted, brute_force_vote(labels, 2, 7))


def test_counts_use_the_smallest_unsigned_type_that_holds_a_whole_box():
    types = (np.uint8, np.uint16, np.uint32)
    for size in (1, 3, 5, 7, 39, 41, 1625):
        dtype = count_dtype(size)
        assert size**3 <= np.iinfo(dtype).max
        smaller = types[: types.index(dtype)]
        assert all(size**3 > np.iinfo(t).max for t in smaller)
    with pytest.raises(ValueError, match="box of side 1626 is too large"):
        count_dtype(1626)


def test_box_side_must_be_odd():
    with pytest.raises(ValueError, match="odd"):
        majority_vote(np.zeros((2, 2, 2), np.uint8), 2, 2)
    for bad in (0, -1, 4, 3.5, True):
        with pytest.raises(ValueError, match="odd integer >= 1"):
            check_box(bad)
    assert check_box(5.0) == 5


def test_the_labels_must_be_a_volume():
    with pytest.raises(ValueError, match=r"\(Z, Y, X\) volume, got shape \(4, 5\)"):
        majority_vote(np.zeros((4, 5), np.uint8), 2, 3)


@pytest.mark.parametrize("size", [1, 3, 5])
@pytest.mark.parametrize("slab_sizes", [[1] * 9, [4, 5], [2, 3, 4], [9]])
def test_stream_equals_whole(size, slab_sizes):
    labels = random_labels((9, 8, 8), 3, seed=3, smooth=0.8)
    edges = np.cumsum([0, *slab_sizes])
    slabs = [labels[a:b] for a, b in zip(edges[:-1], edges[1:], strict=True)]
    streamed = np.concatenate(list(stream_majority(slabs, 3, size)))
    np.testing.assert_array_equal(streamed, majority_vote(labels, 3, size))


@pytest.mark.parametrize("slab_sizes", [[1, 1], [2]])
def test_stream_of_a_volume_thinner_than_half_a_box_equals_whole(slab_sizes):
    labels = random_labels((2, 8, 8), 3, seed=4, smooth=0.8)
    slabs = np.split(labels, np.cumsum(slab_sizes)[:-1])
    streamed = np.concatenate(list(stream_majority(slabs, 3, 7)))
    np.testing.assert_array_equal(streamed, majority_vote(labels, 3, 7))


def test_stream_of_no_slabs_yields_nothing():
    assert list(stream_majority([], 3, 3)) == []


def test_each_slice_goes_out_as_soon_as_half_a_box_of_slices_after_it_has_arrived():
    labels = random_labels((8, 6, 6), 3, seed=6, smooth=0.8)
    radius = 2  # a box of 5
    out = []

    def one_slice_at_a_time():
        for z in range(len(labels)):
            # Before the next slice is read, every slice with `radius` slices after it is out.
            assert sum(map(len, out)) == max(0, z - radius)
            yield labels[z : z + 1]

    for slab in stream_majority(one_slice_at_a_time(), 3, 2 * radius + 1):
        assert len(slab) > 0
        out.append(slab)
    assert sum(map(len, out)) == len(labels)
