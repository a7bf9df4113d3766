rule evaluate:
    input:
        checkpoint="results/models/{model}/model.pt",
        volume="results/ingest/volume.h5",
        split="results/split/split.csv",
        code=package_modules(SCRIPTS / "evaluate.py"),
    output:
        **evaluate_optional_outputs(),
        metrics="results/eval/{model}/metrics.csv",
        summary="results/eval/{model}/summary.json",
        confusion="results/eval/{model}/confusion.csv",
        predictions="results/eval/{model}/test_predictions.tif",
        microstructure="results/eval/{model}/microstructure.csv",
        panel="results/eval/{model}/panel.png",
        panel_worst="results/eval/{model}/panel_worst.png",
        panel_best="results/eval/{model}/panel_best.png",
    log:
        "results/logs/evaluate/{model}.log",
    benchmark:
        "results/benchmarks/evaluate/{model}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: config["threads"]["evaluate"]
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        settings=config["evaluate"],
        device=config["device"],
        microstructure=config["microstructure"],
    script:
        "../scripts/evaluate.py"
