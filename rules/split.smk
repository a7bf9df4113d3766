rule split:
    input:
        volume=VOLUME,
        code=package_modules(SCRIPTS / "split.py"),
    output:
        split=report(
            SPLIT_TABLE,
            caption="../report/split.rst",
            category="Data",
            labels={"result": "split of every slice"},
        ),
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
