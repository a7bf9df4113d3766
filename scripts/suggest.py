"""Snakemake shim: rank the stack's unlabelled slices by the model's uncertainty."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.io.logsetup import log_to
from xrayseg.labelling.suggest import suggest_slices

with log_to(snakemake.log[0]):
    suggest_slices(
        requested_model=snakemake.wildcards.model,
        inputs=dict(snakemake.input.items()),
        inference=snakemake.params.inference,
        min_distance=snakemake.params.min_distance,
        outputs=dict(snakemake.output.items()),
        threads=snakemake.threads,
        device=snakemake.params.device,
    )
