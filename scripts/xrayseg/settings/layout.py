"""Where each stage writes: its folder under results/ and its output files, one function each.

Standard library only.

The rules take their outputs, and the inputs that are another stage's outputs, from here (and
wrap the ones the report shows in report()); so do the tests and benchmarks that call a stage's
function directly. The keys are the names the stage's function takes its output paths by.
Folders and sizes may be Snakemake wildcards ("{model}", "{size}").
"""

from xrayseg.settings.models import (
    PATCH_ARCHS,
    VOLUME_ARCHS,
    model_settings,
    patch_depth,
    patch_models,
    patch_orientations,
)

RESULTS = "results"
INGEST = f"{RESULTS}/ingest"
SPLIT = f"{RESULTS}/split"
PATCHES = f"{RESULTS}/patches"


def train_folder(model):
    return f"{RESULTS}/models/{model}"


def calibrate_folder(model):
    return f"{RESULTS}/calibration/{model}"


def evaluate_folder(model):
    return f"{RESULTS}/eval/{model}"


def predict_folder(model, set_name):
    return f"{RESULTS}/predict/{model}/{set_name}"


def suggest_folder(model):
    return f"{RESULTS}/suggest/{model}"


def learning_curve_folder(model, n):
    """One point of the learning curve: its split, patches, model and (under eval/) evaluation."""
    return f"{RESULTS}/learning_curve/{model}/{n}"


def ingest_outputs(folder):
    """ingest_volume's outputs: the volume (raw, labels, their provenance) and what the report
    shows of the data."""
    return {
        "volume": f"{folder}/volume.h5",
        "summary": f"{folder}/summary.csv",
        "histograms": f"{folder}/histograms.csv",
        "figure": f"{folder}/classes.png",
    }


def split_outputs(folder):
    """The split of every slice."""
    return {"split": f"{folder}/split.csv"}


def subset_split_outputs(folder):
    """A learning-curve point's split: the train slices outside its subset set aside."""
    return {"split": f"{folder}/subset_split.csv"}


def patch_file(folder, size, orientation="z", ending="h5"):
    """The 2-D patches of one size cut from the slices (z: {size}px.h5) or from the planes
    across them (y, x: {size}px_{axis}.h5); ending csv: their counts table."""
    suffix = "" if orientation == "z" else f"_{orientation}"
    return f"{folder}/{size}px{suffix}.{ending}"


def cube_file(folder, depth, side, ending="h5"):
    """The 3-D patches of depth x side x side voxels; ending csv: their counts table."""
    return f"{folder}/{depth}x{side}x{side}px.{ending}"


def patch_outputs(folder, size, orientation="z"):
    return {
        "patches": patch_file(folder, size, orientation),
        "counts": patch_file(folder, size, orientation, "csv"),
    }


def cube_outputs(folder, depth, side):
    return {
        "patches": cube_file(folder, depth, side),
        "counts": cube_file(folder, depth, side, "csv"),
    }


def patch_files(config, name, ending="h5"):
    """The results/patches/ files model `name` trains on, one per orientation, in the order of
    its training.orientations (empty for a pixel model; a volumetric model's one 3-D file)."""
    settings = model_settings(config, name)
    if settings["arch"] not in PATCH_ARCHS:
        return []
    side = int(settings["patch_size"])
    if settings["arch"] in VOLUME_ARCHS:
        return [cube_file(PATCHES, patch_depth(settings), side, ending)]
    return [
        patch_file(PATCHES, side, orientation, ending)
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


def train_outputs(folder):
    return {"checkpoint": f"{folder}/model.pt", "history": f"{folder}/history.csv"}


def calibrate_outputs(folder):
    return {"calibration": f"{folder}/calibration.json"}


def evaluate_outputs(folder, uncertainty=True, probabilities=False):
    """evaluate_model's outputs in `folder`. uncertainty: the test slices' uncertainty maps and
    reliability table (an evaluation with the calibrate job's temperature; a learning-curve
    point has none); probabilities: the test slices' class probabilities
    (evaluate.save_probabilities). cleanup: the clean-up chosen on the val block, which predict
    applies to new scans."""
    outputs = {
        "metrics": f"{folder}/metrics.csv",
        "summary": f"{folder}/summary.json",
        "cleanup": f"{folder}/cleanup.json",
        "confusion": f"{folder}/confusion.csv",
        "predictions": f"{folder}/test_predictions.tif",
        "microstructure": f"{folder}/microstructure.csv",
        "panel": f"{folder}/panel.png",
        "panel_worst": f"{folder}/panel_worst.png",
        "panel_best": f"{folder}/panel_best.png",
    }
    if uncertainty:
        outputs["uncertainty"] = f"{folder}/test_uncertainty.h5"
        outputs["calibration"] = f"{folder}/calibration.csv"
    if probabilities:
        outputs["probabilities"] = f"{folder}/test_probabilities.h5"
    return outputs


def predict_outputs(folder, probabilities=False, layout="tiff"):
    """predict_set's outputs in `folder` (slices/ and the .ome.zarr images are folders).

    layout: tiff (the OME-Zarr images and the TIFFs: slices/, segmentation.tif) or zarr (the
    OME-Zarr images alone; xrayseg.settings.predict.output_layout); probabilities.h5 only for
    the sets that ask for it."""
    outputs = {
        "zarr": f"{folder}/segmentation.ome.zarr",
        "uncertainty": f"{folder}/uncertainty.ome.zarr",
        "fractions": f"{folder}/fractions.csv",
        "volume": f"{folder}/volume.csv",
        "shift": f"{folder}/shift.csv",
        "summary": f"{folder}/summary.json",
    }
    if layout == "tiff":
        outputs["slices"] = f"{folder}/slices"
        outputs["stack"] = f"{folder}/segmentation.tif"
    elif layout != "zarr":
        raise ValueError(f"unknown output layout {layout!r}; tiff or zarr")
    if probabilities:
        outputs["probabilities"] = f"{folder}/probabilities.h5"
    return outputs


def predict_chunk_folder(folder, chunk):
    """The folder one chunk job of a set writes ({chunk}: start-stop slices), which the set's
    assemble job reads (xrayseg.prediction.chunkstore)."""
    return f"{folder}/chunks/{chunk}"


def next_slices_file(folder):
    """next_slices' ranking of the stack's and every prediction set's slices."""
    return f"{folder}/next_slices.csv"


def suggest_outputs(folder):
    """suggest_slices' outputs in `folder` (stack.csv ranks the stack's slices)."""
    return {
        "ranking": f"{folder}/stack.csv",
        "uncertainty": f"{folder}/uncertainty.h5",
        "summary": f"{folder}/summary.json",
        "panel": f"{folder}/next_slices.png",
    }
