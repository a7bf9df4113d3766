rule split:
    input:
        volume="results/ingest/volume.h5",
        code=package_modules(SCRIPTS / "split.py"),
    output:
        split="results/split/split.csv",
    log:
        "results/logs/split.log",
    benchmark:
        "results/benchmarks/split.tsv"
    conda:
        "../envs/imaging.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        split=config["split"],
    script:
        "../scripts/split.py"
