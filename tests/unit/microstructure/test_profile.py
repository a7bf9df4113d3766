"""TPB density per window of slices along the stack."""

import numpy as np
import pytest

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.microstructure import tpb_densities
from xrayseg.microstructure.profile import tpb_profile, window_starts


def random_volume(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 3, shape).astype(np.uint8)


def test_windows_tile_the_stack_and_leave_out_a_partial_last_one():
    assert window_starts(10, 3) == [0, 3, 6]
    assert window_starts(10, 5) == [0, 5]
    assert window_starts(10, 4, step=2) == [0, 2, 4, 6]
    assert window_starts(3, 4) == []
    with pytest.raises(ValueError, match="2 slices"):
        window_starts(10, 1)


@pytest.mark.parametrize("window,step", [(2, None), (3, None), (4, 1)])
def test_each_window_is_the_tpb_density_of_its_own_slices(window, step):
    volume = random_volume((11, 7, 8))
    starts, densities = tpb_profile(volume, (0, 1, 2), window, step, voxel_size=0.5)
    assert starts == window_starts(11, window, step)
    expected = [
        tpb_densities(volume[s : s + window], [(0, 1, 2)], voxel_size=0.5)[0] for s in starts
    ]
    np.testing.assert_allclose(densities, expected, rtol=1e-12)


def test_ignored_voxels_are_left_out_as_in_the_whole_volume_count():
    volume = random_volume((8, 6, 6), seed=1)
    volume[2, :3, :] = IGNORE_INDEX
    volume[5:7] = IGNORE_INDEX
    starts, densities = tpb_profile(volume, (0, 1, 2), 2)
    for start, density in zip(starts, densities, strict=True):
        expected = tpb_densities(volume[start : start + 2], [(0, 1, 2)])[0]
        np.testing.assert_allclose(density, expected, rtol=1e-12, equal_nan=True)
    assert np.isnan(densities[3])  # slices 6 and 7: every edge touches an ignored voxel


def test_a_flickering_slice_shows_up_in_its_window_only():
    # Pore / YSZ / Ni in three straight columns along the stack: one TPB line... then slice 5
    # shifts the boundary by one voxel, adding edges in the windows that hold slices 4-6.
    volume = np.zeros((9, 6, 6), dtype=np.uint8)
    volume[:, :, 3:] = 1
    volume[:, 3:, 3:] = 2
    steady = tpb_profile(volume, (0, 1, 2), 3)[1]
    volume[4, :, 2] = 1
    flicker = tpb_profile(volume, (0, 1, 2), 3)[1]
    np.testing.assert_allclose(flicker[[0, 2]], steady[[0, 2]])
    assert flicker[1] > steady[1]


def test_a_profile_needs_a_volume():
    with pytest.raises(ValueError, match="needs a volume"):
        tpb_profile(np.zeros((4, 4), np.uint8), (0, 1, 2), 2)
