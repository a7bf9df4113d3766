"""The config checks that stop a run before any job, called directly (tests/workflow/
test_config_errors.py runs them through Snakemake)."""

import copy

from helpers.workflow import REPO, TINY_CONFIG
from xrayseg.settings.checks import model_problems, schema_problems, split_problems
from xrayseg.settings.roles import microstructure_problems, roles_that_fit


def test_microstructure_problems_name_each_bad_role():
    names = ["pore", "YSZ", "Ni"]
    assert microstructure_problems({"roles": {"pore": "pore", "ni": "Ni"}}, names) == []
    assert microstructure_problems({"roles": {}}, names) == []
    problems = microstructure_problems({"roles": {"pore": "Pore", "a": "Ni", "b": "Ni"}}, names)
    assert [key for key, _ in problems] == ["microstructure.roles.pore", "microstructure.roles.b"]
    assert "'Pore' is not a class name" in problems[0][1] and "'a'" in problems[1][1]


def test_default_roles_apply_only_where_their_classes_exist():
    roles = {"pore": "pore", "ysz": "YSZ", "ni": "Ni"}
    assert roles_that_fit(roles, ["pore", "YSZ", "Ni", "GDC"]) == roles
    assert roles_that_fit(roles, ["pore", "solid"]) == {}


def test_the_tiny_config_has_no_problems():
    assert schema_problems(TINY_CONFIG, REPO / "config" / "schema.yaml") == []


def test_model_problems_are_empty_for_fitting_patches():
    models = {"u": {"arch": "unet", "patch_size": 64, "depth": 3}, "t": {"arch": "threshold"}}
    assert model_problems(models, (64, 100)) == []


def test_split_problems_name_the_split_section():
    assert split_problems({"val_fraction": 0.2, "test_fraction": 0.2, "guard_slices": 0}, 10) == []
    [(key, why)] = split_problems({"val_fraction": 0.5, "test_fraction": 0.5, "guard_slices": 1}, 4)
    assert key == "split" and "guard_slices" in why


def test_a_unet_patch_must_be_divisible_by_its_pooling_default_depth_included():
    models = {
        "given": {"arch": "unet", "patch_size": 36, "depth": 3},
        "default": {"arch": "unet", "patch_size": 40},  # the catalogue's depth 4: 16
        "dense": {"arch": "dnn", "patch_size": 36},  # no pooling: any size that fits
    }
    assert model_problems(models, (64, 64)) == [
        ("models.given.patch_size", "36 must be divisible by 2**depth = 8 (depth 3)"),
        ("models.default.patch_size", "40 must be divisible by 2**depth = 16 (depth 4)"),
    ]


def test_a_3d_unets_patch_depth_and_side_must_be_divisible_by_its_pooling():
    models = {
        "fits": {"arch": "unet3d", "patch_size": 32, "patch_depth": 8, "depth": 3},
        "deep": {"arch": "unet3d", "patch_size": 32, "patch_depth": 12, "depth": 3},
        "side": {"arch": "unet3d", "patch_size": 36},
    }
    assert model_problems(models, (64, 64)) == [
        ("models.deep.patch_depth", "12 must be divisible by 2**depth = 8 (depth 3)"),
        ("models.side.patch_size", "36 must be divisible by 2**depth = 8 (depth 3)"),
    ]


def test_the_schema_keeps_3d_settings_on_3d_models():
    schema = REPO / "config" / "schema.yaml"

    def problems(entry):
        config = copy.deepcopy(TINY_CONFIG)
        config["models"]["m"] = entry
        return [key for key, _ in schema_problems(config, schema)]

    assert problems({"arch": "unet3d", "patch_size": 16, "patch_depth": 8}) == []
    assert problems({"arch": "unet", "patch_size": 16, "patch_depth": 8}) == ["models.m"]
    assert problems({"arch": "unet3d", "patch_size": 16, "context": 1}) == ["models.m"]
    assert problems({"arch": "unet3d"}) == ["models.m.patch_size"]
