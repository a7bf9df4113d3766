"""Snakemake shim: join the stack's suggestions with every prediction set's slices."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.io.logsetup import log_to
from xrayseg.labelling.nextslices import merge_suggestions

with log_to(snakemake.log[0]):
    merge_suggestions(
        stack_csv=snakemake.input.stack,
        set_files={
            name.removeprefix("set_"): path
            for name, path in snakemake.input.items()
            if name.startswith("set_")
        },
        min_distance=snakemake.params.min_distance,
        out_csv=snakemake.output.ranking,
    )
