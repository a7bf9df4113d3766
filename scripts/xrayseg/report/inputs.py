"""Read the pipeline's files for the report, with an error naming the file when one is unusable."""

import json
from dataclasses import dataclass
from pathlib import Path

import h5py
import pandas as pd

from xrayseg.io.labelfiles import read_label_stack


@dataclass
class ModelResults:
    """Everything the report shows about one model."""

    name: str
    summary: dict
    metrics: pd.DataFrame  # one row per evaluated slice
    confusion: pd.DataFrame  # split, true, predicted, count
    history: pd.DataFrame  # one row per validation (pixel models: one row, no losses)
    predictions: Path  # test_predictions.tif
    microstructure: pd.DataFrame | None = None
    calibration: pd.DataFrame | None = None  # calibration.csv: reliability bins of the test pixels

    @property
    def class_names(self):
        return list(self.summary["class_names"])

    @property
    def devices(self):
        """{"train", "evaluate"}: the devices evaluate recorded in summary.json (None: not
        recorded, a summary of an older version)."""
        return {"train": self.summary.get("train_device"), "evaluate": self.summary.get("device")}


def read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: cannot read it as JSON ({error})") from error


def read_csv(path, required=()):
    """A CSV table; an error naming the file and the missing columns if any are missing."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: cannot read it as a CSV table ({error})") from error
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}")
    return frame


def load_model(name, paths):
    """ModelResults of one model from its paths: summary, metrics, confusion, history,
    predictions and optionally microstructure and calibration."""
    summary = read_json(paths["summary"])
    for key in ("class_names", "splits", "parameters"):
        if key not in summary:
            raise ValueError(f"{paths['summary']}: no {key!r} entry")
    if "test" not in summary["splits"]:
        raise ValueError(f"{paths['summary']}: no test scores (evaluate.splits must name test)")
    microstructure = None
    if paths.get("microstructure"):
        microstructure = read_csv(
            paths["microstructure"],
            ("metric", "phases", "unit", "true", "predicted", "relative_error"),
        )
    calibration = None
    if paths.get("calibration"):
        calibration = read_csv(
            paths["calibration"], ("probabilities", "pixels", "confidence", "accuracy")
        )
    return ModelResults(
        name=name,
        summary=summary,
        metrics=read_csv(paths["metrics"], ("split", "slice", "accuracy", "mean_iou")),
        confusion=read_csv(paths["confusion"], ("split", "true", "predicted", "count")),
        history=read_csv(paths["history"], ("step",)),
        predictions=Path(paths["predictions"]),
        microstructure=microstructure,
        calibration=calibration,
    )


def read_histograms(path):
    """Ingest's histograms.csv: each class's grey-value histogram (grey, class, fraction, ...)."""
    return read_csv(path, ("grey", "class", "fraction"))


def read_slices(volume_path, slices):
    """{z: (raw, labels)} of the given slices of the ingested volume."""
    with h5py.File(volume_path, "r") as volume:
        return {int(z): (volume["raw"][int(z)], volume["labels"][int(z)]) for z in slices}


def read_predictions(path, label_values, test_slices):
    """{z: class map} from a test_predictions.tif stack written in the input's label values.

    The stack holds the test slices in order; values (grey, or RGB triples) map back to class
    indices. An error names the file if the stack does not fit the test block.
    """
    classes = read_label_stack(path, label_values)
    if classes.shape[0] != len(test_slices):
        raise ValueError(
            f"{path}: {classes.shape[0]} predicted slices, but split.csv has {len(test_slices)} "
            "test slices"
        )
    return {int(z): classes[i] for i, z in enumerate(sorted(test_slices))}
