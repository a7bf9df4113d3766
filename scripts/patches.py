"""Snakemake shim: build results/patches/{size}px.h5 (or {size}px_{axis}.h5) and its counts."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.io.logsetup import log_to
from xrayseg.patches.build import build_patches

with log_to(snakemake.log[0]):
    settings = snakemake.params.settings
    build_patches(
        volume_path=snakemake.input.volume,
        split_csv=snakemake.input.split,
        size=int(snakemake.wildcards.size),
        seed=settings["seed"],
        near_duplicate=settings["near_duplicate"],
        out_h5=snakemake.output.patches,
        out_csv=snakemake.output.counts,
        max_ignored_fraction=settings["max_ignored_fraction"],
        orientation=snakemake.wildcards.get("axis", "z"),
    )
