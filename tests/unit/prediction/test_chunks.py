"""One job and K chunk jobs give the same outputs, voxel for voxel, in every prediction mode."""

import json

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
    volumetric_checkpoint,
    write_training_data,
)
from xrayseg.cleanup.candidates import Cleanup
from xrayseg.inference.block import block_probabilities
from xrayseg.inference.predictor import Predictor
from xrayseg.microstructure import measure_microstructure
from xrayseg.prediction.predict import predict_set
from xrayseg.settings.inference import InferenceSettings
from xrayseg.settings.layout import predict_outputs
from xrayseg.settings.predict import ChunkSettings, PredictSettings
from xrayseg.settings.roles import MicrostructureSettings

ROLES = {"pore": "pore", "ysz": "YSZ", "ni": "Ni"}
MICROSTRUCTURE = MicrostructureSettings(ROLES, voxel_size=1.5, axis=0)
INFERENCE = InferenceSettings(window="slice", batch_size=4, precision="fp32")
# Slices of 16 x 16 px take 12 kB a slab slice: 0.05 MB makes slabs of 4 slices, so chunks of 3
# slices cut through slabs and every chunk border lies within one.
SMALL_SLABS_MB = 0.05


def settings(
    raw, chunk_slices=None, axes=("z",), smooth_sigma=0.0, layout="tiff", slab_mb=SMALL_SLABS_MB
):
    chunk = ChunkSettings(raw, INFERENCE, list(axes), smooth_sigma, slab_mb)
    return PredictSettings(raw, 0.5, layout, chunk_slices, MICROSTRUCTURE, chunk)


def run(folder, raw, model, checkpoint, data, cleanup=None, **options):
    """predict_set into `folder`; returns its outputs (paths)."""
    outputs = predict_outputs(folder, probabilities=True)
    files = {}
    if cleanup is not None:
        path = folder.parent / f"{folder.name}_cleanup.json"
        path.write_text(json.dumps({**cleanup.record(), "why": "chosen on val"}))
        files = {model: str(path)}
    predict_set(
        "scan",
        settings(raw, **options),
        model,
        {"checkpoints": [checkpoint], **data},
        outputs,
        files,
    )
    return outputs


def labels_of(outputs):
    return zarr.open_array(outputs["zarr"], path="0", mode="r")[:]


def assert_same_outputs(one, many):
    np.testing.assert_array_equal(labels_of(many), labels_of(one))
    maps = [zarr.open_group(outputs["uncertainty"], mode="r") for outputs in (one, many)]
    assert sorted(maps[0].array_keys()) == sorted(maps[1].array_keys())
    for level in maps[0].array_keys():
        np.testing.assert_array_equal(maps[1][level][:], maps[0][level][:])
    for table in ("volume", "fractions"):
        pd.testing.assert_frame_equal(pd.read_csv(many[table]), pd.read_csv(one[table]))
    np.testing.assert_array_equal(tifffile.imread(many["stack"]), tifffile.imread(one["stack"]))


@pytest.fixture
def scan(tmp_path):
    raw = electrode_raw((13, 16, 16), seed=7)
    tifffile.imwrite(tmp_path / "scan.tif", raw, photometric="minisblack")
    return raw, str(tmp_path / "scan.tif")


MODES = {
    "2.5-D slice by slice": ({}, None),
    "2.5-D, majority vote and islands": ({}, Cleanup(3, 6)),
    "multi-axis, smoothed, cleaned": (
        {"axes": ("z", "y", "x"), "smooth_sigma": 0.7},
        Cleanup(3, 4),
    ),
}


@pytest.mark.parametrize("mode", MODES)
def test_chunk_jobs_give_what_one_job_gives(tmp_path, scan, mode):
    options, cleanup = MODES[mode]
    _, raw = scan
    data = write_training_data(tmp_path)
    _, checkpoint = context_unet_checkpoint(tmp_path / "models" / "unet25d" / "model.pt")
    one = run(tmp_path / "one", raw, "unet25d", checkpoint, data, cleanup, **options)
    for chunk_slices in (3, 1):  # 1: every chunk thinner than the 2.5-D context and the vote
        many = run(
            tmp_path / f"chunks{chunk_slices}",
            raw,
            "unet25d",
            checkpoint,
            data,
            cleanup,
            chunk_slices=chunk_slices,
            **options,
        )
        assert_same_outputs(one, many)
    summary = json.loads((tmp_path / "chunks3" / "summary.json").read_text())
    assert [c["chunk"] for c in summary["chunks"]] == [[0, 3], [3, 6], [6, 9], [9, 12], [12, 13]]
    assert summary["plan"]["slab_slices"] == 4
    assert all(c["peak_memory_mb"] > 0 for c in summary["chunks"])
    assert summary["assemble"]["peak_memory_mb"] > 0


def test_a_3d_network_predicts_the_same_in_chunks(tmp_path, scan):
    _, raw = scan
    data = write_training_data(tmp_path)
    _, checkpoint = volumetric_checkpoint(tmp_path / "models" / "unet3d" / "model.pt")
    one = run(tmp_path / "one", raw, "unet3d", checkpoint, data)
    many = run(tmp_path / "many", raw, "unet3d", checkpoint, data, chunk_slices=5)
    assert_same_outputs(one, many)


