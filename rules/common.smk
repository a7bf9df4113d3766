# Snakemake's part of the settings: the config checked once (by xrayseg.settings), wildcard
# constraints, input and param functions, and the command environment of the report.

import os
import shlex
import sys
from pathlib import Path

from snakemake import __version__ as SNAKEMAKE_VERSION

SCRIPTS = Path(workflow.basedir) / "scripts"
SCHEMA = Path(workflow.basedir) / "config" / "schema.yaml"
# The settings package is light (standard library, jsonschema, yaml): it runs at every start-up
# with the same code the stages use.
sys.path.insert(0, str(SCRIPTS))
from xrayseg.settings import codedeps
from xrayseg.settings import models as model_config
from xrayseg.settings.canonical import canonical
from xrayseg.settings.config import checked_config, problem_lines
from xrayseg.settings.inference import inference_settings
from xrayseg.settings.labelling import learning_curve_model, learning_curve_points
from xrayseg.settings.models import PATCH_ARCHS, model_settings
from xrayseg.settings.predict import BEST, segmentation_settings, set_model
from xrayseg.settings.report import report_config
from xrayseg.settings.specs import spec_files

SYNTHETIC_DIR = "resources/synthetic"

# Stop before any job, one line per problem naming the config key and what it expects. From here
# on the config has the schema's defaults and its keys in sorted order, so every param taken from
# it is the same whatever order the config file lists its keys in (Snakemake compares params by
# their repr, key order included); the dicts built below have a fixed key order too.
_problems = checked_config(config, SCHEMA)
if _problems:
    raise SystemExit(problem_lines(_problems))


def patch_sizes():
    """The 2-D patch sizes (px) the configured patch models train on."""
    return model_config.patch_sizes(config)


def patch_count_tables():
    """The counts table of every patch file a configured model trains on."""
    return model_config.patch_count_tables(config)


def cube_shapes():
    """The (depth, side) shapes of the 3-D patches the configured volumetric models train on."""
    return model_config.cube_shapes(config)


wildcard_constraints:
    model="|".join(config["models"]),
    size="|".join(str(s) for s in patch_sizes()) or "0",
    cube_depth="|".join(sorted({str(d) for d, _ in cube_shapes()})) or "0",
    cube_side="|".join(sorted({str(s) for _, s in cube_shapes()})) or "0",


def data_specs():
    """{"raw": spec, "labels": spec} that ingest reads: folder, glob, TIFF stack or file.h5:/path."""
    if config["data"]["source"] == "synthetic":
        return {"raw": f"{SYNTHETIC_DIR}/raw", "labels": f"{SYNTHETIC_DIR}/labels"}
    return {"raw": config["data"]["raw"], "labels": config["data"]["labels"]}


def ingest_settings():
    """The data settings ingest uses besides the specs (a change reruns ingest)."""
    keys = (
        "label_values",
        "class_names",
        "mask",
        "slices",
        "normalise_percentiles",
        "sparse_labels",
    )
    return {key: config["data"].get(key) for key in keys}


def split_blocks():
    """The split settings that place the blocks (ingest normalises with the train block, the
    synthetic rule labels part of it); split.min_labelled_slices concerns the split rule alone."""
    keys = ("val_fraction", "test_fraction", "guard_slices")
    return {key: config["split"][key] for key in keys}


def synthetic_label_split():
    """The blocks the synthetic rule labels part of (synthetic.train_label_every above 1), else
    None: a fully labelled volume does not depend on the split, so moving it regenerates
    nothing."""
    if config["synthetic"]["train_label_every"] > 1:
        return split_blocks()
    return None


def ingest_inputs(wildcards):
    """The synthetic folder, or every file the raw and labels specs read (the .h5 file of an
    HDF5 spec), so a changed or added slice file reruns ingest."""
    if config["data"]["source"] == "synthetic":
        return {"data": SYNTHETIC_DIR}
    return {side: [str(p) for p in spec_files(spec)] for side, spec in data_specs().items()}


def train_inputs(wildcards):
    inputs = {"volume": "results/ingest/volume.h5", "split": "results/split/split.csv"}
    files = model_config.patch_files(config, wildcards.model)
    if files:
        # One file per orientation the model trains on (training.orientations).
        inputs["patches"] = files[0] if len(files) == 1 else files
    return inputs


def train_params(wildcards):
    return canonical(model_settings(config, wildcards.model))


def package_modules(script):
    """The package's files a script runs (xrayseg.settings.codedeps), listed among the inputs
    of its rule, so that editing one stage's code reruns that stage and what follows."""
    return codedeps.package_modules(script, SCRIPTS)


def evaluate_optional_outputs():
    """Outputs of evaluate that the config switches on: the test class probabilities."""
    if config["evaluate"]["save_probabilities"]:
        return {"probabilities": "results/eval/{model}/test_probabilities.h5"}
    return {}


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
        "uncertainty": f"{folder}/uncertainty.h5",
    }
    if probabilities:
        outputs["probabilities"] = f"{folder}/probabilities.h5"
    return outputs


