import warnings

import numpy as np
import pytest

from xrayseg.patches.dedup import NearDuplicateFilter, content_key, label_agreement, raw_correlation
from xrayseg.patches.grid import tile_slice


def test_content_key_tells_raw_and_labels_apart():
    raw = np.arange(16, dtype=np.float32).reshape(4, 4)
    labels = np.zeros((4, 4), dtype=np.uint8)
    assert content_key(raw, labels) == content_key(raw.copy(), labels.copy())
    assert content_key(raw, labels) != content_key(raw, labels + 1)
    assert content_key(raw, labels) != content_key(raw + 1e-6, labels)


def test_raw_correlation_matches_numpy_and_handles_flat_patches():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3, 8, 8))
    expected = [np.corrcoef(a[i].ravel(), b[i].ravel())[0, 1] for i in range(3)]
    np.testing.assert_allclose(raw_correlation(a, b), expected)
    flat = np.ones((8, 8))
    assert raw_correlation(flat, flat) == 1.0
    assert raw_correlation(flat, flat * 2) == 0.0
    assert raw_correlation(flat, a[0]) == 0.0


def test_label_agreement_is_the_fraction_of_equal_pixels():
    a = np.zeros((4, 4), dtype=np.uint8)
    b = a.copy()
    b[0, :2] = 1
    assert label_agreement(a, b) == 14 / 16


def run_filter(raw_stack, label_stack, size, window, offsets=None):
    """Keep/drop decisions of a filter over a stack; returns the number of near-duplicates."""
    depth, height, width = raw_stack.shape
    near_filter = NearDuplicateFilter(height, width, window, 0.95, 0.5)
    dropped = 0
    for z in range(depth):
        offset = offsets[z] if offsets else (0, 0)
        raw_tiles, origins = tile_slice(raw_stack[z], size, *offset)
        label_tiles, _ = tile_slice(label_stack[z], size, *offset)
        near = near_filter.near_duplicates(z, raw_tiles, label_tiles, origins)
        near_filter.remember(z, raw_tiles, label_tiles, origins, ~near)
        dropped += int(near.sum())
    return dropped


