# Config validation, input functions and wildcard constraints shared by every rule file.

import ast
import os
import shlex
import sys
from pathlib import Path

from snakemake import __version__ as SNAKEMAKE_VERSION
from snakemake.utils import validate

SCRIPTS = Path(workflow.basedir) / "scripts"
SCHEMA = Path(workflow.basedir) / "config" / "schema.yaml"
# The config checks are light (standard library, jsonschema, yaml): they run at every start-up
# with the same code the stages use.
sys.path.insert(0, str(SCRIPTS))
from xrayseg.settings.checks import (
    microstructure_problems,
    model_problems,
    roles_that_fit,
    schema_problems,
    split_problems,
    stack_geometry,
)
from xrayseg.settings.predict import BEST, predict_problems, set_model
from xrayseg.settings.specs import data_problems, spec_files

SYNTHETIC_DIR = "resources/synthetic"
SPLITS = ("train", "val", "test")
# Architectures trained as torch networks on patches; keep in step with xrayseg.models.REGISTRY
# (tests/test_config.py checks it).
PATCH_ARCHS = ("dnn", "unet")


def stop_on(problems):
    """Stop before any job, one line per problem naming the config key and what it expects."""
    if problems:
        raise ValueError("\n".join(f"config error: {key}: {what}" for key, what in problems))


def check_config():
    stop_on(schema_problems(config, SCHEMA))
    roles_given = "roles" in config.get("microstructure", {})
    validate(config, SCHEMA)  # fills in the schema's defaults
    stop_on(data_problems(config["data"]))
    class_names = config["data"]["class_names"]
    if not roles_given:
        roles = roles_that_fit(config["microstructure"]["roles"], class_names)
        config["microstructure"]["roles"] = roles
    stop_on(microstructure_problems(config["microstructure"], class_names))
    n_slices, slice_shape = stack_geometry(config["data"], config["synthetic"])
    models = {name: model_settings(name) for name in config["models"]}
    stop_on(split_problems(config["split"], n_slices) + model_problems(models, slice_shape))


def model_settings(name):
    """A model's settings: the shared training defaults overridden by its own entry."""
    return {**config["training"], **config["models"][name]}


check_config()


def check_predict_config():
    """The prediction sets, before any job (after the schema filled defaults)."""
    stop_on(predict_problems(config["predict"], config["models"]))


check_predict_config()


def patch_models():
    return [m for m in config["models"] if model_settings(m)["arch"] in PATCH_ARCHS]


def patch_sizes():
    return sorted({int(model_settings(m)["patch_size"]) for m in patch_models()})


wildcard_constraints:
    model="|".join(config["models"]),
    size="|".join(str(s) for s in patch_sizes()) or "0",


def data_specs():
    """{"raw": spec, "labels": spec} that ingest reads: folder, glob, TIFF stack or file.h5:/path."""
    if config["data"]["source"] == "synthetic":
        return {"raw": f"{SYNTHETIC_DIR}/raw", "labels": f"{SYNTHETIC_DIR}/labels"}
    return {"raw": config["data"]["raw"], "labels": config["data"]["labels"]}


def ingest_settings():
    """The data settings ingest uses besides the specs (a change reruns ingest)."""
    keys = ("label_values", "class_names", "mask", "slices", "normalise_percentiles")
    return {key: config["data"].get(key) for key in keys}


def ingest_inputs(wildcards):
    """The synthetic folder, or every file the raw and labels specs read (the .h5 file of an
    HDF5 spec), so a changed or added slice file reruns ingest."""
    if config["data"]["source"] == "synthetic":
        return {"data": SYNTHETIC_DIR}
    return {side: [str(p) for p in spec_files(spec)] for side, spec in data_specs().items()}


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


def evaluate_optional_outputs():
    """Outputs of evaluate that the config switches on: the test class probabilities."""
    if config["evaluate"]["save_probabilities"]:
        return {"probabilities": "results/eval/{model}/test_probabilities.h5"}
    return {}


