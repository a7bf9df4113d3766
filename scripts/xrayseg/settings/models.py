"""One model's settings: the config's shared `training` section overridden by its own entry.

Standard library only (rules/common.smk imports it at start-up).
"""

# Architectures trained as torch networks on patches: the "torch" kind of xrayseg.models.REGISTRY
# (tests/unit/settings/test_models.py keeps the two equal; the registry imports torch, so
# rules/common.smk cannot ask it).
PATCH_ARCHS = ("dnn", "unet")


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


def patch_sizes(config):
    """The patch sizes (px) the patch models train on, sorted, each once."""
    return sorted(
        {int(model_settings(config, name)["patch_size"]) for name in patch_models(config)}
    )


def patch_orientations(settings):
    """The orientations a patch model trains on (training.orientations; default z alone)."""
    return list(settings.get("orientations") or ["z"])


def patch_file_stem(size, orientation):
    """results/patches/ name of one patch file without its ending: 64px (z), 64px_y, 64px_x."""
    return f"{int(size)}px" if orientation == "z" else f"{int(size)}px_{orientation}"


def patch_files(config, name, ending="h5"):
    """The results/patches/ files model `name` trains on, one per orientation, in the order of
    its training.orientations (empty for a pixel model)."""
    settings = model_settings(config, name)
    if settings["arch"] not in PATCH_ARCHS:
        return []
    return [
        f"results/patches/{patch_file_stem(settings['patch_size'], orientation)}.{ending}"
        for orientation in patch_orientations(settings)
    ]


def patch_count_tables(config):
    """Every patch counts table (results/patches/*.csv) the configured models need, each once."""
    tables = [table for name in patch_models(config) for table in patch_files(config, name, "csv")]
    return sorted(set(tables))
