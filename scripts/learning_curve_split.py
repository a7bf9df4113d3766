"""Snakemake shim: the split of one learning-curve point (train slices outside its subset set
aside)."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.io.logsetup import log_to
from xrayseg.labelling.subsets import write_subset_split

with log_to(snakemake.log[0]):
    write_subset_split(
        split_csv=snakemake.input.split,
        n=int(snakemake.wildcards.n),
        seed=snakemake.params.seed,
        out_csv=snakemake.output.split,
    )
