"""The execution profiles in profiles/ are valid Snakemake 9 profiles for this workflow, and every
job is ready for a cluster.

tests/system/test_slurm.py runs profiles/slurm on a real scheduler; here each profile is checked
with a dry run of the tiny config. Conda cannot run on the test machines, and Snakemake asks for it
even in a dry run, so the copy checked leaves out software-deployment-method
(tests/unit/project/test_envs.py checks the envs instead).
"""

import copy
import re

import numpy as np
import pytest
import tifffile
import yaml

from helpers.workflow import REPO, TINY_CONFIG, run_snakemake, write_config

PROFILES = sorted((REPO / "profiles").glob("*/config.yaml"))


@pytest.mark.parametrize("profile_file", PROFILES, ids=lambda path: path.parent.name)
def test_profile_is_accepted_and_plans_the_whole_run(profile_file, tmp_path):
    profile = yaml.safe_load(profile_file.read_text())
    assert profile.pop("software-deployment-method") == "conda"
    edited = tmp_path / "profile"
    edited.mkdir()
    (edited / "config.yaml").write_text(yaml.safe_dump(profile))
    workdir = tmp_path / "run"
    write_config(workdir, TINY_CONFIG)
    result = run_snakemake(workdir, "--profile", str(edited), "--dry-run")
    log = result.stdout + result.stderr
    for rule in ("synthetic", "ingest", "split", "patches", "train", "evaluate", "report"):
        assert f"rule {rule}:" in log, rule


def planned_jobs(output):
    """[(rule, {field: value})] for each job a dry run prints (input, output, log, resources...)."""
    jobs = []
    for line in output.splitlines():
        if match := re.match(r"^(?:local)?rule (\w+):$", line):
            jobs.append((match.group(1), {}))
        elif jobs and (match := re.match(r"^    (\w+): (.*)$", line)):
            jobs[-1][1][match.group(1)] = match.group(2)
    return jobs


def test_every_job_that_does_work_is_ready_for_a_cluster(tmp_path):
    # A plain dry run (no profile, so no default resources): what each job asks for is its rule's.
    (tmp_path / "scan").mkdir()
    for z in range(2):
        tifffile.imwrite(tmp_path / "scan" / f"s{z}.tif", np.zeros((20, 20), np.uint16))
    config = copy.deepcopy(TINY_CONFIG)
    config["predict"] = {"b": {"raw": "scan"}}
    config["threads"] = {"train": 2, "evaluate": 3, "predict": 4}
    write_config(tmp_path, config)
    jobs = planned_jobs(run_snakemake(tmp_path, "--dry-run", "--cores", "4").stdout)
    rules = {rule for rule, _ in jobs}
    expected = {"synthetic", "ingest", "split", "patches", "train", "evaluate", "report"}
    expected |= {"calibrate", "suggest", "next_slices", "predict_chunk", "predict"}
    assert rules == expected | {"all"}
    # Calibrating and ranking slices predict like evaluate, with its threads; a set's chunk jobs
    # predict with predict's threads and its assemble job (rule predict) writes with one.
    threads_of = {"calibrate": "evaluate", "suggest": "evaluate", "predict_chunk": "predict"}
    threads_of["predict"] = "assemble"
    for rule, fields in jobs:
        if rule == "all":
            continue
        assert fields["log"].startswith("results/logs/"), rule
        assert fields["benchmark"].startswith("results/benchmarks/"), rule
        resources = dict(item.split("=", 1) for item in fields["resources"].split(", "))
        assert int(resources["mem_mb"]) >= 1000 and int(resources["runtime"]) > 0, rule
        wanted = config["threads"].get(threads_of.get(rule, rule), 1)
        assert int(fields.get("threads", 1)) == wanted, rule
    train = next(fields for rule, fields in jobs if rule == "train")
    assert "gpu=1" in train["resources"].split(", ")  # training jobs take turns on a GPU
