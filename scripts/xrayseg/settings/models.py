"""One model's settings: the config's shared `training` section overridden by its own entry.

Standard library only (rules/common.smk imports it at start-up).
"""

# The architectures trained on patches, and the volumetric ones among them (3-D patches,
# results/patches/{depth}x{side}x{side}px.h5 from xrayseg.patches.cubes; whole blocks predicted):
# views of the catalogue.
from xrayseg.settings.architectures import PATCH_ARCHS, VOLUME_ARCHS


def model_settings(config, name):
    """config["models"][name] on top of config["training"]: every setting model `name` trains
    with (its own entry wins)."""
    if name not in config["models"]:
        raise ValueError(
            f"models.{name}: not a configured model; configured: {list(config['models'])}"
        )
    return {**config.get("training", {}), **config["models"][name]}


def patch_models(config):
    """The configured models trained on patches, in config order."""
    return [
        name for name in config["models"] if model_settings(config, name)["arch"] in PATCH_ARCHS
    ]


def patch_depth(settings):
    """Slices per 3-D patch of a volumetric model's settings: patch_depth, by default
    patch_size (cubes)."""
    return int(settings.get("patch_depth") or settings["patch_size"])


def patch_sizes(config):
    """The 2-D patch sizes (px) the patch models train on, sorted, each once."""
    return sorted(
        {
            int(settings["patch_size"])
            for settings in (model_settings(config, name) for name in patch_models(config))
            if settings["arch"] not in VOLUME_ARCHS
        }
    )


def cube_shapes(config):
    """The (depth, side) shapes of the 3-D patches the volumetric models train on, sorted,
    each once."""
    return sorted(
        {
            (patch_depth(settings), int(settings["patch_size"]))
            for settings in (model_settings(config, name) for name in patch_models(config))
            if settings["arch"] in VOLUME_ARCHS
        }
    )


def patch_orientations(settings):
    """The orientations a patch model trains on (training.orientations; default z alone; a
    volumetric model's 3-D patches have none but z)."""
    if settings["arch"] in VOLUME_ARCHS:
        return ["z"]
    return list(settings.get("orientations") or ["z"])
