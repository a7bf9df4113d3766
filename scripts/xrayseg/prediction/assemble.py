"""The assemble job of a prediction set: its chunks merged into the set's outputs.

The chunks (xrayseg.prediction.chunkstore) hold the majority-voted labels, the uncertainty maps
and each an island survey. This job merges the surveys (xrayseg.cleanup.survey: components that
cross chunk borders join), resolves which islands to fill, and walks the scan once, slab by slab
of the surveys' grid: each slab relabelled (pass 2) and fed to every output at once:
  segmentation.ome.zarr   the labels in the training label values, multiscale (mode)
  uncertainty.ome.zarr    the uncertainty maps, float16, multiscale (mean)
  slices/, segmentation.tif   the TIFFs (outputs: tiff)
  probabilities.h5        when the set saves them
  volume.csv              StreamingMicrostructure of the final labels (each face and edge
                          counted once across every border)
  fractions.csv           per slice: names, class fractions, mean uncertainty
  shift.csv, summary.json the grey-value check; the model, plan, clean-up, chunks and the peak
                          memory of every job
Memory: one slab of labels and maps, the pyramid's few slices per level, the surveys' per
component numbers; never the scan.
"""

import contextlib
import logging
import math
import time
from dataclasses import asdict

import h5py
import numpy as np
import pandas as pd
import tifffile

from xrayseg.cleanup.candidates import Cleanup
from xrayseg.cleanup.survey import merge, resolve
from xrayseg.data.split import slices_of
from xrayseg.io.atomic import atomic_output
from xrayseg.io.labelfiles import label_lookup, write_label_slice, write_label_stack
from xrayseg.io.omezarr import LabelImageWriter, MapImageWriter
from xrayseg.io.peakmemory import peak_memory_mb
from xrayseg.io.probabilities import ProbabilityFile
from xrayseg.io.progress import Progress
from xrayseg.io.tables import write_csv, write_json
from xrayseg.microstructure.roles import class_roles
from xrayseg.microstructure.streaming import StreamingMicrostructure, metrics_table
from xrayseg.models.checkpoint import load_checkpoint
from xrayseg.prediction.chunkstore import ChunkReader
from xrayseg.prediction.model import chosen_model
from xrayseg.prediction.scan import NewScan, output_names
from xrayseg.prediction.shift import grey_shift, sample_percentiles, shift_message

log = logging.getLogger(__name__)
# Slices per slab of the microstructure counts (StreamingMicrostructure peaks at about 15 bytes
# per slab voxel); fewer for large slices.
MICROSTRUCTURE_VOXELS = 2**24


def check_chunks(readers):
    """The chunks in slice order, checked: they tile the scan and followed one plan."""
    readers = sorted(readers, key=lambda reader: reader.start)
    n_slices = readers[0].meta["n_slices"]
    position = 0
    for reader in readers:
        if reader.start != position or reader.meta["n_slices"] != n_slices:
            raise ValueError(
                f"chunk {reader.folder} covers slices {reader.start}-{reader.stop - 1}, expected "
                f"one from {position} of {n_slices}: the chunks are of different runs"
            )
        for key in ("model", "plan", "cleanup", "map_names", "slice_shape"):
            if reader.meta[key] != readers[0].meta[key]:
                raise ValueError(
                    f"chunks {readers[0].folder} and {reader.folder} differ in {key}: "
                    f"{readers[0].meta[key]} and {reader.meta[key]}; run them again"
                )
        position = reader.stop
    if position != n_slices:
        raise ValueError(f"the chunks cover {position} of {n_slices} slices")
    return readers


def island_plan(readers, cleanup):
    """The IslandPlan of the whole scan from the chunks' surveys; None without island removal."""
    if cleanup.min_island <= 1:
        return None
    survey = None
    for reader in readers:
        part = reader.survey()
        survey = part if survey is None else merge(survey, part)
    plan = resolve(survey, cleanup.min_island)
    log.info(
        "island removal: %d islands below %d voxels filled (%d voxels)",
        plan.removed,
        cleanup.min_island,
        plan.removed_voxels,
    )
    return plan


def slabs_of(readers, plan, slab_slices):
    """[(reader, (start, stop, offset) or None)]: the islands plan's slabs (its relabelling
    needs exactly the surveyed slabs), or each chunk cut into slab_slices."""
    if plan is not None:
        found = []
        for slab in plan.slabs:
            reader = next(r for r in readers if r.start <= slab[0] < r.stop)
            found.append((reader, slab))
        return found
    return [
        (reader, (start, min(start + slab_slices, reader.stop), None))
        for reader in readers
        for start in range(reader.start, reader.stop, slab_slices)
    ]


