"""The transport jobs on a small volume: the labels, a model's prediction, a prediction set."""

import json
import math

import h5py
import numpy as np
import pandas as pd
import pytest

from xrayseg.data.synthetic import make_phases
from xrayseg.io.labelfiles import write_class_stack
from xrayseg.io.omezarr import LabelImageWriter
from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.microstructure.activetpb import active_tpb_densities
from xrayseg.settings.schema import section_defaults
from xrayseg.settings.transport import TransportSettings
from xrayseg.transport.compare import read_table
from xrayseg.transport.job import measure_labels, measure_model, measure_set, read_rows

CLASS_NAMES = ["pore", "YSZ", "Ni"]
LABEL_VALUES = [0, 128, 255]
TEST = range(6, 16)  # the test block's slices
THROUGH = {phase: ["zmin", "zmax"] for phase in range(3)}


def settings(**transport):
    config = {
        "data": {"class_names": CLASS_NAMES},
        "microstructure": {
            "roles": {"pore": "pore", "ysz": "YSZ", "ni": "Ni"},
            "voxel_size": 1.0,
            "axis": 0,
        },
        "transport": {**section_defaults("transport"), **transport},
    }
    return TransportSettings.from_config(config)


@pytest.fixture(scope="module")
def labels():
    return make_phases((16, 20, 20), [0.4, 0.35, 0.25], feature_size=2, seed=3)


def write_inputs(folder, labels, labelled=None):
    labelled = [True] * len(labels) if labelled is None else labelled
    with h5py.File(folder / "volume.h5", "w") as volume:
        volume["raw"] = np.zeros(labels.shape, np.float32)
        volume["labels"] = labels
        volume.attrs.update(
            {"class_names": json.dumps(CLASS_NAMES), "label_values": json.dumps(LABEL_VALUES)}
        )
    split = ["train"] * 6 + ["test"] * 10
    pd.DataFrame(
        {"slice": range(16), "name": range(16), "split": split, "labelled": labelled}
    ).to_csv(folder / "split.csv", index=False)


def predictions_file(folder, volume, slices=TEST):
    path = folder / "test_predictions.tif"
    write_class_stack(path, {z: volume[z] for z in slices}, LABEL_VALUES)
    return path


def run_labels(folder, labels, transport_settings, labelled=None):
    write_inputs(folder, labels, labelled)
    measure_labels(folder / "volume.h5", folder / "split.csv", transport_settings, folder / "l.csv")
    return folder / "l.csv"


def run_model(folder, labels_csv, predicted, transport_settings, slices=TEST):
    path = predictions_file(folder, predicted, slices)
    args = (folder / "volume.h5", folder / "split.csv", labels_csv, transport_settings)
    measure_model(path, *args, folder / "m.csv")
    return read_table(folder / "m.csv")


def test_a_perfect_prediction_matches_the_labels_in_every_quantity(tmp_path, labels):
    labels_csv = run_labels(tmp_path, labels, settings())
    truth = pd.DataFrame(read_rows(labels_csv))
    assert set(truth["quantity"]) == {
        "tortuosity_factor",
        "effective_diffusivity",
        "tpb_density",
        "active_tpb_density",
        "active_tpb_fraction",
        "thickness_mean",
        "thickness_d10",
        "thickness_d50",
        "thickness_d90",
    }
    # Three transport phases in two directions, one triple, four size figures of three phases.
    assert len(truth) == 3 * 2 * 2 + 3 + 4 * 3
    assert (truth["seconds"] >= 0).all()
    table = run_model(tmp_path, labels_csv, labels, settings())
    assert table["true"].tolist() == pytest.approx(table["predicted"].tolist(), nan_ok=True)
    finite = np.isfinite(table["true"]) & (table["true"] != 0)
    assert (table.loc[finite, "relative_error"] == 0).all()


