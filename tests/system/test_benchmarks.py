"""Each benchmark script's --quick mode runs and prints its figures (so the scripts do not rot).

The scripts run side by side as separate processes, the way a user starts them; the figures
themselves are not checked against targets (that is what the benchmarks are for), only that they
are there and make sense.
"""

import json
import os
import subprocess
import sys

import pytest

from helpers.workflow import REPO

SCRIPTS = (
    "inference",
    "training",
    "data",
    "pipeline",
    "rf",
    "fullsize",
    "unet3d",
    "realism",
    "fit_noise",
    "sparse4",
    "cleanup",
    "bigscan",
    "transport",
)


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    """{script: (completed process, figures from its --json)} of every script's --quick run."""
    out = tmp_path_factory.mktemp("benchmarks")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    running = {}
    for name in SCRIPTS:
        command = [
            sys.executable,
            str(REPO / "benchmarks" / f"{name}.py"),
            "--quick",
            "--json",
            str(out / f"{name}.json"),
        ]
        running[name] = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    results = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=600)
        figures = json.loads((out / f"{name}.json").read_text()) if process.returncode == 0 else {}
        results[name] = (process.returncode, stdout, stderr, figures)
    return results


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_script_names_the_machine_and_torch(quick_runs, name):
    returncode, stdout, stderr, figures = quick_runs[name]
    assert returncode == 0, stderr[-3000:]
    assert "machine: " in stdout and "torch " in stdout and "thread(s)" in stdout
    assert figures["machine"]["cpu"] and figures["machine"]["torch"]


def test_inference_compares_xrayseg_with_its_reference(quick_runs):
    _, stdout, _, figures = quick_runs["inference"]
    rows = {row["contender"]: row for row in figures["results"]}
    assert {"xrayseg plain", "xrayseg", "xrayseg slice"} <= set(rows)
    reference = "monai" if "monai" in rows else "xrayseg plain"
    speed = f"speedup_vs_{reference.replace(' ', '_')}"
    for row in rows.values():
        assert row["median_s"] > 0 and row[speed] > 0 and row["gflop"] > 0
        assert row["fraction_of_conv_peak"] > 0 and 0 <= row["accuracy"] <= 1
    # The fused, channels-last default computes what the plain path computes.
    assert rows["xrayseg"]["argmax_agreement"] == rows["xrayseg plain"]["argmax_agreement"]
    assert "conv peak" in stdout and "xrayseg slice" in stdout


def test_training_reports_the_loop_against_the_bare_loop(quick_runs):
    _, stdout, _, figures = quick_runs["training"]
    assert figures["bare_patches_per_s"] > 0 and figures["loop_patches_per_s"] > 0
    real = figures["real_seconds"]
    assert real["total_s"] >= real["loop_s"] > 0 and real["validation_s"] > 0
    assert "loop / bare speed" in stdout


def test_data_times_every_stage(quick_runs):
    _, stdout, _, figures = quick_runs["data"]
    stages = figures["stages"]
    assert list(stages) == ["synthetic", "ingest", "split", "patches_16px"]
    assert all(stage["wall_s"] > 0 and stage["peak_mb"] > 0 for stage in stages.values())
    assert stages["ingest"]["slices"] == 12
    assert sum(row["kept"] for row in stages["patches_16px"]["patches"]) > 0
    assert "MB/s" in stdout


def test_pipeline_runs_in_a_fresh_copy_and_then_has_nothing_to_do(quick_runs):
    _, stdout, _, figures = quick_runs["pipeline"]
    assert figures["jobs"] >= 1 and figures["full_run_s"] > 0
    assert figures["noop_says_nothing_to_do"]
    assert "synthetic" in figures["rules"]
    assert "says nothing to be done" in stdout


def test_rf_times_fit_and_both_prediction_paths_which_agree(quick_runs):
    _, stdout, _, figures = quick_runs["rf"]
    assert figures["fit_wall_s"] > 0 and figures["fit_cpu_s"] > 0
    assert figures["slice_shape"] == [64, 64]
    paths = figures["per_slice"]
    assert len(paths) == 5 and all(p["median_s"] > 0 for p in paths.values())
    # The numpy walk and the stored forest agree on every class, probabilities to float rounding.
    assert figures["same_classes"] is True
    assert figures["largest_difference"] < 1e-6
    assert "same classes: True" in stdout


