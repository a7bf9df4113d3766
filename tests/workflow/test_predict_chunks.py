"""A set predicted in chunk jobs whose one job is killed: nothing of it counts as finished, and it
reruns alone.

The scan is a Zarr array of one-slice chunks, and the chunk file of slice 5 is a named pipe: the
chunk job of slices 4-7 reads it and waits there for ever (as a job on a hung node would), while
the others (which read slices 0-4 and 7-11 with the 2.5-D context) finish.
Snakemake is then killed with its jobs (SIGKILL to the process group, as a cluster's node failure
or a wall-time kill does), the pipe replaced by the real chunk file, and the run resumed.
"""

import base64
import copy
import os
import re
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest
import tifffile
import zarr

from helpers.predict_data import read_folder, write_scan
from helpers.workflow import TINY_CONFIG, run_snakemake, snakemake_command, write_config

CHUNK_SLICES = 4
TARGET = "results/predict/unet/scan/volume.csv"
FOLDER = "results/predict/unet/scan"


def job_counts(output):
    table = output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, re.M)}


@pytest.fixture(scope="module")
def workdir(finished_tiny_run, tmp_path_factory):
    """The tiny run with a prediction set of a 12-slice Zarr scan in chunks of 4 slices, and
    the same scan as slice files in one job."""
    workdir = tmp_path_factory.mktemp("killed") / "run"
    shutil.copytree(finished_tiny_run, workdir, symlinks=True)
    write_scan(workdir / "scans" / "b", seed=11, feature_size=6)
    raw = read_folder(workdir / "scans" / "b" / "raw")
    zarr.create_array(str(workdir / "scans" / "scan.zarr"), data=raw, chunks=(1, *raw.shape[1:]))
    config = copy.deepcopy(TINY_CONFIG)
    config["threads"]["predict"] = 1
    config["predict"] = {
        "scan": {"raw": "scans/scan.zarr", "model": "unet", "chunk_slices": CHUNK_SLICES},
        "single": {"raw": "scans/b/raw", "model": "unet"},
    }
    write_config(workdir, config)
    return workdir


def unfinished(workdir):
    """The outputs Snakemake marks as being written (.snakemake/incomplete: base64 names)."""
    folder = workdir / ".snakemake" / "incomplete"
    names = [path.name for path in folder.iterdir()] if folder.is_dir() else []
    return sorted(base64.urlsafe_b64decode(name).decode() for name in names)


def wait_for(condition, seconds=300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_killed_chunk_job_leaves_nothing_finished_and_reruns_alone(workdir):
    chunk_file = workdir / "scans" / "scan.zarr" / "c" / "5" / "0" / "0"
    kept = chunk_file.with_name("kept")
    chunk_file.rename(kept)
    os.mkfifo(chunk_file)
    chunks = workdir / FOLDER / "chunks"
    stuck = "000004-000008"
    command = snakemake_command(workdir, TARGET, "--cores", "3", "--keep-going")
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    try:
        others = [chunks / "000000-000004", chunks / "000008-000012"]
        assert wait_for(lambda: all(path.is_dir() for path in others)), "the other chunks ran"
        assert wait_for(lambda: any(chunks.glob(f".{stuck}.tmp-*"))), "the stuck chunk started"
        # Snakemake has recorded the others as finished: only the stuck job is in progress.
        assert wait_for(lambda: unfinished(workdir) == [f"{FOLDER}/chunks/{stuck}"])
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    chunk_file.unlink()
    kept.rename(chunk_file)

    assert not (chunks / stuck).exists()
    # As after any killed run: unlock, and let Snakemake redo the job it marked incomplete
    # (profiles/slurm sets rerun-incomplete).
    run_snakemake(workdir, "--unlock")
    plan = run_snakemake(workdir, TARGET, "--dry-run", "--rerun-incomplete").stdout
    assert job_counts(plan) == {"predict_chunk": 1, "predict": 1}
    assert f"chunks/{stuck}" in plan

    resumed = run_snakemake(workdir, TARGET, "--cores", "2", "--rerun-incomplete")
    assert job_counts(resumed.stdout + resumed.stderr) == {"predict_chunk": 1, "predict": 1}
    # The leftover of the killed writer is gone, and the set equals one job's prediction.
    assert not (chunks.exists() and list(chunks.iterdir()))
    run_snakemake(workdir, "results/predict/unet/single/volume.csv", "--cores", "2")
    single = workdir / "results/predict/unet/single"
    labels = zarr.open_array(str(workdir / FOLDER / "segmentation.ome.zarr"), path="0", mode="r")
    np.testing.assert_array_equal(labels[:], tifffile.imread(single / "segmentation.tif"))
    volume = (workdir / FOLDER / "volume.csv").read_text()
    assert volume == (single / "volume.csv").read_text()
