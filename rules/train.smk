# The outputs (xrayseg.settings.layout); the report shows the history.
TRAIN = train_outputs(train_folder("{model}"))


rule train:
    input:
        unpack(train_inputs),
        code=package_modules(SCRIPTS / "train.py"),
    output:
        **flagged(
            TRAIN,
            history=report(
                TRAIN["history"],
                caption="../report/history.rst",
                category="Training",
                labels={"model": "{model}", "result": "history per validation"},
            ),
        ),
    log:
        "results/logs/train/{model}.log",
    benchmark:
        "results/benchmarks/train/{model}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: config["threads"]["train"]
    resources:
        gpu=1,
        mem_mb=16000,
        runtime=480,
    params:
        settings=train_params,
        seed=config["seed"],
        device=config["device"],
    script:
        "../scripts/train.py"
