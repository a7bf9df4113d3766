"""The realistic and sparse-sandstone configs are --configfiles on top of config/config.yaml."""

import copy

import pytest
import yaml
from snakemake.utils import update_config

from helpers.workflow import REPO
from xrayseg.data.sandstone import write_sparse_sandstone
from xrayseg.settings.config import checked_config

SCHEMA = REPO / "config" / "schema.yaml"


def on_top_of_default(name):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    update_config(config, yaml.safe_load((REPO / "config" / name).read_text()))
    return config


@pytest.mark.parametrize("name", ["realistic.yaml", "realistic_small.yaml"])
def test_each_config_is_valid_on_top_of_the_default_one(name):
    assert checked_config(on_top_of_default(name), SCHEMA) == []


def test_sparse4_is_valid_once_its_files_are_written_where_it_reads_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = on_top_of_default("sparse4.yaml")
    assert [key for key, _ in checked_config(copy.deepcopy(config), SCHEMA)] == [
        "data.raw",
        "data.labels",
    ]
    write_sparse_sandstone(tmp_path / "resources" / "sparse4", shape=(64, 64))
    assert checked_config(config, SCHEMA) == []


def test_realistic_configs_change_only_the_synthetic_imaging_and_size():
    default = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert default["synthetic"]["realism"] == "easy"
    small, full = on_top_of_default("realistic_small.yaml"), on_top_of_default("realistic.yaml")
    assert small["synthetic"] == {**default["synthetic"], "realism": "real"}
    assert full["synthetic"] == {**small["synthetic"], "shape": [500, 501, 501]}
    assert {k: v for k, v in full.items() if k != "synthetic"} == {
        k: v for k, v in default.items() if k != "synthetic"
    }
