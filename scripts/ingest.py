"""Snakemake shim: ingest raw and label slices into results/ingest/volume.h5."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.data.ingest import ingest_volume
from xrayseg.io.logsetup import log_to

with log_to(snakemake.log[0]):
    data = snakemake.params.data
    ingest_volume(
        raw_spec=snakemake.params.specs["raw"],
        labels_spec=snakemake.params.specs["labels"],
        label_values=data["label_values"],
        class_names=data["class_names"],
        mask=data["mask"],
        slices=data["slices"],
        sparse_labels=data["sparse_labels"],
        percentiles=data["normalise_percentiles"],
        split=snakemake.params.split,
        out_path=snakemake.output.volume,
        summary_path=snakemake.output.summary,
        histograms_path=snakemake.output.histograms,
        figure_path=snakemake.output.figure,
    )
