"""Snakemake shim: write results/split/split.csv."""

from xrayseg.data.split import write_split_table
from xrayseg.io.logsetup import log_to

with log_to(snakemake.log[0]):
    write_split_table(snakemake.input.volume, snakemake.params.split, snakemake.output.split)
