"""Snakemake shim: write the comparison report results/report.html."""

from xrayseg.logsetup import log_to
from xrayseg.report import build_report

with log_to(snakemake.log[0]):
    models = snakemake.params.models
    build_report(
        summary_paths=dict(zip(models, snakemake.input.summaries, strict=True)),
        panel_paths=dict(zip(models, snakemake.input.panels, strict=True)),
        split_csv=snakemake.input.split,
        config=snakemake.params.config,
        out_html=snakemake.output.html,
    )
