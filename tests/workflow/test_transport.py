"""The transport stage inside the pipeline: the labels' table, each model's beside it."""

import copy
import math
import shutil

import pandas as pd
import pytest

from helpers.predict_data import write_scan
from helpers.workflow import TINY_CONFIG, run_snakemake, write_config
from xrayseg.settings.layout import (
    TRANSPORT,
    predict_folder,
    predict_outputs,
    transport_labels_outputs,
    transport_model_outputs,
    transport_set_outputs,
)
from xrayseg.transport.compare import read_table


@pytest.fixture(scope="module")
def tables(finished_tiny_run):
    labels = read_table(finished_tiny_run / transport_labels_outputs(TRANSPORT)["table"])
    models = {
        model: read_table(finished_tiny_run / transport_model_outputs(TRANSPORT, model)["table"])
        for model in TINY_CONFIG["models"]
    }
    return labels, models


def test_every_model_is_measured_against_the_labels_measured_once(tables):
    labels, models = tables
    # The tiny config names no roles: the defaults fit, so every quantity applies.
    assert labels["value"].notna().all()
    assert set(labels.loc[labels.quantity == "tortuosity_factor", "phases"]) == {
        "pore",
        "YSZ",
        "Ni",
    }
    for model, table in models.items():
        assert table[["quantity", "phases", "direction"]].equals(
            labels[["quantity", "phases", "direction"]]
        ), model
        assert table["true"].tolist() == pytest.approx(labels["value"].tolist(), nan_ok=True)
        solved = table[table.quantity == "tortuosity_factor"]
        assert ((solved["converged"] == "True") | (solved["predicted"] == math.inf)).all(), model


def test_the_tpb_density_is_evaluates_on_the_same_block(finished_tiny_run, tables):
    _, models = tables
    for model, table in models.items():
        micro = pd.read_csv(finished_tiny_run / "results" / "eval" / model / "microstructure.csv")
        evaluated = micro.set_index(["metric", "phases"]).loc[("tpb_density", "pore/YSZ/Ni")]
        ours = table.set_index(["quantity", "phases"]).loc[("tpb_density", "pore/YSZ/Ni")]
        assert ours["true"] == pytest.approx(evaluated["true"]), model
        assert ours["predicted"] == pytest.approx(evaluated["predicted"]), model
        active = table.set_index(["quantity", "phases"]).loc[("active_tpb_density", "pore/YSZ/Ni")]
        assert active["true"] <= ours["true"]


def test_a_zarr_only_prediction_set_is_measured_from_its_ome_zarr(finished_tiny_run, tmp_path):
    # outputs: zarr writes no segmentation.tif; the set's transport job reads the OME-Zarr.
    workdir = tmp_path / "run"
    shutil.copytree(finished_tiny_run, workdir, symlinks=True)
    write_scan(
        workdir / "scans" / "b", seed=11, feature_size=TINY_CONFIG["synthetic"]["feature_size"]
    )
    config = copy.deepcopy(TINY_CONFIG)
    config["predict"] = {"scan": {"raw": "scans/b/raw", "model": "threshold", "outputs": "zarr"}}
    config["transport"] = {"sets": ["scan"]}
    write_config(workdir, config)
    target = transport_set_outputs(TRANSPORT, "threshold", "scan")["table"]
    run_snakemake(workdir, "--cores", "2", target)
    table = read_table(workdir / target).set_index(["quantity", "phases"])
    volume = predict_outputs(predict_folder("threshold", "scan"), layout="zarr")["volume"]
    streamed = pd.read_csv(workdir / volume).set_index(["metric", "phases"])
    key = ("tpb_density", "pore/YSZ/Ni")
    assert table.loc[key, "value"] == pytest.approx(streamed.loc[key, "value"])
    assert table.loc["tortuosity_factor", "value"].notna().all()
