rule ingest:
    input:
        unpack(ingest_inputs),
        code=package_modules(SCRIPTS / "ingest.py"),
    output:
        volume="results/ingest/volume.h5",
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
        globs=data_globs(),
        label_values=config["data"]["label_values"],
        class_names=config["data"]["class_names"],
        percentiles=config["data"]["normalise_percentiles"],
        split=config["split"],
    script:
        "../scripts/ingest.py"
