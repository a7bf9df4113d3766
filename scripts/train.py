"""Snakemake shim: train one configured model."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.io.logsetup import log_to
from xrayseg.training.job import train_model

with log_to(snakemake.log[0]):
    # One patch file, or one per orientation (training.orientations).
    patches = snakemake.input.get("patches")
    train_model(
        model_name=snakemake.wildcards.model,
        model_cfg=dict(snakemake.params.settings),
        volume_path=snakemake.input.volume,
        split_csv=snakemake.input.split,
        patches_path=patches if patches is None or isinstance(patches, str) else list(patches),
        checkpoint_path=snakemake.output.checkpoint,
        history_path=snakemake.output.history,
        threads=snakemake.threads,
        seed=snakemake.params.seed,
        device=snakemake.params.device,
    )
