rule evaluate:
    input:
        checkpoint="results/models/{model}/model.pt",
        volume="results/ingest/volume.h5",
        split="results/split/split.csv",
        calibration="results/calibration/{model}/calibration.json",
        code=package_modules(SCRIPTS / "evaluate.py"),
    output:
        **evaluate_optional_outputs(),
        uncertainty="results/eval/{model}/test_uncertainty.h5",
        calibration=report(
            "results/eval/{model}/calibration.csv",
            caption="../report/calibration.rst",
            category="Evaluation",
            subcategory="Calibration",
            labels={"model": "{model}"},
        ),
        metrics=report(
            "results/eval/{model}/metrics.csv",
            caption="../report/metrics.rst",
            category="Evaluation",
            subcategory="Scores per slice",
            labels={"model": "{model}"},
        ),
        summary="results/eval/{model}/summary.json",
        confusion=report(
            "results/eval/{model}/confusion.csv",
            caption="../report/confusion.rst",
            category="Evaluation",
            subcategory="Confusion counts",
            labels={"model": "{model}"},
        ),
        predictions="results/eval/{model}/test_predictions.tif",
        microstructure=report(
            "results/eval/{model}/microstructure.csv",
            caption="../report/microstructure.rst",
            category="Evaluation",
            subcategory="Microstructure",
            labels={"model": "{model}"},
        ),
        panel=report(
            "results/eval/{model}/panel.png",
            caption="../report/panel.rst",
            category="Evaluation",
            subcategory="Test slice panels",
            labels={"model": "{model}", "slice": "median"},
        ),
        panel_worst=report(
            "results/eval/{model}/panel_worst.png",
            caption="../report/panel.rst",
            category="Evaluation",
            subcategory="Test slice panels",
            labels={"model": "{model}", "slice": "worst"},
        ),
        panel_best=report(
            "results/eval/{model}/panel_best.png",
            caption="../report/panel.rst",
            category="Evaluation",
            subcategory="Test slice panels",
            labels={"model": "{model}", "slice": "best"},
        ),
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
