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
