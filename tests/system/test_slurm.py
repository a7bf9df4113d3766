"""The tiny pipeline through the SLURM executor on a real single-node SLURM cluster.

tests/slurm_cluster.py brings the cluster up on 127.0.0.1 (two GPUs as a generic resource, so the
training and chunk jobs' GPU requests are scheduled for real) and tears it down by pid. Snakemake
runs with profiles/slurm/config.yaml, changed only where the 2-CPU test node forces it, and must
give the same results as the local run of the same config. The run also predicts a small scan
twice: in three chunk jobs (each a SLURM job with its GPU) and as one job; both must agree.
"""

import copy
import json
import os
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import tifffile
import yaml

from helpers.predict_data import write_scan
from helpers.slurm_cluster import SYSTEM_CONF, is_running, local_slurm, unavailable_reason
from helpers.workflow import REPO, TINY_CONFIG, run_snakemake, write_config

REAL_PROFILE = REPO / "profiles" / "slurm" / "config.yaml"

# Where the test node differs from a GPU cluster: the only changes to the real profile.
TEST_NODE_CHANGES = {
    # No accounting database here, so sacct knows no jobs; squeue does (MinJobAge=600 keeps
    # finished jobs in view).
    "slurm-status-command": "squeue",
    # Jobs take seconds here: the default 40 s before the first status check would dominate.
    "slurm-init-seconds-before-status-checks": 5,
    # Two CPUs, where the profile asks for eight per training job. One thread per job, as in the
    # local reference run: torch's CPU results depend on the thread count.
    "max-threads": 1,
}
# No conda here (no channels reachable): the test's own environment has every package.
TEST_NODE_REMOVALS = ("software-deployment-method",)
# Rules whose jobs ask SLURM for a GPU (the profile's set-resources).
GPU_RULES = {"train", "predict_chunk"}
# A 12-slice scan predicted in chunk jobs of 4 slices and as one job (kept small: each job costs
# seconds of SLURM bookkeeping).
PREDICT_SETS = {
    "chunked": {"raw": "scans/b/raw", "model": "unet", "chunk_slices": 4},
    "single": {"raw": "scans/b/raw", "model": "unet"},
}


def profile_for_test_node(real):
    profile = {**copy.deepcopy(real), **TEST_NODE_CHANGES}
    for key in TEST_NODE_REMOVALS:
        del profile[key]
    return profile


def planned_jobs(log):
    """Rule -> job count from the 'Job stats' table Snakemake prints before it starts."""
    table = log.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    counts = {}
    for line in table.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("all", "total"):
            counts[parts[0]] = int(parts[1])
    return counts


def expected_job_names(planned, groups):
    """SLURM job name -> count: a rule's own jobs, or one job per group of rules.

    A group job is named <group>_<its rules, sorted, joined by _>; each group in the profile is one
    connected chain of jobs, so it runs as one SLURM job.
    """
    names = Counter()
    members = {}
    for rule, count in planned.items():
        if rule in groups:
            members.setdefault(groups[rule], []).append(rule)
        else:
            names[rule] = count
    for group, rules in members.items():
        names["_".join([group, *sorted(rules)])] = 1
    return names


def job_name(job):
    """A SLURM job's rule or group name, from the plugin's comment: rule_<name>[_wildcards_..]."""
    return re.match(r"rule_(.+?)(?:_wildcards_.*)?$", job["Comment"]).group(1)


def cluster_processes(root):
    """Pids of live processes whose command line mentions the cluster's folder."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(root) in (proc / "cmdline").read_text():
                found.append(int(proc.name))
        except OSError:
            continue
    return [pid for pid in found if is_running(pid)]


# Outputs compared between the runs; the columns that time a run are left out.
COMPARED_FILES = (
    "split/*.csv",
    "patches/*.csv",
    "eval/*/metrics.csv",
    "eval/*/confusion.csv",
    "eval/*/test_predictions.tif",
)
# Wall-clock columns differ between any two runs; every other column must agree.
TIMED_TABLES = {"models/*/history.csv": ["seconds", "train_minutes"]}


def assert_same_results(local, cluster):
    """Every score and table of the cluster run equals the local run's."""
    local, cluster = local / "results", cluster / "results"
    compared = 0
    for pattern in COMPARED_FILES:
        for path in sorted(local.glob(pattern)):
            name = path.relative_to(local)
            assert (cluster / name).read_bytes() == path.read_bytes(), name
            compared += 1
    for pattern, columns in TIMED_TABLES.items():
        for path in sorted(local.glob(pattern)):
            name = path.relative_to(local)
            pd.testing.assert_frame_equal(
                pd.read_csv(cluster / name).drop(columns=columns, errors="ignore"),
                pd.read_csv(path).drop(columns=columns, errors="ignore"),
            )
            compared += 1
    for path in sorted(local.glob("eval/*/summary.json")):
        name = path.relative_to(local)
        scores = [json.loads(p.read_text())["splits"] for p in (cluster / name, path)]
        # NaN (a class absent from a split) compares equal as JSON text, not as a float.
        assert json.dumps(scores[0]) == json.dumps(scores[1]), name
        compared += 1
    models = len(TINY_CONFIG["models"])
    assert compared >= 5 * models, f"only {compared} files compared"


