"""The checks made when a run starts: the device, and folders that take no write."""

import os
from types import SimpleNamespace

import pytest

from xrayseg.settings import startchecks
from xrayseg.settings.startchecks import device_problem, nearest_folder, unwritable_problems


@pytest.mark.parametrize(("device", "count"), [("auto", 0), ("cpu", 0), ("cuda", 1), ("cuda:1", 2)])
def test_a_device_this_machine_has_is_no_problem(device, count):
    assert device_problem(device, count) is None


def test_cuda_without_a_cuda_device_names_the_key_the_build_and_the_fix():
    problem = device_problem("cuda", 0, "2.13.0+cpu")
    assert problem.startswith("device: 'cuda' asks for a CUDA GPU, but torch (torch 2.13.0+cpu)")
    assert "set device: auto" in problem and "or cpu" in problem


def test_a_cuda_index_past_the_devices_names_those_there_are():
    problem = device_problem("cuda:2", 2)
    assert "torch sees 2 CUDA device(s): cuda:0..cuda:1" in problem


def test_a_new_files_folder_is_its_nearest_existing_ancestor(tmp_path):
    assert nearest_folder(tmp_path / "results" / "ingest" / "volume.h5") == tmp_path
    (tmp_path / "results").mkdir()
    assert nearest_folder(tmp_path / "results" / "a.csv") == tmp_path / "results"


def test_a_writable_folder_with_room_is_no_problem(tmp_path):
    assert unwritable_problems([tmp_path / "a" / "b.h5", tmp_path / "c.csv"]) == []


def fake_statvfs(monkeypatch, flag=0, free_blocks=1 << 20):
    stats = SimpleNamespace(f_flag=flag, f_bavail=free_blocks, f_frsize=4096)
    monkeypatch.setattr(startchecks.os, "statvfs", lambda folder: stats)


def test_a_read_only_file_system_is_one_line_per_folder(tmp_path, monkeypatch):
    fake_statvfs(monkeypatch, flag=os.ST_RDONLY)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    problems = unwritable_problems(["results/ingest/volume.h5", "results/split/split.csv"])
    assert problems == [
        "cannot write results/: the file system is read-only; run from a writable copy of the "
        "project, or make results/ a link to a writable disk"
    ]


def test_a_folder_without_write_permission(tmp_path, monkeypatch):
    fake_statvfs(monkeypatch)
    monkeypatch.setattr(startchecks.os, "access", lambda folder, mode: False)
    monkeypatch.chdir(tmp_path)
    (problem,) = unwritable_problems(["results.csv"])
    assert problem.startswith("cannot write ./: permission denied")


def test_a_disk_with_less_room_than_the_minimum(tmp_path, monkeypatch):
    fake_statvfs(monkeypatch, free_blocks=10)
    (problem,) = unwritable_problems([tmp_path / "results" / "a.h5"])
    assert problem.startswith(f"no space left on the disk holding {tmp_path}/")
