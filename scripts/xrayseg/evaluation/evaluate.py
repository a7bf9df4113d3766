"""Full-slice evaluation of one trained model: results/eval/{model}/.

Every labelled slice of the evaluated val and test blocks, and `train_slices` of the labelled
train slices spread evenly over them (evaluation.subset), is predicted whole and scored (2.5-D
inputs still take neighbours from every slice of the block, labelled or not), with a progress
line in the log at least every 30 s. The 3-D clean-up of the predicted labels is chosen on the
val block and applied to every block scored whole (evaluation.cleanblocks) before anything below
is scored or written; cleanup.json holds the choice for predict. Per-slice scores and counts go
to metrics.csv; pooled scores per split (summed counts, with bootstrap intervals over slices) to
summary.json; pooled confusion matrices to confusion.csv; the scored test slices' predictions to
a TIFF stack (and optionally their class probabilities to HDF5); raw / label / prediction /
error panels of the worst, median and best test slices to PNGs (panel.png is the median one);
the microstructure of the test block (its longest run of labelled slices when only some are),
true and predicted, to microstructure.csv (relative errors also in the summary). summary.json's
labelled_slices says how many slices each split has, how many of them are labelled and how many
were scored. The scored test slices' uncertainty maps, reliability bins and error detection
(evaluation.testuncertainty) use the temperature the calibrate job fitted."""

import contextlib
import logging
import time

import h5py
import numpy as np
import pandas as pd
import torch

from xrayseg.data.split import labelled_slices_of, slices_of
from xrayseg.evaluation.blockpredict import (
    PredictedSlice,
    block_plans,
    plan_units,
    predicted_slices,
)
from xrayseg.evaluation.calibrate import read_calibration
from xrayseg.evaluation.cleanblocks import apply_to_blocks, choose_on_val, figures_before_after
from xrayseg.evaluation.microstructure import measure_test_block
from xrayseg.evaluation.panels import pick_panel_slices, save_panel
from xrayseg.evaluation.slicescores import (
    confusion_table,
    pooled_scores,
    ranked_slices,
    score_slice,
    slice_row,
)
from xrayseg.evaluation.subset import spread_subset
from xrayseg.evaluation.testuncertainty import TestUncertainty
from xrayseg.inference.predictor import Predictor
from xrayseg.io.atomic import atomic_output
from xrayseg.io.labelfiles import write_class_stack
from xrayseg.io.probabilities import ProbabilityFile
from xrayseg.io.progress import Progress
from xrayseg.io.tables import write_csv, write_json
from xrayseg.models.checkpoint import load_checkpoint
from xrayseg.models.device import pick_device

log = logging.getLogger(__name__)

# outputs key of each panel (panel.png, which the report embeds, is the median test slice).
PANEL_OUTPUTS = {"worst": "panel_worst", "median": "panel", "best": "panel_best"}


