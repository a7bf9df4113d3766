"""Snakemake shim: predict and score every evaluated slice with one model."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.evaluation.evaluate import evaluate_model
from xrayseg.io.logsetup import log_to
from xrayseg.settings.evaluate import EvaluateSettings

with log_to(snakemake.log[0]):
    evaluate_model(
        checkpoint_path=snakemake.input.checkpoint,
        volume_path=snakemake.input.volume,
        split_csv=snakemake.input.split,
        settings=EvaluateSettings.from_params(snakemake.params.settings),
        outputs=dict(snakemake.output.items()),
        threads=snakemake.threads,
        device=snakemake.params.device,
        # The learning curve's evaluations (labelling) are of uncalibrated models.
        calibration=snakemake.input.get("calibration"),
    )
