"""The whole config checked and completed once: defaults, default roles, canonical key order."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate

from helpers.workflow import TINY_CONFIG
from xrayseg.settings.config import checked_config, problem_lines

REPO = Path(__file__).resolve().parents[3]
SCHEMA = REPO / "config" / "schema.yaml"
CONFIGS = {
    "default": yaml.safe_load((REPO / "config" / "config.yaml").read_text()),
    "paper": yaml.safe_load((REPO / "config" / "paper.yaml").read_text()),
    "tiny": TINY_CONFIG,
}


def reversed_keys(value):
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


@pytest.mark.parametrize("name", CONFIGS)
def test_the_defaults_filled_in_are_snakemakes(name):
    ours, snakemakes = copy.deepcopy(CONFIGS[name]), copy.deepcopy(CONFIGS[name])
    assert checked_config(ours, SCHEMA) == []
    validate(snakemakes, str(SCHEMA))
    # Snakemake fills in every default roles too; ours keep only those whose classes exist.
    assert ours["microstructure"].pop("roles") == snakemakes["microstructure"].pop("roles")
    assert ours == snakemakes


@pytest.mark.parametrize("name", CONFIGS)
def test_a_config_with_its_keys_reordered_comes_out_the_same(name):
    written, reordered = copy.deepcopy(CONFIGS[name]), reversed_keys(CONFIGS[name])
    assert repr(written) != repr(reordered)
    assert checked_config(written, SCHEMA) == checked_config(reordered, SCHEMA) == []
    assert repr(written) == repr(reordered)
    assert list(written) == sorted(written)
    assert list(written["split"]) == sorted(written["split"])


def test_default_roles_only_where_their_classes_exist():
    config = copy.deepcopy(TINY_CONFIG)
    assert checked_config(config, SCHEMA) == []
    assert config["microstructure"]["roles"] == {"ni": "Ni", "pore": "pore", "ysz": "YSZ"}
    config = copy.deepcopy(TINY_CONFIG)
    config["data"]["class_names"] = ["void", "matrix", "fibre"]
    assert checked_config(config, SCHEMA) == []
    assert config["microstructure"]["roles"] == {}


def test_roles_that_are_given_are_checked_and_kept():
    config = copy.deepcopy(TINY_CONFIG)
    config["microstructure"] = {"roles": {"pore": "pore", "ni": "Ni"}}
    assert checked_config(config, SCHEMA) == []
    assert config["microstructure"]["roles"] == {"ni": "Ni", "pore": "pore"}
    config["microstructure"]["roles"]["solid"] = "Ni"
    [(key, what)] = checked_config(config, SCHEMA)
    assert key == "microstructure.roles.solid" and "class 'Ni' has two roles" in what


def test_schema_problems_come_first_and_leave_the_config_as_written():
    config = copy.deepcopy(TINY_CONFIG)
    config["split"]["guard_slices"] = 100  # a split problem, checked only after the schema's
    config["training"]["epochs"] = "three"
    written = copy.deepcopy(config)
    assert [key for key, _ in checked_config(config, SCHEMA)] == ["training.epochs"]
    assert config == written


def test_the_last_stage_reports_every_problem_it_finds_at_once():
    config = copy.deepcopy(TINY_CONFIG)
    config["split"]["guard_slices"] = 100
    config["models"]["dnn"]["patch_size"] = 128
    config["predict"] = {"b": {"raw": "nowhere/*.tif"}}
    keys = [key for key, _ in checked_config(config, SCHEMA)]
    assert keys == ["split", "models.dnn.patch_size", "predict.b.raw"]


def test_problem_lines_name_the_key_and_the_expectation():
    problems = [("split", "too few slices"), ("models.u.depth", "at most 3")]
    assert problem_lines(problems) == (
        "config error: split: too few slices\nconfig error: models.u.depth: at most 3"
    )


def test_suggest_and_learning_curve_must_name_configured_models():
    config = copy.deepcopy(TINY_CONFIG)
    assert checked_config(config, SCHEMA) == []
    assert config["suggest"] == {"min_distance": 15, "model": "best"}
    assert config["learning_curve"]["model"] is None
    config = copy.deepcopy(TINY_CONFIG)
    config["suggest"] = {"model": "unet2"}
    config["learning_curve"] = {"model": "rf", "slices": [2, 4]}
    problems = dict(checked_config(config, SCHEMA))
    assert "'unet2' is not a configured model" in problems["suggest.model"]
    assert "'rf' is not a configured model" in problems["learning_curve.model"]
    config = copy.deepcopy(TINY_CONFIG)
    config["learning_curve"] = {"model": "unet", "slices": [2, 2]}
    assert [key for key, _ in checked_config(config, SCHEMA)] == ["learning_curve.slices"]


def test_the_learning_curve_config_runs_on_top_of_the_default_one():
    """config/learning_curve.yaml is a --configfile on top of config/config.yaml."""
    config = copy.deepcopy(CONFIGS["default"])
    extra = yaml.safe_load((REPO / "config" / "learning_curve.yaml").read_text())
    config.update(extra)
    assert checked_config(config, SCHEMA) == []
    assert config["learning_curve"]["model"] in config["models"]
    assert CONFIGS["default"]["learning_curve"]["model"] is None
