import math
import warnings

import numpy as np
import pytest
import torch
from scipy import ndimage

from helpers.networks import randomised_norms
from xrayseg.inference.fastforward import fold_batchnorms, inference_forward
from xrayseg.inference.sliding_window import (
    flip_averaged,
    flipped,
    gaussian_importance,
    sliding_window_logits,
    window_grid,
    window_positions,
    window_shape,
    window_starts,
)
from xrayseg.models import build_network

WINDOW_CASES = [
    (501, 256, 0.5),
    (501, 64, 0.5),
    (501, 64, 0.0),
    (64, 64, 0.5),
    (65, 64, 0.5),
    (100, 32, 0.25),
    (100, 33, 0.7),
    (97, 16, 0.5),
    (10, 3, 0.9),
]


@pytest.mark.parametrize("length,window,overlap", WINDOW_CASES)
def test_windows_cover_every_pixel_and_stay_inside_the_image(length, window, overlap):
    starts = window_starts(length, window, overlap)
    assert starts[0] == 0 and starts[-1] + window == length
    assert all(s >= 0 and s + window <= length for s in starts)
    covered = np.zeros(length, dtype=int)
    for start in starts:
        covered[start : start + window] += 1
    assert covered.min() >= 1
    assert len(set(starts)) == len(starts)


@pytest.mark.parametrize("length,window,overlap", WINDOW_CASES)
def test_window_steps_are_even_symmetric_and_keep_the_overlap(length, window, overlap):
    starts = window_starts(length, window, overlap)
    steps = np.diff(starts)
    if len(steps):
        assert steps.max() - steps.min() <= 1
        # At least the asked overlap (to the pixel), unless the window is too small for it.
        assert steps.max() <= max(1, math.ceil(window * (1 - overlap)))
        # One window fewer would need a step above the target: the count is the smallest.
        assert (length - window) / (len(starts) - 2 or 1) > window * (1 - overlap) or (
            len(starts) == length - window + 1
        )
    span = length - window
    for first, last in zip(starts, reversed(starts), strict=True):
        assert abs(first + last - span) <= (1 if first == last else 0)


def test_window_positions_are_the_grid_of_starts():
    positions = window_positions(100, 70, 32, 0.5)
    ys, xs = window_starts(100, 32, 0.5), window_starts(70, 32, 0.5)
    assert positions == [(y, x) for y in ys for x in xs]


@pytest.mark.parametrize(
    "length,window,overlap,message",
    [
        (10, 20, 0.5, r"image side 10 is smaller than the window 20; pad it first"),
        (100, 32, 1.0, r"overlap must be in \[0, 1\), got 1.0"),
        (100, 32, -0.1, r"overlap must be in \[0, 1\), got -0.1"),
        (10, 0, 0.5, r"window must be at least 1 pixel, got 0"),
    ],
)
def test_impossible_windows_are_refused(length, window, overlap, message):
    with pytest.raises(ValueError, match=message):
        window_starts(length, window, overlap)


def test_a_one_pixel_window_steps_over_every_pixel():
    assert window_starts(5, 1, 0.0) == [0, 1, 2, 3, 4]


def test_gaussian_has_the_asked_sigma_and_the_default_is_an_eighth_of_the_window():
    weights = gaussian_importance(17, sigma_scale=4 / 17)  # sigma 4 px, centre pixel 8
    assert weights.dtype == np.float32
    assert weights[8, 12] / weights[8, 8] == pytest.approx(np.exp(-0.5), rel=1e-6)
    assert weights[4, 12] / weights[8, 8] == pytest.approx(np.exp(-1.0), rel=1e-6)
    np.testing.assert_array_equal(gaussian_importance(32), gaussian_importance(32, 0.125))


