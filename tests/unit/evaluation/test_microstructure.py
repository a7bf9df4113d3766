"""Microstructure of a model's test block (evaluation.microstructure) on constructed volumes."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from xrayseg.evaluation.microstructure import longest_run, measure_test_block
from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.microstructure.roles import class_roles
from xrayseg.settings.roles import MicrostructureSettings

CLASS_NAMES = ["pore", "YSZ", "Ni"]
SETTINGS = MicrostructureSettings(
    {"pore": "pore", "ysz": "YSZ", "ni": "Ni"}, voxel_size=1.0, axis=0
)


def blobs(shape, n_classes=3, seed=0):
    field = ndimage.gaussian_filter(np.random.default_rng(seed).normal(size=shape), 1.5)
    edges = np.percentile(field, np.linspace(0, 100, n_classes + 1)[1:-1])
    return np.digitize(field, edges).astype(np.uint8)


def block(labels, first, last):
    """{slice: class map} of slices first..last of a label volume (a model's test predictions)."""
    return {z: labels[z].copy() for z in range(first, last + 1)}


def test_a_perfect_prediction_has_zero_errors_named_by_class():
    labels = blobs((12, 20, 20))
    labels[9, :4] = IGNORE_INDEX  # unknown truth: left out of both volumes
    predictions = block(labels, 7, 11)
    predictions[9][:4] = 2  # whatever a model predicts there counts for nothing
    table, summary = measure_test_block(labels, predictions, SETTINGS, CLASS_NAMES)
    rows = table.set_index(["metric", "phases"])
    assert ("tpb_density", "pore/YSZ/Ni") in rows.index
    assert rows.loc[("tpb_density", "pore/YSZ/Ni"), "true"] > 0
    assert (table["true"] == table["predicted"]).all()
    assert (table["relative_error"].dropna() == 0).all() and table["relative_error"].notna().any()
    fractions = table.loc[table.metric == "volume_fraction", "true"]
    assert fractions.sum() == pytest.approx(1)
    assert summary["test_slices"] == [7, 11]
    assert summary["relative_error"]["tpb_density"] == {"pore/YSZ/Ni": 0.0}
    assert summary["mean_abs_relative_error"]["volume_fraction"] == 0.0


def test_errors_are_measured_on_the_test_block_only():
    labels = blobs((10, 16, 16))
    predictions = block(labels, 6, 9)
    predictions[7][predictions[7] == 1] = 0  # one slice loses its YSZ to pore
    table, summary = measure_test_block(labels, predictions, SETTINGS, CLASS_NAMES)
    true_block = labels[6:10]
    ysz = np.count_nonzero(true_block == 1)
    expected = (ysz - np.count_nonzero(labels[7] == 1)) / ysz - 1
    rows = table.set_index(["metric", "phases"])
    assert rows.loc[("volume_fraction", "YSZ"), "relative_error"] == pytest.approx(expected)
    assert rows.loc[("volume_fraction", "YSZ"), "true"] == pytest.approx(ysz / true_block.size)
    assert summary["relative_error"]["volume_fraction"]["YSZ"] == pytest.approx(expected)
    assert summary["mean_abs_relative_error"]["volume_fraction"] > 0


def test_four_phases_with_two_roles_get_no_tpb():
    names = ["pore", "YSZ", "Ni", "GDC"]
    labels = blobs((6, 12, 12), n_classes=4)
    settings = replace(SETTINGS, roles={"pore": "pore", "solid": "GDC"})
    table, summary = measure_test_block(labels, block(labels, 0, 5), settings, names)
    assert "tpb_density" not in set(table.metric) and "tpb_density" not in summary["relative_error"]
    assert list(table.loc[table.metric == "volume_fraction", "phases"]) == names
    assert "Ni/GDC" in set(table.phases)


def test_four_phases_with_three_roles_get_one_tpb():
    names = ["pore", "YSZ", "Ni", "GDC"]
    labels = blobs((6, 12, 12), n_classes=4)
    settings = replace(SETTINGS, roles={"pore": "pore", "ionic": "GDC", "ni": "Ni"})
    table, _ = measure_test_block(labels, block(labels, 0, 5), settings, names)
    assert list(table.loc[table.metric == "tpb_density", "phases"]) == ["pore/Ni/GDC"]


def test_a_class_absent_from_the_test_block_still_has_its_rows():
    labels = np.zeros((4, 6, 6), dtype=np.uint8)
    labels[:, :, 3:] = 1
    table, _ = measure_test_block(labels, block(labels, 0, 3), SETTINGS, CLASS_NAMES)
    ni = table[table.phases == "Ni"]
    assert list(ni.metric) == ["volume_fraction", "connected_fraction"]
    assert ni["true"].iloc[0] == 0 and np.isnan(ni["relative_error"].iloc[0])


def test_sparse_test_slices_are_measured_over_their_longest_contiguous_run():
    labels = blobs((12, 20, 20))
    # Labelled test slices 2, 4-6 and 8-9: the run 4-6 is measured, alone.
    predictions = {z: labels[z].copy() for z in (2, 4, 5, 6, 8, 9)}
    predictions[2][:] = 0  # wrong everywhere outside the run: must not count
    predictions[9][:] = 0
    table, summary = measure_test_block(labels, predictions, SETTINGS, CLASS_NAMES)
    whole, _ = measure_test_block(labels, block(labels, 4, 6), SETTINGS, CLASS_NAMES)
    pd.testing.assert_frame_equal(table, whole)
    assert (table["relative_error"].dropna() == 0).all()
    assert summary["test_slices"] == [4, 6]
    assert summary["slices_measured"] == 3 and summary["labelled_test_slices"] == 6


def test_the_longest_run_is_the_first_of_equal_ones():
    assert longest_run([3]) == [3]
    assert longest_run([1, 2, 4, 5, 7]) == [1, 2]
    assert longest_run([1, 3, 4, 5, 7, 8, 9, 10]) == [7, 8, 9, 10]


def test_roles_resolve_class_names_with_errors_naming_the_key():
    assert class_roles({"pore": "pore", "ni": "Ni"}, CLASS_NAMES) == {"pore": 0, "Ni": 2}
    assert class_roles({}, CLASS_NAMES) == {}
    with pytest.raises(ValueError, match=r"microstructure.roles.ni: 'nickel' is not a class"):
        class_roles({"ni": "nickel"}, CLASS_NAMES)
    with pytest.raises(ValueError, match="two roles"):
        class_roles({"pore": "pore", "void": "pore"}, CLASS_NAMES)


def test_the_table_is_a_frame_with_the_module_columns():
    labels = blobs((4, 8, 8))
    table, _ = measure_test_block(labels, block(labels, 0, 3), SETTINGS, CLASS_NAMES)
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == [
        "metric",
        "phases",
        "unit",
        "true",
        "predicted",
        "relative_error",
    ]


def test_sections_measure_each_slice_in_2d_and_average():
    # Three test slices far apart: each a different phase layout. In 3-D the faces between
    # them would count as interfaces; as sections they do not.
    labels = np.stack([np.zeros((12, 12), np.uint8), np.ones((12, 12), np.uint8), blobs((12, 12))])
    sections = replace(SETTINGS, measure="sections")
    predictions = block(labels, 0, 2)
    table, summary = measure_test_block(labels, predictions, sections, CLASS_NAMES)
    rows = table.set_index(["metric", "phases"])
    in_3d = measure_test_block(labels, predictions, SETTINGS, CLASS_NAMES)[0]
    in_3d = in_3d.set_index(["metric", "phases"])
    assert (
        rows.loc[("interface_density", "pore/YSZ"), "true"]
        < (in_3d.loc[("interface_density", "pore/YSZ"), "true"])
    )
    assert (table["relative_error"].dropna() == 0).all()
    assert summary["measure"] == "sections" and summary["slices_measured"] == 3
    # The mean of the three sections' own measures.
    one_by_one = [
        measure_test_block(labels, {z: labels[z]}, sections, CLASS_NAMES)[0].set_index(
            ["metric", "phases"]
        )
        for z in range(3)
    ]
    expected = np.nanmean([t.loc[("volume_fraction", "pore"), "true"] for t in one_by_one])
    assert rows.loc[("volume_fraction", "pore"), "true"] == pytest.approx(expected)


def test_sections_score_a_wrong_prediction_per_slice():
    labels = np.stack([blobs((16, 16), seed=s) for s in range(2)])
    predictions = block(labels, 0, 1)
    predictions[1] = np.where(predictions[1] == 1, 0, predictions[1]).astype(np.uint8)
    sections = replace(SETTINGS, measure="sections")
    table, _ = measure_test_block(labels, predictions, sections, CLASS_NAMES)
    rows = table.set_index(["metric", "phases"])
    ysz = [np.mean(labels[z] == 1) for z in range(2)]
    assert rows.loc[("volume_fraction", "YSZ"), "relative_error"] == pytest.approx(
        ysz[0] / 2 / np.mean(ysz) - 1
    )
    assert list(table.columns) == [
        "metric",
        "phases",
        "unit",
        "true",
        "predicted",
        "relative_error",
    ]
