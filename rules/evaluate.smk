# The outputs (xrayseg.settings.layout); the rule wraps the ones the report shows.
EVALUATE = evaluate_outputs(
    evaluate_folder("{model}"), probabilities=config["evaluate"]["save_probabilities"]
)


rule evaluate:
    input:
        checkpoint=train_outputs(train_folder("{model}"))["checkpoint"],
        volume=VOLUME,
        split=SPLIT_TABLE,
        calibration=calibrate_outputs(calibrate_folder("{model}"))["calibration"],
        code=package_modules(SCRIPTS / "evaluate.py"),
    output:
        **flagged(
            EVALUATE,
            calibration=report(
                EVALUATE["calibration"],
                caption="../report/calibration.rst",
                category="Evaluation",
                subcategory="Calibration",
                labels={"model": "{model}"},
            ),
            metrics=report(
                EVALUATE["metrics"],
                caption="../report/metrics.rst",
                category="Evaluation",
                subcategory="Scores per slice",
                labels={"model": "{model}"},
            ),
            confusion=report(
                EVALUATE["confusion"],
                caption="../report/confusion.rst",
                category="Evaluation",
                subcategory="Confusion counts",
                labels={"model": "{model}"},
            ),
            microstructure=report(
                EVALUATE["microstructure"],
                caption="../report/microstructure.rst",
                category="Evaluation",
                subcategory="Microstructure",
                labels={"model": "{model}"},
            ),
            panel=report(
                EVALUATE["panel"],
                caption="../report/panel.rst",
                category="Evaluation",
                subcategory="Test slice panels",
                labels={"model": "{model}", "slice": "median"},
            ),
            panel_worst=report(
                EVALUATE["panel_worst"],
                caption="../report/panel.rst",
                category="Evaluation",
                subcategory="Test slice panels",
                labels={"model": "{model}", "slice": "worst"},
            ),
            panel_best=report(
                EVALUATE["panel_best"],
                caption="../report/panel.rst",
                category="Evaluation",
                subcategory="Test slice panels",
                labels={"model": "{model}", "slice": "best"},
            ),
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
        settings=evaluate_settings(),
        device=config["device"],
    script:
        "../scripts/evaluate.py"
