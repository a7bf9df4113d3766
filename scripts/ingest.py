"""Snakemake shim: ingest raw and label slices into results/ingest/volume.h5."""

from xrayseg.ingest import ingest_volume
from xrayseg.logsetup import log_to

with log_to(snakemake.log[0]):
    raw_glob, labels_glob = snakemake.params.globs
    ingest_volume(
        raw_spec=raw_glob,
        labels_spec=labels_glob,
        label_values=snakemake.params.label_values,
        class_names=snakemake.params.class_names,
        split=snakemake.params.split,
        out_path=snakemake.output.volume,
        percentiles=snakemake.params.percentiles,
    )
