import numpy as np

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