def fraction_row(z, name, output, classes, class_names, uncertainty):
    """fractions.csv row of one slice: its index, input and output names, class fractions and
    the chunk's mean of each uncertainty map."""
    counts = np.bincount(classes.ravel(), minlength=len(class_names))[: len(class_names)]
    row = {"slice": z, "name": name, "file": output}
    for cls, count in zip(class_names, counts, strict=True):
        row[f"fraction_{cls}"] = float(count / classes.size)
    for key, value in uncertainty.items():
        if key.startswith("mean_"):
            row[key] = float("nan") if value is None else value
    return row


def train_percentiles(volume_path, split_csv):
    """Normalised grey-value percentiles of the train slices of the ingested volume."""
    train = slices_of(pd.read_csv(split_csv), "train")
    with h5py.File(volume_path, "r") as volume:
        return sample_percentiles(lambda z: volume["raw"][z], train)


def check_shift(set_name, scan, inputs, normalisation, tolerance, path):
    """Compare the scan's grey values with the train slices' (inputs volume and split); write
    shift.csv to `path`, log a WARNING when the scan is flagged, return summary.json's verdict."""
    reference = train_percentiles(inputs["volume"], inputs["split"])
    new = sample_percentiles(lambda z: scan[z], range(len(scan)))
    rows, flagged = grey_shift(reference, new, tolerance, normalisation)
    write_csv(rows, path)
    largest = max(abs(r["shift"]) for r in rows)
    if flagged:
        log.warning(shift_message(set_name, rows))
    else:
        log.info(
            "grey values match the training data (largest percentile shift %.3f <= %g)",
            largest,
            tolerance,
        )
    return {"flagged": flagged, "tolerance": tolerance, "max_abs_shift": largest}