# The `evaluate` settings that decide how slices are predicted (xrayseg.inference.predictor.InferenceSettings;
# tests/test_predict_rules.py keeps the two in step): only these rerun a prediction when changed.
INFERENCE_KEYS = (
    "overlap",
    "batch_size",
    "window",
    "flip_tta",
    "precision",
    "channels_last",
    "sigma_scale",
)
# A wildcard pattern that matches no name (constrains a rule that no configured set uses).
MATCHES_NOTHING = "(?!x)x"


def predict_sets(probabilities):
    """Configured prediction sets that do (True) or do not (False) ask for probabilities."""
    return [
        name
        for name, settings in config["predict"].items()
        if bool(settings.get("save_probabilities", False)) == probabilities
    ]


def predict_set_pattern(probabilities):
    return "|".join(predict_sets(probabilities)) or MATCHES_NOTHING


def predict_model_pattern():
    return "|".join([BEST, *config["models"]])


def predict_outputs(probabilities):
    """Outputs of one prediction job; probabilities.h5 only for the sets that ask for it."""
    folder = "results/predict/{model}/{set}"
    outputs = {
        "slices": directory(f"{folder}/slices"),
        "stack": f"{folder}/segmentation.tif",
        "fractions": f"{folder}/fractions.csv",
        "volume": f"{folder}/volume.csv",
        "shift": f"{folder}/shift.csv",
        "summary": f"{folder}/summary.json",
    }
    if probabilities:
        outputs["probabilities"] = f"{folder}/probabilities.h5"
    return outputs


def predict_inputs(wildcards):
    """The model's checkpoint (every model's checkpoint and evaluation summary for `best`), the
    ingested training volume and split (the grey-value reference) and every file of the raw spec."""
    best = wildcards.model == BEST
    models = list(config["models"]) if best else [wildcards.model]
    inputs = {
        "checkpoints": [f"results/models/{model}/model.pt" for model in models],
        "volume": "results/ingest/volume.h5",
        "split": "results/split/split.csv",
        "raw": [str(p) for p in spec_files(config["predict"][wildcards.set]["raw"])],
    }
    if best:
        inputs["summaries"] = [f"results/eval/{model}/summary.json" for model in models]
    return inputs


def predict_set_settings(wildcards):
    """The set's settings that change its segmentation (not its default model or outputs)."""
    settings = config["predict"][wildcards.set]
    return {key: settings[key] for key in ("raw", "shift_tolerance") if key in settings}


def predict_inference_settings():
    return {key: config["evaluate"][key] for key in INFERENCE_KEYS}


def predict_targets():
    """Targets of `all`, one per configured set, segmented by its `model` (default best)."""
    return [
        f"results/predict/{set_model(settings)}/{name}/volume.csv"
        for name, settings in config["predict"].items()
    ]


# The report shows the command that ran the pipeline. Only this main Snakemake process sees it
# (jobs run as separate processes), and passing it as a param would rerun the report whenever
# the command differs (even a dry run's). So it travels in the environment, which jobs inherit;
# a job process on a cluster node that re-reads the workflow keeps the value it inherited.
if "--target-jobs" not in sys.argv:
    os.environ.setdefault("XRAYSEG_SNAKEMAKE_COMMAND", shlex.join(["snakemake", *sys.argv[1:]]))
os.environ.setdefault("XRAYSEG_SNAKEMAKE_VERSION", SNAKEMAKE_VERSION)


def evaluate_microstructure_pattern():
    """The evaluate rule's microstructure.csv output pattern, or None while it has none.

    Called from rules/report.smk, after rules/evaluate.smk has defined the rule.
    """
    return getattr(rules.evaluate.output, "microstructure", None)


def report_optional_inputs():
    """Each model's microstructure errors, when the evaluation writes them."""
    pattern = evaluate_microstructure_pattern()
    if pattern:
        return {"microstructure": expand(pattern, model=config["models"])}
    return {}


def report_optional_outputs():
    if evaluate_microstructure_pattern():
        return {
            "figure_microstructure": report(
                "results/report/microstructure.png",
                caption="../report/comparison_microstructure.rst",
                category="Comparison",
                labels={"result": "microstructure errors"},
            )
        }
    return {}
