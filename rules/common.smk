# Config validation, input functions and wildcard constraints shared by every rule file.

import ast
import glob
from pathlib import Path

from snakemake.utils import validate

validate(config, "../config/schema.yaml")

SCRIPTS = Path(workflow.basedir) / "scripts"
SYNTHETIC_DIR = "resources/synthetic"
SPLITS = ("train", "val", "test")
# Architectures trained as torch networks on patches; keep in step with xrayseg.models.REGISTRY
# (tests/test_config.py checks it).
PATCH_ARCHS = ("dnn", "unet")


def config_error(key, expected):
    """Stop before any job with one line naming the config key and what it should be."""
    raise ValueError(f"config error: {key}: {expected}")


def check_config():
    data = config["data"]
    if len(data["label_values"]) != len(data["class_names"]):
        config_error(
            "data.class_names",
            f"{len(data['class_names'])} names for {len(data['label_values'])} label_values; "
            "give one name per label value",
        )
    if data["source"] == "files":
        for key in ("raw", "labels"):
            if not data.get(key):
                config_error(f"data.{key}", "a glob of slice files when data.source is 'files'")
    if not config["models"]:
        config_error("models", "at least one model")


check_config()


def model_settings(name):
    """A model's settings: the shared training defaults overridden by its own entry."""
    return {**config["training"], **config["models"][name]}


def check_model_settings():
    """Catch a UNet patch size its pooling cannot halve before any job runs."""
    for name in config["models"]:
        settings = model_settings(name)
        if settings["arch"] == "unet":
            factor = 2 ** settings.get("depth", 4)
            if settings["patch_size"] % factor:
                config_error(
                    f"models.{name}.patch_size",
                    f"a multiple of {factor} (2**depth) for a unet of depth "
                    f"{settings.get('depth', 4)}, got {settings['patch_size']}",
                )


check_model_settings()


def patch_models():
    return [m for m in config["models"] if model_settings(m)["arch"] in PATCH_ARCHS]


def patch_sizes():
    return sorted({int(model_settings(m)["patch_size"]) for m in patch_models()})


wildcard_constraints:
    model="|".join(config["models"]),
    size="|".join(str(s) for s in patch_sizes()) or "0",


def data_globs():
    """(raw glob, labels glob) that ingest reads."""
    if config["data"]["source"] == "synthetic":
        return f"{SYNTHETIC_DIR}/raw/*.tiff", f"{SYNTHETIC_DIR}/labels/*.tif"
    return config["data"]["raw"], config["data"]["labels"]


def ingest_inputs(wildcards):
    """The synthetic folder, or every raw and label file the config's globs match."""
    if config["data"]["source"] == "synthetic":
        return {"data": SYNTHETIC_DIR}
    raw, labels = data_globs()
    return {"raw": sorted(glob.glob(raw)), "labels": sorted(glob.glob(labels))}


def train_inputs(wildcards):
    inputs = {"volume": "results/ingest/volume.h5", "split": "results/split/split.csv"}
    settings = model_settings(wildcards.model)
    if settings["arch"] in PATCH_ARCHS:
        inputs["patches"] = f"results/patches/{settings['patch_size']}px.h5"
    return inputs


def train_params(wildcards):
    return model_settings(wildcards.model)


def package_modules(script):
    """The xrayseg modules a script imports, transitively, as paths.

    Rules list them as inputs, so editing one stage's code reruns that stage and what follows.
    """
    seen, todo = set(), [Path(script)]
    while todo:
        source = todo.pop()
        for node in ast.walk(ast.parse(source.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if not name.startswith("xrayseg"):
                    continue
                base = SCRIPTS.joinpath(*name.split("."))
                for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                    if candidate.is_file() and candidate not in seen:
                        seen.add(candidate)
                        todo.append(candidate)
    return sorted(str(p) for p in seen)
