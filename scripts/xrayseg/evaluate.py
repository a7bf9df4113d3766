"""Full-slice evaluation of one trained model: results/eval/{model}/.

Every slice of the evaluated splits is predicted whole and scored; the pooled scores per split
(summed confusion matrices) go to summary.json, per-slice scores to metrics.csv.
"""

import json
import logging
import time

import h5py
import numpy as np
import pandas as pd
import tifffile
import torch

from xrayseg.atomic import atomic_output
from xrayseg.metrics import confusion_matrix, flat_scores
from xrayseg.panels import save_panel
from xrayseg.predictors import Predictor
from xrayseg.split import slices_of
from xrayseg.training.checkpoint import load_checkpoint
from xrayseg.training.job import pick_device

log = logging.getLogger(__name__)


def evaluate_model(
    checkpoint_path,
    volume_path,
    split_csv,
    splits,
    overlap,
    batch_size,
    outputs,
    threads=1,
    device="auto",
):
    """Predict and score every slice of `splits`; `outputs` maps metrics, summary, confusion,
    predictions (test-slice TIFF stack) and panel (PNG) to paths."""
    torch.set_num_threads(max(1, int(threads)))
    checkpoint = load_checkpoint(checkpoint_path)
    predictor = Predictor(checkpoint, pick_device(device), overlap, batch_size)
    class_names = checkpoint["class_names"]
    n_classes = len(class_names)
    split_frame = pd.read_csv(split_csv)
    rows, confusions, test_predictions = [], {}, {}
    seconds = []
    with h5py.File(volume_path, "r") as volume:
        for split in splits:
            total = np.zeros((n_classes, n_classes), dtype=np.int64)
            for z in slices_of(split_frame, split):
                raw, labels = volume["raw"][z], volume["labels"][z]
                started = time.perf_counter()
                predicted = predictor.classes(raw[None])
                seconds.append(time.perf_counter() - started)
                confusion = confusion_matrix(labels, predicted, n_classes)
                total += confusion
                rows.append({"split": split, "slice": z, **flat_scores(confusion, class_names)})
                if split == "test":
                    test_predictions[z] = predicted
            confusions[split] = total
            log.info(
                "%s: %s",
                split,
                {
                    k: round(v, 4)
                    for k, v in flat_scores(total, class_names).items()
                    if k in ("accuracy", "mean_iou")
                },
            )
        per_slice = pd.DataFrame(rows)
        summary = {
            "model": checkpoint["model_name"],
            "arch": checkpoint["arch"],
            "parameters": int(checkpoint.get("parameters", 0)),
            "train_seconds": float(checkpoint.get("train_seconds", float("nan"))),
            "inference_seconds_per_slice": float(np.median(seconds)) if seconds else float("nan"),
            "class_names": class_names,
            "splits": {split: flat_scores(confusions[split], class_names) for split in splits},
        }
        _write_outputs(
            outputs,
            per_slice,
            summary,
            confusions,
            class_names,
            checkpoint,
            test_predictions,
            volume,
        )


def _write_outputs(
    outputs, per_slice, summary, confusions, class_names, checkpoint, test_predictions, volume
):
    with atomic_output(outputs["metrics"]) as tmp:
        per_slice.to_csv(tmp, index=False)
    with atomic_output(outputs["summary"]) as tmp:
        tmp.write_text(json.dumps(summary, indent=2))
    confusion_rows = [
        {
            "split": split,
            "true": class_names[t],
            "predicted": class_names[p],
            "count": int(matrix[t, p]),
        }
        for split, matrix in confusions.items()
        for t in range(len(class_names))
        for p in range(len(class_names))
    ]
    with atomic_output(outputs["confusion"]) as tmp:
        pd.DataFrame(confusion_rows).to_csv(tmp, index=False)
    label_values = np.asarray(checkpoint["label_values"], dtype=np.uint8)
    slices = sorted(test_predictions)
    stack = (
        np.stack([label_values[test_predictions[z]] for z in slices])
        if slices
        else np.zeros((0, 1, 1))
    )
    with atomic_output(outputs["predictions"]) as tmp:
        tifffile.imwrite(
            tmp,
            stack.astype(np.uint8),
            metadata={"axes": "ZYX", "slices": slices},
            compression="zlib",
        )
    test_rows = per_slice[per_slice["split"] == "test"].sort_values("accuracy")
    z = int(test_rows.iloc[len(test_rows) // 2]["slice"])
    with atomic_output(outputs["panel"]) as tmp:
        save_panel(
            tmp,
            volume["raw"][z],
            volume["labels"][z],
            test_predictions[z],
            class_names,
            f"{checkpoint['model_name']}: test slice {z} (median accuracy)",
        )
