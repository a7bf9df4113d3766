# Snakemake's part of the settings: the config checked once (by xrayseg.settings), wildcard
# constraints, input, output and param functions (the stages' settings and output layouts come
# from xrayseg.settings), and the command environment of the report.

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
from xrayseg.settings.adapt import adapt_to_data
from xrayseg.settings.canonical import canonical
from xrayseg.settings.config import checked_config, problem_lines
from xrayseg.settings.evaluate import CalibrateSettings, EvaluateSettings
from xrayseg.settings.labelling import (
    SuggestSettings,
    learning_curve_model,
    learning_curve_points,
)
from xrayseg.settings.layout import (
    INGEST,
    PATCHES,
    SPLIT,
    calibrate_folder,
    calibrate_outputs,
    cube_outputs,
    evaluate_folder,
    evaluate_outputs,
    ingest_outputs,
    learning_curve_folder,
    next_slices_file,
    patch_count_tables,
    patch_file,
    patch_files,
    patch_outputs,
    predict_chunk_folder,
    predict_folder,
    predict_outputs,
    split_outputs,
    subset_split_outputs,
    suggest_folder,
    suggest_outputs,
    train_folder,
    train_outputs,
)
from xrayseg.settings.models import PATCH_ARCHS, model_settings
from xrayseg.settings.predict import (
    BEST,
    ChunkSettings,
    PredictSettings,
    output_layout,
    set_chunks,
    set_model,
)
from xrayseg.settings.report import report_config
from xrayseg.settings.specs import spec_files

SYNTHETIC_DIR = "resources/synthetic"
# The ingested volume and the split of its slices: inputs of most rules.
VOLUME = ingest_outputs(INGEST)["volume"]
SPLIT_TABLE = split_outputs(SPLIT)["split"]


def default_config_files():
    """The default config's files: what the Snakefile's `configfile:` loaded, not --configfile."""
    given = {Path(path).resolve() for path in workflow.overwrite_configfiles}
    return [path for path in workflow.configfiles if Path(path).resolve() not in given]


# Stop before any job, one line per problem naming the config key and what it expects. From here
# on the config has the schema's defaults and its keys in sorted order, so every param taken from
# it is the same whatever order the config file lists its keys in (Snakemake compares params by
# their repr, key order included); the dicts built below have a fixed key order too.
_problems = checked_config(config, SCHEMA)
# Then the settings the data cannot support (slices far apart, voxels not cubes): defaults are
# adapted in place, settings the user's own config asks for stop the run (xrayseg.settings.adapt).
if not _problems:
    ADAPTATION = adapt_to_data(config, default_config_files(), SCHEMA)
    _problems = list(ADAPTATION.problems)
if _problems:
    raise SystemExit(problem_lines(_problems))
if ADAPTATION.changes and "--target-jobs" not in sys.argv:
    print("note: " + "\n  ".join(ADAPTATION.lines()), file=sys.stderr)


def patch_sizes():
    """The 2-D patch sizes (px) the configured patch models train on."""
    return model_config.patch_sizes(config)


def model_patch_count_tables():
    """The counts table of every patch file a configured model trains on."""
    return patch_count_tables(config)


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
    inputs = {"volume": VOLUME, "split": SPLIT_TABLE}
    files = patch_files(config, wildcards.model)
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


def flagged(outputs, **wrapped):
    """A layout's plain `outputs` (xrayseg.settings.layout) with some of them replaced by their
    flagged form (report(), directory()); every output of the layout stays declared."""
    unknown = sorted(set(wrapped) - set(outputs))
    if unknown:
        raise ValueError(f"not outputs of this layout: {unknown}")
    return {**outputs, **wrapped}


def calibrate_settings():
    """xrayseg.settings.evaluate.CalibrateSettings as a param."""
    return CalibrateSettings.from_config(config).to_params()


def evaluate_settings():
    """xrayseg.settings.evaluate.EvaluateSettings as a param."""
    return EvaluateSettings.from_config(config).to_params()


