"""Expected problems as one line each: which errors count, what their line says, where the
onerror handler finds a failed job's lines."""

import errno
import os

import pytest

from xrayseg.io.errors import (
    InputError,
    disk_problem,
    error_file,
    expected_problem,
    job_name,
    problem_lines,
    summarised,
    written_error_lines,
)


def test_a_short_list_is_shown_whole_and_a_long_one_by_its_first_items_and_count():
    assert summarised(["a", "b"]) == "a, b"
    names = [f"s{z}.tif" for z in range(44)]
    shown = summarised(names, shown=3, where="the job log")
    assert shown == "s0.tif, s1.tif, s2.tif, ... (44 in all; the full list: the job log)"
    assert summarised(names[:3], shown=3) == "s0.tif, s1.tif, s2.tif"


def test_a_full_disk_names_the_folder_of_the_file_that_did_not_fit():
    error = OSError(errno.ENOSPC, "No space left on device", "results/ingest/.volume.h5.tmp-1")
    problem = disk_problem(error)
    assert problem.startswith("no space left on the disk holding results/ingest/: free space")
    quota = disk_problem(OSError(errno.EDQUOT, "Disk quota exceeded", "results/x.csv"))
    assert quota.startswith("the disk quota is used up on the disk holding results/")


def test_an_hdf5_error_is_recognised_by_the_errno_in_its_text():
    # h5py raises RuntimeError (or OSError without a file name) and says the rest in its text.
    error = RuntimeError(
        "Unable to flush raw data (file write failed: filename = 'results/ingest/.v.h5.tmp', "
        "file descriptor = 4, errno = 28, error message = 'No space left on device')"
    )
    assert disk_problem(error).startswith("no space left on the disk holding results/ingest/")


def test_read_only_and_permission_problems_say_read_or_write_by_where_the_file_is(tmp_path):
    read_only = disk_problem(OSError(errno.EROFS, "Read-only file system", "results/split"))
    assert read_only.startswith("cannot write results/split: the file system is read-only")
    refused = disk_problem(PermissionError(errno.EACCES, "Permission denied", "data/raw/a.tif"))
    assert refused.startswith("cannot read data/raw/a.tif: permission denied")
    output = disk_problem(PermissionError(errno.EACCES, "Permission denied", "results/a.csv"))
    assert output.startswith("cannot write results/a.csv: permission denied")


@pytest.mark.parametrize(
    "error",
    [
        FileNotFoundError(errno.ENOENT, "No such file or directory", "results/a"),
        ValueError("No space left on device"),  # the phrase alone, in no OSError
        RuntimeError("boom"),
    ],
)
def test_other_errors_are_no_disk_problem(error):
    assert disk_problem(error) is None
    assert expected_problem(error) is None


def test_an_input_error_and_a_disk_problem_behind_another_error_are_expected():
    assert expected_problem(InputError("data.raw: bad")) == "data.raw: bad"
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise RuntimeError("failed to close the file") from None
    except RuntimeError as error:
        # `from None` hides the cause from a traceback, not from __context__.
        assert expected_problem(error).startswith("no space left on the disk holding results/")


def test_a_jobs_name_and_error_file_follow_its_log_path():
    assert job_name("results/logs/train/unet.log") == "train/unet"
    assert job_name("results/logs/ingest.log") == "ingest"
    assert str(error_file("results/logs/train/unet.log")) == "results/logs/errors/train-unet.txt"
    assert job_name("/elsewhere/job.log") == "job"
    assert problem_lines("ingest", "first\n\n second ") == [
        "error in ingest: first",
        "error in ingest: second",
    ]


def test_only_error_files_written_since_the_run_started_are_read(tmp_path):
    old, first, second = (tmp_path / name for name in ("old.txt", "first.txt", "second.txt"))
    old.write_text("error in old: stale\n")
    first.write_text("error in a: one\n")
    second.write_text("error in b: two\nerror in b: three\n")
    os.utime(old, (1000, 1000))
    os.utime(first, (3000, 3000))
    os.utime(second, (2000, 2000))
    lines = written_error_lines(since=1500, folder=tmp_path)
    assert lines == ["error in b: two", "error in b: three", "error in a: one"]
    assert written_error_lines(since=0, folder=tmp_path / "none") == []
