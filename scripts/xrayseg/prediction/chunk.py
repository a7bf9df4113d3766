"""One chunk job: the labels, uncertainty and island survey of slices [start, stop) of a scan.

The chunk predicts the slabs its slices and its majority vote's halo touch (xrayseg.prediction
.plan), votes its own slices with their real neighbours (xrayseg.cleanup.stream), surveys the
voted labels for island removal, and writes everything to its folder (xrayseg.prediction
.chunkstore), which appears complete or not at all: a killed chunk job leaves nothing that counts
as finished, and reruns alone.
"""

import logging
import time

import numpy as np
import torch

from xrayseg.cleanup.stream import IslandSurveyor, stream_majority
from xrayseg.evaluation.calibrate import fitted_temperature
from xrayseg.inference.uncertainty import UncertainPredictor
from xrayseg.io.atomic import atomic_output
from xrayseg.io.peakmemory import peak_memory_mb
from xrayseg.io.progress import Progress
from xrayseg.prediction.chunkstore import ChunkWriter
from xrayseg.prediction.cleanupfile import model_cleanup
from xrayseg.prediction.engine import SlabEngine, scan_plan
from xrayseg.prediction.model import calibration_of, load_model
from xrayseg.prediction.scan import NewScan
from xrayseg.settings.predict import parse_chunk_name

log = logging.getLogger(__name__)


def slice_row(z, name, maps):
    """A chunk.json row of one slice: its index, name and mean of each uncertainty map (NaN
    pixels, a model without probabilities, left out; NaN when none is defined)."""
    row = {"slice": int(z), "name": name}
    for map_name, values in maps.items():
        values = np.asarray(values, dtype=np.float32)
        defined = np.isfinite(values)
        row[f"mean_{map_name}"] = float(values[defined].mean()) if defined.any() else None
    return row


def predicted_labels(engine, plan, chunk, writer, rows, names, progress):
    """Yield the class labels of the chunk's label range slab by slab, in order, writing the
    chunk's own slices' maps (and probabilities) and rows on the way."""
    first, stop = chunk
    for slab, wanted in plan.chunk_work(chunk):
        classes = []
        for z, prediction in engine.predict(slab, wanted):
            classes.append(prediction.classes)
            if first <= z < stop:
                writer.write_prediction(z, prediction)
                rows.append(slice_row(z, names[z], prediction.maps))
            progress.advance()
        yield np.stack(classes)


def own_slices(blocks, start, chunk):
    """(first slice, block) of the chunk's own slices from consecutive blocks beginning at
    scan slice `start` (the vote's halo slices dropped)."""
    first, stop = chunk
    position = start
    for block in blocks:
        end = position + len(block)
        low, high = max(position, first), min(end, stop)
        if low < high:
            yield low, block[low - position : high - position]
        position = end


def run_chunk(engine, plan, chunk, cleanup, n_classes, writer, names):
    """Predict, vote and survey one chunk; write its labels. Returns (rows, Survey or None)."""
    rows = []
    label_start, label_stop = plan.label_range(chunk)
    progress = Progress("predict", label_stop - label_start, log.info)
    labels = predicted_labels(engine, plan, chunk, writer, rows, names, progress)
    voted = stream_majority(labels, n_classes, cleanup.majority)
    surveyor = IslandSurveyor(n_classes, chunk[0]) if cleanup.min_island > 1 else None
    for first, block in own_slices(voted, label_start, chunk):
        writer.write_labels(first, block)
        if surveyor is not None:
            surveyor.add(block)
    return rows, (surveyor.survey if surveyor is not None else None)


def predict_chunk(
    set_name,
    settings,
    requested_model,
    chunk,
    inputs,
    output,
    cleanup_files=None,
    probabilities=False,
    threads=1,
    device="auto",
):
    """Predict chunk `chunk` ('start-stop', xrayseg.settings.predict.chunk_name) of a set into
    the folder `output`.

    settings: xrayseg.settings.predict.ChunkSettings; inputs: checkpoints, summaries (for best),
    calibrations (as predict_set takes them); cleanup_files: {model: cleanup.json path} (a
    missing file: no clean-up); probabilities: also keep the class probabilities.
    """
    started = time.perf_counter()
    torch.set_num_threads(max(1, int(threads)))
    chunk = parse_chunk_name(chunk)
    choice, checkpoint, predictor = load_model(requested_model, inputs, settings.inference, device)
    calibration = calibration_of(choice.name, inputs.get("calibrations", []))
    uncertain = UncertainPredictor(predictor, fitted_temperature(calibration))
    cleanup = model_cleanup(choice.name, cleanup_files)
    n_classes = predictor.n_classes
    normalisation = checkpoint.header.normalisation
    with NewScan(settings.raw, normalisation, 2 * predictor.context + 1) as scan:
        plan = scan_plan(
            predictor,
            len(scan),
            scan.shape,
            settings.axes,
            settings.smooth_sigma,
            cleanup.majority,
            settings.slab_mb,
        )
        if chunk[1] > len(scan):
            raise ValueError(
                f"chunk {chunk} reaches beyond the scan's {len(scan)} slices: the scan changed "
                "since the run was planned; start it again"
            )
        log.info(
            "%s: slices %d-%d of %d (%s) with %s on %s (%s); slabs of %d, halo %s, clean-up %s",
            set_name,
            chunk[0],
            chunk[1] - 1,
            len(scan),
            scan.shape,
            choice.name,
            predictor.device,
            predictor.precision or "pixel model",
            plan.slab_slices,
            plan.halo.record(),
            cleanup.name,
        )
        engine = SlabEngine(scan, uncertain, plan, settings.axes, settings.smooth_sigma)
        with atomic_output(output) as folder:
            writer = ChunkWriter(
                folder, chunk, scan.shape, uncertain.map_names, n_classes, probabilities
            )
            rows, survey = run_chunk(engine, plan, chunk, cleanup, n_classes, writer, scan.names)
            seconds = time.perf_counter() - started
            meta = {
                "set": set_name,
                "chunk": list(chunk),
                "n_slices": len(scan),
                "slice_shape": list(scan.shape),
                "model": choice.name,
                "arch": checkpoint.header.arch,
                "map_names": list(uncertain.map_names),
                "temperature": uncertain.temperature,
                "precision": predictor.precision,
                "device": str(predictor.device),
                "inference": vars(predictor.settings),
                "axes": list(settings.axes),
                "smooth_sigma": settings.smooth_sigma,
                "plan": plan.record(),
                "cleanup": cleanup.record(),
                "seconds": seconds,
                "predict_seconds": engine.seconds,
                "peak_memory_mb": peak_memory_mb(),
                "rows": rows,
            }
            writer.finish(meta, survey)
    log.info(
        "chunk %s done in %.1f s (%.1f s predicting), peak memory %.0f MB",
        chunk,
        seconds,
        engine.seconds,
        meta["peak_memory_mb"],
    )
    return meta