def evaluate_model(
    checkpoint_path,
    volume_path,
    split_csv,
    settings,
    outputs,
    threads=1,
    device="auto",
    calibration=None,
):
    """Predict and score every slice of settings.splits.

    settings: xrayseg.settings.evaluate.EvaluateSettings; outputs: the paths of
    xrayseg.settings.layout.evaluate_outputs (uncertainty, calibration and probabilities are
    optional); calibration: the calibrate job's calibration.json (None: the model's own
    probabilities).
    """
    torch.set_num_threads(max(1, int(threads)))
    checkpoint = load_checkpoint(checkpoint_path)
    header = checkpoint.header
    predictor = Predictor(checkpoint, pick_device(device), settings.inference)
    class_names = list(header.class_names)
    split_frame = pd.read_csv(split_csv)
    blocks = {split: slices_of(split_frame, split) for split in settings.splits}
    labelled = {split: labelled_slices_of(split_frame, split) for split in blocks}
    for split, slices in labelled.items():
        if not slices:
            raise ValueError(
                f"{split_csv}: evaluate.splits names {split!r}, which has no labelled slices"
            )
    scored, train_slices = slices_to_score(labelled, settings)
    log.info(
        "%s on %s (%s) with %s, axes %s, smooth_sigma %s",
        header.model_name,
        predictor.device,
        predictor.precision or "pixel model",
        settings.inference,
        list(settings.axes),
        settings.smooth_sigma,
    )
    with h5py.File(volume_path, "r") as volume, contextlib.ExitStack() as stack:
        names = split_frame.set_index("slice").loc[scored["test"], "name"]
        uncertainty_path = None
        if outputs.get("uncertainty"):
            uncertainty_path = stack.enter_context(atomic_output(outputs["uncertainty"]))
        test_uncertainty = TestUncertainty(
            predictor,
            read_calibration(calibration),
            uncertainty_path,
            scored["test"],
            names.tolist(),
            volume["raw"].shape[1:],
        )
        stack.callback(test_uncertainty.close)
        probabilities = None
        if outputs.get("probabilities"):
            tmp = stack.enter_context(atomic_output(outputs["probabilities"]))
            probabilities = ProbabilityFile(
                tmp,
                scored["test"],
                names.tolist(),
                volume["raw"].shape[1:],
                class_names,
                header.label_values,
                header.model_name,
                test_uncertainty.uncertain.temperature,
            )
            stack.callback(probabilities.close)
        maps, seconds, plans = predict_blocks(
            predictor, volume, blocks, settings, probabilities, scored, test_uncertainty
        )
        choice = choose_on_val(volume["labels"], blocks, scored, maps, settings, class_names)
        before = dict(maps.get("test", {}))
        started = time.perf_counter()
        cleaned, not_cleaned = apply_to_blocks(
            choice.cleanup, blocks, scored, maps, predictor.n_classes
        )
        applying_seconds = time.perf_counter() - started
        results = score_blocks(maps, seconds, volume["labels"], predictor.n_classes, settings)
        test_predictions = maps["test"]
        summary = summarise(predictor, settings, results, class_names, volume["raw"].shape[1:])
        summary["train_slices"] = train_slices
        summary["prediction"] = {split: plan.record() for split, plan in plans.items()}
        summary["labelled_slices"] = {
            split: {
                "slices": len(blocks[split]),
                "labelled": len(labelled[split]),
                "scored": len(scored[split]),
            }
            for split in blocks
        }
        summary["calibration"] = test_uncertainty.summary()
        if outputs.get("calibration"):
            write_csv(test_uncertainty.table(), outputs["calibration"])
        write_csv(pd.DataFrame([slice_row(r, class_names) for r in results]), outputs["metrics"])
        confusions = {
            split: sum(r.confusion for r in results if r.split == split) for split in blocks
        }
        write_csv(confusion_table(confusions, class_names), outputs["confusion"])
        write_class_stack(outputs["predictions"], test_predictions, header.label_values)
        table, summary["microstructure"] = measure_test_block(
            volume["labels"], test_predictions, settings.microstructure, class_names
        )
        write_csv(table, outputs["microstructure"])
        log.info(
            "test block microstructure, mean |relative error| per metric: %s",
            summary["microstructure"]["mean_abs_relative_error"],
        )
        # Timings at the top level, like the others, so the rest of the summary is the same on
        # every run.
        summary["cleanup_seconds"] = {"choosing": choice.seconds, "applying": applying_seconds}
        summary["cleanup"] = {
            **choice.record(),
            "cleaned": cleaned,
            "not_cleaned": not_cleaned,
            "test": figures_before_after(
                volume["labels"],
                before if "test" in cleaned else None,
                confusions["test"],
                table,
                settings,
                class_names,
            ),
        }
        write_json(choice.file_record(header.model_name), outputs["cleanup"])
        test_results = [r for r in results if r.split == "test"]
        picks = pick_panel_slices(ranked_slices(test_results))
        if not picks:
            raise ValueError(f"{volume_path}: every test pixel is under the ignore mask")
        summary["panels"] = picks
        for name, z in picks.items():
            with atomic_output(outputs[PANEL_OUTPUTS[name]]) as tmp:
                save_panel(
                    tmp,
                    volume["raw"][z],
                    volume["labels"][z],
                    test_predictions[z],
                    class_names,
                    f"{header.model_name}: test slice {z} ({name} accuracy)",
                )
        write_json(summary, outputs["summary"])


def slices_to_score(blocks, settings):
    """({split: slices to score}, what summary.json records about the train slices).

    blocks: {split: its labelled slices}. Every one of them, except train: evaluate.train_slices
    spread slices of them (0 or None: all). The record is None when train is not evaluated.
    """
    scored = dict(blocks)
    if "train" not in blocks:
        return scored, None
    asked, seed = settings.train_slices, settings.train_slices_seed
    scored["train"] = spread_subset(blocks["train"], asked, seed)
    log.info(
        "scoring %d of the %d labelled train slices", len(scored["train"]), len(blocks["train"])
    )
    record = {"scored": scored["train"], "available": len(blocks["train"]), "asked": asked}
    return scored, {**record, "seed": seed}


