"""Pure parts of prediction: the shift criterion, the best-model choice, names, config checks."""

import json
import math

import numpy as np
import pytest
import tifffile

from xrayseg.io.readers import open_slices
from xrayseg.microstructure.roles import class_roles
from xrayseg.prediction.assemble import fraction_row
from xrayseg.prediction.choose import best_model, choose_model
from xrayseg.prediction.scan import NewScan, output_names, slice_file_name
from xrayseg.prediction.shift import (
    REFERENCE_PERCENTILES,
    grey_shift,
    pixel_stride,
    sample_percentiles,
    sampled_slices,
    shift_message,
)
from xrayseg.settings.predict import (
    BEST,
    predict_problems,
    set_model,
)

NORMALISATION = {"low": 20000.0, "high": 40000.0}


def normalised(raw):
    return (raw - NORMALISATION["low"]) / (NORMALISATION["high"] - NORMALISATION["low"])


def electrode_like(rng, size=200_000, gain=1.0, offset=0.0):
    """Grey values of a three-phase mix (the real data's class means and spreads)."""
    means, stds, fractions = [22700, 35000, 40900], [2400, 1300, 1700], [0.3, 0.43, 0.27]
    phase = rng.choice(3, size=size, p=fractions)
    grey = rng.normal(np.take(means, phase), np.take(stds, phase))
    return grey * gain + offset


def percentiles_of(values):
    return np.percentile(values, REFERENCE_PERCENTILES)


# --- the shift criterion -------------------------------------------------------------------------


def test_another_sample_of_the_same_imaging_is_not_flagged():
    rng = np.random.default_rng(0)
    train = percentiles_of(normalised(electrode_like(rng)))
    new = percentiles_of(normalised(electrode_like(rng)))
    rows, flagged = grey_shift(train, new, 0.1, NORMALISATION)
    assert not flagged
    assert max(abs(r["shift"]) for r in rows) < 0.02


@pytest.mark.parametrize(
    ("gain", "offset"),
    [(1.5, 0.0), (0.8, 0.0), (1.0, 4000.0), (1.0, -3000.0)],
    ids=["brighter x1.5", "darker x0.8", "offset +4000", "offset -3000"],
)
def test_gain_and_offset_changes_are_flagged(gain, offset):
    rng = np.random.default_rng(1)
    train = percentiles_of(normalised(electrode_like(rng)))
    new = percentiles_of(normalised(electrode_like(rng, gain=gain, offset=offset)))
    rows, flagged = grey_shift(train, new, 0.1, NORMALISATION)
    assert flagged
    # An offset moves every percentile by the same amount, in units of the training range.
    if gain == 1.0:
        expected = offset / (NORMALISATION["high"] - NORMALISATION["low"])
        assert [r["shift"] for r in rows] == pytest.approx([expected] * 3, abs=0.02)


def test_a_shift_is_flagged_only_beyond_the_tolerance():
    train = np.array([0.0, 0.5, 1.0])
    rows, flagged = grey_shift(train, train + 0.125, 0.125, NORMALISATION)
    assert not flagged, "a shift equal to the tolerance is within it"
    rows, flagged = grey_shift(train, train + [0.0, 0.0, 0.13], 0.125, NORMALISATION)
    assert flagged
    assert [r["flagged"] for r in rows] == [False, False, True]


def test_shift_rows_give_grey_values_in_raw_units():
    rows, _ = grey_shift([0.0, 0.5, 1.0], [0.25, 0.5, 1.5], 0.1, NORMALISATION)
    assert [r["train_grey"] for r in rows] == [20000, 30000, 40000]
    assert [r["new_grey"] for r in rows] == [25000, 30000, 50000]
    message = shift_message("scan_b", rows)
    assert "scan_b" in message and "P99 40000 -> 50000" in message and "P50" not in message


def test_tolerance_must_be_positive():
    with pytest.raises(ValueError, match="shift_tolerance"):
        grey_shift([0, 0.5, 1], [0, 0.5, 1], 0, NORMALISATION)


