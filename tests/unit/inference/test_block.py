"""Block prediction: planes along z, y and x of one block, averaged, and smoothed along z."""

import itertools
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter1d

from helpers.checkpoints import checkpoint_of
from xrayseg.inference.block import (
    add_plane,
    block_probabilities,
    check_axes,
    neighbour_indices,
    plane_input,
    smooth_along_stack,
)
from xrayseg.inference.predictor import Predictor
from xrayseg.models import build_network
from xrayseg.settings.inference import InferenceSettings

SETTINGS = InferenceSettings(window="slice", precision="fp32", channels_last=False)


@pytest.fixture(autouse=True)
def one_thread():
    # Hundreds of tiny planes: a second thread only waits for the first (on a busy machine
    # ten times slower).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def unet_predictor(context=0, seed=0):
    torch.manual_seed(seed)
    arch_args = {"width": 2, "depth": 2}
    network = build_network("unet", 3, 2 * context + 1, arch_args)
    checkpoint = checkpoint_of("unet", network.state_dict(), arch_args, 8, context)
    return Predictor(checkpoint, "cpu", SETTINGS)


def pointwise_predictor():
    """A UNet predictor whose network is replaced by a function of each voxel alone."""
    predictor = unet_predictor()

    def pointwise(batch):
        x = batch[:, :1]
        return torch.cat([2 * x, 1 - x, torch.sin(5 * x)], dim=1)

    predictor.forward = pointwise
    return predictor


class PointwisePlanes:
    """A plane predictor without a network: class probabilities (x, 1 - x) of each pixel."""

    context = 0
    n_classes = 2
    spec = SimpleNamespace(dims=2)

    def probabilities(self, image):
        return np.stack([image[0], 1 - image[0]])


class WholeVolumes:
    """A volume predictor (dims 3) without a network, float64 probabilities (x, 1 - x); it
    notes the dtype of each block it is given."""

    spec = SimpleNamespace(dims=3)

    def __init__(self):
        self.seen = []

    def volume_probabilities(self, block):
        self.seen.append(block.dtype)
        return np.stack([block, 1 - block], axis=1).astype(np.float64)


def symmetric_volume(side, seed=0):
    """A cube that every permutation of its axes leaves unchanged."""
    rng = np.random.default_rng(seed)
    cube = rng.random((side, side, side)).astype(np.float64)
    total = sum(cube.transpose(p) for p in itertools.permutations(range(3)))
    return (total / 6).astype(np.float32)


def test_axes_are_checked():
    assert check_axes(["z", "y", "x"]) == ("z", "y", "x")
    for bad, message in (([], "at least one"), (["z", "w"], "unknown axis"), (["z", "z"], "twice")):
        with pytest.raises(ValueError, match=message):
            check_axes(bad)


def test_neighbours_repeat_the_end_plane_of_the_block():
    assert neighbour_indices(0, 2, 5) == [0, 0, 0, 1, 2]
    assert neighbour_indices(4, 1, 5) == [3, 4, 4]


def test_planes_of_each_axis_and_their_neighbours():
    block = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
    np.testing.assert_array_equal(plane_input(block, "z", 1)[0], block[1])
    np.testing.assert_array_equal(plane_input(block, "y", 2)[0], block[:, 2, :])
    np.testing.assert_array_equal(plane_input(block, "x", 5)[0], block[:, :, 5])
    stack = plane_input(block, "y", 0, context=1)
    np.testing.assert_array_equal(stack, block[:, [0, 0, 1], :].transpose(1, 0, 2))
    with pytest.raises(ValueError, match="outside the block"):
        plane_input(block, "x", 6)


def test_plane_probabilities_land_where_the_plane_is():
    total = np.zeros((2, 3, 4, 5), np.float32)
    plane = np.arange(3 * 2 * 5, dtype=np.float32).reshape(3, 2, 5)  # (C, Z, X) of y-plane 1
    add_plane(total, "y", 1, plane)
    np.testing.assert_array_equal(total[:, :, 1, :], plane.transpose(1, 0, 2))
    assert total.sum() == plane.sum()


def test_plane_probabilities_add_to_what_other_axes_put_there():
    total = np.ones((2, 3, 4, 5), np.float32)
    expected = total.copy()
    z_plane = np.full((3, 4, 5), 2, np.float32)  # (C, Y, X) of slice 1
    x_plane = np.full((3, 2, 4), 3, np.float32)  # (C, Z, Y) of x-plane 4
    add_plane(total, "z", 1, z_plane)
    add_plane(total, "x", 4, x_plane)
    expected[1] += 2
    expected[:, :, :, 4] += 3
    np.testing.assert_array_equal(total, expected)


def test_plane_inputs_are_float32_whatever_the_block():
    block = np.random.default_rng(5).random((3, 4, 5))  # float64
    stack = plane_input(block, "x", 2, context=1)
    assert stack.dtype == np.float32
    np.testing.assert_array_equal(
        stack, block[:, :, [1, 2, 3]].transpose(2, 0, 1).astype(np.float32)
    )


