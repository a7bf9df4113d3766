"""Island removal in memory and slab by slab: what is removed, what it becomes, and that the
streamed surveys merged in any grouping give the in-memory result voxel for voxel."""

import numpy as np
import pytest
from scipy import ndimage

from xrayseg.cleanup.candidates import Cleanup
from xrayseg.cleanup.islands import remove_islands
from xrayseg.cleanup.stream import IslandSurveyor
from xrayseg.cleanup.survey import Survey, merge, resolve, survey_slab


def test_island_below_size_takes_the_surrounding_class():
    labels = np.zeros((9, 9, 9), dtype=np.uint8)
    labels[4:6, 4:6, 4:6] = 1  # 8 voxels of class 1 inside class 0
    cleaned = remove_islands(labels, 2, 9)
    np.testing.assert_array_equal(cleaned, 0)


def test_island_of_exactly_the_size_is_kept():
    labels = np.zeros((9, 9, 9), dtype=np.uint8)
    labels[4:6, 4:6, 4:6] = 1
    np.testing.assert_array_equal(remove_islands(labels, 2, 8), labels)


def test_thin_real_phase_is_kept():
    """A one-voxel-thick sheet is thin but large: it is not an island."""
    labels = np.zeros((12, 20, 20), dtype=np.uint8)
    labels[6] = 1
    np.testing.assert_array_equal(remove_islands(labels, 2, 100), labels)


def test_island_takes_the_class_across_most_of_its_faces():
    labels = np.zeros((5, 5, 6), dtype=np.uint8)
    labels[:, :, 3:] = 2
    labels[2, 2, 2] = 1  # faces: 5 with class 0, 1 with class 2
    labels[2, 2, 3] = 2
    cleaned = remove_islands(labels, 3, 2)
    assert cleaned[2, 2, 2] == 0
    labels[2, 1:4, 3] = 1  # now a 4-voxel island bordering class 2 on most faces
    labels[2, 2, 2] = 1
    assert remove_islands(labels, 3, 5)[2, 2, 3] == 2


def test_a_component_touching_no_other_class_is_kept():
    labels = np.ones((3, 3, 3), dtype=np.uint8)
    np.testing.assert_array_equal(remove_islands(labels, 2, 100), labels)


def test_diagonal_neighbours_are_separate_islands():
    labels = np.zeros((5, 5, 5), dtype=np.uint8)
    labels[1, 1, 1] = labels[2, 2, 2] = 1  # touch at a corner only: two islands of 1
    assert remove_islands(labels, 2, 2).max() == 0


def test_an_island_of_class_0_is_removed_too():
    labels = np.ones((9, 9, 9), dtype=np.uint8)
    labels[4:6, 4:6, 4:6] = 0
    np.testing.assert_array_equal(remove_islands(labels, 2, 9), 1)


def test_voxels_of_no_class_stay_and_are_never_a_fill_class():
    """Labels outside the classes (unlabelled) are left as they are and count as no contact: an
    island they enclose is kept; one with a single face on a class takes that class."""
    unlabelled = 2
    labels = np.full((5, 5, 12), unlabelled, dtype=np.uint8)
    labels[:, :, 9:] = 0
    labels[2, 2, 2] = 1  # enclosed by unlabelled voxels
    labels[2, 2, 8] = 1  # one face on the class-0 block, five on unlabelled voxels
    expected = labels.copy()
    expected[2, 2, 8] = 0
    np.testing.assert_array_equal(remove_islands(labels, 2, 2), expected)


@pytest.mark.parametrize("min_voxels", [-1, True, 2.5])
def test_an_island_size_is_an_integer_of_at_least_0(min_voxels):
    with pytest.raises(ValueError, match="island size must be an integer"):
        remove_islands(np.zeros((2, 2, 2), dtype=np.uint8), 2, min_voxels)


def test_islands_are_removed_from_a_volume_only():
    with pytest.raises(ValueError, match="Z, Y, X"):
        remove_islands(np.zeros((4, 4), dtype=np.uint8), 2, 3)


def random_labels(shape, n_classes, seed, smooth=1.0):
    rng = np.random.default_rng(seed)
    fields = ndimage.gaussian_filter(rng.standard_normal((n_classes, *shape)), (0, *[smooth] * 3))
    return np.argmax(fields, axis=0).astype(np.uint8)


def streamed(labels, n_classes, min_voxels, slab_sizes):
    surveyor = IslandSurveyor(n_classes)
    edges = np.cumsum([0, *slab_sizes])
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        surveyor.add(labels[a:b])
    plan = surveyor.plan(min_voxels)
    return np.concatenate([plan.relabel(labels[s:e], (s, e, o)) for s, e, o in plan.slabs]), plan


@pytest.mark.parametrize("slab_sizes", [[1] * 12, [5, 7], [3, 3, 3, 3], [12], [2, 9, 1]])
@pytest.mark.parametrize("min_voxels", [2, 20, 200])
def test_streaming_equals_in_memory(slab_sizes, min_voxels):
    labels = random_labels((12, 14, 13), 3, seed=min_voxels, smooth=0.9)
    result, plan = streamed(labels, 3, min_voxels, slab_sizes)
    expected = remove_islands(labels, 3, min_voxels)
    np.testing.assert_array_equal(result, expected)
    assert plan.removed_voxels == np.count_nonzero(result != labels)


