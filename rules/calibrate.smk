# The temperature of each model's class probabilities, fitted on whole val slices predicted with
# the configured inference settings (xrayseg.evaluation.calibrate). Evaluate and predict read it.


rule calibrate:
    input:
        checkpoint=train_outputs(train_folder("{model}"))["checkpoint"],
        volume=VOLUME,
        split=SPLIT_TABLE,
        code=package_modules(SCRIPTS / "calibrate.py"),
    output:
        **calibrate_outputs(calibrate_folder("{model}")),
    log:
        "results/logs/calibrate/{model}.log",
    benchmark:
        "results/benchmarks/calibrate/{model}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: config["threads"]["evaluate"]
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        settings=calibrate_settings(),
        device=config["device"],
    script:
        "../scripts/calibrate.py"
