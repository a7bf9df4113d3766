rule synthetic:
    input:
        code=package_modules(SCRIPTS / "synthetic.py"),
    output:
        directory(SYNTHETIC_DIR),
    log:
        "results/logs/synthetic.log",
    benchmark:
        "results/benchmarks/synthetic.tsv"
    conda:
        "../envs/imaging.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    params:
        settings=config["synthetic"],
        label_values=config["data"]["label_values"],
        split=synthetic_label_split(),
    script:
        "../scripts/synthetic.py"