def test_a_prediction_that_cuts_a_phase_has_no_path_and_no_active_tpb(tmp_path, labels):
    labels_csv = run_labels(tmp_path, labels, settings(quantities=["tortuosity", "active_tpb"]))
    predicted = labels.copy()
    predicted[10][predicted[10] == 2] = 0  # no Ni in one test slice: Ni no longer crosses z
    table = run_model(
        tmp_path, labels_csv, predicted, settings(quantities=["tortuosity", "active_tpb"])
    )
    rows = table.set_index(["quantity", "phases", "direction"])
    ni_along = rows.loc[("tortuosity_factor", "Ni", "z")]
    assert math.isfinite(ni_along["true"]) and ni_along["predicted"] == math.inf
    assert ni_along["relative_error"] == math.inf
    assert "no path crosses the volume" in ni_along["note"]
    active = rows.loc[("active_tpb_density", "pore/YSZ/Ni", "")]
    assert active["true"] > 0 and active["predicted"] == 0 and active["relative_error"] == -1


def test_with_sparse_labels_the_longest_labelled_run_is_measured_and_ignored_voxels_too(
    tmp_path, labels
):
    labelled = [True] * 16
    labelled[8] = False  # test slices 6-7 and 9-15 labelled: 9-15 is measured
    truth = labels.copy()
    truth[8] = IGNORE_INDEX
    truth[12, :5] = IGNORE_INDEX  # masked voxels: whatever a model predicts there counts nothing
    only = settings(quantities=["active_tpb"])
    labels_csv = run_labels(tmp_path, truth, only, labelled)
    predicted = labels.copy()
    predicted[12, :5] = 0
    slices = [z for z in TEST if labelled[z]]
    table = run_model(tmp_path, labels_csv, predicted, only, slices)
    assert table["relative_error"].fillna(0).tolist() == [0, 0, 0]
    expected_run = labels[9:16].copy()
    expected_run[12 - 9, :5] = IGNORE_INDEX
    (total,), (active,) = active_tpb_densities(expected_run, [(0, 1, 2)], THROUGH)
    assert table["true"].tolist()[:2] == pytest.approx([total, active])


def test_without_roles_the_table_says_what_does_not_apply(tmp_path, labels):
    config_settings = TransportSettings.from_config(
        {
            "data": {"class_names": CLASS_NAMES},
            "microstructure": {"roles": {}, "voxel_size": 1.0, "axis": 0},
            "transport": {**section_defaults("transport"), "sizes": {"phases": ["Ni"]}},
        }
    )
    rows = pd.DataFrame(read_rows(run_labels(tmp_path, labels, config_settings)))
    skipped = rows[rows["value"].isna()]
    assert set(skipped["quantity"]) == {
        "tortuosity_factor",
        "effective_diffusivity",
        "tpb_density",
        "active_tpb_density",
        "active_tpb_fraction",
    }
    assert skipped["note"].str.contains("role").all()
    assert rows["value"].notna().sum() == 4  # Ni's sizes


def test_a_prediction_set_is_measured_on_the_central_crop_of_its_ome_zarr(tmp_path, labels):
    write_inputs(tmp_path, labels)
    path = tmp_path / "segmentation.ome.zarr"
    writer = LabelImageWriter(path, labels.shape, np.asarray(LABEL_VALUES, np.uint8))
    writer.write(labels)
    writer.close()
    only = settings(quantities=["active_tpb"], max_voxels=10 * 10 * 10)
    measure_set(path, tmp_path / "volume.h5", only, tmp_path / "set.csv")
    rows = pd.DataFrame(read_rows(tmp_path / "set.csv"))
    assert (rows["note"] == "central crop 10 x 10 x 10 of 16 x 20 x 20").all()
    (total,), (active,) = active_tpb_densities(labels[3:13, 5:15, 5:15], [(0, 1, 2)], THROUGH)
    assert rows["value"].tolist()[:2] == pytest.approx([total, active])
