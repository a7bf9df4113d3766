import numpy as np
import pytest

from xrayseg.patches.grid import corner_offsets, slice_offsets, tile_slice


def coverage(height, width, size, offsets):
    """How often each pixel lies in a tile, per slice (one layer per offset)."""
    layers = []
    for offset_y, offset_x in offsets:
        covered = np.zeros((height, width), dtype=int)
        _, origins = tile_slice(np.zeros((height, width)), size, offset_y, offset_x)
        for y, x in origins.reshape(-1, 2):
            covered[y : y + size, x : x + size] += 1
        layers.append(covered)
    return np.stack(layers)


@pytest.mark.parametrize("offset", [(0, 0), (3, 1), (6, 2)])
def test_tiles_of_a_slice_do_not_overlap_and_stay_inside(offset):
    layers = coverage(70, 50, 16, [offset])
    assert layers.max() == 1
    assert layers.sum() == 4 * 3 * 16 * 16


def test_tiles_hold_the_image_at_their_origins():
    image = np.arange(45 * 37).reshape(45, 37)
    tiles, origins = tile_slice(image, 8, 5, 2)
    assert tiles.shape == (5, 4, 8, 8) and origins.shape == (5, 4, 2)
    for index in np.ndindex(origins.shape[:2]):
        y, x = origins[index]
        np.testing.assert_array_equal(tiles[index], image[y : y + 8, x : x + 8])


@pytest.mark.parametrize("shape", [(70, 50), (501, 501), (64, 64)])
def test_any_four_consecutive_slices_cover_the_whole_area(shape):
    size = 32
    offsets = slice_offsets(11, *shape, size, np.random.default_rng(5))
    layers = coverage(*shape, size, offsets)
    assert layers.max() == 1  # no overlap inside any slice
    for start in range(len(offsets) - 3):
        assert layers[start : start + 4].sum(axis=0).min() >= 1, start


def test_one_grid_alone_misses_the_border_strip():
    # Why offsets vary: a fixed grid on 501 px leaves the last 501 % 32 = 21 rows unseen.
    layers = coverage(501, 501, 32, [(0, 0)] * 4)
    assert layers.sum(axis=0)[480:, :].max() == 0


def test_offsets_cycle_through_the_four_corners_in_a_seeded_order():
    corners = set(corner_offsets(70, 50, 16))
    assert corners == {(0, 0), (0, 2), (6, 0), (6, 2)}
    first = slice_offsets(8, 70, 50, 16, np.random.default_rng(1))
    again = slice_offsets(8, 70, 50, 16, np.random.default_rng(1))
    assert first == again
    assert set(first[:4]) == corners and first[4:] == first[:4]
    orders = {tuple(slice_offsets(4, 70, 50, 16, np.random.default_rng(s))) for s in range(10)}
    assert len(orders) > 1


def test_patch_larger_than_slice_is_an_error():
    with pytest.raises(ValueError, match="larger than"):
        tile_slice(np.zeros((20, 20)), 32, 0, 0)


def test_a_patch_as_large_as_the_slice_is_one_tile():
    image = np.arange(16 * 20).reshape(16, 20)
    tiles, origins = tile_slice(image, 16, 0, 4)
    assert tiles.shape == (1, 1, 16, 16) and origins.tolist() == [[[0, 4]]]
    np.testing.assert_array_equal(tiles[0, 0], image[:, 4:])
