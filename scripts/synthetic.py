"""Snakemake shim: generate the built-in synthetic tomogram."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.data.synthetic import write_synthetic_from_config
from xrayseg.io.logsetup import log_to

with log_to(snakemake.log[0]):
    write_synthetic_from_config(
        snakemake.output[0],
        snakemake.params.settings,
        snakemake.params.label_values,
        split=snakemake.params.split,
    )