# A wildcard pattern that matches no name (constrains a rule that no configured set uses).
MATCHES_NOTHING = "(?!x)x"


def predict_sets(layout, probabilities):
    """Configured prediction sets of an output layout (tiff, zarr:
    xrayseg.settings.predict.output_layout) that do (True) or do not (False) ask for
    probabilities."""
    return [
        name
        for name, settings in config["predict"].items()
        if output_layout(settings) == layout and settings["save_probabilities"] == probabilities
    ]


def predict_set_pattern(layout, probabilities):
    return "|".join(predict_sets(layout, probabilities)) or MATCHES_NOTHING


def all_sets_pattern():
    return "|".join(config["predict"]) or MATCHES_NOTHING


def predict_model_pattern():
    return "|".join([BEST, *config["models"]])


def predict_job_outputs(layout, probabilities):
    """Outputs of one set's assemble job (slices/ and the OME-Zarr images are folders)."""
    outputs = predict_outputs(predict_folder("{model}", "{set}"), probabilities, layout)
    folders = [key for key in ("slices", "zarr", "uncertainty") if key in outputs]
    return flagged(outputs, **{key: directory(outputs[key]) for key in folders})


def model_inputs(model):
    """The checkpoint and calibration of `model` (of every model, and every evaluation summary
    to choose by, for `best`), and the ingested volume and split."""
    best = model == BEST
    models = list(config["models"]) if best else [model]
    inputs = {
        "checkpoints": [train_outputs(train_folder(name))["checkpoint"] for name in models],
        "calibrations": [
            calibrate_outputs(calibrate_folder(name))["calibration"] for name in models
        ],
        "volume": VOLUME,
        "split": SPLIT_TABLE,
    }
    if best:
        inputs["summaries"] = [
            evaluate_outputs(evaluate_folder(name))["summary"] for name in models
        ]
    return inputs


def predict_cleanup_files(wildcards):
    """{model: results/eval/{model}/cleanup.json} of the models a set may be predicted with: the
    clean-up each model's evaluation chose on its val block (also inputs of the chunk jobs, so a
    new choice repredicts the set)."""
    models = list(config["models"]) if wildcards.model == BEST else [wildcards.model]
    return {name: evaluate_outputs(evaluate_folder(name))["cleanup"] for name in models}


def predict_raw_files(wildcards):
    return [str(p) for p in spec_files(config["predict"][wildcards.set]["raw"])]


def predict_chunk_inputs(wildcards):
    """A chunk job's inputs: the model's (model_inputs), the clean-ups its evaluation chose and
    every file of the raw spec."""
    return {
        **model_inputs(wildcards.model),
        "cleanups": list(predict_cleanup_files(wildcards).values()),
        "raw": predict_raw_files(wildcards),
    }


def predict_inputs(wildcards):
    """The assemble job's inputs: the model's (the volume and split are the grey-value
    reference), the raw files and the set's chunk folders."""
    folder = predict_folder(wildcards.model, wildcards.set)
    chunks = [predict_chunk_folder(folder, chunk) for chunk in set_chunks(config, wildcards.set)]
    return {**predict_chunk_inputs(wildcards), "chunks": chunks}


def predict_settings(wildcards):
    """xrayseg.settings.predict.PredictSettings of the set as a param: only the set's settings
    that change its outputs rerun it when changed."""
    return PredictSettings.from_config(config, wildcards.set).to_params()


def predict_chunk_settings(wildcards):
    """xrayseg.settings.predict.ChunkSettings of the set as a param."""
    return ChunkSettings.from_config(config, wildcards.set).to_params()


def predict_saves_probabilities(wildcards):
    return config["predict"][wildcards.set]["save_probabilities"]


