"""Snakemake shim: build results/patches/{depth}x{side}x{side}px.h5 (3-D patches) and its counts."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.io.logsetup import log_to
from xrayseg.patches.cubes import build_cubes

with log_to(snakemake.log[0]):
    build_cubes(
        volume_path=snakemake.input.volume,
        split_csv=snakemake.input.split,
        depth=int(snakemake.wildcards.cube_depth),
        side=int(snakemake.wildcards.cube_side),
        seed=snakemake.params.seed,
        out_h5=snakemake.output.patches,
        out_csv=snakemake.output.counts,
    )
