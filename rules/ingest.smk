# The outputs (xrayseg.settings.layout); the report shows all but the volume.
INGESTED = ingest_outputs(INGEST)


rule ingest:
    input:
        unpack(ingest_inputs),
        code=package_modules(SCRIPTS / "ingest.py"),
    output:
        **flagged(
            INGESTED,
            summary=report(
                INGESTED["summary"],
                caption="../report/ingest_summary.rst",
                category="Data",
                labels={"result": "per-slice statistics"},
            ),
            histograms=report(
                INGESTED["histograms"],
                caption="../report/ingest_histograms.rst",
                category="Data",
                labels={"result": "grey-value histogram per class"},
            ),
            figure=report(
                INGESTED["figure"],
                caption="../report/ingest_classes.rst",
                category="Data",
                labels={"result": "classes along the stack (ingest)"},
            ),
        ),
    log:
        "results/logs/ingest.log",
    benchmark:
        "results/benchmarks/ingest.tsv"
    conda:
        "../envs/imaging.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        specs=data_specs(),
        data=ingest_settings(),
        split=split_blocks(),
    script:
        "../scripts/ingest.py"
