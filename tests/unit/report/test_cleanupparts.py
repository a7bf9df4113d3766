"""The report's clean-up table: each model's chosen clean-up, its test figures before -> after."""

import pandas as pd

from xrayseg.report import inputs
from xrayseg.report.cleanupparts import before_after, cleanup_parts, cleanup_rows
from xrayseg.report.sections import after_cleanup_note


def figures(accuracy, mean_iou, tpb, interface):
    return {
        "accuracy": accuracy,
        "mean_iou": mean_iou,
        "microstructure_error": abs(tpb),
        "tpb_relative_error": tpb,
        "interface_max_abs_error": interface,
    }


def model(name, cleanup=None):
    summary = {"class_names": ["pore", "YSZ", "Ni"], "splits": {"test": {}}, "parameters": 1}
    if cleanup is not None:
        summary["cleanup"] = cleanup
        summary["cleanup_seconds"] = {"choosing": 2.5, "applying": 0.5}
    return inputs.ModelResults(name, summary, pd.DataFrame(), pd.DataFrame(), None, None)


def record(name, before, after, cleaned=("val", "test")):
    return {
        "chosen": {"name": name},
        "why": f"{name}: the lowest val microstructure error",
        "rule": "the stated rule",
        "accuracy_tolerance": 0.0005,
        "cleaned": list(cleaned),
        "test": {"before": before, "after": after},
    }


MODELS = {
    "unet": model(
        "unet",
        record(
            "majority 3", figures(0.9871, 0.97, 0.27, 0.081), figures(0.9878, 0.9712, -0.021, 0.03)
        ),
    ),
    "rf": model(
        "rf",
        record(
            "none",
            figures(0.98, 0.96, 0.54, 0.1),
            figures(0.98, 0.96, 0.54, 0.1),
            cleaned=(),
        ),
    ),
    "old": model("old"),
}


def test_each_model_with_a_record_has_a_row_of_before_to_after():
    rows = cleanup_rows(MODELS)
    assert rows[0] == [
        "unet",
        "majority 3",
        "0.9871 → 0.9878",
        "0.9700 → 0.9712",
        "+27.0 % → -2.1 %",
        "8.1 % → 3.0 %",
        "2.5 s",
    ]
    # Unchanged figures are written once; a summary without a clean-up has no row.
    assert rows[1][1:6] == ["none", "0.9800", "0.9600", "+54.0 %", "10.0 %"]
    assert [row[0] for row in rows] == ["unet", "rf"]


def test_a_choice_the_test_block_could_not_take_says_so():
    gappy = record("islands < 50", figures(0.98, 0.96, 0.5, 0.1), figures(0.98, 0.96, 0.5, 0.1))
    gappy["cleaned"] = ["val"]
    [row] = cleanup_rows({"m": model("m", gappy)})
    assert row[1] == "islands < 50 (test block not cleaned)"


def test_the_section_names_the_rule_and_each_reason_and_is_left_out_without_records():
    html = "".join(cleanup_parts(MODELS))
    assert "the stated rule; the tolerance is 0.05 pp" in html
    assert "every slice is scored (here val and test)" in html
    assert "unet: majority 3: the lowest val microstructure error." in html
    assert cleanup_parts({"old": MODELS["old"]}) == []


def test_the_comparison_says_which_models_scores_are_after_a_clean_up():
    assert "(cleaned: unet;" in after_cleanup_note(MODELS)
    assert after_cleanup_note({"rf": MODELS["rf"], "old": MODELS["old"]}) == ""


def test_undefined_figures_are_dashes():
    assert before_after(float("nan"), float("nan"), "signed") == "–"
    assert before_after(None, 0.5, "number") == "– → 0.5000"
