"""The majority vote: a mode filter over k x k x k boxes, exact, and the same slab by slab."""

import numpy as np
import pytest
from scipy import ndimage

from xrayseg.cleanup.majority import majority_vote
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


def test_box_side_must_be_odd():
    with pytest.raises(ValueError, match="odd"):
        majority_vote(np.zeros((2, 2, 2), np.uint8), 2, 2)


@pytest.mark.parametrize("size", [1, 3, 5])
@pytest.mark.parametrize("slab_sizes", [[1] * 9, [4, 5], [2, 3, 4], [9]])
def test_stream_equals_whole(size, slab_sizes):
    labels = random_labels((9, 8, 8), 3, seed=3, smooth=0.8)
    edges = np.cumsum([0, *slab_sizes])
    slabs = [labels[a:b] for a, b in zip(edges[:-1], edges[1:], strict=True)]
    streamed = np.concatenate(list(stream_majority(slabs, 3, size)))
    np.testing.assert_array_equal(streamed, majority_vote(labels, 3, size))
