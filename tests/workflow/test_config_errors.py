"""A bad config stops the run before any job, with one line naming the key and the expectation."""

import copy
import inspect

import pytest

from helpers.workflow import TINY_CONFIG, run_snakemake, write_config
from xrayseg.models import unet, unet3d
from xrayseg.settings.checks import (
    UNET3D_DEFAULT_DEPTH,
    UNET_DEFAULT_DEPTH,
    model_problems,
    schema_problems,
    split_problems,
)
from xrayseg.settings.roles import microstructure_problems, roles_that_fit


def edited(edit):
    config = copy.deepcopy(TINY_CONFIG)
    edit(config)
    return config


BAD_CONFIGS = {
    "misspelt key": (
        lambda c: c.__setitem__("trainig", c.pop("training")),
        "config error: trainig: unknown key; expected one of",
    ),
    "wrong type": (
        lambda c: c["training"].__setitem__("steps", "three"),
        "config error: training.steps: 'three' should be of type integer",
    ),
    "epochs, replaced by steps": (
        lambda c: c["models"]["unet"].__setitem__("epochs", 30),
        "config error: models.unet.epochs: unknown key; expected one of",
    ),
    "batch too small for batch normalisation": (
        lambda c: c["training"].__setitem__("batch_size", 1),
        "config error: training.batch_size: 1 is less than the minimum of 2",
    ),
    "unknown architecture": (
        lambda c: c["models"]["unet"].__setitem__("arch", "resnet"),
        "config error: models.unet.arch: 'resnet' is not one of",
    ),
    "patch larger than the slices": (
        lambda c: c["models"]["dnn"].__setitem__("patch_size", 128),
        "config error: models.dnn.patch_size: 128 is larger than the 64x64 slices",
    ),
    "patch not divisible by the UNet's depth": (
        lambda c: c["models"]["unet"].__setitem__("patch_size", 34),
        "config error: models.unet.patch_size: 34 must be divisible by 2**depth = 4",
    ),
    "split leaves a block empty": (
        lambda c: c["split"].__setitem__("guard_slices", 12),
        "config error: split: 24 slices cannot hold train/val/test blocks",
    ),
    "microstructure role names an unknown class": (
        lambda c: c.__setitem__("microstructure", {"roles": {"pore": "pore", "ni": "nickel"}}),
        "config error: microstructure.roles.ni: 'nickel' is not a class name; "
        "data.class_names: pore, YSZ, Ni",
    ),
    "roles naming classes that were renamed": (
        lambda c: (
            c["data"].__setitem__("class_names", ["void", "ysz", "ni"]),
            c.__setitem__("microstructure", {"roles": {"pore": "pore", "ysz": "YSZ"}}),
        ),
        "config error: microstructure.roles.pore: 'pore' is not a class name",
    ),
    "class count differs from label values": (
        lambda c: c["data"].__setitem__("class_names", ["pore", "solid"]),
        "config error: data.class_names: 2 names for 3 label_values",
    ),
}


@pytest.mark.workflow
@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_bad_config_stops_before_any_job(tmp_path, case):
    edit, expected = BAD_CONFIGS[case]
    write_config(tmp_path, edited(edit))
    # A dry run parses the workflow exactly as a real run does; the checks run at parse time.
    result = run_snakemake(tmp_path, "--cores", "1", "--dry-run", check=False)
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr


@pytest.mark.workflow
def test_a_real_run_with_a_bad_config_creates_nothing(tmp_path):
    edit, expected = BAD_CONFIGS["split leaves a block empty"]
    write_config(tmp_path, edited(edit))
    result = run_snakemake(tmp_path, "--cores", "1", check=False)
    assert result.returncode != 0 and expected in result.stdout + result.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path / "resources").exists()


@pytest.mark.workflow
def test_other_class_names_without_roles_run_without_roles(tmp_path):
    # The default roles (pore, YSZ, Ni) apply only where those classes exist: data with other
    # class names needs no microstructure section.
    config = edited(lambda c: c["data"].__setitem__("class_names", ["void", "matrix", "fibre"]))
    write_config(tmp_path, config)
    run_snakemake(tmp_path, "--cores", "1", "--dry-run")


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


def test_the_tiny_config_has_no_problems(tmp_path):
    from helpers.workflow import REPO

    assert schema_problems(TINY_CONFIG, REPO / "config" / "schema.yaml") == []


def test_model_problems_are_empty_for_fitting_patches():
    models = {"u": {"arch": "unet", "patch_size": 64, "depth": 3}, "t": {"arch": "threshold"}}
    assert model_problems(models, (64, 100)) == []


def test_split_problems_name_the_split_section():
    assert split_problems({"val_fraction": 0.2, "test_fraction": 0.2, "guard_slices": 0}, 10) == []
    [(key, why)] = split_problems({"val_fraction": 0.5, "test_fraction": 0.5, "guard_slices": 1}, 4)
    assert key == "split" and "guard_slices" in why


def test_default_depth_matches_the_unet():
    assert inspect.signature(unet.build).parameters["depth"].default == UNET_DEFAULT_DEPTH
    assert inspect.signature(unet3d.build).parameters["depth"].default == UNET3D_DEFAULT_DEPTH


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
    from helpers.workflow import REPO

    schema = REPO / "config" / "schema.yaml"

    def problems(entry):
        config = edited(lambda c: c["models"].__setitem__("m", entry))
        return [key for key, _ in schema_problems(config, schema)]

    assert problems({"arch": "unet3d", "patch_size": 16, "patch_depth": 8}) == []
    assert problems({"arch": "unet", "patch_size": 16, "patch_depth": 8}) == ["models.m"]
    assert problems({"arch": "unet3d", "patch_size": 16, "context": 1}) == ["models.m"]
    assert problems({"arch": "unet3d"}) == ["models.m.patch_size"]
