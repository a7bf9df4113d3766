"""The clean-up chosen on the val block: the candidate a constructed case favours, and none, with
the reason, where the val block cannot tell."""

import math

import numpy as np
import pytest
from scipy import ndimage

from helpers.evaluation import evaluate_settings
from xrayseg.cleanup.candidates import Cleanup
from xrayseg.evaluation.cleanblocks import apply_to_blocks, choose_on_val
from xrayseg.evaluation.cleanupchoice import (
    CandidateScore,
    block_problem,
    candidate_cleanups,
    choose,
    choose_cleanup,
)
from xrayseg.io.volume import IGNORE_INDEX

CLASS_NAMES = ["pore", "YSZ", "Ni"]
ROLES = {"pore": "pore", "ysz": "YSZ", "ni": "Ni"}
SHAPE = (8, 40, 40)


def settings(candidates, tolerance=0.0005):
    return evaluate_settings(
        microstructure={"roles": ROLES},
        cleanup={"candidates": candidates, "accuracy_tolerance": tolerance},
    )


def blobs(seed=0, shape=SHAPE, sigma=3):
    """Three phases in blobs several voxels across (no specks)."""
    field = ndimage.gaussian_filter(np.random.default_rng(seed).normal(size=shape), sigma)
    return np.digitize(field, np.percentile(field, [33, 66])).astype(np.uint8)


def with_specks(labels, share, seed=1):
    """`labels` with about `share` of the voxels, scattered alone, turned into another class."""
    rng = np.random.default_rng(seed)
    specks = rng.random(labels.shape) < share
    return np.where(specks, (labels + 1 + (rng.random(labels.shape) < 0.5)) % 3, labels).astype(
        np.uint8
    )


