"""Read the pipeline's files for the report, with an error naming the file when one is unusable."""

import json
import re
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import tifffile

from xrayseg.io.volume import IGNORE_INDEX

# Grey-value histogram of each class: bins over the normalised range (0 and 1 are the train
# slices' low and high percentiles), wide enough for the tails.
HIST_RANGE = (-0.25, 1.25)
HIST_BINS = 100
# "unet on cuda:0 with ..." (evaluate) and "... training on cpu (fp32)" (train) in the job logs.
DEVICE_RE = re.compile(r"\bon (cuda(?::\d+)?|cpu|mps|xpu(?::\d+)?)\b")


@dataclass
class ModelResults:
    """Everything the report shows about one model."""

    name: str
    summary: dict
    metrics: pd.DataFrame  # one row per evaluated slice
    confusion: pd.DataFrame  # split, true, predicted, count
    history: pd.DataFrame  # one row per validation (pixel models: one row, no losses)
    predictions: Path  # test_predictions.tif
    devices: dict  # {"train": ..., "evaluate": ...}: the device named in each job's log, or None
    microstructure: pd.DataFrame | None = None

    @property
    def class_names(self):
        return list(self.summary["class_names"])


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


def device_from_log(path):
    """The first device a job log names ("cpu", "cuda:0", ...), or None (no log, or none named)."""
    if path is None or not Path(path).is_file():
        return None
    match = DEVICE_RE.search(Path(path).read_text(errors="replace"))
    return match.group(1) if match else None


def load_model(name, paths):
    """ModelResults of one model from its paths: summary, metrics, confusion, history,
    predictions, optionally train_log, evaluate_log and microstructure."""
    summary = read_json(paths["summary"])
    for key in ("class_names", "splits", "parameters"):
        if key not in summary:
            raise ValueError(f"{paths['summary']}: no {key!r} entry")
    if "test" not in summary["splits"]:
        raise ValueError(f"{paths['summary']}: no test scores (evaluate.splits must name test)")
    microstructure = None
    if paths.get("microstructure"):
        microstructure = read_csv(
            paths["microstructure"], ("metric", "phases", "true", "predicted", "relative_error")
        )
    return ModelResults(
        name=name,
        summary=summary,
        metrics=read_csv(paths["metrics"], ("split", "slice", "accuracy", "mean_iou")),
        confusion=read_csv(paths["confusion"], ("split", "true", "predicted", "count")),
        history=read_csv(paths["history"], ("step",)),
        predictions=Path(paths["predictions"]),
        devices={
            "train": device_from_log(paths.get("train_log")),
            "evaluate": device_from_log(paths.get("evaluate_log")),
        },
        microstructure=microstructure,
    )


def volume_info(volume_path):
    """Shape, class names, label values and normalisation of the ingested volume."""
    with h5py.File(volume_path, "r") as volume:
        attrs = volume.attrs
        return {
            "shape": tuple(int(n) for n in volume["raw"].shape),
            "class_names": json.loads(attrs["class_names"]),
            "label_values": json.loads(attrs["label_values"]),
            "norm_low": float(attrs["norm_low"]),
            "norm_high": float(attrs["norm_high"]),
            "raw_source": str(attrs.get("raw_source", "")),
            "labels_source": str(attrs.get("labels_source", "")),
        }


def class_histograms(volume_path, class_names):
    """Long table grey, class, fraction: each class's grey-value histogram over every slice,
    in the raw files' units. Reads one slice at a time (a full stack need not fit in memory)."""
    counts = np.zeros((len(class_names), HIST_BINS), dtype=np.int64)
    low, high = HIST_RANGE
    with h5py.File(volume_path, "r") as volume:
        norm_low, norm_high = float(volume.attrs["norm_low"]), float(volume.attrs["norm_high"])
        for z in range(volume["raw"].shape[0]):
            raw, labels = volume["raw"][z], volume["labels"][z]
            bins = np.clip(((raw - low) * (HIST_BINS / (high - low))).astype(np.int64), 0, None)
            np.minimum(bins, HIST_BINS - 1, out=bins)
            keep = labels < len(class_names)
            flat = labels[keep].astype(np.int64) * HIST_BINS + bins[keep]
            counts += np.bincount(flat, minlength=counts.size).reshape(counts.shape)
    centres = low + (np.arange(HIST_BINS) + 0.5) * (high - low) / HIST_BINS
    grey = norm_low + centres * (norm_high - norm_low)
    rows = []
    for name, row in zip(class_names, counts, strict=True):
        total = row.sum()
        for value, count in zip(grey, row, strict=True):
            rows.append({"grey": value, "class": name, "fraction": count / total if total else 0})
    return pd.DataFrame(rows, columns=["grey", "class", "fraction"])


def read_slices(volume_path, slices):
    """{z: (raw, labels)} of the given slices of the ingested volume."""
    with h5py.File(volume_path, "r") as volume:
        return {int(z): (volume["raw"][int(z)], volume["labels"][int(z)]) for z in slices}


def read_predictions(path, label_values, test_slices):
    """{z: class map} from a test_predictions.tif stack written in the input's label values.

    The stack holds the test slices in order; values (grey, or RGB triples) map back to class
    indices. An error names the file if the stack does not fit the test block.
    """
    stack = tifffile.imread(path)
    values = np.asarray(label_values)
    channels = values.shape[1] if values.ndim == 2 else 0
    if (stack.ndim - (1 if channels else 0)) == 2:
        stack = stack[np.newaxis]
    if stack.shape[0] != len(test_slices):
        raise ValueError(
            f"{path}: {stack.shape[0]} predicted slices, but split.csv has {len(test_slices)} "
            "test slices"
        )
    classes = np.full(stack.shape[:3], IGNORE_INDEX, dtype=np.uint8)
    for index, value in enumerate(values):
        match = np.all(stack == value, axis=-1) if channels else stack == value
        classes[match] = index
    if (classes == IGNORE_INDEX).any():
        raise ValueError(f"{path}: values outside the label values {label_values}")
    return {int(z): classes[i] for i, z in enumerate(sorted(test_slices))}