def predict_blocks(
    predictor,
    volume,
    blocks,
    settings,
    probabilities=None,
    scored=None,
    test_uncertainty=None,
):
    """({split: {slice: class map}}, {split: {slice: seconds}}, {split: BlockPlan}) of the
    scored slices of every split block.

    scored: {split: slices} (default all); each split is predicted as its BlockPlan says
    (evaluation.blockpredict): 2.5-D inputs and y-/x-planes take their neighbours from the
    split's own block; a volumetric model predicts each block as a volume
    (Predictor.block_scores). test_uncertainty (a TestUncertainty) adds the test slices'
    uncertainty: predicted slice by slice it predicts them itself (with each flip's
    disagreement), predicted as a block it takes their probabilities; the probabilities
    written are then its temperature-scaled ones. Probabilities are written as predicted: a
    clean-up changes class maps only.
    """
    scored = scored or blocks
    plans = block_plans(
        blocks, scored, settings.axes, settings.smooth_sigma, predictor_predicts_volumes(predictor)
    )
    maps, seconds = {}, {}
    units = sum(plan_units(plans[split], len(scored[split])) for split in blocks)
    progress = Progress("evaluate", units, log.info)
    for split, slices in blocks.items():
        log.info("%s: %s", split, plans[split].why)
        maps[split], seconds[split] = {}, {}
        if split == "test" and test_uncertainty is not None and not plans[split].whole_block:
            predictions = _uncertain_slices(
                predictor, volume, slices, scored[split], test_uncertainty, progress.advance
            )
        else:
            predictions = predicted_slices(
                predictor, volume["raw"], slices, scored[split], plans[split], progress.advance
            )
        for predicted in predictions:
            z = predicted.slice
            if split == "test" and test_uncertainty is not None and plans[split].whole_block:
                uncertain = test_uncertainty.observe(
                    z, predicted.probabilities, volume["labels"][z]
                )
                predicted = PredictedSlice(
                    z, uncertain.probabilities, uncertain.classes, predicted.seconds
                )
            maps[split][z] = predicted.classes
            seconds[split][z] = predicted.seconds
            if split == "test" and probabilities is not None:
                probabilities.write(z, predicted.probabilities)
    return maps, seconds, plans


def score_blocks(maps, seconds, labels, n_classes, settings):
    """SliceResults of every predicted slice ({split: {slice: class map}}, split by split in
    the order given, slices in order) against the volume's `labels`."""
    return [
        score_slice(
            split,
            z,
            labels[z],
            split_maps[z],
            n_classes,
            settings.boundary_tolerance,
            seconds[split][z],
        )
        for split, split_maps in maps.items()
        for z in sorted(split_maps)
    ]


def _uncertain_slices(predictor, volume, block, scored, test_uncertainty, advance):
    """PredictedSlices of test slices predicted one by one with their uncertainty."""
    for z in scored:
        image = predictor.slice_input(volume["raw"], z, block)
        started = time.perf_counter()
        prediction = test_uncertainty.predict(z, image, volume["labels"][z])
        seconds = time.perf_counter() - started
        advance(1)
        yield PredictedSlice(int(z), prediction.probabilities, prediction.classes, seconds)


def predictor_predicts_volumes(predictor):
    """Whether the model predicts whole blocks at once (a 3-D network)."""
    return predictor.volumetric


def summarise(predictor, settings, results, class_names, slice_shape):
    """summary.json: the model, its size and timings, and pooled scores per split."""
    header = predictor.header
    window = predictor.window_for(*slice_shape)
    batch = predictor.batch_for(predictor.window_shape(*slice_shape)) if window else None
    window = list(window) if window else None
    seconds = [r.seconds for r in results]
    splits = {}
    for split in settings.splits:
        splits[split] = pooled_scores(
            [r for r in results if r.split == split],
            class_names,
            settings.bootstrap_resamples,
            settings.confidence,
            settings.bootstrap_seed,
            settings.bootstrap_block,
        )
        scores = splits[split]
        log.info(
            "%s: accuracy %.4f [%.4f, %.4f], mean IoU %.4f [%.4f, %.4f] over %d slices",
            split,
            scores["accuracy"],
            scores["accuracy_ci_low"],
            scores["accuracy_ci_high"],
            scores["mean_iou"],
            scores["mean_iou_ci_low"],
            scores["mean_iou_ci_high"],
            scores["n_slices"],
        )
    return {
        "model": header.model_name,
        "arch": header.arch,
        # Where the model was trained (from its checkpoint) and where this evaluation ran.
        "train_device": header.device,
        "device": str(predictor.device),
        "parameters": header.parameters,
        "train_seconds": header.train_seconds,
        "inference_seconds_per_slice": float(np.median(seconds)) if seconds else float("nan"),
        # Wall seconds of prediction per slice over all evaluated slices (median above); a block
        # predicted whole shares its seconds among its slices.
        "inference_seconds": {
            "min": float(np.min(seconds)),
            "max": float(np.max(seconds)),
            "total": float(np.sum(seconds)),
            "slices": len(seconds),
        },
        "class_names": class_names,
        "context": header.context,
        # How slices were predicted; window_px (rows, cols on a slice) None: a pixel model
        # predicts whole slices directly; window_depth: a volumetric model's window along the
        # stack (None for slice models). Block plans (axes, smoothing) are under "prediction".
        "inference": {
            **vars(predictor.settings),
            "window_px": window,
            "window_depth": header.patch_depth,
            "batch_windows": batch,
        },
        # The precision the network ran in (fp32 / bf16; None for a pixel model).
        "precision": predictor.precision,
        "confidence": settings.confidence,
        "bootstrap_resamples": settings.bootstrap_resamples,
        "bootstrap_block": settings.bootstrap_block,
        "boundary_tolerance": settings.boundary_tolerance,
        "splits": splits,
    }
