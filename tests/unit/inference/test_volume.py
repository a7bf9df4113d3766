"""Blocks predicted as volumes by a 3-D network: slab plans, and what the predictor yields."""

import numpy as np
import pytest
import torch

from helpers.checkpoints import checkpoint_of
from helpers.networks import randomised_norms
from xrayseg.inference.predictor import Predictor
from xrayseg.inference.uncertainty import UncertainPredictor, softmax
from xrayseg.inference.volume import block_volume_scores, plan_slabs
from xrayseg.models import build_network
from xrayseg.settings.inference import InferenceSettings


def kept(slabs):
    return [z for _, _, keep in slabs for z in keep]


@pytest.mark.parametrize(
    "wanted,block",
    [
        (range(390, 400), (390, 400)),  # a 10-slice test block
        (range(0, 130), (0, 130)),
        ([5, 100, 101, 102, 300], (0, 319)),
        (list(np.linspace(3, 316, 40).astype(int)), (0, 319)),  # a spread train subset
    ],
)
def test_slabs_keep_each_wanted_slice_once_and_stay_inside_the_block(wanted, block):
    slabs = plan_slabs(wanted, block, window_depth=16, slab_slices=64)
    assert kept(slabs) == sorted(set(wanted))
    for start, stop, keep in slabs:
        assert block[0] <= start <= min(keep) and max(keep) < stop <= block[1]
        assert len(keep) <= 64 and stop - start <= 64 + 16


def test_a_lone_slice_is_predicted_one_window_deep_with_half_a_window_each_side():
    assert plan_slabs([100], (0, 319), window_depth=16) == [(92, 108, [100])]
    assert plan_slabs([100], (0, 319), window_depth=15) == [(93, 108, [100])]
    # At the block's edge the context is clamped to the block.
    assert plan_slabs([2], (0, 319), window_depth=16) == [(0, 10, [2])]


def test_slices_whose_predictions_overlap_or_touch_share_one_slab():
    # A spread subset: each slice's window overlaps the next one's.
    assert plan_slabs([110, 114, 118], (100, 200), 16) == [(102, 126, [110, 114, 118])]
    # The second slice's window starts where the first one's ends.
    assert plan_slabs([110, 126], (100, 200), 16) == [(102, 134, [110, 126])]
    # One slice further apart: two slabs.
    assert plan_slabs([110, 127], (100, 200), 16) == [(102, 118, [110]), (119, 135, [127])]


def test_a_merged_slab_keeps_at_most_slab_slices_and_predicts_at_most_a_window_more():
    # slab_slices 4 and a window of 4 (2 slices of context before, 1 after): at most 4 slices
    # kept and 8 predicted per slab.
    def plan(wanted):
        return plan_slabs(wanted, (100, 200), window_depth=4, slab_slices=4)

    assert plan([110, 111, 112, 114]) == [(108, 116, [110, 111, 112, 114])]  # both at the limit
    # Five consecutive slices: two pieces as equal as can be, too many to merge.
    assert plan(range(110, 115)) == [(108, 114, [110, 111, 112]), (111, 116, [113, 114])]
    # Touching, but together they would predict 9 slices.
    assert plan([110, 114, 115]) == [(108, 112, [110]), (112, 117, [114, 115])]


def test_a_long_block_is_cut_into_bounded_slabs_with_halos():
    slabs = plan_slabs(range(130), (0, 130), window_depth=16, slab_slices=64)
    # 130 slices: three slabs of 44, 43 and 43 output slices, each with its halo.
    assert slabs == [
        (0, 51, list(range(44))),
        (36, 94, list(range(44, 87))),
        (79, 130, list(range(87, 130))),
    ]


def test_slices_outside_the_block_are_refused_naming_the_first_few():
    with pytest.raises(ValueError, match="outside the block"):
        plan_slabs([3, 40], (0, 20), window_depth=8)
    with pytest.raises(ValueError, match=r"slices \[20\] lie outside the block \[0, 20\)"):
        plan_slabs([19, 20], (0, 20), window_depth=8)
    with pytest.raises(ValueError, match=r"slices \[30, 31, 32, 33, 34\] lie"):
        plan_slabs(range(30, 40), (0, 20), window_depth=8)


