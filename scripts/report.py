"""Snakemake shim: write the comparison report results/report.html, its figures and score table."""

# ruff: noqa: F821 - Snakemake passes the `snakemake` object to a script as a global.

import os

from xrayseg.io.logsetup import log_to
from xrayseg.report.build import (
    COMMAND_VARIABLE,
    VERSION_VARIABLE,
    build_report,
    per_model_paths,
)

with log_to(snakemake.log[0]):
    output = dict(snakemake.output.items())
    inputs = dict(snakemake.input.items())
    build_report(
        model_paths=per_model_paths(snakemake.params.models, inputs),
        volume=snakemake.input.volume,
        ingest_summary=snakemake.input.ingest_summary,
        histograms=snakemake.input.histograms,
        split_csv=snakemake.input.split,
        patch_counts=list(snakemake.input.patch_counts),
        config=snakemake.params.config,
        outputs={
            "html": output["html"],
            "scores": output["scores"],
            "figures": {
                name.removeprefix("figure_"): path
                for name, path in output.items()
                if name.startswith("figure_")
            },
        },
        # Set by rules/common.smk in the Snakemake process that started the run.
        command=os.environ.get(COMMAND_VARIABLE),
        snakemake_version=os.environ.get(VERSION_VARIABLE),
        suggestions={key: inputs[f"suggest_{key}"] for key in ("ranking", "summary", "panel")},
        learning_curve={
            key: list(snakemake.input.get(f"curve_{key}", []))
            for key in ("splits", "summaries", "metrics")
        },
        adaptation=snakemake.params.adaptation,
    )
