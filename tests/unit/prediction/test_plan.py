"""The cut of a scan: the slab grid, the halos of slabs and chunks, the chunk jobs of a set."""

import pytest

from xrayseg.prediction.plan import (
    MAX_SLAB_SLICES,
    SLAB_BYTES_PER_PIXEL,
    Halo,
    ScanPlan,
    slab_slices_for,
    smooth_radius,
)
from xrayseg.settings.predict import chunk_name, chunk_ranges, parse_chunk_name


def plan(n_slices=23, slab=5, **halo):
    return ScanPlan(n_slices, slab, Halo(**halo), per_slice=not halo)


def test_the_slab_grid_covers_the_scan_once_with_a_short_last_slab():
    slabs = plan().slabs()
    assert slabs[0] == (0, 5) and slabs[-1] == (20, 23)
    covered = [z for a, b in slabs for z in range(a, b)]
    assert covered == list(range(23))


def test_slab_halos_reach_where_the_scan_continues_and_stop_at_its_ends():
    cut = plan(context=1, planes=4, smooth=2)
    assert cut.probability_range((10, 15)) == (8, 17)
    assert cut.read_range((10, 15)) == (4, 21)  # the widest context: the planes' 4 rows
    assert cut.probability_range((0, 5)) == (0, 7)
    assert cut.read_range((0, 5)) == (0, 11)
    assert cut.read_range((20, 23)) == (14, 23)


def test_a_3d_network_reads_half_its_window_depth_on_each_side():
    cut = plan(volume_before=4, volume_after=3)
    assert cut.read_range((10, 15)) == (6, 18)


def test_a_chunk_predicts_the_slabs_its_vote_reaches_and_only_the_slices_it_needs():
    cut = plan(vote=1)
    assert cut.label_range((5, 15)) == (4, 16)
    assert cut.chunk_work((5, 15)) == [((0, 5), (4, 5)), ((5, 10), (5, 10)), ((10, 15), (10, 15)),
                                        ((15, 20), (15, 16))]  # fmt: skip
    # At the scan's ends there is nothing to vote with.
    assert cut.label_range((0, 5)) == (0, 6) and cut.label_range((20, 23)) == (19, 23)


def test_a_chunk_thinner_than_the_halo_still_gets_every_neighbour_it_needs():
    cut = plan(vote=3)
    work = cut.chunk_work((11, 12))
    assert cut.label_range((11, 12)) == (8, 15)
    assert [slab for slab, _ in work] == [(5, 10), (10, 15)]
    assert [wanted for _, wanted in work] == [(8, 10), (10, 15)]


def test_a_chunk_outside_the_scan_is_refused():
    with pytest.raises(ValueError, match="not within the scan"):
        plan().chunk_work((20, 24))


def test_chunk_jobs_cut_the_scan_in_chunk_slices_with_a_short_last_one():
    assert chunk_ranges(23, 10) == [(0, 10), (10, 20), (20, 23)]
    assert chunk_ranges(23, None) == [(0, 23)]
    assert chunk_ranges(3, 10) == [(0, 3)]
    names = [chunk_name(*bounds) for bounds in chunk_ranges(23, 10)]
    assert names == sorted(names)  # in slice order as text, for the assembly's inputs
    assert [parse_chunk_name(name) for name in names] == chunk_ranges(23, 10)


def test_slabs_hold_what_the_memory_budget_allows_within_bounds():
    per_slice = 2048 * 2048 * SLAB_BYTES_PER_PIXEL
    slices = slab_slices_for(512, 2048 * 2048)
    assert slices * per_slice <= 512 * 2**20 < (slices + 1) * per_slice
    assert slab_slices_for(512, 4096 * 4096) == 1  # never fewer than one slice
    assert slab_slices_for(512, 100 * 100) == MAX_SLAB_SLICES
    assert slab_slices_for(1024, 2048 * 2048) >= 2 * slices


def test_smoothing_reaches_as_far_as_scipys_gaussian():
    import numpy as np
    from scipy.ndimage import gaussian_filter1d

    for sigma in (0.5, 1.0, 1.3):
        impulse = np.zeros(41)
        impulse[20] = 1
        reach = np.flatnonzero(gaussian_filter1d(impulse, sigma))
        assert smooth_radius(sigma) == 20 - reach.min()
    assert smooth_radius(0) == 0


def test_the_slices_a_budget_holds_are_whole_and_a_plan_can_use_them():
    slices = slab_slices_for(512, 2048 * 2048)
    assert ScanPlan(10, slices, Halo(), per_slice=True).slabs()[0] == (0, slices)
    # At the small end: a budget of ten one-pixel slices (an empty slice counts as one pixel).
    assert slab_slices_for(10 * SLAB_BYTES_PER_PIXEL / 2**20, 1) == 10
    assert slab_slices_for(10 * SLAB_BYTES_PER_PIXEL / 2**20, 0) == 10


@pytest.mark.parametrize(("n_slices", "slab"), [(0, 5), (5, 0)])
def test_a_plan_needs_slices_and_slabs(n_slices, slab):
    with pytest.raises(ValueError, match="needs slices and slabs"):
        plan(n_slices, slab)


def test_a_scan_of_one_slice_is_one_slab_and_one_chunk():
    cut = plan(1, 1, vote=2)
    assert cut.slabs() == [(0, 1)]
    assert cut.chunk_work((0, 1)) == [((0, 1), (0, 1))]


def test_a_chunk_may_be_the_whole_scan_but_not_empty():
    assert [slab for slab, _ in plan().chunk_work((0, 23))] == plan().slabs()
    with pytest.raises(ValueError, match="not within the scan"):
        plan().chunk_work((5, 5))


def test_the_record_of_a_plan_says_all_of_it():
    cut = plan(context=1, planes=4, smooth=2, vote=1)
    record = cut.record()
    assert ScanPlan(**{**record, "halo": Halo(**record["halo"])}) == cut


def test_chunks_of_one_slice_and_a_scan_of_one_slice():
    assert chunk_ranges(3, 1) == [(0, 1), (1, 2), (2, 3)]
    assert chunk_ranges(1, 10) == [(0, 1)]


def test_a_scan_without_slices_or_chunks_without_slices_is_refused():
    with pytest.raises(ValueError, match="^a scan without slices cannot be cut into chunks$"):
        chunk_ranges(0, 10)
    with pytest.raises(ValueError, match="chunk_slices must be at least 1, got 0"):
        chunk_ranges(23, 0)