def test_the_planes_of_every_axis_asked_for_are_averaged_as_float32():
    block = np.random.default_rng(6).random((3, 4, 5))  # float64
    calls = []
    probabilities = block_probabilities(
        PointwisePlanes(), block, ["x", "z"], on_plane=lambda *plane: calls.append(plane)
    )
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities, np.stack([block, 1 - block], axis=1), atol=1e-6)
    # Progress after every plane, axis by axis in the order asked.
    assert calls == [("x", i) for i in range(5)] + [("z", i) for i in range(3)]


def test_a_volume_predictor_predicts_the_block_at_once_whatever_the_axes():
    block = np.random.default_rng(7).random((3, 4, 5))  # float64
    predictor = WholeVolumes()
    probabilities = block_probabilities(predictor, block, ["z", "y"])
    assert predictor.seen == [np.float32]  # the block as the networks take it
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities, np.stack([block, 1 - block], axis=1), atol=1e-6)


def test_a_block_must_be_three_dimensional():
    with pytest.raises(ValueError, match=r"\(slices, height, width\); got shape \(4, 5\)"):
        block_probabilities(PointwisePlanes(), np.zeros((4, 5)))


def test_a_pointwise_model_predicts_the_same_along_every_axis():
    block = np.random.default_rng(1).random((6, 16, 24)).astype(np.float32)
    predictor = pointwise_predictor()
    along_z = block_probabilities(predictor, block, ["z"])
    every_axis = block_probabilities(predictor, block, ["z", "y", "x"])
    np.testing.assert_allclose(every_axis, along_z, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(every_axis.argmax(1), along_z.argmax(1))


@pytest.mark.parametrize("context", [0, 1])
def test_on_an_axis_symmetric_volume_every_axis_predicts_what_z_does(context):
    # Plane i along y (or x) of a symmetric cube is its z-plane i, so a network predicts it alike:
    # y alone gives z's probabilities with z and y swapped, and averaging every axis gives the
    # z-prediction averaged over its axis permutations, which is z's own on a symmetric result.
    cube = symmetric_volume(16)
    predictor = unet_predictor(context)
    along_z = block_probabilities(predictor, cube, ["z"])
    along_y = block_probabilities(predictor, cube, ["y"])
    along_x = block_probabilities(predictor, cube, ["x"])
    np.testing.assert_allclose(along_y, along_z.transpose(2, 1, 0, 3), atol=1e-6)
    np.testing.assert_allclose(along_x, along_z.transpose(2, 1, 3, 0), atol=1e-6)
    every_axis = block_probabilities(predictor, cube, ["z", "y", "x"])
    np.testing.assert_allclose(every_axis, (along_z + along_y + along_x) / 3, atol=1e-6)


def test_y_and_x_planes_see_only_the_block():
    # A block cut from a volume whose slices elsewhere are NaN: any plane reaching beyond the
    # block would spread NaN into the probabilities.
    volume = np.full((12, 16, 16), np.nan, np.float32)
    volume[4:9] = np.random.default_rng(2).random((5, 16, 16))
    seen = []
    predictor = unet_predictor(context=1)
    original = predictor.probabilities

    def recording(image):
        seen.append(image.shape)
        return original(image)

    predictor.probabilities = recording
    probabilities = block_probabilities(predictor, volume[4:9], ["z", "y", "x"])
    assert np.isfinite(probabilities).all()
    assert seen.count((3, 16, 16)) == 5 and seen.count((3, 5, 16)) == 32


def test_probabilities_of_a_block_sum_to_one_everywhere():
    block = np.random.default_rng(3).random((5, 16, 16)).astype(np.float32)
    probabilities = block_probabilities(unet_predictor(), block, ["z", "y", "x"], 1.5)
    assert probabilities.shape == (5, 3, 16, 16)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_smoothing_runs_along_the_stack_within_the_block():
    rng = np.random.default_rng(4)
    probabilities = rng.dirichlet(np.ones(3), size=(7, 4, 4)).transpose(0, 3, 1, 2)
    probabilities = probabilities.astype(np.float32)
    expected = gaussian_filter1d(probabilities, 2.0, axis=0, mode="nearest")
    smoothed = smooth_along_stack(probabilities.copy(), 2.0)
    np.testing.assert_allclose(smoothed, expected, atol=1e-6)
    np.testing.assert_allclose(smoothed.sum(axis=1), 1, atol=1e-5)
    # Each slice is a mix of the block's own slices only: a constant block stays constant.
    constant = np.broadcast_to(probabilities[:1], probabilities.shape).copy()
    np.testing.assert_allclose(smooth_along_stack(constant.copy(), 3.0), constant, atol=1e-6)
    np.testing.assert_array_equal(smooth_along_stack(probabilities.copy(), 0), probabilities)
    # A small sigma and a block of two slices are smoothed too.
    np.testing.assert_allclose(
        smooth_along_stack(probabilities.copy(), 0.5),
        gaussian_filter1d(probabilities, 0.5, axis=0, mode="nearest"),
        atol=1e-6,
    )
    two = probabilities[:2].copy()
    expected_two = gaussian_filter1d(two, 1.0, axis=0, mode="nearest")
    np.testing.assert_allclose(smooth_along_stack(two.copy(), 1.0), expected_two, atol=1e-6)
    assert not np.allclose(expected_two, two)
    with pytest.raises(ValueError, match="smooth_sigma"):
        smooth_along_stack(probabilities, -1)
