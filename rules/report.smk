rule report:
    input:
        **suggest_report_inputs(),
        **learning_curve_report_inputs(),
        summaries=evaluations("summary"),
        metrics=evaluations("metrics"),
        confusions=evaluations("confusion"),
        predictions=evaluations("predictions"),
        histories=training_histories(),
        microstructure=evaluations("microstructure"),
        calibrations=evaluations("calibration"),
        volume=VOLUME,
        ingest_summary=ingest_outputs(INGEST)["summary"],
        histograms=ingest_outputs(INGEST)["histograms"],
        split=SPLIT_TABLE,
        patch_counts=model_patch_count_tables(),
        code=package_modules(SCRIPTS / "report.py"),
    output:
        **learning_curve_report_outputs(),
        html=report(
            "results/report.html",
            caption="../report/comparison.rst",
            category="Comparison",
            labels={"result": "the comparison report (one page)"},
        ),
        scores=report(
            "results/report/scores.csv",
            caption="../report/comparison_scores.rst",
            category="Comparison",
            labels={"result": "test scores table"},
        ),
        figure_scores=report(
            "results/report/scores.png",
            caption="../report/comparison_scores_figure.rst",
            category="Comparison",
            labels={"result": "scores per split and paired differences"},
        ),
        figure_per_class=report(
            "results/report/per_class.png",
            caption="../report/comparison_per_class.rst",
            category="Comparison",
            labels={"result": "per-class IoU and boundary F1"},
        ),
        figure_confusion=report(
            "results/report/confusion.png",
            caption="../report/comparison_confusion.rst",
            category="Comparison",
            labels={"result": "confusion matrices"},
        ),
        figure_along_stack=report(
            "results/report/along_stack.png",
            caption="../report/comparison_along_stack.rst",
            category="Comparison",
            labels={"result": "accuracy along the stack"},
        ),
        figure_fractions=report(
            "results/report/fractions.png",
            caption="../report/comparison_fractions.rst",
            category="Comparison",
            labels={"result": "phase fractions"},
        ),
        figure_microstructure=report(
            "results/report/microstructure.png",
            caption="../report/comparison_microstructure.rst",
            category="Comparison",
            labels={"result": "microstructure errors"},
        ),
        figure_tpb_profile=report(
            "results/report/tpb_profile.png",
            caption="../report/comparison_tpb_profile.rst",
            category="Comparison",
            labels={"result": "TPB density along the test block"},
        ),
        figure_panels=report(
            "results/report/panels.png",
            caption="../report/comparison_panels.rst",
            category="Comparison",
            labels={"result": "every model on the same test slices"},
        ),
        figure_curves=report(
            "results/report/curves.png",
            caption="../report/comparison_curves.rst",
            category="Training",
            labels={"model": "all", "result": "training curves"},
        ),
        figure_data=report(
            "results/report/data.png",
            caption="../report/data_figure.rst",
            category="Data",
            labels={"result": "split strip, classes and grey values"},
        ),
        figure_patches=report(
            "results/report/patches.png",
            caption="../report/patches_figure.rst",
            category="Patches",
            labels={"size": "all", "result": "patch counts"},
        ),
        figure_reliability=report(
            "results/report/reliability.png",
            caption="../report/comparison_reliability.rst",
            category="Comparison",
            labels={"result": "reliability diagrams"},
        ),
    log:
        "results/logs/report.log",
    benchmark:
        "results/benchmarks/report.tsv"
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    # The config the report shows, without the sections that change nothing it shows
    # (xrayseg.settings.report): editing threads or prediction sets does not rerun it.
    params:
        models=list(config["models"]),
        config=report_config(config),
        # The settings adapted to the data (xrayseg.settings.adapt), said in the verdict area.
        adaptation=ADAPTATION.record(),
    script:
        "../scripts/report.py"
