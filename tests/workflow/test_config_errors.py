"""A bad config stops the run before any job, with one line naming the key and the expectation."""

import copy

import pytest

from helpers.workflow import TINY_CONFIG, run_snakemake, write_config


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
        "config error: training.steps: 'three' is not allowed: Optimiser steps, or auto",
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


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_bad_config_stops_before_any_job(tmp_path, case):
    edit, expected = BAD_CONFIGS[case]
    write_config(tmp_path, edited(edit))
    # A dry run parses the workflow exactly as a real run does; the checks run at parse time.
    result = run_snakemake(tmp_path, "--cores", "1", "--dry-run", check=False)
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr


def test_a_real_run_with_a_bad_config_creates_nothing(tmp_path):
    edit, expected = BAD_CONFIGS["split leaves a block empty"]
    write_config(tmp_path, edited(edit))
    result = run_snakemake(tmp_path, "--cores", "1", check=False)
    assert result.returncode != 0 and expected in result.stdout + result.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path / "resources").exists()


def test_other_class_names_without_roles_run_without_roles(tmp_path):
    # The default roles (pore, YSZ, Ni) apply only where those classes exist: data with other
    # class names needs no microstructure section.
    config = edited(lambda c: c["data"].__setitem__("class_names", ["void", "matrix", "fibre"]))
    write_config(tmp_path, config)
    run_snakemake(tmp_path, "--cores", "1", "--dry-run")
