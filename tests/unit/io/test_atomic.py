"""A crash half way through writing never leaves a file under its final name.

Each writer is made to fail after it has written part of its output (the partial temporary file
is checked to be on disk at that moment); the final name must then be absent, an older complete
version must survive, and no temporary file may be left behind.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import tifffile
import torch

import xrayseg.data.synthetic
import xrayseg.io.probabilities
import xrayseg.models.checkpoint
from helpers.checkpoints import checkpoint_of
from helpers.evaluation import evaluate_settings, evaluation_outputs
from helpers.ingest_data import (
    CLASS_NAMES,
    GREY_VALUES,
    SPLIT,
    grey_labels,
    phantom,
    write_real_layout,
)
from xrayseg.data.ingest import ingest_volume
from xrayseg.data.summary import SliceStatistics
from xrayseg.data.synthetic import write_synthetic_dataset
from xrayseg.evaluation.evaluate import evaluate_model
from xrayseg.io.atomic import atomic_output
from xrayseg.models.checkpoint import load_plain, save_checkpoint, save_plain
from xrayseg.patches.build import build_patches
from xrayseg.patches.store import PatchWriter


class Crash(RuntimeError):
    """What the sabotaged writers raise."""


def temp_files(folder):
    """atomic_output's temporary names (.<name>.tmp-<pid>) anywhere under `folder`."""
    return sorted(p.name for p in folder.rglob(".*.tmp-*"))


