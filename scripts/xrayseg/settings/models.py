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


def patch_file(settings, ending="h5"):
    """The patch file a patch model's settings train on from the slices (z); a volumetric
    model's 3-D patches."""
    side = int(settings["patch_size"])
    if settings["arch"] in VOLUME_ARCHS:
        return f"results/patches/{patch_depth(settings)}x{side}x{side}px.{ending}"
    return f"results/patches/{side}px.{ending}"


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


def patch_file_stem(size, orientation):
    """results/patches/ name of one patch file without its ending: 64px (z), 64px_y, 64px_x."""
    return f"{int(size)}px" if orientation == "z" else f"{int(size)}px_{orientation}"


def patch_files(config, name, ending="h5"):
    """The results/patches/ files model `name` trains on, one per orientation, in the order of
    its training.orientations (empty for a pixel model; a volumetric model's one 3-D file)."""
    settings = model_settings(config, name)
    if settings["arch"] not in PATCH_ARCHS:
        return []
    if settings["arch"] in VOLUME_ARCHS:
        return [patch_file(settings, ending)]
    return [
        f"results/patches/{patch_file_stem(settings['patch_size'], orientation)}.{ending}"
        for orientation in patch_orientations(settings)
    ]


def patch_count_tables(config):
    """Every 2-D patch counts table (results/patches/*.csv) the configured models need, each
    once: the report's patch table and figure. A 3-D model's cube counts stay in their own CSV
    (their size is depth x side x side, not one number)."""
    tables = [
        table
        for name in patch_models(config)
        if model_settings(config, name)["arch"] not in VOLUME_ARCHS
        for table in patch_files(config, name, "csv")
    ]
    return sorted(set(tables))
