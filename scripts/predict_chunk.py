"""Snakemake shim: predict one chunk of slices of a prediction set."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.io.logsetup import log_to
from xrayseg.prediction.chunk import predict_chunk
from xrayseg.settings.predict import ChunkSettings

with log_to(snakemake.log[0]):
    predict_chunk(
        set_name=snakemake.wildcards.set,
        settings=ChunkSettings.from_params(snakemake.params.settings),
        requested_model=snakemake.wildcards.model,
        chunk=snakemake.wildcards.chunk,
        inputs=dict(snakemake.input.items()),
        output=snakemake.output.chunk,
        cleanup_files=snakemake.params.cleanup,
        probabilities=snakemake.params.probabilities,
        threads=snakemake.threads,
        device=snakemake.params.device,
    )