def predict_chunk_memory(wildcards):
    """A chunk job's memory (MB) for the cluster: its slab, the model, the sliding windows and
    Python with torch (about 1.5 GB on 2048 px slices; benchmarks/bigscan.py)."""
    return 2 * config["predict"][wildcards.set]["slab_mb"] + 1536


def predict_targets():
    """Targets of `all`, one per configured set, segmented by its `model` (default best)."""
    return [
        predict_outputs(predict_folder(set_model(settings), name))["volume"]
        for name, settings in config["predict"].items()
    ]


def suggest_model():
    """The model whose uncertainty ranks the slices to label next (suggest.model)."""
    return config["suggest"]["model"]


def suggest_inputs(wildcards):
    return model_inputs(wildcards.model)


def suggest_settings():
    """xrayseg.settings.labelling.SuggestSettings as a param."""
    return SuggestSettings.from_config(config).to_params()


def next_slices_inputs(wildcards):
    """The stack's ranking and every prediction set's per-slice uncertainty (fractions.csv) by
    the same model."""
    sets = {
        f"set_{name}": predict_outputs(predict_folder(wildcards.model, name))["fractions"]
        for name in config["predict"]
    }
    return {"stack": suggest_outputs(suggest_folder(wildcards.model))["ranking"], **sets}


def suggest_report_inputs():
    """What the report shows of the suggestions: the stack's ranking (not the prediction sets',
    so that editing them does not rerun the report), its summary and panel."""
    outputs = suggest_outputs(suggest_folder(suggest_model()))
    return {f"suggest_{key}": outputs[key] for key in ("ranking", "summary", "panel")}


def evaluations(key):
    """Evaluate's output `key` (xrayseg.settings.layout) of every configured model, in config
    order."""
    return [evaluate_outputs(evaluate_folder(model))[key] for model in config["models"]]


def training_histories():
    """The training history of every configured model, in config order."""
    return [train_outputs(train_folder(model))["history"] for model in config["models"]]


def learning_curve_folders():
    """results/learning_curve/{model}/{n} of every configured point; none when it is off."""
    model = learning_curve_model(config)
    if model is None:
        return []
    return [learning_curve_folder(model, n) for n in learning_curve_points(config)]


def learning_curve_evaluation(folder):
    """The evaluate outputs of a learning-curve point (test block only, uncalibrated)."""
    return evaluate_outputs(f"{folder}/eval", uncertainty=False)


def learning_curve_report_inputs():
    """Each point's subset split and test evaluation, for the report (empty lists when off)."""
    folders = learning_curve_folders()
    return {
        "curve_splits": [subset_split_outputs(folder)["split"] for folder in folders],
        "curve_summaries": [learning_curve_evaluation(f)["summary"] for f in folders],
        "curve_metrics": [learning_curve_evaluation(f)["metrics"] for f in folders],
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
    folder = learning_curve_folder(wildcards.model, wildcards.n)
    settings = model_settings(config, wildcards.model)
    inputs = {"volume": VOLUME}
    if settings["arch"] in PATCH_ARCHS:
        inputs["split"] = SPLIT_TABLE
        inputs["patches"] = patch_file(folder, settings["patch_size"])
    else:
        inputs["split"] = subset_split_outputs(folder)["split"]
    return inputs


def learning_curve_evaluate_settings():
    """The evaluate settings of a learning-curve point as a param: the test block only."""
    return EvaluateSettings.from_config(config).test_only().to_params()


# The report shows the command that ran the pipeline. Only this main Snakemake process sees it
# (jobs run as separate processes), and passing it as a param would rerun the report whenever
# the command differs (even a dry run's). So it travels in the environment, which jobs inherit;
# a job process on a cluster node that re-reads the workflow keeps the value it inherited.
if "--target-jobs" not in sys.argv:
    os.environ.setdefault("XRAYSEG_SNAKEMAKE_COMMAND", shlex.join(["snakemake", *sys.argv[1:]]))
os.environ.setdefault("XRAYSEG_SNAKEMAKE_VERSION", SNAKEMAKE_VERSION)