def test_a_narrow_gaussian_still_weighs_every_pixel_and_stitches_without_nan():
    # Far from the centre the Gaussian underflows: every weight is raised to a normal float32,
    # so that even where a single window's corner reaches, the stitching divides by no zero.
    weights = gaussian_importance(129, sigma_scale=0.001)
    assert weights.min() >= np.finfo(np.float32).tiny and weights[64, 64] == 1
    image = np.random.default_rng(4).random((1, 100, 90)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logits = sliding_window_logits(image, lambda b: b, 64, 1, sigma_scale=0.005)
    np.testing.assert_allclose(logits, image, rtol=1e-4, atol=1e-6)


def test_gaussian_peaks_in_the_centre_and_is_positive():
    weights = gaussian_importance(16)
    assert weights.max() == pytest.approx(1.0)
    assert weights.min() > 0
    assert np.allclose(weights, weights[::-1, ::-1])
    assert weights[8, 8] > weights[8, 12] > weights[8, 15]


def test_identity_network_is_reproduced_exactly_by_stitching():
    image = np.random.default_rng(0).random((3, 77, 50)).astype(np.float32)
    logits = sliding_window_logits(image, lambda batch: batch, window=32, n_classes=3, overlap=0.5)
    np.testing.assert_allclose(logits, image, rtol=1e-5, atol=1e-6)


def test_flip_averaging_of_an_identity_network_is_still_exact():
    image = np.random.default_rng(1).random((2, 45, 61)).astype(np.float32)
    network = flip_averaged(lambda batch: batch)
    logits = sliding_window_logits(image, network, window=16, n_classes=2, overlap=0.5)
    np.testing.assert_allclose(logits, image, rtol=1e-5, atol=1e-6)


def test_flip_averaging_undoes_each_flip():
    # A network that marks the left column: averaged over flips, the left and right edges share it.
    def left_column(batch):
        out = torch.zeros_like(batch)
        out[..., 0] = 1.0
        return out

    out = flip_averaged(left_column)(torch.zeros(1, 1, 4, 4))
    np.testing.assert_allclose(out[0, 0, :, 0], 0.5)
    np.testing.assert_allclose(out[0, 0, :, -1], 0.5)
    np.testing.assert_allclose(out[0, 0, :, 1:-1], 0.0)


def test_batch_size_does_not_change_the_result():
    image = np.random.default_rng(2).random((1, 70, 70)).astype(np.float32)

    def squares(batch):
        return torch.cat([batch**2, -batch], 1)

    one = sliding_window_logits(image, squares, 32, 2, batch_size=1)
    many = sliding_window_logits(image, squares, 32, 2, batch_size=7)
    np.testing.assert_allclose(one, many, rtol=1e-6)


def test_windows_far_from_the_edges_weigh_towards_their_centres():
    # Each window reports its own start column; the stitched value at a pixel is a weighted mean
    # of the starts of the windows covering it, pulled towards the window it is most central in.
    image = np.zeros((1, 32, 64), dtype=np.float32)
    starts = window_starts(64, 32, 0.5)

    def start_marker(batch):
        # Batches are in window_positions order; one row of windows here.
        marks = torch.tensor(starts[: len(batch)], dtype=torch.float32)
        return marks.view(-1, 1, 1, 1).expand(-1, 1, 32, 32).clone()

    stitched = sliding_window_logits(image, start_marker, 32, 1, batch_size=len(starts))[0, 16]
    assert starts == [0, 16, 32]
    assert stitched[16] == pytest.approx(0.0, abs=0.05)  # centre of the first window
    assert stitched[32] == pytest.approx(16.0, abs=0.05)  # centre of the middle window
    assert np.all(np.diff(stitched) >= -1e-4)
    # Pixels 23 and 24 mirror each other about the midpoint of the two windows' centres.
    assert stitched[23] + stitched[24] == pytest.approx(16.0, abs=1e-4)
    assert 0 < stitched[23] < 8 < stitched[24] < 16


def test_small_images_are_padded_and_cropped_back():
    image = np.random.default_rng(0).random((1, 20, 20)).astype(np.float32)
    logits = sliding_window_logits(image, lambda b: torch.cat([b, -b], 1), 32, 2)
    assert logits.shape == (2, 20, 20)
    np.testing.assert_allclose(logits[0], image[0], rtol=1e-5)


def mean_of_neighbours(batch):
    """A network that sees past each pixel: the 3 x 3 mean, mirrored at the window's edges."""
    padded = torch.nn.functional.pad(batch, (1, 1, 1, 1), mode="reflect")
    return torch.nn.functional.avg_pool2d(padded, 3, stride=1)


@pytest.mark.parametrize("shape", [(13, 11), (13, 16), (16, 11), (16, 16)])
def test_padding_mirrors_the_image_so_border_pixels_see_their_own_neighbours(shape):
    # The whole-slice window pads a 501 px slice to 512: what lies beyond the bottom and right
    # edges must be the image mirrored there (scipy's "mirror" mode, computed independently), not
    # zeros, or every border prediction changes. An image of the window's size is not padded.
    image = np.random.default_rng(3).random((1, *shape)).astype(np.float32) + 1
    logits = sliding_window_logits(image, mean_of_neighbours, 16, 1)
    expected = ndimage.uniform_filter(image[0].astype(np.float64), size=3, mode="mirror")
    assert logits.dtype == np.float32
    np.testing.assert_allclose(logits[0], expected, rtol=1e-5)


def test_any_image_reaches_the_network_as_float32_in_batches_of_8_by_default():
    sizes = []

    def recording(batch):
        assert batch.dtype == torch.float32
        sizes.append(len(batch))
        return batch

    image = np.arange(48 * 40, dtype=np.float64).reshape(1, 48, 40)  # 5 x 4 windows of 16 px
    logits = sliding_window_logits(image, recording, 16, 1)
    assert sizes == [8, 8, 4]
    np.testing.assert_allclose(logits, image, rtol=1e-6)


def test_images_need_not_be_bigger_than_half_the_window():
    image = np.random.default_rng(0).random((1, 5, 3)).astype(np.float32)
    logits = sliding_window_logits(image, lambda b: b, 16, 1)
    np.testing.assert_allclose(logits, image, rtol=1e-5)


def test_a_network_with_the_wrong_output_shape_is_an_error():
    image = np.zeros((1, 40, 40), dtype=np.float32)
    with pytest.raises(ValueError, match="network gave .* windows of 16 x 16 px and 1 classes"):
        sliding_window_logits(image, lambda b: b[:, :, :8, :8], 16, 1)


@pytest.mark.parametrize(
    "arch,args,shape",
    [
        ("unet", {"width": 4, "depth": 2}, (2, 1, 32, 32)),
        ("dnn", {"patch_size": 8, "hidden": 16}, (5, 1, 8, 8)),
    ],
)
def test_folding_batch_norms_keeps_the_logits(arch, args, shape):
    torch.manual_seed(0)
    network = randomised_norms(build_network(arch, 3, 1, args))
    batch = torch.randn(shape)
    folded = fold_batchnorms(network)
    remaining = [
        m for m in folded.modules() if isinstance(m, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d)
    ]
    assert not remaining
    with torch.no_grad():
        np.testing.assert_allclose(folded(batch), network(batch), rtol=1e-4, atol=1e-5)


def test_fast_forward_options_agree_with_the_plain_network():
    torch.manual_seed(0)
    network = randomised_norms(build_network("unet", 3, 1, {"width": 4, "depth": 2}))
    batch = torch.randn(2, 1, 16, 16)
    with torch.no_grad():
        expected = network(batch)
    plain = inference_forward(network, "cpu")(batch)
    np.testing.assert_allclose(plain, expected, rtol=1e-4, atol=1e-5)
    channels_last = inference_forward(network, "cpu", channels_last=True)(batch)
    np.testing.assert_allclose(channels_last, expected, rtol=1e-4, atol=1e-4)
    bf16 = inference_forward(network, "cpu", bf16=True, channels_last=True)(batch)
    assert bf16.dtype == torch.float32
    # bf16 keeps about 3 significant digits: close, not equal.
    assert (bf16 - expected).abs().max() < 0.05 * expected.abs().max() + 0.05
    flipped = inference_forward(network, "cpu", flip_tta=True)(batch)
    assert flipped.shape == expected.shape


# --- 3-D windows (the volumetric network's) ------------------------------------------------------

VOLUME_CASES = [((10, 40, 37), (16, 16, 16)), ((33, 20, 20), (8, 16, 16)), ((5, 9, 7), (4, 8, 8))]


@pytest.mark.parametrize("shape,window", VOLUME_CASES)
def test_3d_windows_cover_every_voxel(shape, window):
    padded = tuple(max(length, side) for length, side in zip(shape, window, strict=True))
    covered = np.zeros(padded, dtype=int)
    for corner in window_grid(padded, window, 0.5):
        box = tuple(slice(c, c + s) for c, s in zip(corner, window, strict=True))
        assert all(c >= 0 and c + s <= n for c, s, n in zip(corner, window, padded, strict=True))
        covered[box] += 1
    assert covered.min() >= 1


def test_3d_window_grid_is_the_product_of_the_axes_starts():
    grid = window_grid((20, 40, 30), (8, 16, 16), 0.5)
    zs, ys, xs = (window_starts(n, s, 0.5) for n, s in ((20, 8), (40, 16), (30, 16)))
    assert grid == [(z, y, x) for z in zs for y in ys for x in xs]


def test_3d_gaussian_is_the_product_of_the_axes_profiles():
    weights = gaussian_importance((8, 16, 16))
    assert weights.shape == (8, 16, 16) and weights.max() == pytest.approx(1.0)
    assert weights.min() > 0
    assert np.allclose(weights, weights[::-1, ::-1, ::-1])
    assert np.allclose(weights, np.transpose(weights, (0, 2, 1)))
    # The product of one Gaussian per axis, sigma = side / 8 along each.
    profiles = [np.exp(-0.5 * ((np.arange(n) - (n - 1) / 2) / (n / 8)) ** 2) for n in (8, 16, 16)]
    expected = np.einsum("i,j,k->ijk", *profiles)
    np.testing.assert_allclose(weights, expected / expected.max(), rtol=1e-6)
    # A square 2-D window given as a side or as two sides is the same map.
    np.testing.assert_array_equal(gaussian_importance(16), gaussian_importance((16, 16)))


@pytest.mark.parametrize("shape,window", VOLUME_CASES)
def test_identity_network_is_reproduced_exactly_in_3d(shape, window):
    image = np.random.default_rng(3).random((2, *shape)).astype(np.float32)
    logits = sliding_window_logits(image, lambda batch: batch, window, 2, overlap=0.5)
    assert logits.shape == (2, *shape)
    np.testing.assert_allclose(logits, image, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape,window", VOLUME_CASES)
def test_a_constant_volume_gives_a_constant_output(shape, window):
    # Whatever the window layout and the Gaussian weights, windows that all say the same must
    # stitch to exactly that everywhere (the weights are normalised voxel by voxel).
    image = np.full((1, *shape), 0.25, dtype=np.float32)

    def constant_network(batch):
        return torch.cat([batch * 4, batch * 0 - 3], 1)  # 1.0 and -3.0 at every voxel

    logits = sliding_window_logits(image, constant_network, window, 2, overlap=0.5, batch_size=3)
    np.testing.assert_allclose(logits[0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(logits[1], -3.0, rtol=1e-6)


def test_3d_stitching_of_a_3d_unet_equals_one_window_on_a_window_sized_volume():
    torch.manual_seed(1)
    network = randomised_norms(build_network("unet3d", 3, 1, {"width": 2, "depth": 2}))
    image = np.random.default_rng(4).random((1, 8, 16, 16)).astype(np.float32)
    logits = sliding_window_logits(image, inference_forward(network, "cpu"), (8, 16, 16), 3)
    with torch.no_grad():
        expected = network(torch.from_numpy(image)[None])[0].numpy()
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-5)


def test_a_window_with_the_wrong_number_of_sides_is_an_error():
    with pytest.raises(ValueError, match="2 sides for a 3-D image"):
        sliding_window_logits(np.zeros((1, 8, 8, 8), np.float32), lambda b: b, (8, 8), 1)


def test_a_flipped_network_sees_the_batch_flipped_and_gives_its_logits_flipped_back():
    def first_column_everywhere(batch):  # not flip-invariant: the column 0 it sees, spread
        return batch[..., :1].expand_as(batch).clone()

    batch = torch.arange(24, dtype=torch.float32).reshape(1, 1, 4, 6)
    assert flipped(first_column_everywhere, ()) is first_column_everywhere
    # Flipped along x, the network sees the last column; flipped back, that fills every column.
    expected = batch[..., -1:].expand_as(batch)
    torch.testing.assert_close(flipped(first_column_everywhere, (-1,))(batch), expected)


def test_a_window_is_a_side_or_rows_and_columns():
    assert window_shape(16) == (16, 16)
    assert window_shape(np.int64(8)) == (8, 8)
    assert window_shape((8, 12)) == (8, 12)
