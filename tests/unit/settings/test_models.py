"""One model's settings, and the patch files its architecture trains on."""

import pytest

from xrayseg.settings.models import (
    cube_shapes,
    model_settings,
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


VOLUMETRIC = {
    "models": {
        **CONFIG["models"],
        "cube": {"arch": "unet3d", "patch_size": 32},
        "slab": {"arch": "unet3d", "patch_size": 32, "patch_depth": 16},
        "slab2": {"arch": "unet3d", "patch_size": 32, "patch_depth": 16, "width": 4},
    }
}


def test_volumetric_models_train_on_3d_patches_of_their_own_shape():
    assert cube_shapes(VOLUMETRIC) == [(16, 32), (32, 32)]
    # 2-D patch sizes leave the 3-D models out.
    assert patch_sizes(VOLUMETRIC) == [32, 64]


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
