"""Snakemake shim: train one configured model."""

from xrayseg.io.logsetup import log_to
from xrayseg.training.job import train_model

with log_to(snakemake.log[0]):
    train_model(
        model_name=snakemake.wildcards.model,
        model_cfg=dict(snakemake.params.settings),
        volume_path=snakemake.input.volume,
        split_csv=snakemake.input.split,
        patches_path=snakemake.input.get("patches"),
        checkpoint_path=snakemake.output.checkpoint,
        history_path=snakemake.output.history,
        threads=snakemake.threads,
        seed=snakemake.params.seed,
        device=snakemake.params.device,
    )
