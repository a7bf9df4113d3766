"""Snakemake shim: generate the built-in synthetic tomogram."""

from xrayseg.logsetup import log_to
from xrayseg.synthetic import write_synthetic_from_config

with log_to(snakemake.log[0]):
    write_synthetic_from_config(
        snakemake.output[0], snakemake.params.settings, snakemake.params.label_values
    )
