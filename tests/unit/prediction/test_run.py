"""predict_set end to end without Snakemake: models whose predictions are known exactly."""

import json
import logging
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import tifffile
import zarr

from helpers.predict_models import (
    CLASS_NAMES,
    GREY_VALUES,
    THRESHOLDS,
    context_unet_checkpoint,
    electrode_raw,
    normalise,
    threshold_checkpoint,
    write_training_data,
)
from xrayseg.data.context import context_stack
from xrayseg.inference.predictor import Predictor
from xrayseg.inference.uncertainty import normalised_entropy, softmax
from xrayseg.microstructure import measure_microstructure
from xrayseg.prediction.predict import predict_set
from xrayseg.settings.inference import InferenceSettings
from xrayseg.settings.layout import predict_outputs
from xrayseg.settings.predict import ChunkSettings, PredictSettings
from xrayseg.settings.roles import MicrostructureSettings

ROLES = {"pore": "pore", "ysz": "YSZ", "ni": "Ni"}
MICROSTRUCTURE = MicrostructureSettings(ROLES, voxel_size=2.0, axis=0)
INFERENCE = InferenceSettings(window="slice", batch_size=4)


def set_settings(raw_spec, shift_tolerance=0.1, chunk_slices=None, **chunk):
    """The prediction jobs' settings for a set of `raw_spec` (chunk: ChunkSettings fields)."""
    chunk = {"inference": INFERENCE, "axes": ["z"], "smooth_sigma": 0.0, "slab_mb": 512, **chunk}
    return PredictSettings(
        raw_spec,
        shift_tolerance,
        "tiff",
        chunk_slices,
        MICROSTRUCTURE,
        ChunkSettings(raw=raw_spec, **chunk),
    )


def uncertainty_maps(outputs):
    """(maps (C, Z, Y, X) of level 0, the image's xrayseg attributes) of uncertainty.ome.zarr."""
    group = zarr.open_group(str(outputs["uncertainty"]), mode="r")
    return np.asarray(group["0"][:]), dict(group.attrs["xrayseg"])


@pytest.fixture
def training_data(tmp_path):
    return write_training_data(tmp_path)


def outputs_in(folder, probabilities=False):
    return {key: Path(path) for key, path in predict_outputs(folder, probabilities).items()}


def run(raw_spec, checkpoint, training_data, outputs, **extra):
    predict_set(
        "scan_b",
        set_settings(raw_spec, **extra),
        "threshold",
        {"checkpoints": [checkpoint], **training_data},
        {key: str(path) for key, path in outputs.items()},
    )


def test_a_folder_scan_is_segmented_slice_by_slice_with_the_training_normalisation(
    tmp_path, training_data
):
    raw = electrode_raw((7, 30, 36), seed=1)
    (tmp_path / "scan").mkdir()
    names = [f"b{z + 1:03d}.tiff" for z in range(len(raw))]
    for name, plane in zip(names, raw, strict=True):
        tifffile.imwrite(tmp_path / "scan" / name, plane)
    checkpoint = threshold_checkpoint(tmp_path / "models" / "threshold" / "model.pt")
    outputs = outputs_in(tmp_path / "out")
    run(str(tmp_path / "scan"), checkpoint, training_data, outputs)

    classes = np.digitize(normalise(raw), THRESHOLDS).astype(np.uint8)
    labels = np.take(GREY_VALUES, classes).astype(np.uint8)
    written = sorted(p.name for p in outputs["slices"].iterdir())
    assert written == names
    for z, name in enumerate(names):
        plane = tifffile.imread(outputs["slices"] / name)
        assert plane.dtype == np.uint8
        np.testing.assert_array_equal(plane, labels[z])
    np.testing.assert_array_equal(tifffile.imread(outputs["stack"]), labels)

    fractions = pd.read_csv(outputs["fractions"])
    assert fractions["name"].tolist() == names and fractions["file"].tolist() == names
    for c, name in enumerate(CLASS_NAMES):
        expected = (classes == c).mean(axis=(1, 2))
        np.testing.assert_allclose(fractions[f"fraction_{name}"], expected)

    volume = pd.read_csv(outputs["volume"])
    found = {(r.metric, r.phases): r.value for r in volume.itertuples()}
    roles = {"pore": 0, "YSZ": 1, "Ni": 2}
    expected = measure_microstructure(classes, roles, 2.0, 0, 3)
    assert found.keys() == expected.keys()
    for key, value in expected.items():
        assert found[key] == pytest.approx(value, rel=1e-9), key
    assert ("tpb_density", "pore/YSZ/Ni") in found

    shift = pd.read_csv(outputs["shift"])
    assert shift["percentile"].tolist() == [1, 50, 99]
    assert not shift["flagged"].any()
    summary = json.loads(outputs["summary"].read_text())
    assert summary["model"] == "threshold" and summary["n_slices"] == 7
    assert summary["slice_shape"] == [30, 36]
    assert summary["grey_shift"]["flagged"] is False


