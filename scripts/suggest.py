"""Snakemake shim: rank the stack's unlabelled slices by the model's uncertainty."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.io.logsetup import log_to
from xrayseg.labelling.suggest import suggest_slices
from xrayseg.settings.labelling import SuggestSettings

with log_to(snakemake.log[0]):
    suggest_slices(
        requested_model=snakemake.wildcards.model,
        inputs=dict(snakemake.input.items()),
        settings=SuggestSettings.from_params(snakemake.params.settings),
        outputs=dict(snakemake.output.items()),
        threads=snakemake.threads,
        device=snakemake.params.device,
    )
