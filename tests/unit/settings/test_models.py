"""One model's settings, and the patch architectures against the model registry."""

import pytest

from xrayseg.models import REGISTRY
from xrayseg.settings.models import (
    PATCH_ARCHS,
    model_settings,
    patch_count_tables,
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


def test_patch_archs_are_the_registrys_torch_models():
    torch_archs = {arch for arch, spec in REGISTRY.items() if spec.kind == "torch"}
    assert set(PATCH_ARCHS) == torch_archs


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
