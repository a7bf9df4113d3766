"""Snakemake shim: write results/split/split.csv."""

from xrayseg.logsetup import log_to
from xrayseg.split import write_split_table

with log_to(snakemake.log[0]):
    write_split_table(snakemake.input.volume, snakemake.params.split, snakemake.output.split)
