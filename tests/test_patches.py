import numpy as np
import pytest

from xrayseg.patches import grid_origins, select_patches


def test_grid_tiles_do_not_overlap_and_stay_inside():
    origins = grid_origins(70, 50, 16, offset_y=3, offset_x=1)
    covered = np.zeros((70, 50), dtype=int)
    for y, x in origins:
        covered[y : y + 16, x : x + 16] += 1
    assert covered.max() == 1
    assert len(origins) == 4 * 3


def test_patch_larger_than_slice_is_an_error():
    with pytest.raises(ValueError, match="larger than"):
        grid_origins(20, 20, 32)


def test_exact_duplicates_are_dropped():
    patch = np.ones((4, 4), dtype=np.float32)
    label = np.zeros((4, 4), dtype=np.uint8)
    other = np.zeros((4, 4), dtype=np.float32)
    candidates = [(0, 0, 0, patch, label), (1, 0, 0, patch.copy(), label), (2, 0, 0, other, label)]
    raws, _, origins, counts, _ = select_patches(iter(candidates), n_classes=3)
    assert counts["made"] == 3 and counts["exact_duplicates"] == 1 and counts["kept"] == 2
    assert origins == [(0, 0, 0), (2, 0, 0)]
