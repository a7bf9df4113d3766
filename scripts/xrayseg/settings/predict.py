"""The config's `predict` and `microstructure` sections, checked before any job (stdlib only).

rules/common.smk imports this module at every start-up, so it must stay free of numpy and torch.

predict: {set name: {raw: spec, model: best | a model, save_probabilities: bool,
                     shift_tolerance: number}}
microstructure: {roles: {role: class name}, voxel_size: number, axis: 0 | 1 | 2}
"""

from xrayseg.settings.specs import spec_files

# The model name that stands for "the highest test mean IoU of the last evaluation".
BEST = "best"


def predict_problems(predict, models):
    """(config key, problem) pairs for the `predict` section; empty when it is usable."""
    problems = []
    if BEST in models:
        problems.append(
            (
                f"models.{BEST}",
                f"{BEST!r} is reserved for the best-scoring model in results/predict/{BEST}/; "
                "rename the model",
            )
        )
    for name, settings in (predict or {}).items():
        model = settings.get("model", BEST)
        if model != BEST and model not in models:
            problems.append(
                (
                    f"predict.{name}.model",
                    f"{model!r} is not a configured model; use {BEST!r} or one of {list(models)}",
                )
            )
        raw = settings.get("raw")
        if not raw:
            problems.append((f"predict.{name}.raw", "a folder, glob, TIFF stack or file.h5:/path"))
        elif not spec_files(raw):
            problems.append(
                (
                    f"predict.{name}.raw",
                    f"no files match {raw!r}; check the path (relative to the working directory)",
                )
            )
    return problems


def set_model(settings):
    """The model rule all predicts a set with: its `model`, or the best one."""
    return settings.get("model", BEST)


# A set's settings that change its segmentation; its `model` picks the job and
# save_probabilities its outputs, so neither is a parameter of the job.
SEGMENTATION_KEYS = ("raw", "shift_tolerance")


def segmentation_settings(settings):
    """The settings of one prediction set that change what its job writes."""
    return {key: settings[key] for key in SEGMENTATION_KEYS if key in settings}