def assert_chunks_match_one_job(folder):
    """The set assembled from three chunk jobs equals the one predicted by a single job."""
    chunked, single = folder / "chunked", folder / "single"
    summary = json.loads((chunked / "summary.json").read_text())
    assert [c["chunk"] for c in summary["chunks"]] == [[0, 4], [4, 8], [8, 12]]
    for name in ("volume.csv", "fractions.csv"):
        assert (chunked / name).read_bytes() == (single / name).read_bytes(), name
    labels = [tifffile.imread(path / "segmentation.tif") for path in (chunked, single)]
    assert (labels[0] == labels[1]).all()


def test_test_node_profile_changes_only_what_the_node_forces():
    real = yaml.safe_load(REAL_PROFILE.read_text())
    profile = profile_for_test_node(real)
    changed = {key for key in real.keys() | profile.keys() if real.get(key) != profile.get(key)}
    assert changed == set(TEST_NODE_CHANGES) | set(TEST_NODE_REMOVALS)
    # What the test proves about GPUs holds for the real profile: training asks for one.
    assert profile["set-resources"]["train"]["gpu"] == 1
    assert real["executor"] == "slurm"
    assert {rule for rule, res in real["set-resources"].items() if res.get("gpu")} >= GPU_RULES


def test_tiny_run_on_slurm_matches_the_local_run(finished_tiny_run, tmp_path, monkeypatch):
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    profile_dir = tmp_path / "profile"
    profile_dir.mkdir()
    profile = profile_for_test_node(yaml.safe_load(REAL_PROFILE.read_text()))
    (profile_dir / "config.yaml").write_text(yaml.safe_dump(profile))
    workdir = tmp_path / "run"
    write_scan(workdir / "scans" / "b", seed=11, feature_size=6)
    write_config(workdir, {**TINY_CONFIG, "predict": PREDICT_SETS, "suggest": {"model": "unet"}})

    with local_slurm() as cluster:
        monkeypatch.setenv("SLURM_CONF", str(cluster.conf))
        run = run_snakemake(workdir, "--profile", str(profile_dir), check=False)
        jobs = cluster.jobs()
        finished = cluster.finished_jobs()
        daemon_logs = cluster.log_tails()

    log = run.stdout + run.stderr
    assert run.returncode == 0, f"{log[-6000:]}\n{daemon_logs}"

    # Every planned job went through sbatch, ran on the node and finished well, once.
    submitted = re.findall(r"Job \S+ has been submitted with SLURM jobid (\d+)", log)
    expected = expected_job_names(planned_jobs(log), profile["groups"])
    assert len(submitted) == sum(expected.values()) == len(set(submitted))
    assert set(submitted) == set(jobs) == set(finished)
    assert Counter(job_name(job) for job in jobs.values()) == expected
    for job_id, job in jobs.items():
        assert job["JobState"] == "COMPLETED", job
        assert finished[job_id]["ExitCode"] == "0:0", finished[job_id]
        # The GPU request reached SLURM for the training and chunk jobs, and only for them.
        wants_gpu = "gpu" in job.get("TresPerJob", "")
        assert wants_gpu == (job_name(job) in GPU_RULES), job
        if job_name(job) in ("train", "evaluate"):
            # The profile's eight threads, capped for the test node.
            assert job["NumCPUs"] == "1", job

    assert_same_results(finished_tiny_run, workdir)
    assert Counter(job_name(job) for job in jobs.values())["predict_chunk"] == 4
    assert_chunks_match_one_job(workdir / "results" / "predict" / "unet")

    # The cluster is gone: daemons stopped, no process left in its folder, config link removed.
    assert set(cluster.pids) == {"munged", "slurmctld", "slurmd"}
    assert not [pid for pid in cluster.pids.values() if is_running(pid)]
    assert not cluster_processes(cluster.root)
    assert not SYSTEM_CONF.is_symlink() or os.readlink(SYSTEM_CONF) != str(cluster.conf)
