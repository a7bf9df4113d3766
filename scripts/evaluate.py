"""Snakemake shim: predict and score every held-out slice with one model."""

from xrayseg.evaluate import evaluate_model
from xrayseg.logsetup import log_to

with log_to(snakemake.log[0]):
    settings = snakemake.params.settings
    evaluate_model(
        checkpoint_path=snakemake.input.checkpoint,
        volume_path=snakemake.input.volume,
        split_csv=snakemake.input.split,
        splits=settings["splits"],
        overlap=settings["overlap"],
        batch_size=settings["batch_size"],
        outputs=dict(snakemake.output.items()),
        threads=snakemake.threads,
        device=snakemake.params.device,
    )
