"""The report with sparse labels: labelled slices per split in the data facts, the microstructure
block measured, the data figure drawn from labelled slices only."""

import json
from types import SimpleNamespace

import pandas as pd

from xrayseg.io.volume import VolumeInfo
from xrayseg.report import sections
from xrayseg.report.datafigures import data_figure

SPLITS = pd.Series(["train"] * 6 + ["guard"] + ["val"] * 3 + ["guard"] + ["test"] * 4)
VOLUME = VolumeInfo(
    "volume.h5",
    {
        "class_names": json.dumps(["a", "b"]),
        "label_values": json.dumps([0, 255]),
        "raw_source": "raw",
        "labels_source": "labels",
        "norm_low": 0.0,
        "norm_high": 1.0,
    },
    (len(SPLITS), 8, 8),
)
PNGS = {"data": b"png"}


def test_the_data_facts_count_labelled_slices_per_split_only_when_some_lack_labels():
    labelled = pd.Series([z % 2 == 0 for z in range(len(SPLITS))])
    facts = sections._data_parts(VOLUME, SPLITS, PNGS, labelled)[0]
    assert "labelled slices</dt><dd>train 3 of 6, val 1 of 3, test 2 of 4" in facts
    whole = sections._data_parts(VOLUME, SPLITS, PNGS, pd.Series(True, index=SPLITS.index))[0]
    assert "labelled slices" not in whole


def test_the_microstructure_paragraph_names_the_slices_measured():
    def models(micro):
        return {"m": SimpleNamespace(summary={"microstructure": micro})}

    run = {"test_slices": [12, 14], "slices_measured": 3, "labelled_test_slices": 5}
    assert sections._measured_block(models(run)) == (
        " (test slices 12–14, the longest contiguous run of the 5 labelled test slices)"
    )
    whole = {"test_slices": [11, 14], "slices_measured": 4, "labelled_test_slices": 4}
    assert sections._measured_block(models(whole)) == " (test slices 11–14)"
    assert sections._measured_block(models({})) == ""
    apart = {"test_slices": [6, 8], "slices_measured": 3, "measure": "sections"}
    assert sections._measured_block(models(apart)).startswith(
        " (each of the 3 test slices 6–8 as a 2-D section"
    )
    one = {"test_slices": [8, 8], "slices_measured": 1, "measure": "sections"}
    assert sections._measured_block(models(one)).startswith(" (test slice 8 as a 2-D section")


def test_the_data_figure_leaves_unlabelled_slices_out_of_the_class_lines():
    labelled = [z in (0, 3, 7, 8, 9, 12, 13, 14) for z in range(len(SPLITS))]
    summary = pd.DataFrame(
        {
            "slice": range(len(SPLITS)),
            "split": SPLITS,
            "labelled": labelled,
            "fraction_a": [0.4 if flag else 0.0 for flag in labelled],
            "fraction_b": [0.6 if flag else 0.0 for flag in labelled],
            "fraction_ignored": [0.0 if flag else 1.0 for flag in labelled],
        }
    )
    histograms = pd.DataFrame({"grey": [0, 1] * 2, "class": ["a", "a", "b", "b"], "fraction": 0.5})
    figure = data_figure(summary, histograms, ["a", "b"])
    along = figure.axes[0]
    lines = {line.get_label(): line for line in along.get_lines()}
    drawn = pd.Series(lines["a"].get_ydata(), dtype=float)
    assert drawn.notna().tolist() == labelled  # gaps where no labels are, never a 0 fraction
    assert "labelled (8 of 15)" in [t.get_text() for t in along.get_legend().get_texts()]