def test_an_identity_volume_predictor_returns_every_slice_exactly():
    raw = np.random.default_rng(0).random((50, 6, 5)).astype(np.float32)
    calls = []

    def identity(volume):
        calls.append(volume.shape[1])
        return np.concatenate([volume, -volume])

    wanted = [1, 2, 3, 20, 30, 31, 45]
    out = list(block_volume_scores(identity, raw, (0, 50), wanted, window_depth=8, slab_slices=4))
    assert [z for z, _, _ in out] == wanted
    for z, scores, seconds in out:
        np.testing.assert_array_equal(scores, np.stack([raw[z], -raw[z]]))
        assert seconds >= 0
    assert max(calls) <= 4 + 8


def volumetric_checkpoint(patch_depth=8, patch_size=16, seed=0):
    torch.manual_seed(seed)
    network = randomised_norms(build_network("unet3d", 3, 1, {"width": 2, "depth": 2}))
    arch_args = {"width": 2, "depth": 2}
    return checkpoint_of(
        "unet3d", network.state_dict(), arch_args, patch_size, patch_depth=patch_depth
    )


def test_a_volumetric_predictor_predicts_a_short_block_as_one_volume():
    raw = np.random.default_rng(1).random((30, 20, 20)).astype(np.float32)
    predictor = Predictor(volumetric_checkpoint(), "cpu", InferenceSettings(window="slice"))
    assert predictor.volumetric and predictor.window_shape(20, 20) == (8, 32, 32)
    block = list(range(12, 18))  # 6 slices: shorter than the window depth, mirrored to 8
    out = list(predictor.block_scores(raw, block, block))
    assert [z for z, _, _ in out] == block
    whole = predictor.scores(raw[12:18][None])
    assert whole.shape == (3, 6, 20, 20)
    for z, scores, _ in out:
        np.testing.assert_array_equal(scores, whole[:, z - 12])
    # Slices outside the block never feed it: changing them changes nothing.
    changed = raw.copy()
    changed[:12] = 0
    changed[18:] = 1
    again = list(predictor.block_scores(changed, block, block))
    for (_, first, _), (_, second, _) in zip(out, again, strict=True):
        np.testing.assert_array_equal(first, second)


def test_a_volumetric_predictor_needs_a_contiguous_block():
    predictor = Predictor(volumetric_checkpoint(), "cpu")
    raw = np.zeros((10, 16, 16), np.float32)
    with pytest.raises(ValueError, match="contiguous"):
        list(predictor.block_scores(raw, [0, 1, 2, 5, 6], [0]))


def test_slice_models_yield_their_slice_scores_in_order():
    torch.manual_seed(0)
    network = build_network("unet", 3, 3, {"width": 2, "depth": 2})
    checkpoint = checkpoint_of(
        "unet", network.state_dict(), {"width": 2, "depth": 2}, patch_size=16, context=1
    )
    predictor = Predictor(checkpoint, "cpu")
    raw = np.random.default_rng(2).random((10, 16, 16)).astype(np.float32)
    block = range(4, 10)
    out = list(predictor.block_scores(raw, block, [4, 9]))
    assert [z for z, _, _ in out] == [4, 9]
    # The 2.5-D neighbours come from the block only: slice 4's missing neighbour repeats it.
    expected = predictor.scores(np.stack([raw[4], raw[4], raw[5]]))
    np.testing.assert_array_equal(out[0][1], expected)


def test_one_slice_with_its_uncertainty_comes_from_the_slab_around_it():
    # Suggestions rank single slices; a 3-D model must see the slab around each, as in evaluate.
    raw = np.random.default_rng(2).random((30, 20, 20)).astype(np.float32)
    predictor = Predictor(volumetric_checkpoint(), "cpu", InferenceSettings(window="slice"))
    block = list(range(10, 26))
    [(_, scores, _)] = predictor.block_scores(raw, block, [17])
    prediction = UncertainPredictor(predictor, temperature=2.0).predict_slice(raw, 17, block)
    np.testing.assert_array_equal(prediction.classes, np.argmax(scores, axis=0))
    scaled = softmax(scores, 2.0)
    np.testing.assert_allclose(prediction.probabilities, scaled, rtol=1e-4, atol=1e-6)
    assert prediction.maps["uncertainty"].shape == (20, 20)
