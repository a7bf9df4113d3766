"""Snakemake shim: assemble one prediction set from its chunk jobs' folders."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.io.logsetup import log_to
from xrayseg.prediction.assemble import assemble_set
from xrayseg.settings.predict import PredictSettings

with log_to(snakemake.log[0]):
    inputs = dict(snakemake.input.items())
    assemble_set(
        set_name=snakemake.wildcards.set,
        settings=PredictSettings.from_params(snakemake.params.settings),
        requested_model=snakemake.wildcards.model,
        inputs=inputs,
        outputs=dict(snakemake.output.items()),
        chunks=list(snakemake.input.chunks),
    )