def model_inputs(model):
    """The checkpoint and calibration of `model` (of every model, and every evaluation summary
    to choose by, for `best`), and the ingested volume and split."""
    best = model == BEST
    models = list(config["models"]) if best else [model]
    inputs = {
        "checkpoints": [f"results/models/{name}/model.pt" for name in models],
        "calibrations": [f"results/calibration/{name}/calibration.json" for name in models],
        "volume": "results/ingest/volume.h5",
        "split": "results/split/split.csv",
    }
    if best:
        inputs["summaries"] = [f"results/eval/{name}/summary.json" for name in models]
    return inputs


def predict_inputs(wildcards):
    """The model's inputs (model_inputs: the volume and split are the grey-value reference)
    and every file of the raw spec."""
    raw = [str(p) for p in spec_files(config["predict"][wildcards.set]["raw"])]
    return {**model_inputs(wildcards.model), "raw": raw}


def predict_set_settings(wildcards):
    """The set's settings that change its segmentation (not its default model or outputs)."""
    return segmentation_settings(config["predict"][wildcards.set])


def predict_inference_settings():
    """The `evaluate` settings that decide how slices are predicted
    (xrayseg.settings.inference.InferenceSettings): only these rerun a prediction when changed."""
    return inference_settings(config["evaluate"])


def predict_targets():
    """Targets of `all`, one per configured set, segmented by its `model` (default best)."""
    return [
        f"results/predict/{set_model(settings)}/{name}/volume.csv"
        for name, settings in config["predict"].items()
    ]


def suggest_model():
    """The model whose uncertainty ranks the slices to label next (suggest.model)."""
    return config["suggest"]["model"]


def suggest_inputs(wildcards):
    return model_inputs(wildcards.model)


def next_slices_inputs(wildcards):
    """The stack's ranking and every prediction set's uncertainty maps by the same model."""
    sets = {
        f"set_{name}": f"results/predict/{wildcards.model}/{name}/uncertainty.h5"
        for name in config["predict"]
    }
    return {"stack": f"results/suggest/{wildcards.model}/stack.csv", **sets}


def suggest_report_inputs():
    """What the report shows of the suggestions: the stack's ranking (not the prediction sets',
    so that editing them does not rerun the report), its summary and panel."""
    folder = f"results/suggest/{suggest_model()}"
    return {
        "suggest_ranking": f"{folder}/stack.csv",
        "suggest_summary": f"{folder}/summary.json",
        "suggest_panel": f"{folder}/next_slices.png",
    }


def learning_curve_folders():
    """results/learning_curve/{model}/{n} of every configured point; none when it is off."""
    model = learning_curve_model(config)
    if model is None:
        return []
    return [f"results/learning_curve/{model}/{n}" for n in learning_curve_points(config)]


def learning_curve_report_inputs():
    """Each point's subset split and test evaluation, for the report (empty lists when off)."""
    folders = learning_curve_folders()
    return {
        "curve_splits": [f"{folder}/subset_split.csv" for folder in folders],
        "curve_summaries": [f"{folder}/eval/summary.json" for folder in folders],
        "curve_metrics": [f"{folder}/eval/metrics.csv" for folder in folders],
    }


def learning_curve_figure():
    """The report's learning-curve figure; [] when the curve is off. A target of `all`: the
    report exists after a default run, and Snakemake reruns a job for a missing output only when
    that output is asked for, so switching the curve on would otherwise run nothing."""
    if learning_curve_model(config) is None:
        return []
    return ["results/report/learning_curve.png"]


def learning_curve_report_outputs():
    """The report's learning-curve figure, when there is a learning curve."""
    return {
        "figure_learning_curve": report(
            figure,
            caption="../report/learning_curve.rst",
            category="Comparison",
            labels={"result": "learning curve"},
        )
        for figure in learning_curve_figure()
    }


def learning_curve_train_inputs(wildcards):
    """A point's training inputs: a network trains on the patches of its subset and takes a
    2.5-D model's neighbours from the true blocks (split.csv); a pixel model fits on the
    subset's train slices (subset_split.csv)."""
    folder = f"results/learning_curve/{wildcards.model}/{wildcards.n}"
    settings = model_settings(config, wildcards.model)
    inputs = {"volume": "results/ingest/volume.h5"}
    if settings["arch"] in PATCH_ARCHS:
        inputs["split"] = "results/split/split.csv"
        inputs["patches"] = f"{folder}/{settings['patch_size']}px.h5"
    else:
        inputs["split"] = f"{folder}/subset_split.csv"
    return inputs


def learning_curve_evaluate_settings():
    """The evaluate settings of a learning-curve point: the test block only."""
    return canonical({**config["evaluate"], "splits": ["test"]})


# The report shows the command that ran the pipeline. Only this main Snakemake process sees it
# (jobs run as separate processes), and passing it as a param would rerun the report whenever
# the command differs (even a dry run's). So it travels in the environment, which jobs inherit;
# a job process on a cluster node that re-reads the workflow keeps the value it inherited.
if "--target-jobs" not in sys.argv:
    os.environ.setdefault("XRAYSEG_SNAKEMAKE_COMMAND", shlex.join(["snakemake", *sys.argv[1:]]))
os.environ.setdefault("XRAYSEG_SNAKEMAKE_VERSION", SNAKEMAKE_VERSION)