def crash_on_call(original, number, folder):
    """`original`, except that call `number` raises Crash, once a partial temporary file exists
    in `folder` (so the crash is proved to happen half way through a write)."""
    calls = {"n": 0}

    def sabotaged(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == number:
            assert temp_files(folder), "the crash should come while a temporary file is open"
            raise Crash(f"simulated crash in call {number}")
        return original(*args, **kwargs)

    return sabotaged


def dead_pid():
    """The id of a process that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_killed_writers_leftover_is_removed_but_live_and_foreign_ones_stay(tmp_path):
    host = socket.gethostname()
    final = tmp_path / "resume.pt"
    killed = tmp_path / f".resume.pt.tmp-{host}-{dead_pid()}"
    live = tmp_path / f".resume.pt.tmp-{host}-{os.getppid()}"
    other_host = tmp_path / f".resume.pt.tmp-{host}x-{dead_pid()}"
    other_file = tmp_path / f".resume.pt.old.tmp-{host}-{dead_pid()}"
    for leftover in (killed, live, other_host, other_file):
        leftover.write_text("partial")
    with atomic_output(final) as tmp:
        tmp.write_text("complete")
    assert final.read_text() == "complete"
    assert not killed.exists()
    assert live.exists() and other_host.exists() and other_file.exists()


def test_a_complete_write_is_renamed_into_place_and_leaves_no_temporary_file(tmp_path):
    final = tmp_path / "sub" / "out.txt"
    with atomic_output(final) as tmp:
        assert tmp.parent == final.parent and str(os.getpid()) in tmp.name
        tmp.write_text("all of it")
        assert not final.exists()
    assert final.read_text() == "all of it"
    assert temp_files(tmp_path) == []


def test_a_failed_write_keeps_the_previous_version_and_leaves_no_temporary_file(tmp_path):
    final = tmp_path / "out.txt"
    with atomic_output(final) as tmp:
        tmp.write_text("old")
    with pytest.raises(Crash), atomic_output(final) as tmp:
        tmp.write_text("half")
        raise Crash()
    assert final.read_text() == "old"
    assert temp_files(tmp_path) == []


def test_a_failed_folder_write_leaves_no_folder(tmp_path):
    final = tmp_path / "out"
    with pytest.raises(Crash), atomic_output(final) as tmp:
        tmp.mkdir()
        (tmp / "part").write_text("half")
        raise Crash()
    assert list(tmp_path.iterdir()) == []


def test_a_crash_while_ingesting_leaves_no_volume_summary_or_figure(tmp_path, monkeypatch):
    raw, classes = phantom()
    raw_dir, labels_dir = write_real_layout(tmp_path / "data", raw, grey_labels(classes))
    out = tmp_path / "out"
    # Slices 0-3 are in the temporary HDF5 file when slice 4's statistics fail.
    add = crash_on_call(SliceStatistics.add, 5, out)
    monkeypatch.setattr(SliceStatistics, "add", lambda self, *args: add(self, *args))
    with pytest.raises(Crash):
        ingest_volume(
            str(raw_dir),
            str(labels_dir),
            GREY_VALUES,
            CLASS_NAMES,
            SPLIT,
            out / "volume.h5",
            [1, 99],
            summary_path=out / "summary.csv",
            figure_path=out / "classes.png",
        )
    assert sorted(p.name for p in out.iterdir()) == []


def write_volume(folder, depth=20, side=32):
    rng = np.random.default_rng(0)
    labels = (rng.random((depth, side, side)) * 3).astype(np.uint8)
    volume = folder / "volume.h5"
    with h5py.File(volume, "w") as f:
        f["raw"] = (labels / 2 + rng.normal(0, 0.05, labels.shape)).astype(np.float32)
        f["labels"] = labels
        f.attrs["class_names"] = json.dumps(CLASS_NAMES)
        f.attrs["label_values"] = json.dumps(GREY_VALUES)
        f.attrs["config_hash"] = "volumehash"
    splits = ["train"] * 10 + ["guard"] * 2 + ["val"] * 3 + ["guard"] * 2 + ["test"] * 3
    split = folder / "split.csv"
    names = [f"s{z}" for z in range(depth)]
    pd.DataFrame({"slice": range(depth), "name": names, "split": splits}).to_csv(split, index=False)
    return volume, split


def test_a_crash_while_cutting_patches_leaves_no_patch_file(tmp_path, monkeypatch):
    volume, split = write_volume(tmp_path)
    out = tmp_path / "patches"
    monkeypatch.setattr(PatchWriter, "append", crash_on_call(PatchWriter.append, 4, out))
    near = {"window": 0, "min_label_agreement": 0.95, "min_raw_correlation": 0.5}
    with pytest.raises(Crash):
        build_patches(volume, split, 8, 0, near, out / "8px.h5", out / "8px.csv")
    assert list(out.iterdir()) == []


def test_a_crash_while_saving_a_checkpoint_keeps_the_last_complete_one(tmp_path, monkeypatch):
    path = tmp_path / "resume.pt"
    save_plain({"epoch": 3, "weights": torch.arange(1000.0)}, path)

    def half_a_save(obj, target):
        with open(target, "wb") as f:
            f.write(b"PK\x03\x04 the first bytes of a zip archive")
        raise Crash("killed while saving")

    monkeypatch.setattr(xrayseg.models.checkpoint.torch, "save", half_a_save)
    with pytest.raises(Crash):
        save_plain({"epoch": 4, "weights": torch.zeros(1000)}, path)
    saved = load_plain(path)
    assert saved["epoch"] == 3 and torch.equal(saved["weights"], torch.arange(1000.0))
    assert temp_files(tmp_path) == []


def test_a_crash_while_writing_the_synthetic_volume_leaves_no_folder(tmp_path, monkeypatch):
    out = tmp_path / "synthetic"
    imwrite = crash_on_call(tifffile.imwrite, 7, tmp_path)
    monkeypatch.setattr(xrayseg.data.synthetic.tifffile, "imwrite", imwrite)
    with pytest.raises(Crash):
        write_synthetic_dataset(
            out,
            (6, 24, 24),
            [0.3, 0.4, 0.3],
            4,
            [22700, 35000, 40900],
            [2400, 1300, 1700],
            2.0,
            0.0,
            GREY_VALUES,
            seed=0,
        )
    assert list(tmp_path.iterdir()) == []


EVALUATE = evaluate_settings(save_probabilities=True)


def threshold_model(folder):
    path = folder / "threshold.pt"
    params = {"thresholds": [0.25, 0.75], "order": [0, 1, 2]}
    checkpoint = checkpoint_of("threshold", params, class_names=CLASS_NAMES)
    save_checkpoint(checkpoint, path)
    return path


def test_a_crash_while_writing_class_probabilities_leaves_no_file(tmp_path, monkeypatch):
    volume, split = write_volume(tmp_path)
    out = tmp_path / "eval"
    outputs = evaluation_outputs(out, probabilities=True)
    writer = xrayseg.io.probabilities.ProbabilityFile
    # The class probabilities are written slice by slice: two test slices are in when it fails.
    monkeypatch.setattr(writer, "write", crash_on_call(writer.write, 3, out))
    with pytest.raises(Crash):
        evaluate_model(threshold_model(tmp_path), volume, split, EVALUATE, outputs, device="cpu")
    assert list(out.iterdir()) == []


def test_a_crash_while_writing_the_scores_leaves_no_table_or_summary(tmp_path, monkeypatch):
    volume, split = write_volume(tmp_path)
    out = tmp_path / "eval"
    outputs = evaluation_outputs(out, probabilities=True)
    to_csv = pd.DataFrame.to_csv

    def half_a_table(frame, path, **kwargs):
        text = to_csv(frame, **kwargs)
        assert Path(path).name.startswith(".metrics.csv.tmp-")
        Path(path).write_text(text[: len(text) // 2])
        raise Crash("killed while writing the table")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_a_table)
    with pytest.raises(Crash):
        evaluate_model(threshold_model(tmp_path), volume, split, EVALUATE, outputs, device="cpu")
    assert list(out.iterdir()) == []