class Outputs:
    """Every output the walk over the final labels feeds, opened for writing."""

    def __init__(
        self, stack, outputs, shape, header, maps, names, model, temperature, settings, defined
    ):
        self.outputs = outputs
        self.lookup = label_lookup(header.label_values)
        self.class_names = list(header.class_names)
        self.names = names
        self.shape = shape
        voxel = settings.microstructure.voxel_size
        about = {"model": model, "class_names": self.class_names}
        self.labels = LabelImageWriter(
            stack.enter_context(atomic_output(outputs["zarr"])),
            shape,
            self.lookup,
            voxel,
            attrs=about,
        )
        self.maps = MapImageWriter(
            stack.enter_context(atomic_output(outputs["uncertainty"])),
            shape,
            maps,
            voxel,
            attrs={**about, "temperature": temperature, "defined": defined},
        )
        self.map_names = maps
        self.slices = None
        if outputs.get("slices"):
            self.slices = stack.enter_context(atomic_output(outputs["slices"]))
            self.slices.mkdir()
        self.probabilities = None
        if outputs.get("probabilities"):
            path = stack.enter_context(atomic_output(outputs["probabilities"]))
            self.probabilities = ProbabilityFile(
                path,
                range(shape[0]),
                names["input"],
                shape[1:],
                self.class_names,
                header.label_values,
                model,
                temperature,
            )
            stack.callback(self.probabilities.close)
        micro = settings.microstructure
        self.volume = StreamingMicrostructure(
            len(self.class_names),
            class_roles(micro.roles, self.class_names),
            micro.voxel_size,
            micro.axis,
            self.class_names,
            slab=max(1, min(32, MICROSTRUCTURE_VOXELS // (shape[1] * shape[2]))),
        )
        self.rows = []

    def add(self, start, labels, maps, rows, probabilities=None):
        """Feed final labels of slices start.. (Z', Y, X), their maps {name: (Z', Y, X)}, their
        chunk rows and probabilities (Z', C, Y, X) or None."""
        self.labels.write(labels)
        for offset, classes in enumerate(labels):
            z = start + offset
            self.maps.write({name: maps[name][offset] for name in self.map_names})
            self.volume.add(classes)
            output = self.names["output"][z]
            if self.slices is not None:
                write_label_slice(self.slices / output, self.lookup[classes])
            if self.probabilities is not None:
                self.probabilities.write(z, probabilities[offset])
            self.rows.append(
                fraction_row(z, self.names["input"][z], output, classes, self.class_names, rows[z])
            )

    def finish(self):
        self.labels.close()
        self.maps.close()
        if self.slices is not None:
            # Read back slice by slice, so the stack never sits in memory whole.
            write_label_stack(
                self.outputs["stack"],
                (tifffile.imread(self.slices / name) for name in self.names["output"]),
                (len(self.names["output"]), *self.shape[1:], *self.lookup.shape[1:]),
                self.lookup.dtype,
            )


def assemble_set(set_name, settings, requested_model, inputs, outputs, chunks):
    """Merge a set's chunk folders (`chunks`, any order) into its outputs.

    settings: xrayseg.settings.predict.PredictSettings; inputs: checkpoints, summaries (for
    best), volume and split (the grey-value reference); outputs: the paths of
    xrayseg.settings.layout.predict_outputs.
    """
    started = time.perf_counter()
    readers = check_chunks([ChunkReader(path) for path in chunks])
    meta = readers[0].meta
    choice = chosen_model(requested_model, inputs)
    if choice.name != meta["model"]:
        raise ValueError(
            f"the chunks were predicted with {meta['model']}, the best model is now "
            f"{choice.name}; run the chunks again"
        )
    header = load_checkpoint(choice.checkpoint).header
    cleanup = Cleanup(meta["cleanup"]["majority"], meta["cleanup"]["min_island"])
    shape = (meta["n_slices"], *meta["slice_shape"])
    rows = {row["slice"]: row for reader in readers for row in reader.meta["rows"]}
    with NewScan(settings.raw, header.normalisation) as scan:
        if (len(scan), *scan.shape) != shape:
            raise ValueError(f"{settings.raw} is {(len(scan), *scan.shape)}, the chunks {shape}")
        shift = check_shift(
            set_name, scan, inputs, header.normalisation, settings.shift_tolerance, outputs["shift"]
        )
        names = {"input": scan.names, "output": output_names(scan.source)}
    plan = island_plan(readers, cleanup)
    slab_slices = meta["plan"]["slab_slices"]
    progress = Progress("assemble", shape[0], log.info)
    with contextlib.ExitStack() as stack:
        sinks = Outputs(
            stack,
            outputs,
            shape,
            header,
            meta["map_names"],
            names,
            choice.name,
            meta["temperature"],
            settings,
            header.architecture.probabilities,
        )
        for reader, (start, stop, offset) in slabs_of(readers, plan, slab_slices):
            labels = reader.labels(start, stop)
            if plan is not None:
                labels = plan.relabel(labels, (start, stop, offset))
            maps = {name: reader.maps(name, start, stop) for name in meta["map_names"]}
            probabilities = reader.probabilities(start, stop) if sinks.probabilities else None
            sinks.add(start, labels, maps, rows, probabilities)
            progress.advance(stop - start)
        sinks.finish()
    metrics = sinks.volume.result()
    write_csv(sinks.rows, outputs["fractions"])
    write_csv(metrics_table(metrics), outputs["volume"], ["metric", "phases", "unit", "value"])
    for (metric, phases), value in metrics.items():
        if metric in ("volume_fraction", "connected_fraction"):
            log.info("%s %s: %.4f", metric, phases, value)
    seconds = time.perf_counter() - started
    chunk_records = [
        {
            "chunk": reader.meta["chunk"],
            "seconds": reader.meta["seconds"],
            "predict_seconds": reader.meta["predict_seconds"],
            "peak_memory_mb": reader.meta["peak_memory_mb"],
        }
        for reader in readers
    ]
    predict_seconds = sum(record["predict_seconds"] for record in chunk_records)
    summary = {
        **set_summary(set_name, settings.raw, requested_model, choice, header, meta["device"]),
        "context": header.context,
        "n_slices": shape[0],
        "slice_shape": list(shape[1:]),
        "grey_shift": shift,
        "microstructure": asdict(settings.microstructure),
        "inference": meta["inference"],
        "axes": meta["axes"],
        "smooth_sigma": meta["smooth_sigma"],
        # The precision the network ran in (fp32 / bf16; None for a pixel model).
        "precision": meta["precision"],
        # The temperature of the probabilities and uncertainty (null: the model's own).
        "temperature": meta["temperature"],
        "cleanup": {
            **meta["cleanup"],
            "islands_removed": None if plan is None else plan.removed,
            "island_voxels_removed": None if plan is None else plan.removed_voxels,
        },
        "outputs": settings.outputs,
        "plan": meta["plan"],
        "chunk_slices": settings.chunk_slices,
        "chunks": chunk_records,
        "assemble": {"seconds": seconds, "peak_memory_mb": peak_memory_mb()},
        "peak_memory_mb": max(
            [record["peak_memory_mb"] for record in chunk_records] + [peak_memory_mb()]
        ),
        "seconds": predict_seconds,
        "seconds_per_slice": predict_seconds / shape[0],
    }
    write_json(summary, outputs["summary"])
    log.info(
        "assembled %d chunks in %.1f s, peak memory %.0f MB (chunks up to %.0f MB)",
        len(readers),
        seconds,
        summary["assemble"]["peak_memory_mb"],
        max(record["peak_memory_mb"] for record in chunk_records),
    )
    return summary


def set_summary(set_name, raw, requested_model, choice, header, device):
    """summary.json's account of the set (its data spec `raw`) and the model that segmented it
    (and why)."""
    return {
        "set": set_name,
        "raw": raw,
        "requested_model": requested_model,
        "model": choice.name,
        "arch": header.arch,
        # Known for `best` (from the evaluations it depends on); null for a named model.
        "test_mean_iou": choice.test_mean_iou if math.isfinite(choice.test_mean_iou) else None,
        "candidates_test_mean_iou": choice.candidates,
        "class_names": list(header.class_names),
        "label_values": np.asarray(header.label_values).tolist(),
        "normalisation": {k: float(v) for k, v in header.normalisation.items()},
        "device": device,
    }
