"""The patch files each configured model trains on, named by the layout the rules write."""

from unit.settings.test_models import CONFIG, VOLUMETRIC

from xrayseg.settings.layout import patch_count_tables, patch_files


def test_volumetric_models_train_on_3d_patch_files_of_their_own():
    assert patch_files(VOLUMETRIC, "cube") == ["results/patches/32x32x32px.h5"]
    assert patch_files(VOLUMETRIC, "slab") == ["results/patches/16x32x32px.h5"]
    assert patch_files(VOLUMETRIC, "unet") == ["results/patches/64px.h5"]
    # The report's patch table lists the 2-D patch files only.
    assert patch_count_tables(VOLUMETRIC) == [
        "results/patches/32px.csv",
        "results/patches/64px.csv",
    ]
    # Orientations are for 2-D networks: a 3-D model trains on its one cube file.
    assert patch_files({**VOLUMETRIC, "training": {"orientations": ["z", "y"]}}, "slab") == [
        "results/patches/16x32x32px.h5"
    ]


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
