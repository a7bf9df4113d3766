"""The whole pipeline on a tiny config, run as a user runs it."""

import json

import pandas as pd

from helpers.workflow import TINY_CONFIG, run_snakemake


def test_every_model_is_scored_in_the_report(finished_tiny_run):
    report = (finished_tiny_run / "results" / "report.html").read_text()
    for model in TINY_CONFIG["models"]:
        assert model in report
        summary = json.loads((finished_tiny_run / f"results/eval/{model}/summary.json").read_text())
        for split_scores in summary["splits"].values():
            assert 0 <= split_scores["accuracy"] <= 1
            assert 0 <= split_scores["mean_iou"] <= 1
        metrics = pd.read_csv(finished_tiny_run / f"results/eval/{model}/metrics.csv")
        assert metrics["accuracy"].between(0, 1).all()
        assert set(metrics["split"]) == {"train", "val", "test"}


def test_models_beat_predicting_the_majority_class(finished_tiny_run):
    for model in TINY_CONFIG["models"]:
        summary = json.loads((finished_tiny_run / f"results/eval/{model}/summary.json").read_text())
        test = summary["splits"]["test"]
        majority = max(v for k, v in test.items() if k.startswith("true_fraction_"))
        assert test["accuracy"] > majority + 0.05, model


def test_split_blocks_are_disjoint_and_evaluation_uses_them(finished_tiny_run):
    split = pd.read_csv(finished_tiny_run / "results/split/split.csv")
    groups = {name: set(frame["slice"]) for name, frame in split.groupby("split")}
    assert not groups["train"] & groups["test"]
    assert not groups["val"] & groups["test"]
    metrics = pd.read_csv(finished_tiny_run / "results/eval/unet/metrics.csv")
    assert set(metrics.loc[metrics["split"] == "test", "slice"]) == groups["test"]


def test_a_second_run_has_nothing_to_do(finished_tiny_run):
    result = run_snakemake(finished_tiny_run, "--cores", "2", "--dry-run")
    assert "Nothing to be done" in result.stdout + result.stderr
