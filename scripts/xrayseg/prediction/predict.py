"""Segment a new scan with a trained model: results/predict/{model}/{set}/.

A set is predicted by chunk jobs (xrayseg.prediction.chunk: `predict.<set>.chunk_slices`
slices each, or the whole scan in one) and one assemble job (xrayseg.prediction.assemble);
Snakemake runs them as separate jobs (rules/predict.smk), in parallel or on a cluster.
`predict_set` runs the same two steps in one process (tests, benchmarks, scripting): every
chunk, then the assembly, so its outputs are those of the Snakemake jobs.

Outputs (xrayseg.settings.layout.predict_outputs), each complete or absent:
  segmentation.ome.zarr  the labels in the training label values, multiscale OME-Zarr
  uncertainty.ome.zarr   per-voxel uncertainty maps, float16, multiscale OME-Zarr
  slices/, segmentation.tif   a label TIFF per input slice and the multi-page stack (outputs tiff)
  fractions.csv          per slice its names, class fractions and mean uncertainty
  volume.csv             microstructure of the whole predicted volume
  shift.csv              grey-value percentiles of the scan against the train slices'
  summary.json           the model used (and why), the plan, the clean-up, timings and the peak
                         memory of every job
  probabilities.h5       class probabilities, when the set asks for them
Probabilities and uncertainty use the temperature the calibrate job fitted for the model; the
labels get the clean-up the model's evaluation chose (results/eval/{model}/cleanup.json).
"""

import shutil
from pathlib import Path

from xrayseg.prediction.assemble import assemble_set
from xrayseg.prediction.chunk import predict_chunk
from xrayseg.settings.layout import predict_chunk_folder
from xrayseg.settings.predict import chunk_name, chunk_ranges, scan_slice_count


def predict_set(
    set_name,
    settings,
    requested_model,
    inputs,
    outputs,
    cleanup_files=None,
    threads=1,
    device="auto",
    keep_chunks=False,
):
    """Segment one prediction set: its chunk jobs one after another, then the assembly.

    settings: xrayseg.settings.predict.PredictSettings; inputs: checkpoints (list), summaries
    (list, for best), calibrations (list of calibration.json; optional), volume and split (the
    ingested training data, for the shift reference); outputs: the paths of
    xrayseg.settings.layout.predict_outputs (probabilities optional); cleanup_files: {model:
    cleanup.json}. The chunk folders go beside the outputs and are removed at the end unless
    keep_chunks. Returns summary.json's record.
    """
    folder = Path(outputs["summary"]).parent
    n_slices = scan_slice_count(settings.raw)
    chunks = []
    for bounds in chunk_ranges(n_slices, settings.chunk_slices):
        path = predict_chunk_folder(folder, chunk_name(*bounds))
        predict_chunk(
            set_name,
            settings.chunk,
            requested_model,
            chunk_name(*bounds),
            inputs,
            path,
            cleanup_files,
            probabilities=bool(outputs.get("probabilities")),
            threads=threads,
            device=device,
        )
        chunks.append(path)
    summary = assemble_set(set_name, settings, requested_model, inputs, outputs, chunks)
    if not keep_chunks:
        for path in chunks:
            shutil.rmtree(path)
    return summary