def test_an_hdf5_scan_with_rgb_labels_gives_rgb_slices_and_stack(tmp_path, training_data):
    raw = electrode_raw((5, 24, 20), seed=2)
    with h5py.File(tmp_path / "scan.h5", "w") as out:
        out["exchange/data"] = raw
    colours = [[0, 0, 255], [0, 255, 0], [255, 0, 0]]
    checkpoint = threshold_checkpoint(tmp_path / "models" / "threshold" / "model.pt", colours)
    outputs = outputs_in(tmp_path / "out")
    run(f"{tmp_path / 'scan.h5'}:/exchange/data", checkpoint, training_data, outputs)

    expected = np.asarray(colours, dtype=np.uint8)[np.digitize(normalise(raw), THRESHOLDS)]
    assert sorted(p.name for p in outputs["slices"].iterdir()) == [
        f"scan_{z:04d}.tif" for z in range(5)
    ]
    first = tifffile.imread(outputs["slices"] / "scan_0000.tif")
    assert first.shape == (24, 20, 3) and first.dtype == np.uint8
    np.testing.assert_array_equal(first, expected[0])
    np.testing.assert_array_equal(tifffile.imread(outputs["stack"]), expected)


def test_a_shifted_scan_is_flagged_and_logged(tmp_path, training_data, caplog):
    raw = electrode_raw((4, 24, 24), seed=3, gain=1.5)
    tifffile.imwrite(tmp_path / "bright.tif", raw, photometric="minisblack")
    checkpoint = threshold_checkpoint(tmp_path / "models" / "threshold" / "model.pt")
    outputs = outputs_in(tmp_path / "out")
    with caplog.at_level(logging.WARNING):
        run(str(tmp_path / "bright.tif"), checkpoint, training_data, outputs, shift_tolerance=0.1)
    assert any("far outside the training data" in r.message for r in caplog.records)
    tails = pd.read_csv(outputs["shift"]).set_index("percentile").loc[[1.0, 99.0]]
    assert tails["flagged"].all()
    assert (tails["new_grey"] / tails["train_grey"]).to_numpy() == pytest.approx(1.5, rel=0.05)
    assert json.loads(outputs["summary"].read_text())["grey_shift"]["flagged"] is True


def test_a_25d_model_sees_the_new_scans_neighbours_clamped_at_its_ends(tmp_path, training_data):
    raw = electrode_raw((5, 16, 16), seed=4)
    tifffile.imwrite(tmp_path / "scan.tif", raw, photometric="minisblack")
    checkpoint, path = context_unet_checkpoint(tmp_path / "models" / "unet25d" / "model.pt")
    outputs = outputs_in(tmp_path / "out", probabilities=True)
    predict_set(
        "scan_b",
        set_settings(str(tmp_path / "scan.tif")),
        "unet25d",
        {"checkpoints": [path], **training_data},
        {key: str(p) for key, p in outputs.items()},
    )
    predictor = Predictor(checkpoint, "cpu", INFERENCE)
    volume = normalise(raw)
    with h5py.File(outputs["probabilities"]) as written:
        probabilities = written["probabilities"][:]
        assert written["slice_name"].asstr()[:].tolist() == [f"scan.tif[{z}]" for z in range(5)]
        assert written["slice_index"][:].tolist() == list(range(5))
        assert written.attrs["model"] == "unet25d"
    assert probabilities.shape == (5, 3, 16, 16)
    for z in range(5):
        expected = predictor.probabilities(context_stack(volume, z, 1, range(5)))
        np.testing.assert_allclose(probabilities[z], expected, atol=2e-3)
        alone = predictor.probabilities(np.stack([volume[z]] * 3))
        assert np.abs(alone - expected).max() > 1e-3, "the neighbours must matter"
    stack = tifffile.imread(outputs["stack"])
    np.testing.assert_array_equal(stack, np.take(GREY_VALUES, probabilities.argmax(axis=1)))


