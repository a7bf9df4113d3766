rule report:
    input:
        summaries=expand("results/eval/{model}/summary.json", model=config["models"]),
        panels=expand("results/eval/{model}/panel.png", model=config["models"]),
        split="results/split/split.csv",
        code=package_modules(SCRIPTS / "report.py"),
    output:
        html="results/report.html",
    log:
        "results/logs/report.log",
    benchmark:
        "results/benchmarks/report.tsv"
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        models=list(config["models"]),
        config=config,
    script:
        "../scripts/report.py"
