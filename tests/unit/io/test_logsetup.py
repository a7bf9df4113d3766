"""A job's failure as Snakemake runs it (a Python process of its own, under log_to): an expected
problem is one line on stderr and in its error file, the traceback in the log only; anything else
keeps its traceback, printed once."""

import os
import subprocess
import sys
from pathlib import Path

from helpers.workflow import REPO

LOG = "results/logs/train/unet.log"
ERRORS = "results/logs/errors/train-unet.txt"


def run_job(workdir, body):
    """Run `body` (Python lines, indented under the log_to block) as a job in `workdir`."""
    script = "\n".join(
        [
            "import errno, logging",
            "from xrayseg.io.errors import InputError",
            "from xrayseg.io.logsetup import log_to",
            f"with log_to({LOG!r}) as log:",
            "    log.info('started')",
            *(f"    {line}" for line in body),
        ]
    )
    (workdir / "results/logs/train").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO / "scripts")}
    return subprocess.run(
        [sys.executable, "-c", script], cwd=workdir, capture_output=True, text=True, env=env
    )


def test_an_input_error_is_one_line_per_problem_and_its_traceback_goes_to_the_log(tmp_path):
    job = run_job(tmp_path, ["raise InputError('data.raw: a problem\\nsplit: another')"])
    assert job.returncode == 1
    expected = ["error in train/unet: data.raw: a problem", "error in train/unet: split: another"]
    assert job.stderr.splitlines()[-2:] == expected
    assert "Traceback" not in job.stderr and "started" in job.stderr
    assert "Traceback" in (tmp_path / LOG).read_text()
    assert (tmp_path / ERRORS).read_text().splitlines() == expected


def test_a_full_disk_is_one_line(tmp_path):
    job = run_job(tmp_path, ["raise OSError(errno.ENOSPC, 'No space left', 'results/a/b.h5')"])
    assert job.returncode == 1
    assert job.stderr.splitlines()[-1].startswith(
        "error in train/unet: no space left on the disk holding results/a/"
    )
    assert "Traceback" not in job.stderr


def test_an_unexpected_error_keeps_its_traceback_printed_once(tmp_path):
    job = run_job(tmp_path, ["raise RuntimeError('a bug')"])
    assert job.returncode == 1
    assert job.stderr.count("Traceback") == 1
    assert job.stderr.splitlines()[-1] == "RuntimeError: a bug"
    assert (tmp_path / ERRORS).read_text() == (
        f"error in train/unet: unexpected RuntimeError: a bug (the traceback is in {LOG})\n"
    )


def test_an_exception_printed_by_a_library_goes_to_the_log_only(tmp_path):
    # What a destructor that fails prints (h5py closing a file on a full disk).
    job = run_job(
        tmp_path,
        [
            "class Leaky:",
            "    def __del__(self):",
            "        raise OSError('cannot flush')",
            "Leaky()",
            "log.info('went on')",
        ],
    )
    assert job.returncode == 0, job.stderr
    assert "cannot flush" not in job.stderr and "went on" in job.stderr
    assert "cannot flush" in (tmp_path / LOG).read_text()


def test_a_job_that_runs_again_removes_its_old_error_file(tmp_path):
    run_job(tmp_path, ["raise InputError('bad')"])
    assert (tmp_path / ERRORS).exists()
    job = run_job(tmp_path, ["pass"])
    assert job.returncode == 0
    assert not Path(tmp_path / ERRORS).exists()
