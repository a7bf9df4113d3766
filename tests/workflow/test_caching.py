"""Every artefact is cached and rebuilt only on change: proved on the tiny config.

The workflow is copied into a temporary directory so that a test may edit its code or config
without touching the repository. Dry runs show what a change would rebuild.
"""

import copy
import re
import shutil

import pytest
import yaml

from helpers.workflow import REPO, TINY_CONFIG, run_snakemake, write_config

pytestmark = pytest.mark.workflow

WORKFLOW_PARTS = ("Snakefile", "rules", "scripts", "envs", "config/schema.yaml", "report")


@pytest.fixture(scope="module")
def workflow_copy(tmp_path_factory):
    """A finished tiny run of a private copy of the workflow."""
    workdir = tmp_path_factory.mktemp("cached_run")
    for part in WORKFLOW_PARTS:
        source, target = REPO / part, workdir / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    write_config(workdir, TINY_CONFIG)
    run_snakemake(workdir, "--cores", "2", snakefile=workdir / "Snakefile")
    return workdir


def planned_jobs(workdir, config, *options):
    """Jobs a dry run would execute for `config`, as 'rule' or 'rule[wildcards]' strings."""
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
            jobs.add(f"{rule}[{match.group(1)}]")
    return jobs


def changed(**edits):
    """TINY_CONFIG with nested edits given as dotted-key=value pairs (dots written as __)."""
    config = copy.deepcopy(TINY_CONFIG)
    for dotted, value in edits.items():
        *parents, key = dotted.split("__")
        node = config
        for parent in parents:
            node = node[parent]
        node[key] = value
    return config


def model_jobs(*models):
    return {f"{rule}[model={m}]" for m in models for rule in ("train", "evaluate")}


def test_finished_run_has_nothing_to_do(workflow_copy):
    assert planned_jobs(workflow_copy, TINY_CONFIG) == set()


def test_one_models_hyperparameter_reruns_only_that_model(workflow_copy):
    config = changed(models__unet__dropout=0.3)
    assert planned_jobs(workflow_copy, config) == model_jobs("unet") | {"report"}


def test_a_new_model_trains_and_evaluates_only_itself(workflow_copy):
    config = changed()
    config["models"]["unet_wide"] = {**config["models"]["unet"], "width": 6}
    assert planned_jobs(workflow_copy, config) == model_jobs("unet_wide") | {"report"}


def test_a_patch_size_change_reruns_only_models_of_that_size(workflow_copy):
    config = changed(models__dnn__patch_size=8)
    assert planned_jobs(workflow_copy, config) == model_jobs("dnn") | {"patches[size=8]", "report"}


def test_split_settings_rerun_everything_downstream_of_them(workflow_copy):
    config = changed(split__guard_slices=2)
    expected = {"ingest", "split", "patches[size=16]", "patches[size=32]", "report"}
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
    assert jobs == {f"evaluate[model={m}]" for m in models} | {"report"}


def test_the_readme_command_rebuilds_one_model_its_evaluation_and_the_report(workflow_copy):
    command = ("--forcerun", "results/models/unet/model.pt")
    assert planned_jobs(workflow_copy, TINY_CONFIG, *command) == model_jobs("unet") | {"report"}


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