def test_a_failing_scan_leaves_no_output_behind(tmp_path, training_data):
    (tmp_path / "scan").mkdir()
    tifffile.imwrite(tmp_path / "scan" / "s1.tif", electrode_raw((1, 20, 20), 5)[0])
    tifffile.imwrite(tmp_path / "scan" / "s2.tif", electrode_raw((1, 20, 22), 5)[0])
    checkpoint = threshold_checkpoint(tmp_path / "models" / "threshold" / "model.pt")
    outputs = outputs_in(tmp_path / "out")
    with pytest.raises(ValueError, match="s2.tif.*differs from the first slice"):
        run(str(tmp_path / "scan"), checkpoint, training_data, outputs)
    left = [p.name for p in (tmp_path / "out").rglob("*") if not p.is_dir()]
    assert left == [], left


def test_the_log_shows_progress_from_the_first_slice_to_the_last(tmp_path, training_data, caplog):
    tifffile.imwrite(tmp_path / "scan.tif", electrode_raw((3, 20, 20), 4), photometric="minisblack")
    checkpoint = threshold_checkpoint(tmp_path / "models" / "threshold" / "model.pt")
    with caplog.at_level(logging.INFO):
        run(str(tmp_path / "scan.tif"), checkpoint, training_data, outputs_in(tmp_path / "out"))
    lines = [r.message for r in caplog.records if r.message.startswith("predict: ")]
    assert lines[0].startswith("predict: 1 of 3 slices, ") and "left" in lines[0]
    assert lines[-1].startswith("predict: 3 of 3 slices, ") and "done in" in lines[-1]


def test_every_slice_gets_an_uncertainty_map_with_the_models_temperature(tmp_path, training_data):
    raw = electrode_raw((4, 16, 16), seed=6)
    tifffile.imwrite(tmp_path / "scan.tif", raw, photometric="minisblack")
    checkpoint, path = context_unet_checkpoint(tmp_path / "models" / "unet25d" / "model.pt")
    calibration = tmp_path / "calibration" / "unet25d" / "calibration.json"
    calibration.parent.mkdir(parents=True)
    calibration.write_text(json.dumps({"fitted": True, "temperature": 3.0}))
    outputs = outputs_in(tmp_path / "out", probabilities=True)
    inputs = {"checkpoints": [path], "calibrations": [str(calibration)], **training_data}
    predict_set(
        "scan_b",
        set_settings(str(tmp_path / "scan.tif")),
        "unet25d",
        inputs,
        {key: str(p) for key, p in outputs.items()},
    )
    predictor = Predictor(checkpoint, "cpu", INFERENCE)
    volume = normalise(raw)
    maps, about = uncertainty_maps(outputs)
    assert about["temperature"] == 3.0 and about["maps"] == ["uncertainty"]
    assert maps.shape == (1, 4, 16, 16) and maps.dtype == np.float16
    fractions = pd.read_csv(outputs["fractions"])
    with h5py.File(outputs["probabilities"]) as saved:
        assert json.loads(saved.attrs["temperature"]) == 3.0
        for z in range(4):
            logits = predictor.scores(context_stack(volume, z, 1, range(4)))
            expected = softmax(logits, 3.0)
            np.testing.assert_allclose(saved["probabilities"][z], expected, atol=2e-3)
            entropy = normalised_entropy(expected)
            np.testing.assert_allclose(maps[0, z], entropy, atol=2e-3)
            assert fractions["mean_uncertainty"][z] == pytest.approx(entropy.mean(), abs=1e-5)
    assert json.loads(outputs["summary"].read_text())["temperature"] == 3.0


def test_a_threshold_models_uncertainty_is_undefined(tmp_path, training_data):
    tifffile.imwrite(tmp_path / "scan.tif", electrode_raw((2, 20, 20), 4), photometric="minisblack")
    checkpoint = threshold_checkpoint(tmp_path / "models" / "threshold" / "model.pt")
    outputs = outputs_in(tmp_path / "out")
    run(str(tmp_path / "scan.tif"), checkpoint, training_data, outputs)
    maps, about = uncertainty_maps(outputs)
    assert np.isnan(maps).all() and about["defined"] is False
    assert pd.read_csv(outputs["fractions"])["mean_uncertainty"].isna().all()
    assert json.loads(outputs["summary"].read_text())["temperature"] is None