def test_sampled_percentiles_are_the_plain_percentiles_of_small_data():
    rng = np.random.default_rng(2)
    volume = rng.normal(size=(5, 30, 40))
    found = sample_percentiles(lambda z: volume[z], range(5))
    assert found == pytest.approx(np.percentile(volume, REFERENCE_PERCENTILES))


def test_sampling_spreads_over_the_stack_and_bounds_the_pixels():
    assert sampled_slices(range(10), 32) == list(range(10))
    chosen = sampled_slices(range(1000), 32)
    assert len(chosen) == 32 and chosen[0] == 0 and chosen[-1] == 999
    assert max(np.diff(chosen)) - min(np.diff(chosen)) <= 1
    stride = pixel_stride(32, (2000, 2000), 4_000_000)
    assert 32 * math.ceil(2000 / stride) ** 2 <= 4_000_000 * 1.01
    assert pixel_stride(1, (10, 10)) == 1


# --- the best model ------------------------------------------------------------------------------


def test_best_model_is_the_highest_finite_score_and_the_first_on_a_tie():
    assert best_model({"a": 0.5, "b": 0.7, "c": 0.6}) == "b"
    assert best_model({"a": 0.7, "b": 0.7}) == "a"
    assert best_model({"a": float("nan"), "b": 0.1}) == "b"
    with pytest.raises(ValueError, match="no model has a finite"):
        best_model({"a": float("nan")})


def write_summary(tmp_path, model, mean_iou):
    path = tmp_path / "eval" / model / "summary.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"splits": {"test": {"mean_iou": mean_iou}}}))
    return path


def test_choose_model_reads_the_evaluations_for_best(tmp_path):
    models = {"threshold": 0.81, "dnn": 0.74, "unet": 0.88}
    summaries = [write_summary(tmp_path, m, iou) for m, iou in models.items()]
    checkpoints = [tmp_path / "models" / m / "model.pt" for m in models]
    choice = choose_model(BEST, checkpoints, summaries)
    assert choice.name == "unet"
    assert choice.checkpoint == str(tmp_path / "models" / "unet" / "model.pt")
    assert choice.test_mean_iou == 0.88
    assert choice.candidates == models
    named = choose_model("dnn", checkpoints)
    assert (named.name, named.candidates) == ("dnn", {})
    assert math.isnan(named.test_mean_iou)


def test_choose_model_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="no checkpoint of model 'unet'"):
        choose_model("unet", [tmp_path / "models" / "dnn" / "model.pt"])
    bad = tmp_path / "eval" / "dnn" / "summary.json"
    bad.parent.mkdir(parents=True)
    bad.write_text(json.dumps({"splits": {"val": {}}}))
    with pytest.raises(ValueError, match="summary.json holds no splits.test.mean_iou"):
        choose_model(BEST, [tmp_path / "models" / "dnn" / "model.pt"], [bad])


# --- names ---------------------------------------------------------------------------------------


def test_slice_files_keep_their_base_names(tmp_path):
    for name in ("SOCprist0002.tiff", "SOCprist0001.tiff", "b.TIF", "c.png"):
        tifffile.imwrite(tmp_path / name, np.zeros((4, 4), np.uint8))
    with open_slices(str(tmp_path)) as source:
        assert output_names(source) == [
            "SOCprist0001.tiff",
            "SOCprist0002.tiff",
            "b.TIF",
            "c.tif",
        ]
    assert slice_file_name(tmp_path / "scan.PNG") == "scan.tif"


def test_stack_pages_are_named_by_stem_and_index(tmp_path):
    tifffile.imwrite(
        tmp_path / "scan_b.tif", np.zeros((3, 6, 5), np.uint8), photometric="minisblack"
    )
    with open_slices(str(tmp_path / "scan_b.tif")) as source:
        assert output_names(source) == ["scan_b_0000.tif", "scan_b_0001.tif", "scan_b_0002.tif"]