def test_fullsize_times_every_job_and_scores_every_model(quick_runs):
    _, stdout, _, figures = quick_runs["fullsize"]
    jobs = [job["job"] for job in figures["jobs"]]
    assert jobs == [
        "synthetic",
        "ingest",
        "split",
        "train/threshold",
        "calibrate/threshold",
        "evaluate/threshold",
        "transport/labels",
        "transport/threshold",
        "suggest/best",
        "next_slices/best",
        "report",
    ]
    assert figures["run_s"] >= max(job["s"] for job in figures["jobs"]) > 0
    scores = figures["models"]["threshold"]
    assert scores["mean_iou_ci_low"] <= scores["mean_iou"] <= scores["mean_iou_ci_high"]
    assert 0 < scores["accuracy"] <= 1 and scores["train_s"] > 0
    assert "test mean IoU" in stdout


def test_unet3d_reports_both_networks_costs(quick_runs):
    _, stdout, _, figures = quick_runs["unet3d"]
    costs = figures["costs"]
    assert set(costs) == {"unet", "unet3d"}
    for row in costs.values():
        assert row["parameters"] > 0 and row["flops_per_voxel"] > 0
        assert row["step_s"] > 0 and row["slice_s"] > 0
    # Same width and depth: 3x3x3 kernels hold three times the weights of 3x3 ones.
    assert costs["unet3d"]["parameters"] > 2 * costs["unet"]["parameters"]
    assert "kFLOP/voxel" in stdout


def test_realism_prints_every_statistic_beside_the_real_tomograms(quick_runs):
    _, stdout, _, figures = quick_runs["realism"]
    found = figures["realism"]
    assert set(found["interior"]) == set(found["spread"]) == {"pore", "YSZ", "Ni"}
    assert figures["generate_s"] > 0 and figures["generate_peak_mb"] > 0
    assert "(in brackets: the real tomogram)" in stdout and "10-90 % rise" in stdout


def test_fit_noise_prints_fitted_parameters_and_their_statistics(quick_runs):
    _, stdout, _, figures = quick_runs["fit_noise"]
    assert figures["noise"]["contrast"] > 0 and 0 <= figures["noise"]["long_share"] <= 1
    assert set(figures["measured"]) == {"pore", "YSZ", "Ni"}
    assert "short sigma" in stdout


def test_sparse4_runs_the_pipeline_on_nine_sections_and_scores_each_class(quick_runs):
    _, stdout, _, figures = quick_runs["sparse4"]
    scores = figures["models"]["threshold"]
    assert set(scores["iou"]) == {"pore", "clay", "quartz", "pyrite"}
    assert 0 < scores["mean_iou"] <= 1 and figures["run_s"] > 0
    assert "IoU clay" in stdout


def test_cleanup_scores_every_candidate_on_val_and_test_and_names_the_choice(quick_runs):
    _, stdout, _, figures = quick_runs["cleanup"]
    rows = figures["threshold"]["rows"]
    names = [row["candidate"] for row in rows]
    assert names[0] == "none" and len(names) == len(set(names)) >= 4
    for row in rows:
        for split in ("val", "test"):
            assert 0 < row[f"{split}_accuracy"] <= 1 and 0 < row[f"{split}_mean_iou"] <= 1
    assert figures["threshold"]["chosen"]["config"]["candidate"] in names
    assert "chosen among the config candidates" in stdout


def test_transport_measures_the_labels_and_the_model_with_their_times(quick_runs):
    _, stdout, _, figures = quick_runs["transport"]
    assert set(figures["sources"]) == {"labels", "threshold"}
    for source in figures["sources"].values():
        assert source["wall_s"] > 0 and source["cpu_s"] > 0
    quantities = {row["quantity"] for row in figures["sources"]["threshold"]["table"]}
    assert {"tortuosity_factor", "active_tpb_density", "thickness_d50"} <= quantities
    assert "| labels |" in stdout and "τ pore z" in stdout


def test_bigscan_predicts_one_job_and_chunk_jobs_alike_and_times_every_job(quick_runs):
    _, stdout, _, figures = quick_runs["bigscan"]
    runs = figures["runs"]
    assert runs["whole"]["chunk_jobs"] == 1 and runs["chunked"]["chunk_jobs"] == 4
    for run in runs.values():
        assert run["wall_s"] > 0 and run["voxels_per_s"] > 0
        assert "assemble" in run["jobs"] and len(run["jobs"]) == run["chunk_jobs"] + 1
        assert all(job["peak_mb"] > 0 for job in run["jobs"].values())
    assert figures["identical"] == {
        "segmentation.ome.zarr": True,
        "uncertainty.ome.zarr": True,
        "volume.csv": True,
    }
    assert "2048^3 estimate" in stdout
