"""Snakemake shim: segment one prediction set with one trained model (or the best one)."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.io.logsetup import log_to
from xrayseg.prediction.predict import predict_set
from xrayseg.settings.predict import PredictSettings

with log_to(snakemake.log[0]):
    predict_set(
        set_name=snakemake.wildcards.set,
        settings=PredictSettings.from_params(snakemake.params.settings),
        requested_model=snakemake.wildcards.model,
        inputs=dict(snakemake.input.items()),
        outputs=dict(snakemake.output.items()),
        threads=snakemake.threads,
        device=snakemake.params.device,
    )