def test_a_thin_component_through_every_slab_is_one_component():
    """A 1-voxel line along z through 10 slabs of one slice is 10 voxels, not 10 islands of 1."""
    labels = np.zeros((10, 5, 5), dtype=np.uint8)
    labels[:, 2, 2] = 1
    result, _ = streamed(labels, 2, 5, [1] * 10)
    np.testing.assert_array_equal(result, labels)
    result, _ = streamed(labels, 2, 11, [1] * 10)
    np.testing.assert_array_equal(result, 0)


def test_surveys_of_chunks_merge_in_any_grouping_and_survive_a_file():
    labels = random_labels((12, 10, 10), 3, seed=5, smooth=0.8)
    parts = [survey_slab(labels[a:b], 3, a) for a, b in [(0, 4), (4, 5), (5, 9), (9, 12)]]
    parts = [Survey.from_arrays(part.arrays()) for part in parts]
    left = merge(merge(parts[0], parts[1]), merge(parts[2], parts[3]))
    plan = resolve(left, 30)
    result = np.concatenate([plan.relabel(labels[s:e], (s, e, o)) for s, e, o in plan.slabs])
    np.testing.assert_array_equal(result, remove_islands(labels, 3, 30))


def test_streaming_with_unlabelled_voxels_equals_in_memory():
    """Voxels of no class (here label 3 of 3 classes) in every slab and across every border."""
    labels = random_labels((12, 9, 9), 4, seed=3, smooth=0.7)
    labels[5, :2] = 0  # a small component of class 0 numbered first in its slab
    for slab_sizes in ([1] * 12, [5, 7], [2, 3, 3, 4]):
        for min_voxels in (4, 30):
            result, _ = streamed(labels, 3, min_voxels, slab_sizes)
            np.testing.assert_array_equal(result, remove_islands(labels, 3, min_voxels))


def test_slabs_of_unlabelled_voxels_add_nothing_to_the_first_island():
    """The first component (id 1) is a one-voxel island; the slabs after it hold no class."""
    unlabelled = 3
    labels = np.full((3, 4, 4), unlabelled, dtype=np.uint8)
    labels[0] = 1
    labels[0, 0, 0] = 0  # the island: its faces are on class 2 twice, on nothing else
    labels[0, 0, 1] = labels[0, 1, 1] = labels[0, 1, 0] = 2  # one component of class 2
    expected = labels.copy()
    expected[0, 0, 0] = 2
    np.testing.assert_array_equal(remove_islands(labels, 3, 2), expected)
    result, _ = streamed(labels, 3, 2, [1, 1, 1])
    np.testing.assert_array_equal(result, expected)


def test_slabs_whose_only_contacts_are_across_the_border_swap_classes():
    labels = np.zeros((2, 3, 3), dtype=np.uint8)
    labels[1] = 1  # two 9-voxel islands of each other
    result, plan = streamed(labels, 2, 10, [1, 1])
    np.testing.assert_array_equal(result, 1 - labels)
    assert (plan.removed, plan.removed_voxels) == (2, 18)


def test_a_merged_survey_survives_a_file():
    labels = random_labels((9, 8, 8), 3, seed=7, smooth=0.8)
    parts = [survey_slab(labels[a:b], 3, a) for a, b in [(0, 2), (2, 6), (6, 9)]]
    merged = Survey.from_arrays(merge(merge(parts[0], parts[1]), parts[2]).arrays())
    plan = resolve(merged, 25)
    result = np.concatenate([plan.relabel(labels[s:e], (s, e, o)) for s, e, o in plan.slabs])
    np.testing.assert_array_equal(result, remove_islands(labels, 3, 25))


@pytest.mark.parametrize("shape", [(3, 3), (0, 3, 3)])
def test_a_slab_is_a_volume_of_at_least_one_slice(shape):
    with pytest.raises(ValueError, match="at least one slice"):
        survey_slab(np.zeros(shape, dtype=np.uint8), 2, 0)


def test_a_slab_is_relabelled_with_its_own_slices_only():
    labels = np.zeros((3, 4, 4), dtype=np.uint8)
    plan = resolve(survey_slab(labels, 2, 0), 5)
    with pytest.raises(ValueError, match=r"slab \[2, 5\) has 3 slices"):
        plan.relabel(labels[:2], (2, 5, 0))


def test_surveys_that_are_not_neighbours_do_not_merge():
    labels = np.zeros((4, 3, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="not neighbours"):
        merge(survey_slab(labels[:2], 2, 0), survey_slab(labels[2:], 2, 3))


def test_cleanup_names_and_order():
    assert Cleanup().name == "none" and Cleanup().is_none
    assert Cleanup(3, 100).name == "majority 3, islands < 100"
    assert Cleanup.from_config({"min_island": 50}) == Cleanup(1, 50)
    with pytest.raises(ValueError, match="unknown"):
        Cleanup.from_config({"majorty": 3})
    labels = random_labels((8, 10, 10), 3, seed=9, smooth=0.7)
    both = Cleanup(3, 40).apply(labels, 3)
    np.testing.assert_array_equal(both, remove_islands(Cleanup(3, 0).apply(labels, 3), 3, 40))


def test_a_plan_needs_a_surveyed_slab():
    with pytest.raises(ValueError, match="^no slab was surveyed$"):
        IslandSurveyor(2).plan(5)