def test_two_slices_with_one_output_name_are_an_error(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", np.zeros((4, 4), np.uint8))
    tifffile.imwrite(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    with open_slices(str(tmp_path)) as source, pytest.raises(ValueError, match="'a.tif'"):
        output_names(source)


def test_fraction_rows_count_every_class():
    classes = np.array([[0, 0], [2, 2]], dtype=np.uint8)
    chunk_row = {"slice": 3, "name": "in.tif", "mean_uncertainty": 0.25}
    row = fraction_row(3, "in.tif", "in.tif", classes, ["pore", "YSZ", "Ni"], chunk_row)
    assert row == {
        "slice": 3,
        "name": "in.tif",
        "file": "in.tif",
        "fraction_pore": 0.5,
        "fraction_YSZ": 0.0,
        "fraction_Ni": 0.5,
        "mean_uncertainty": 0.25,
    }


# --- the new scan --------------------------------------------------------------------------------


def test_new_scan_normalises_as_ingest_does(tmp_path):
    raw = np.arange(2 * 6 * 5, dtype=np.uint16).reshape(2, 6, 5) * 1000
    tifffile.imwrite(tmp_path / "scan.tif", raw, photometric="minisblack")
    with NewScan(str(tmp_path / "scan.tif"), {"low": 2000.0, "high": 12000.0}) as scan:
        assert len(scan) == 2 and scan.shape == (6, 5)
        expected = (raw[1].astype(np.float32) - np.float32(2000)) / np.float32(10000)
        np.testing.assert_array_equal(scan[1], expected)
        assert scan[1].dtype == np.float32
        assert len(scan.cache) == 1


def test_new_scan_errors_name_the_slice(tmp_path):
    tifffile.imwrite(tmp_path / "a1.tif", np.zeros((4, 4), np.uint16))
    tifffile.imwrite(tmp_path / "a2.tif", np.zeros((5, 4), np.uint16))
    with NewScan(str(tmp_path), NORMALISATION) as scan, pytest.raises(ValueError, match="a2.tif"):
        scan[1]
    bad = np.zeros((4, 4), np.float32)
    bad[0, 0] = np.nan
    tifffile.imwrite(tmp_path / "nan.tif", bad)
    with pytest.raises(ValueError, match="nan.tif.*NaN"):
        NewScan(str(tmp_path / "nan.tif"), NORMALISATION)


# --- config checks -------------------------------------------------------------------------------


def test_predict_config_problems_name_the_key(tmp_path):
    (tmp_path / "scan").mkdir()
    tifffile.imwrite(tmp_path / "scan" / "s1.tif", np.zeros((4, 4), np.uint8))
    models = {"threshold": {}, "unet": {}}
    good = {
        "b": {"raw": str(tmp_path / "scan")},
        "c": {"raw": str(tmp_path / "scan"), "model": "unet"},
    }
    assert predict_problems(good, models) == []
    assert predict_problems({}, models) == []
    keys = [key for key, _ in predict_problems({"b": {"raw": "nowhere/*.tif"}}, models)]
    assert keys == ["predict.b.raw"]
    problems = predict_problems({"b": {"raw": str(tmp_path / "scan"), "model": "rf"}}, models)
    assert problems[0][0] == "predict.b.model" and "'rf'" in problems[0][1]
    assert predict_problems({}, {"best": {}})[0][0] == "models.best"


def test_roles_are_resolved_by_class_name():
    names = ["pore", "YSZ", "Ni"]
    assert class_roles({"pore": "pore", "ysz": "YSZ", "ni": "Ni"}, names) == {
        "pore": 0,
        "YSZ": 1,
        "Ni": 2,
    }
    assert class_roles({}, names) == {}
    with pytest.raises(ValueError, match="microstructure.roles.ni: 'nickel' is not a class name"):
        class_roles({"ni": "nickel"}, names)
    with pytest.raises(ValueError, match="class 'Ni' has two roles"):
        class_roles({"ni": "Ni", "metal": "Ni"}, names)


def test_a_set_without_a_model_is_predicted_with_the_best():
    assert set_model({"raw": "x"}) == BEST
    assert set_model({"raw": "x", "model": "dnn"}) == "dnn"
