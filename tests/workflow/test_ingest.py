"""The ingest rule as users run it on their own files: outputs, reruns, clean failure."""

import os

import h5py
import tifffile

from helpers.ingest_data import (
    CLASS_NAMES,
    GREY_VALUES,
    SPLIT,
    grey_labels,
    phantom,
    write_real_layout,
)
from helpers.workflow import TINY_CONFIG, run_snakemake, write_config

OUTPUTS = ["classes.png", "histograms.csv", "summary.csv", "volume.h5"]


def files_config(**data):
    settings = {
        "source": "files",
        "raw": "data/raw",
        "labels": "data/labels/slice__*.tif",
        "label_values": GREY_VALUES,
        "class_names": CLASS_NAMES,
        **data,
    }
    # The phantom's 14x17 slices are smaller than the tiny networks' patches: threshold only.
    models = {"threshold": {"arch": "threshold"}}
    return {**TINY_CONFIG, "data": settings, "split": SPLIT, "models": models}


def make_newer(path, than):
    later = os.stat(than).st_mtime + 10
    os.utime(path, (later, later))


def ingest_files(workdir):
    return sorted(p.name for p in (workdir / "results" / "ingest").glob("*"))


def test_empty_glob_stops_before_any_job(tmp_path):
    write_config(tmp_path, files_config(raw="data/raw/SOCprist*.tiff"))
    result = run_snakemake(tmp_path, "--cores", "1", check=False)
    assert result.returncode != 0
    assert "config error: data.raw: no files match 'data/raw/SOCprist*.tiff'" in result.stderr
    assert not (tmp_path / "results").exists()


def test_ingest_rule_writes_its_outputs_and_reruns_when_a_slice_changes(tmp_path):
    raw, classes = phantom()
    write_real_layout(tmp_path / "data", raw, grey_labels(classes))
    write_config(tmp_path, files_config())
    run_snakemake(tmp_path, "--cores", "1", "results/ingest/volume.h5")
    assert ingest_files(tmp_path) == OUTPUTS

    unchanged = run_snakemake(tmp_path, "--cores", "1", "-n", "results/ingest/volume.h5")
    assert "Nothing to be done" in unchanged.stdout + unchanged.stderr

    # A corrected label slice must rerun ingest: the rule lists every file it reads. (Snakemake
    # skips a newer file whose checksum is unchanged, so the content changes too.)
    label = tmp_path / "data" / "labels" / "slice__004.tif"
    tifffile.imwrite(label, grey_labels(classes[3])[::-1])
    make_newer(label, tmp_path / "results" / "ingest" / "volume.h5")
    changed = run_snakemake(tmp_path, "--cores", "1", "-n", "results/ingest/volume.h5")
    assert "Updated input files: data/labels/slice__004.tif" in changed.stdout


def test_bad_label_values_fail_the_rule_and_leave_no_output(tmp_path):
    raw, classes = phantom()
    labels = grey_labels(classes)
    labels[7, 0, 0] = 99
    write_real_layout(tmp_path / "data", raw, labels)
    write_config(tmp_path, files_config())
    result = run_snakemake(tmp_path, "--cores", "1", "results/ingest/volume.h5", check=False)
    assert result.returncode != 0
    log = (tmp_path / "results" / "logs" / "ingest.log").read_text()
    assert "value 99: 1 pixels in slice__008.tif" in log
    assert ingest_files(tmp_path) == []


def test_hdf5_specs_ingest_and_a_newer_h5_file_reruns_ingest(tmp_path):
    raw, classes = phantom()
    with h5py.File(tmp_path / "scan.h5", "w") as f:
        f["exchange/data"] = raw
        f["labels"] = grey_labels(classes)
    write_config(tmp_path, files_config(raw="scan.h5:/exchange/data", labels="scan.h5:/labels"))
    run_snakemake(tmp_path, "--cores", "1", "results/ingest/volume.h5")
    assert ingest_files(tmp_path) == OUTPUTS
    with h5py.File(tmp_path / "scan.h5", "a") as f:
        f["labels"][0, 0, 0] = 0 if f["labels"][0, 0, 0] else 128
    make_newer(tmp_path / "scan.h5", tmp_path / "results" / "ingest" / "volume.h5")
    changed = run_snakemake(tmp_path, "--cores", "1", "-n", "results/ingest/volume.h5")
    assert "Updated input files: scan.h5" in changed.stdout
