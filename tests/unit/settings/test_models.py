"""One model's settings, and the patch files its architecture trains on."""

import pytest

from xrayseg.settings.models import (
    cube_shapes,
    model_settings,
    patch_count_tables,
    patch_file,
    patch_files,
    patch_models,
    patch_sizes,
)

CONFIG = {
    "training": {"epochs": 30, "lr": 0.001, "batch_size": 32},
    "models": {
        "threshold": {"arch": "threshold"},
        "unet": {"arch": "unet", "patch_size": 64, "lr": 0.01},
        "unet25d": {"arch": "unet", "patch_size": 64, "context": 1},
        "dnn": {"arch": "dnn", "patch_size": 32, "epochs": 150},
    },
}


def test_volumetric_models_train_on_3d_patch_files_of_their_own():
    config = {
        "models": {
            **CONFIG["models"],
            "cube": {"arch": "unet3d", "patch_size": 32},
            "slab": {"arch": "unet3d", "patch_size": 32, "patch_depth": 16},
            "slab2": {"arch": "unet3d", "patch_size": 32, "patch_depth": 16, "width": 4},
        }
    }
    assert patch_file(model_settings(config, "cube")) == "results/patches/32x32x32px.h5"
    assert patch_file(model_settings(config, "slab")) == "results/patches/16x32x32px.h5"
    assert patch_file(model_settings(config, "unet")) == "results/patches/64px.h5"
    assert cube_shapes(config) == [(16, 32), (32, 32)]
    # The report's patch table lists the 2-D patch files only.
    assert patch_count_tables(config) == ["results/patches/32px.csv", "results/patches/64px.csv"]
    # Orientations are for 2-D networks: a 3-D model trains on its one cube file.
    assert patch_files({**config, "training": {"orientations": ["z", "y"]}}, "slab") == [
        "results/patches/16x32x32px.h5"
    ]
    # 2-D patch sizes leave the 3-D models out.
    assert patch_sizes(config) == [32, 64]


def test_a_models_entry_overrides_the_shared_training_settings():
    assert model_settings(CONFIG, "unet") == {
        "epochs": 30,
        "lr": 0.01,
        "batch_size": 32,
        "arch": "unet",
        "patch_size": 64,
    }
    assert model_settings(CONFIG, "dnn")["epochs"] == 150
    assert model_settings(CONFIG, "threshold") == {**CONFIG["training"], "arch": "threshold"}


def test_an_unknown_model_is_an_error_naming_the_key():
    with pytest.raises(ValueError, match="models.resnet: not a configured model"):
        model_settings(CONFIG, "resnet")


def test_patch_models_and_their_sizes():
    assert patch_models(CONFIG) == ["unet", "unet25d", "dnn"]
    assert patch_sizes(CONFIG) == [32, 64]
    assert patch_sizes({"models": {"t": {"arch": "threshold"}}}) == []


def test_each_orientation_a_model_trains_on_is_one_patch_file():
    config = {
        "training": {"orientations": ["z"]},
        "models": {
            **CONFIG["models"],
            "across": {"arch": "unet", "patch_size": 64, "orientations": ["z", "y", "x"]},
            "forest": {"arch": "rf"},
        },
    }
    assert patch_files(config, "unet") == ["results/patches/64px.h5"]
    assert patch_files(config, "across") == [
        "results/patches/64px.h5",
        "results/patches/64px_y.h5",
        "results/patches/64px_x.h5",
    ]
    assert patch_files(config, "forest") == []
    assert patch_count_tables(config) == [
        "results/patches/32px.csv",
        "results/patches/64px.csv",
        "results/patches/64px_x.csv",
        "results/patches/64px_y.csv",
    ]
