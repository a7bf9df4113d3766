"""Every artefact is cached and rebuilt only on change: proved on the tiny config.

The workflow is copied into a temporary directory so that a test may edit its code or config
without touching the repository. Dry runs show what a change would rebuild.
"""

import copy
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import tifffile
import yaml

from helpers.workflow import REPO, TINY_CONFIG, run_snakemake, write_config
from xrayseg.io import atomic
from xrayseg.training import losses

WORKFLOW_PARTS = ("Snakefile", "rules", "scripts", "envs", "config/schema.yaml", "report")
# The tiny config with one prediction set, segmented by the threshold model (quick to train).
PREDICT_CONFIG = {**TINY_CONFIG, "predict": {"scan": {"raw": "scan", "model": "threshold"}}}
PREDICT_JOB = "predict[model=threshold, set=scan]"
PREDICT_CHUNK_JOB = "predict_chunk[chunk=000000-000002, model=threshold, set=scan]"
# The suggestions rank the set's slices by the best model's uncertainty, so the set is predicted
# once more with it (the set's own model is the threshold baseline, which has none).
SUGGEST_PREDICT_JOB = "predict[model=best, set=scan]"
SUGGEST_PREDICT_CHUNK_JOB = "predict_chunk[chunk=000000-000002, model=best, set=scan]"


@pytest.fixture(scope="module")
def workflow_copy(tmp_path_factory):
    """A finished tiny run of a private copy of the workflow, and PREDICT_CONFIG's prediction
    set predicted; the config left on disk is TINY_CONFIG."""
    workdir = tmp_path_factory.mktemp("cached_run")
    for part in WORKFLOW_PARTS:
        source, target = REPO / part, workdir / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    (workdir / "scan").mkdir()
    for z in range(2):
        tifffile.imwrite(workdir / "scan" / f"s{z}.tif", np.zeros((20, 20), np.uint16))
    write_config(workdir, TINY_CONFIG)
    run_snakemake(workdir, "--cores", "2", snakefile=workdir / "Snakefile")
    write_config(workdir, PREDICT_CONFIG)
    # The set, and the set predicted by the best model for the suggestions (next_slices itself
    # is left to plan: under TINY_CONFIG it ranks no set).
    targets = [f"results/predict/{model}/scan/volume.csv" for model in ("threshold", "best")]
    run_snakemake(workdir, "--cores", "2", *targets, snakefile=workdir / "Snakefile")
    write_config(workdir, TINY_CONFIG)
    return workdir


def planned_jobs(workdir, config, *options):
    """Jobs a dry run would execute for `config`, as 'rule' or 'rule[wildcards]' strings (the
    wildcards in name order)."""
    write_config(workdir, config)
    try:
        result = run_snakemake(workdir, "--dry-run", *options, snakefile=workdir / "Snakefile")
    finally:
        write_config(workdir, TINY_CONFIG)
    jobs, rule = set(), None
    for line in result.stdout.splitlines():
        if match := re.match(r"^(?:local)?rule (\w+):", line):
            rule = match.group(1)
            if rule != "all":
                jobs.add(rule)
        elif rule and (match := re.match(r"^\s+wildcards: (.+)$", line)):
            jobs.discard(rule)
            jobs.add(f"{rule}[{', '.join(sorted(match.group(1).split(', ')))}]")
    return jobs


def changed(base=TINY_CONFIG, **edits):
    """`base` with nested edits given as dotted-key=value pairs (dots written as __)."""
    config = copy.deepcopy(base)
    for dotted, value in edits.items():
        *parents, key = dotted.split("__")
        node = config
        for parent in parents:
            node = node[parent]
        node[key] = value
    return config


def model_jobs(*models):
    rules = ("train", "calibrate", "evaluate")
    return {f"{rule}[model={m}]" for m in models for rule in rules}


# Which slice to label next follows the best model, so any change to an evaluation reruns it.
SUGGEST_JOBS = {"suggest[model=best]", "next_slices[model=best]"}


def test_finished_run_has_nothing_to_do(workflow_copy):
    assert planned_jobs(workflow_copy, TINY_CONFIG) == set()


def test_one_models_hyperparameter_reruns_only_that_model(workflow_copy):
    config = changed(models__unet__dropout=0.3)
    assert planned_jobs(workflow_copy, config) == model_jobs("unet") | {"report"} | SUGGEST_JOBS


def test_a_new_model_trains_and_evaluates_only_itself(workflow_copy):
    config = changed()
    config["models"]["unet_wide"] = {**config["models"]["unet"], "width": 6}
    expected = model_jobs("unet_wide") | {"report"} | SUGGEST_JOBS
    assert planned_jobs(workflow_copy, config) == expected


def test_a_patch_size_change_reruns_only_models_of_that_size(workflow_copy):
    config = changed(models__dnn__patch_size=8)
    expected = model_jobs("dnn") | {"patches[size=8]", "report"} | SUGGEST_JOBS
    assert planned_jobs(workflow_copy, config) == expected


def test_switching_the_learning_curve_on_after_a_run_trains_its_points_and_redoes_the_report(
    workflow_copy,
):
    # As docs/uncertainty.md says: the finished default run, then the learning curve's ready config.
    config = changed(learning_curve={"model": "unet", "slices": [2, 40]})
    expected = {"report"}
    for n in (2, 40):
        point = f"model=unet, n={n}"
        expected |= {f"learning_curve_{job}[{point}]" for job in ("split", "train", "evaluate")}
        expected.add(f"learning_curve_patches[{point}, size=32]")
    assert planned_jobs(workflow_copy, config) == expected


def test_split_settings_rerun_everything_downstream_of_them(workflow_copy):
    config = changed(split__guard_slices=2)
    expected = {"ingest", "split", "patches[size=16]", "patches[size=32]", "report"} | SUGGEST_JOBS
    assert planned_jobs(workflow_copy, config) == expected | model_jobs(*TINY_CONFIG["models"])


