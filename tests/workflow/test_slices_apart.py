"""Labelled slices 50 apart, named by their number: the default 2.5-D model trains 2-D and the
report says so; a setting the user's own config asks for stops the run (settings.adapt)."""

import copy
import json

import pytest
import yaml

from helpers.ingest_data import GREY_VALUES, grey_labels, phantom, write_folder
from helpers.workflow import TINY_CONFIG, run_snakemake, write_config
from xrayseg.models.checkpoint import load_checkpoint

pytestmark = pytest.mark.workflow

NUMBERS = [0, 50, 100, 150, 200, 250]


def apart_config(root):
    """The workdir's default config (config/config.yaml): 6 slices of 32 x 32 50 apart, split
    4 / 1 / 1, a threshold and a 2.5-D UNet trained on planes across the slices too."""
    raw, classes = phantom(len(NUMBERS), (32, 32))
    write_folder(root / "data/raw", raw, [f"scan{n:04d}.tif" for n in NUMBERS])
    write_folder(root / "data/labels", grey_labels(classes), [f"lab{n:04d}.tif" for n in NUMBERS])
    config = copy.deepcopy(TINY_CONFIG)
    config["data"].update(
        source="files", raw="data/raw", labels="data/labels", label_values=GREY_VALUES
    )
    config["split"] = {
        "val_fraction": 0.17,
        "test_fraction": 0.17,
        "guard_slices": 0,
        "min_labelled_slices": 1,
    }
    config["models"] = {
        "threshold": {"arch": "threshold"},
        "unet25d": {
            "arch": "unet",
            "patch_size": 16,
            "width": 4,
            "depth": 2,
            "steps": 8,
            "context": 1,
            "orientations": ["z", "y", "x"],
        },
    }
    config["evaluate"] = {"batch_size": 8, "bootstrap_resamples": 50}
    return config


@pytest.fixture(scope="module")
def apart_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("slices_apart")
    write_config(workdir, apart_config(workdir))
    result = run_snakemake(workdir, "--cores", "2", "results/report.html")
    return workdir, result


def test_the_default_25d_model_trains_2d_and_the_run_says_so(apart_run):
    workdir, result = apart_run
    assert "the slices are 50 scan slices apart" in result.stderr
    assert "models.unet25d.context: 1 -> 0" in result.stderr
    header = load_checkpoint(workdir / "results/models/unet25d/model.pt").header
    assert header.context == 0 and header.in_channels == 1
    assert header.config["orientations"] == ["z"]
    # No patches cut across the slices.
    assert sorted(p.name for p in (workdir / "results/patches").glob("*.h5")) == ["16px.h5"]
    # Nor 3-D transport quantities measured over them.
    assert "transport.quantities: [tortuosity, active_tpb, sizes] -> []" in result.stderr
    assert not (workdir / "results/transport").exists()


def test_the_report_names_each_adapted_setting(apart_run):
    workdir, _ = apart_run
    report = (workdir / "results/report.html").read_text()
    assert "Settings adapted to the data, since the slices are 50 scan slices apart" in report
    assert "models.unet25d.context 1 → 0" in report
    assert "models.unet25d.orientations [z, y, x] → [z]" in report


def test_the_microstructure_is_measured_on_sections(apart_run):
    workdir, _ = apart_run
    summary = json.loads((workdir / "results/eval/unet25d/summary.json").read_text())
    assert summary["microstructure"]["measure"] == "sections"


def test_a_setting_the_users_config_asks_for_stops_the_run(apart_run, tmp_path):
    workdir, _ = apart_run
    own = tmp_path / "my_data.yaml"
    own.write_text(yaml.safe_dump({"evaluate": {"axes": ["z", "y", "x"]}}))
    result = run_snakemake(workdir, "-n", "--configfile", str(own), check=False)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("config error: evaluate.axes: [z, y, x]: predicting planes across")
    assert "the slices are 50 scan slices apart" in last
