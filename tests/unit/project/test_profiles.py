"""Which execution profiles profiles/ holds (tests/workflow/test_profiles.py runs them)."""

from helpers.workflow import REPO

PROFILES = sorted((REPO / "profiles").glob("*/config.yaml"))


def test_there_are_local_and_slurm_profiles_and_no_implicit_default():
    names = {path.parent.name for path in PROFILES}
    assert {"local", "slurm"} <= names
    # Snakemake would apply profiles/default/ to every run without being asked.
    assert not (REPO / "profiles" / "default").exists()
