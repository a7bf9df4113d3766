"""Faults a user or a cluster causes, proved through Snakemake on the tiny config.

- A training job killed half way (SIGTERM to every process of the run, as SLURM does on a time-out
  or preemption; then SIGKILL, as when the kill wait runs out) leaves no output that Snakemake
  takes as complete, and each rerun resumes from the last validation's checkpoint.
- Two training jobs at once do not clobber each other's files.
- The same config and seed give the same weights and metrics on the CPU, run twice.
"""

import json
import os
import shutil
import signal
import subprocess
import time
from datetime import datetime

import pandas as pd
import pytest
import torch

from helpers.workflow import TINY_CONFIG, run_snakemake, snakemake_command, write_config
from xrayseg.models.checkpoint import load_checkpoint, load_plain

NETWORKS = [m for m, s in TINY_CONFIG["models"].items() if s["arch"] in ("dnn", "unet")]


def copy_run(finished, workdir):
    """A copy of a finished run (outputs with their times and Snakemake's records)."""
    shutil.copytree(finished, workdir, symlinks=True)
    return workdir


def start_snakemake(workdir, *args):
    """Snakemake in a session of its own, so one signal reaches it and every job it started."""
    command = snakemake_command(workdir)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    # Output to a file: a pipe nobody reads could fill up and stall Snakemake.
    with open(workdir / "snakemake.out", "w") as output:
        return subprocess.Popen(
            [*command, *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def signal_run(job, signum):
    """Send `signum` to Snakemake and every process it started; wait for Snakemake to end."""
    os.killpg(job.pid, signum)
    try:
        job.wait(timeout=120)
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
            job.wait()


def wait_until(condition, job, workdir, timeout=300):
    deadline = time.monotonic() + timeout
    while not condition():
        if job.poll() is not None:
            output = (workdir / "snakemake.out").read_text()[-4000:]
            pytest.fail(f"Snakemake ended ({job.returncode}) before the wait was over:\n{output}")
        if time.monotonic() > deadline:
            signal_run(job, signal.SIGKILL)
            pytest.fail(f"timed out after {timeout} s")
        time.sleep(0.005)


def resumable_step(model_dir):
    return load_plain(model_dir / "resume.pt")["state"]["step"]


def same_weights(checkpoint_a, checkpoint_b):
    a, b = load_checkpoint(checkpoint_a).payload, load_checkpoint(checkpoint_b).payload
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_killed_training_job_leaves_no_output_and_each_rerun_resumes(finished_tiny_run, tmp_path):
    run = copy_run(finished_tiny_run, tmp_path / "run")
    model_dir = run / "results" / "models" / "unet"
    shutil.rmtree(model_dir)  # this model has not been trained yet
    target = "results/models/unet/model.pt"
    resume = model_dir / "resume.pt"
    log_path = run / "results" / "logs" / "train" / "unet.log"
    steps, every = (TINY_CONFIG["training"][key] for key in ("steps", "val_every"))

    # SIGTERM to Snakemake and the job once the first validation is saved.
    job = start_snakemake(run, "--cores", "1", target)
    wait_until(resume.exists, job, run)
    signal_run(job, signal.SIGTERM)
    assert job.returncode != 0
    assert sorted(p.name for p in model_dir.iterdir()) == ["resume.pt"]  # no temporary file either
    first_stop = resumable_step(model_dir)
    assert every <= first_stop < steps
    assert "SIGTERM" in log_path.read_text()

    # The same command again resumes; kill it with SIGKILL (no clean-up at all) once it has
    # saved another validation.
    stamp = resume.stat().st_mtime_ns
    job = start_snakemake(run, "--cores", "1", target)
    wait_until(lambda: resume.stat().st_mtime_ns != stamp, job, run)
    signal_run(job, signal.SIGKILL)
    assert f"resuming after step {first_stop}" in log_path.read_text()
    assert not (model_dir / "model.pt").exists() and not (model_dir / "history.csv").exists()
    second_stop = resumable_step(model_dir)
    assert first_stop < second_stop < steps

    # A hard kill leaves Snakemake's lock: unlock, and the same command finishes the job.
    run_snakemake(run, "--unlock")
    run_snakemake(run, "--cores", "1", target)
    assert f"resuming after step {second_stop}" in log_path.read_text()
    assert sorted(p.name for p in model_dir.iterdir()) == ["history.csv", "model.pt"]
    history = pd.read_csv(model_dir / "history.csv")
    assert list(history["step"]) == list(range(every, steps + 1, every))
    # Twice interrupted, it ends exactly where the uninterrupted run did.
    reference = finished_tiny_run / "results" / "models" / "unet"
    assert (
        history["val_loss"].tolist() == pd.read_csv(reference / "history.csv")["val_loss"].tolist()
    )
    assert same_weights(model_dir / "model.pt", reference / "model.pt")
    check = run_snakemake(run, "--dry-run", target)
    assert "Nothing to be done" in check.stdout + check.stderr


def log_span(log_path):
    """(first, last) time stamp of a job's log."""
    stamps = [
        datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
        for line in log_path.read_text().splitlines()
        if line[:4].isdigit()
    ]
    return stamps[0], stamps[-1]


def scores(summary_path):
    """summary.json without its timings."""
    summary = json.loads(summary_path.read_text())
    return {key: value for key, value in summary.items() if "seconds" not in key}


def test_two_training_jobs_at_once_and_a_second_run_give_the_same_results(
    finished_tiny_run, tmp_path
):
    run = tmp_path / "second_run"
    write_config(run, TINY_CONFIG)
    # The networks' patches first ...
    sizes = sorted({TINY_CONFIG["models"][m]["patch_size"] for m in NETWORKS})
    run_snakemake(run, "--cores", "2", *(f"results/patches/{size}px.h5" for size in sizes))
    # ... so both training jobs are ready together, and --cores 2 fits both (one thread each).
    run_snakemake(run, "--cores", "2", *(f"results/models/{m}/model.pt" for m in NETWORKS))
    spans = [log_span(run / "results" / "logs" / "train" / f"{m}.log") for m in NETWORKS]
    assert max(start for start, _ in spans) < min(end for _, end in spans), "ran one after another"
    # Their scores. The seeded models are the ones that could differ (the threshold baseline is
    # a deterministic fit), and the report adds nothing to compare.
    run_snakemake(run, "--cores", "2", *(f"results/eval/{m}/summary.json" for m in NETWORKS))

    results, reference = run / "results", finished_tiny_run / "results"
    for model in NETWORKS:
        model_dir = results / "models" / model
        assert sorted(p.name for p in model_dir.iterdir()) == ["history.csv", "model.pt"]
        header = load_checkpoint(model_dir / "model.pt").header
        arch = TINY_CONFIG["models"][model]["arch"]
        assert (header.model_name, header.arch) == (model, arch)
        assert len(pd.read_csv(model_dir / "history.csv")) == header.validations
        assert same_weights(model_dir / "model.pt", reference / "models" / model / "model.pt")
        for table in ("metrics.csv", "confusion.csv"):
            ours, theirs = results / "eval" / model / table, reference / "eval" / model / table
            assert ours.read_bytes() == theirs.read_bytes(), f"{model} {table}"
        ours, theirs = (path / "eval" / model / "summary.json" for path in (results, reference))
        assert json.dumps(scores(ours)) == json.dumps(scores(theirs)), f"{model} summary.json"
