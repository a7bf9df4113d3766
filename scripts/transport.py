"""Snakemake shim: tortuosity, active TPB and sizes of the test block's labels, of a model's
prediction of it, or of a prediction set."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

from xrayseg.io.logsetup import log_to
from xrayseg.settings.transport import TransportSettings
from xrayseg.transport.job import run_transport

with log_to(snakemake.log[0]):
    run_transport(
        inputs=dict(snakemake.input.items()),
        settings=TransportSettings.from_params(snakemake.params.settings),
        output=snakemake.output.table,
        threads=snakemake.threads,
        device=snakemake.params.device,
    )
