# Segment configured prediction sets (config `predict`) with a trained model, or with `best`: the
# highest test mean IoU of the last evaluation, so `best` depends on every model's evaluation.
# Sets with save_probabilities use the second rule, which adds probabilities.h5 to the outputs.


rule predict:
    input:
        unpack(predict_inputs),
        code=package_modules(SCRIPTS / "predict.py"),
    output:
        **predict_job_outputs(probabilities=False),
    log:
        "results/logs/predict/{model}/{set}.log",
    benchmark:
        "results/benchmarks/predict/{model}/{set}.tsv"
    wildcard_constraints:
        model=predict_model_pattern(),
        set=predict_set_pattern(probabilities=False),
    conda:
        "../envs/torch.yaml"
    threads: config["threads"]["predict"]
    resources:
        mem_mb=8000,
        runtime=240,
    params:
        settings=predict_settings,
        device=config["device"],
    script:
        "../scripts/predict.py"


use rule predict as predict_with_probabilities with:
    output:
        **predict_job_outputs(probabilities=True),
    wildcard_constraints:
        model=predict_model_pattern(),
        set=predict_set_pattern(probabilities=True),
