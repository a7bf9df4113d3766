"""The transport stage inside the pipeline: the labels' table, each model's beside it."""

import math

import pandas as pd
import pytest

from helpers.workflow import TINY_CONFIG
from xrayseg.settings.layout import TRANSPORT, transport_labels_outputs, transport_model_outputs
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
