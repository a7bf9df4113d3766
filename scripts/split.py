"""Snakemake shim: write results/split/split.csv."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.data.split import write_split_table
from xrayseg.io.logsetup import log_to

with log_to(snakemake.log[0]):
    write_split_table(snakemake.input.volume, snakemake.params.split, snakemake.output.split)