def structured_slice(rng, shape):
    labels = (rng.normal(size=(shape[0] // 4, shape[1] // 4)) > 0).astype(np.uint8)
    labels = labels.repeat(4, axis=0).repeat(4, axis=1)
    return labels.astype(np.float32), labels


def test_repeated_slices_are_dropped_up_to_the_window():
    rng = np.random.default_rng(1)
    raw, labels = structured_slice(rng, (32, 32))
    raw_stack = raw + rng.normal(scale=0.02, size=(9, 32, 32)).astype(np.float32)
    label_stack = np.repeat(labels[None], 9, axis=0)
    # 4 tiles per slice; the kept copy is refreshed every window + 1 = 3 slices: 3 of 9 kept.
    assert run_filter(raw_stack, label_stack, 16, window=2) == 4 * 6
    assert run_filter(raw_stack, label_stack, 16, window=0) == 0


def test_repeated_slices_are_dropped_when_the_grid_moves():
    rng = np.random.default_rng(2)
    raw, labels = structured_slice(rng, (40, 40))
    raw_stack = raw + rng.normal(scale=0.02, size=(8, 40, 40)).astype(np.float32)
    label_stack = np.repeat(labels[None], 8, axis=0)
    offsets = [(0, 0), (8, 8), (0, 8), (8, 0)] * 2
    # After the first four slices every pixel has been kept, so all tiles of the last four repeat.
    assert run_filter(raw_stack, label_stack, 16, window=4, offsets=offsets) >= 4 * 4


def test_uncorrelated_slices_are_all_kept():
    rng = np.random.default_rng(3)
    stack = [structured_slice(rng, (32, 32)) for _ in range(9)]
    raw_stack = np.stack([r for r, _ in stack]) + rng.normal(scale=0.02, size=(9, 32, 32))
    label_stack = np.stack([lab for _, lab in stack])
    assert run_filter(raw_stack.astype(np.float32), label_stack, 16, window=8) == 0


def test_differently_labelled_repeats_are_kept():
    rng = np.random.default_rng(4)
    raw, labels = structured_slice(rng, (32, 32))
    raw_stack = np.repeat(raw[None], 4, axis=0)
    label_stack = np.stack([labels, 1 - labels, labels, 1 - labels])
    # Same raw, but each slice's labels disagree with the previous kept copy at every pixel.
    assert run_filter(raw_stack, label_stack, 16, window=1) == 0


def test_a_tile_only_partly_kept_within_the_window_is_kept():
    # Every pixel of the same content was kept once; only the rule decides. A tile is a
    # near-duplicate only when *every* pixel was kept within the last `window` slices.
    rng = np.random.default_rng(5)
    raw, labels = structured_slice(rng, (8, 8))
    near_filter = NearDuplicateFilter(
        8, 8, window=2, min_label_agreement=0.9, min_raw_correlation=0.5
    )

    def tile_at(y, x):
        return raw[None, None, y : y + 4, x : x + 4], labels[None, None, y : y + 4, x : x + 4]

    whole_raw, origins = tile_slice(raw, 4, 0, 0)
    whole_labels, _ = tile_slice(labels, 4, 0, 0)
    near_filter.remember(0, whole_raw, whole_labels, origins, np.ones((2, 2), dtype=bool))
    corner = np.array([[[4, 4]]])
    near_filter.remember(3, *tile_at(4, 4), corner, np.ones((1, 1), dtype=bool))
    # At slice 4 the bottom-right quarter was kept 1 slice ago, the rest 4 slices ago (> 2).
    middle = np.array([[[2, 2]]])
    assert not near_filter.near_duplicates(4, *tile_at(2, 2), middle)[0, 0]
    # The corner tile itself was kept 1 slice ago everywhere: a near-duplicate.
    assert near_filter.near_duplicates(4, *tile_at(4, 4), corner)[0, 0]
    # And nothing is recent enough one slice later for the window to reach back to slice 0.
    assert not near_filter.near_duplicates(5, *tile_at(0, 0), np.array([[[0, 0]]]))[0, 0]


def test_agreement_and_correlation_are_per_tile_of_a_stack():
    rng = np.random.default_rng(6)
    a = rng.normal(size=(2, 3, 4, 4))
    b = a.copy()
    b[0, 1] = rng.normal(size=(4, 4))  # one tile differs
    correlation = raw_correlation(a, b)
    assert correlation.shape == (2, 3) and correlation[1, 2] == pytest.approx(1.0)
    assert correlation[0, 1] < 0.9
    labels = (a > 0).astype(np.uint8)
    other = labels.copy()
    other[0, 1, 0] = 1 - other[0, 1, 0]  # one row of one tile differs
    agreement = label_agreement(labels, other)
    assert agreement.shape == (2, 3) and agreement[0, 1] == 0.75 and agreement[1, 1] == 1.0
    flat = np.ones((2, 4, 4))
    assert raw_correlation(flat, flat * [[[1]], [[3]]]).tolist() == [1.0, 0.0]


def test_raw_correlation_of_low_contrast_patches_and_flat_ones_warns_of_nothing():
    rng = np.random.default_rng(7)
    a, b = rng.normal(scale=1e-3, size=(2, 8, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low = raw_correlation(a, a + b / 2)
        flat = raw_correlation(np.ones((8, 8)), np.zeros((8, 8)))
    assert low == pytest.approx(np.corrcoef(a.ravel(), (a + b / 2).ravel())[0, 1])
    assert flat == 0.0


def test_near_duplicates_are_decided_per_tile_at_the_thresholds_inclusive():
    # Two tiles of the same slice, one kept recently, one long ago; thresholds met exactly.
    raw = np.ones((4, 8), np.float32)
    labels = np.zeros((4, 8), np.uint8)
    labels[0, 4:6] = 1  # 2 of tile 1's 16 pixels: agreement with zeros is exactly 14 / 16
    near_filter = NearDuplicateFilter(4, 8, 1, min_label_agreement=14 / 16, min_raw_correlation=1)
    tiles, origins = tile_slice(raw, 4, 0, 0)
    label_tiles, _ = tile_slice(np.zeros((4, 8), np.uint8), 4, 0, 0)
    near_filter.remember(0, tiles, label_tiles, origins, np.array([[True, False]]))
    near_filter.remember(2, tiles, label_tiles, origins, np.array([[False, True]]))
    candidate, _ = tile_slice(labels, 4, 0, 0)
    near = near_filter.near_duplicates(3, tiles, candidate, origins)
    assert near.tolist() == [[False, True]]
    # Just below the threshold (14 / 16 < 0.9): no longer a near-duplicate; equal labels are.
    stricter = NearDuplicateFilter(4, 8, 1, min_label_agreement=0.9, min_raw_correlation=1)
    stricter.remember(2, tiles, label_tiles, origins, np.ones((1, 2), bool))
    other = np.zeros_like(candidate)
    other[0, 1, 0, :2] = 1
    assert stricter.near_duplicates(3, tiles, other, origins).tolist() == [[True, False]]


def test_repeats_are_dropped_with_a_window_of_one_and_no_tiles_give_an_empty_mask():
    rng = np.random.default_rng(8)
    raw, labels = structured_slice(rng, (32, 32))
    raw_stack = np.repeat(raw[None], 4, axis=0)
    label_stack = np.repeat(labels[None], 4, axis=0)
    # Kept at 0, dropped at 1, kept at 2 (slice 0 is two slices back), dropped at 3.
    assert run_filter(raw_stack, label_stack, 16, window=1) == 2 * 4
    near_filter = NearDuplicateFilter(8, 8, 3, 0.9, 0.5)
    empty = np.zeros((0, 0, 4, 4))
    assert near_filter.near_duplicates(0, empty, empty, np.zeros((0, 0, 2), int)).shape == (0, 0)
