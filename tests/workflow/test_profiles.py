"""The execution profiles in profiles/ are valid Snakemake 9 profiles for this workflow.

tests/test_slurm.py runs profiles/slurm on a real scheduler; here each profile is checked with a
dry run of the tiny config. Conda cannot run on the test machines, and Snakemake asks for it even
in a dry run, so the copy checked leaves out software-deployment-method (tests/test_envs.py checks
the envs instead).
"""

import re

import pytest
import yaml

from helpers.rules import rules
from helpers.workflow import REPO, TINY_CONFIG, run_snakemake, write_config

PROFILES = sorted((REPO / "profiles").glob("*/config.yaml"))


@pytest.mark.parametrize("profile_file", PROFILES, ids=lambda path: path.parent.name)
def test_profile_is_accepted_and_plans_the_whole_run(profile_file, tmp_path):
    profile = yaml.safe_load(profile_file.read_text())
    assert profile.pop("software-deployment-method") == "conda"
    copy = tmp_path / "profile"
    copy.mkdir()
    (copy / "config.yaml").write_text(yaml.safe_dump(profile))
    workdir = tmp_path / "run"
    write_config(workdir, TINY_CONFIG)
    result = run_snakemake(workdir, "--profile", str(copy), "--dry-run")
    log = result.stdout + result.stderr
    for rule in ("synthetic", "ingest", "split", "patches", "train", "evaluate", "report"):
        assert f"rule {rule}:" in log, rule


def test_there_are_local_and_slurm_profiles_and_no_implicit_default():
    names = {path.parent.name for path in PROFILES}
    assert {"local", "slurm"} <= names
    # Snakemake would apply profiles/default/ to every run without being asked.
    assert not (REPO / "profiles" / "default").exists()


def test_every_rule_that_does_work_is_ready_for_a_cluster():
    for name, rule in rules().items():
        if not rule["works"]:
            continue
        for directive in ("log", "benchmark", "conda", "threads", "resources"):
            assert re.search(rf"^\s+{directive}:", rule["body"], re.M), f"rule {name}: {directive}"
        for resource in ("mem_mb", "runtime"):
            assert re.search(rf"^\s+{resource}=", rule["body"], re.M), f"rule {name}: {resource}"
    assert re.search(r"^\s+gpu=1,", rules()["train"]["body"], re.M), "train asks for no GPU"