def test_editing_one_stages_code_reruns_that_stage_and_after(workflow_copy):
    module = workflow_copy / "scripts" / "xrayseg" / "evaluation" / "evaluate.py"
    original = module.read_text()
    # Snakemake compares content checksums of inputs, so a real edit is needed, not a touch.
    module.write_text(original + "\n# an edit\n")
    try:
        jobs = planned_jobs(workflow_copy, TINY_CONFIG)
    finally:
        module.write_text(original)
    models = TINY_CONFIG["models"]
    assert jobs == {f"evaluate[model={m}]" for m in models} | {"report"} | SUGGEST_JOBS


def copied_module(workdir, module):
    """The copy in `workdir` of an xrayseg module's source file."""
    return workdir / Path(module.__file__).resolve().relative_to(REPO)


def planned_after_edit(workdir, module, config=TINY_CONFIG):
    """Jobs a dry run plans after a real edit of a module's copy (undone afterwards)."""
    path = copied_module(workdir, module)
    original = path.read_text()
    path.write_text(original + "\n# an edit\n")
    try:
        return planned_jobs(workdir, config)
    finally:
        path.write_text(original)


def test_editing_training_code_retrains_every_model(workflow_copy):
    jobs = planned_after_edit(workflow_copy, losses)
    assert jobs == model_jobs(*TINY_CONFIG["models"]) | {"report"} | SUGGEST_JOBS


def test_editing_code_every_stage_shares_reruns_every_stage(workflow_copy):
    everything = {"synthetic", "ingest", "split", "patches[size=16]", "patches[size=32]", "report"}
    everything |= SUGGEST_JOBS
    jobs = planned_after_edit(workflow_copy, atomic)
    assert jobs == everything | model_jobs(*TINY_CONFIG["models"])


def test_a_prediction_set_is_cached_like_every_other_output(workflow_copy):
    # The report does not show prediction sets, so adding one (predicted by the fixture) reruns
    # only the ranking of the slices to label next, which takes in the set's slices.
    assert planned_jobs(workflow_copy, PREDICT_CONFIG) == {"next_slices[model=best]"}


@pytest.mark.parametrize("setting,value", [("overlap", 0.25), ("flip_tta", True), ("window", 32)])
def test_an_inference_setting_of_evaluate_reruns_evaluation_and_predictions(
    workflow_copy, setting, value
):
    config = changed(PREDICT_CONFIG, **{f"evaluate__{setting}": value})
    # Calibration fits the temperature on predictions made with these settings.
    evaluations = {
        f"{rule}[model={m}]" for m in TINY_CONFIG["models"] for rule in ("calibrate", "evaluate")
    }
    predictions = {PREDICT_JOB, PREDICT_CHUNK_JOB, SUGGEST_PREDICT_JOB, SUGGEST_PREDICT_CHUNK_JOB}
    expected = evaluations | {"report"} | predictions | SUGGEST_JOBS
    assert planned_jobs(workflow_copy, config) == expected


def test_a_scoring_setting_of_evaluate_reruns_evaluation_and_the_sets_it_chose_a_cleanup_for(
    workflow_copy,
):
    config = changed(PREDICT_CONFIG, evaluate__bootstrap_resamples=100)
    evaluations = {f"evaluate[model={m}]" for m in TINY_CONFIG["models"]}
    # A set gets the clean-up its model's evaluation chose (cleanup.json), so a rerun evaluation
    # repredicts it even when the choice comes out the same (known cost: docs/prediction.md);
    # no model is retrained or recalibrated.
    predictions = {PREDICT_JOB, PREDICT_CHUNK_JOB, SUGGEST_PREDICT_JOB, SUGGEST_PREDICT_CHUNK_JOB}
    expected = evaluations | {"report"} | predictions | SUGGEST_JOBS
    assert planned_jobs(workflow_copy, config) == expected


def test_a_cleanup_setting_repredicts_a_fixed_models_set(workflow_copy):
    # The set gets the clean-up its model's evaluation chooses, and this setting may change it.
    config = {**PREDICT_CONFIG, "cleanup": {"accuracy_tolerance": 0.01}}
    evaluations = {f"evaluate[model={m}]" for m in TINY_CONFIG["models"]}
    predictions = {PREDICT_JOB, PREDICT_CHUNK_JOB, SUGGEST_PREDICT_JOB, SUGGEST_PREDICT_CHUNK_JOB}
    expected = evaluations | {"report"} | predictions | SUGGEST_JOBS
    assert planned_jobs(workflow_copy, config) == expected


def test_the_documented_command_rebuilds_one_model_its_evaluation_and_the_report(workflow_copy):
    command = ("--forcerun", "results/models/unet/model.pt")
    expected = model_jobs("unet") | {"report"} | SUGGEST_JOBS
    assert planned_jobs(workflow_copy, TINY_CONFIG, *command) == expected


def output_times(workdir):
    return {p: p.stat().st_mtime_ns for p in (workdir / "results").rglob("*") if p.is_file()}


def test_report_regenerates_without_running_a_job(workflow_copy):
    before = output_times(workflow_copy)
    run_snakemake(workflow_copy, "--report", "report.html", snakefile=workflow_copy / "Snakefile")
    assert (workflow_copy / "report.html").stat().st_size > 0
    assert output_times(workflow_copy) == before
    assert planned_jobs(workflow_copy, TINY_CONFIG) == set()


def test_config_on_disk_is_the_tiny_one(workflow_copy):
    on_disk = yaml.safe_load((workflow_copy / "config" / "config.yaml").read_text())
    assert on_disk == TINY_CONFIG