def thin_sheets(shape=SHAPE):
    """Pore and YSZ halves with one-voxel-thick Ni sheets across them every 4 columns: a real
    phase that a 3 x 3 x 3 majority vote wipes out."""
    labels = np.zeros(shape, dtype=np.uint8)
    labels[:, shape[1] // 2 :] = 1
    labels[:, :, ::4] = 2
    return labels


def test_none_comes_first_and_each_candidate_once():
    cleanups = candidate_cleanups([{"majority": 3}, {}, {"majority": 3}, {"min_island": 1}])
    assert cleanups == [Cleanup(), Cleanup(majority=3)]


def test_a_prediction_with_specks_gets_a_clean_up_that_removes_them():
    truth = blobs()
    predicted = with_specks(truth, 0.01)
    choice = choose_cleanup(
        truth,
        predicted,
        settings([{}, {"majority": 3}, {"min_island": 5}]),
        CLASS_NAMES,
        [10, 17],
    )
    assert not choice.cleanup.is_none
    candidates = {c["name"]: c for c in choice.candidates}
    chosen = candidates[choice.cleanup.name]
    assert chosen["val_microstructure_error"] < candidates["none"]["val_microstructure_error"]
    assert chosen["val_accuracy"] > candidates["none"]["val_accuracy"]
    # Specks add triple-phase boundary; removing them brings it back towards the truth.
    assert abs(chosen["val_tpb_relative_error"]) < abs(candidates["none"]["val_tpb_relative_error"])
    assert choice.val_slices == [10, 17] and choice.seconds > 0
    assert choice.cleanup.name in choice.why


def test_a_vote_that_wipes_out_a_thin_real_phase_is_kept_out_by_accuracy():
    truth = thin_sheets()
    predicted = with_specks(truth, 0.005)
    choice = choose_cleanup(
        truth, predicted, settings([{"majority": 3}, {"min_island": 5}]), CLASS_NAMES, [0, 7]
    )
    candidates = {c["name"]: c for c in choice.candidates}
    vote = candidates["majority 3"]
    assert vote["val_accuracy"] < candidates["none"]["val_accuracy"] - 0.0005
    assert not vote["admissible"] and "kept out by accuracy: majority 3" in choice.why
    # The islands go, the sheets (large components) stay.
    assert choice.cleanup == Cleanup(min_island=5)


def test_without_specks_nothing_beats_no_clean_up():
    truth = thin_sheets()
    choice = choose_cleanup(
        truth, truth.copy(), settings([{"majority": 3}, {"min_island": 5}]), CLASS_NAMES, [0, 7]
    )
    assert choice.cleanup.is_none
    assert choice.why.startswith("no candidate with val accuracy at most")


def score(name_or_cleanup, accuracy, error):
    figures = {"accuracy": accuracy, "mean_iou": accuracy, "microstructure_error": error}
    return CandidateScore(name_or_cleanup, figures)


def test_the_rule_takes_the_lowest_error_within_the_tolerance_and_the_earlier_of_equals():
    scores = [
        score(Cleanup(), 0.990, 0.20),
        score(Cleanup(majority=3), 0.9894, 0.05),  # 0.06 pp below none: out at 0.05 pp
        score(Cleanup(min_island=50), 0.9897, 0.10),
        score(Cleanup(min_island=200), 0.9899, 0.10),  # as low, later: not chosen
    ]
    assert choose(scores, 0.0005)[0] == 2
    assert choose(scores, 0.001)[0] == 1
    assert choose(scores, 0.0)[0] == 0


def test_without_a_measured_microstructure_error_nothing_is_chosen():
    scores = [score(Cleanup(), 0.99, math.nan), score(Cleanup(majority=3), 0.995, math.nan)]
    index, why = choose(scores, 0.001)
    assert index == 0 and "no microstructure error" in why


def test_the_ignored_voxels_of_the_labels_count_nowhere():
    truth = blobs(shape=(16, 40, 40))
    predicted = with_specks(truth, 0.01)
    # Every voxel of the last slices ignored: without clean-up the figures are those of the
    # first slices alone (a clean-up may still use the prediction there as context).
    masked = truth.copy()
    masked[8:] = IGNORE_INDEX
    candidates = [{"min_island": 5}]
    whole = choose_cleanup(truth[:8], predicted[:8], settings(candidates), CLASS_NAMES, [0, 7])
    part = choose_cleanup(masked, predicted, settings(candidates), CLASS_NAMES, [0, 15])
    figures = [
        {key: value for key, value in choice.candidates[0].items() if key.startswith("val_")}
        for choice in (whole, part)
    ]
    assert figures[0] == figures[1] and math.isfinite(figures[0]["val_microstructure_error"])


@pytest.mark.parametrize(
    ("block", "scored", "problem"),
    [
        (list(range(10, 18)), list(range(10, 18)), None),
        (list(range(10, 18)), [10, 12, 14, 16], "4 of the val block's 8 slices are scored"),
        ([10, 11], [10, 11], "the val block has 2 slices: a 3-D clean-up needs at least 3"),
    ],
)
def test_a_block_is_cleaned_only_when_it_is_one_run_of_enough_scored_slices(block, scored, problem):
    found = block_problem("val", block, scored)
    assert found == problem if problem is None else found.startswith(problem)


def test_a_val_block_with_gaps_or_missing_gives_none_with_the_reason():
    truth = blobs()
    labels = np.concatenate([truth, truth])  # slices 0-15
    predicted = with_specks(labels, 0.01)
    blocks = {"train": list(range(0, 8)), "val": list(range(8, 16))}
    maps = {split: {z: predicted[z] for z in block} for split, block in blocks.items()}
    some = settings([{"min_island": 5}])
    gaps = choose_on_val(labels, blocks, {**blocks, "val": [8, 10, 12]}, maps, some, CLASS_NAMES)
    assert gaps.cleanup.is_none and "3 of the val block's 8 slices are scored" in gaps.why
    missing = choose_on_val(labels, {"test": blocks["val"]}, blocks, maps, some, CLASS_NAMES)
    assert missing.cleanup.is_none and "val block is not evaluated" in missing.why
    nothing = choose_on_val(labels, blocks, blocks, maps, settings([{}]), CLASS_NAMES)
    assert nothing.cleanup.is_none and "no clean-up besides none" in nothing.why
    chosen = choose_on_val(labels, blocks, blocks, maps, some, CLASS_NAMES)
    assert chosen.cleanup == Cleanup(min_island=5) and chosen.val_slices == [8, 15]


def test_the_choice_is_applied_to_every_block_scored_whole_and_nowhere_else():
    labels = with_specks(np.concatenate([blobs(0), blobs(1)]), 0.01)
    blocks = {"train": list(range(0, 8)), "val": list(range(8, 12)), "test": list(range(12, 16))}
    scored = {**blocks, "train": [0, 4]}
    maps = {split: {z: labels[z] for z in scored[split]} for split in blocks}
    cleanup = Cleanup(majority=3)
    cleaned, not_cleaned = apply_to_blocks(cleanup, blocks, scored, maps, 3)
    assert cleaned == ["val", "test"]
    assert not_cleaned["train"].startswith("2 of the train block's 8 slices")
    np.testing.assert_array_equal(
        np.stack([maps["test"][z] for z in blocks["test"]]), cleanup.apply(labels[12:16], 3)
    )
    np.testing.assert_array_equal(maps["train"][4], labels[4])
    cleaned, not_cleaned = apply_to_blocks(Cleanup(), blocks, scored, maps, 3)
    assert cleaned == [] and set(not_cleaned.values()) == {"no clean-up chosen"}
