"""Snakemake shim: fit the temperature of one model's probabilities on whole val slices."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.evaluation.calibrate import calibrate_model
from xrayseg.io.logsetup import log_to
from xrayseg.settings.evaluate import CalibrateSettings

with log_to(snakemake.log[0]):
    calibrate_model(
        checkpoint_path=snakemake.input.checkpoint,
        volume_path=snakemake.input.volume,
        split_csv=snakemake.input.split,
        settings=CalibrateSettings.from_params(snakemake.params.settings),
        output=snakemake.output.calibration,
        threads=snakemake.threads,
        device=snakemake.params.device,
    )