def test_the_streamed_clean_up_equals_the_clean_up_of_the_whole_volume(tmp_path, scan):
    _, raw = scan
    data = write_training_data(tmp_path)
    _, checkpoint = context_unet_checkpoint(tmp_path / "models" / "unet25d" / "model.pt")
    plain = run(tmp_path / "plain", raw, "unet25d", checkpoint, data)
    cleanup = Cleanup(3, 6)
    cleaned = run(tmp_path / "clean", raw, "unet25d", checkpoint, data, cleanup, chunk_slices=4)
    classes = np.searchsorted(GREY_VALUES, labels_of(plain)).astype(np.uint8)
    expected = np.take(GREY_VALUES, cleanup.apply(classes, 3))
    assert (expected != labels_of(plain)).any(), "the clean-up must change something here"
    np.testing.assert_array_equal(labels_of(cleaned), expected)
    summary = json.loads((tmp_path / "clean" / "summary.json").read_text())
    assert summary["cleanup"]["majority"] == 3 and summary["cleanup"]["min_island"] == 6


def test_microstructure_counts_every_face_and_edge_once_across_chunk_borders(tmp_path):
    # A threshold model turns grey values into known classes: a constructed volume whose
    # components, interfaces and triple lines cross every chunk border.
    rng = np.random.default_rng(3)
    classes = rng.integers(0, 3, (9, 12, 12)).astype(np.uint8)
    classes[:, 2:5, 2:5] = 2  # a column of Ni through every slice (connected along the stack)
    grey = np.array([22000, 30000, 40000], dtype=np.uint16)[classes]
    tifffile.imwrite(tmp_path / "scan.tif", grey, photometric="minisblack")
    assert (np.digitize(normalise(grey), THRESHOLDS) == classes).all()
    data = write_training_data(tmp_path)
    checkpoint = threshold_checkpoint(tmp_path / "models" / "threshold" / "model.pt")
    expected = measure_microstructure(classes, {"pore": 0, "YSZ": 1, "Ni": 2}, 1.5, 0, 3)
    for chunk_slices in (None, 1, 2, 4):
        outputs = run(
            tmp_path / f"c{chunk_slices}",
            str(tmp_path / "scan.tif"),
            "threshold",
            checkpoint,
            data,
            chunk_slices=chunk_slices,
        )
        volume = pd.read_csv(outputs["volume"])
        found = {(row.metric, row.phases): row.value for row in volume.itertuples()}
        assert found.keys() == expected.keys()
        for key, value in expected.items():
            assert found[key] == pytest.approx(value, rel=1e-12, nan_ok=True), (chunk_slices, key)
        fractions = pd.read_csv(outputs["fractions"])
        for c, name in enumerate(CLASS_NAMES):
            np.testing.assert_allclose(
                fractions[f"fraction_{name}"], (classes == c).mean(axis=(1, 2))
            )


def test_a_zarr_scan_is_segmented_as_its_tiff_slices(tmp_path, scan):
    values, tiff = scan
    (tmp_path / "slices").mkdir()
    for z, plane in enumerate(values):
        tifffile.imwrite(tmp_path / "slices" / f"s{z:03d}.tif", plane)
    store = zarr.open_group(str(tmp_path / "scan.ome.zarr"), mode="w", zarr_format=3)
    store.create_array("0", data=values, chunks=(4, 8, 8))
    data = write_training_data(tmp_path)
    _, checkpoint = context_unet_checkpoint(tmp_path / "models" / "unet25d" / "model.pt")
    from_tiffs = run(tmp_path / "tiffs", str(tmp_path / "slices"), "unet25d", checkpoint, data)
    from_zarr = run(
        tmp_path / "zarr",
        str(tmp_path / "scan.ome.zarr/0"),
        "unet25d",
        checkpoint,
        data,
        chunk_slices=5,
    )
    np.testing.assert_array_equal(labels_of(from_zarr), labels_of(from_tiffs))
    fractions = pd.read_csv(from_zarr["fractions"])
    assert fractions["name"][2] == "scan.ome.zarr/0[2]"
    assert fractions["file"][2] == "scan_0002.tif"


def test_a_scan_in_one_slab_is_predicted_as_evaluate_predicts_a_block(tmp_path, scan):
    values, raw = scan
    data = write_training_data(tmp_path)
    checkpoint, path = context_unet_checkpoint(tmp_path / "models" / "unet25d" / "model.pt")
    axes, sigma = ("z", "y", "x"), 0.8
    outputs = run(
        tmp_path / "out", raw, "unet25d", path, data, axes=axes, smooth_sigma=sigma, slab_mb=64
    )
    predictor = Predictor(checkpoint, "cpu", INFERENCE)
    expected = block_probabilities(predictor, normalise(values), axes, sigma)
    with h5py.File(outputs["probabilities"]) as saved:
        np.testing.assert_allclose(saved["probabilities"][:], expected, atol=2e-3)
    np.testing.assert_array_equal(labels_of(outputs), np.take(GREY_VALUES, expected.argmax(axis=1)))
