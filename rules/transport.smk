# Tortuosity, active TPB and sizes (config `transport`, docs/transport.md): the test block's labels
# once, each model's prediction of it against them, and the prediction sets transport.sets lists.
# Jobs of their own, so that evaluate stays fast and these costly numbers rerun only when their
# inputs or the transport settings change.


rule transport_labels:
    input:
        volume=VOLUME,
        split=SPLIT_TABLE,
        code=package_modules(SCRIPTS / "transport.py"),
    output:
        **TRANSPORT_LABELS,
    log:
        "results/logs/transport/labels.log",
    benchmark:
        "results/benchmarks/transport/labels.tsv"
    conda:
        "../envs/transport.yaml"
    threads: config["threads"]["transport"]
    resources:
        mem_mb=8000,
        runtime=240,
    params:
        settings=transport_settings(),
        device=config["device"],
    script:
        "../scripts/transport.py"


use rule transport_labels as transport with:
    input:
        predictions=evaluate_outputs(evaluate_folder("{model}"))["predictions"],
        volume=VOLUME,
        split=SPLIT_TABLE,
        labels=TRANSPORT_LABELS["table"],
        code=package_modules(SCRIPTS / "transport.py"),
    output:
        **transport_model_outputs(TRANSPORT, "{model}"),
    log:
        "results/logs/transport/{model}.log",
    benchmark:
        "results/benchmarks/transport/{model}.tsv"


use rule transport_labels as transport_set with:
    input:
        segmentation=predict_outputs(predict_folder("{model}", "{set}"))["zarr"],
        volume=VOLUME,
        code=package_modules(SCRIPTS / "transport.py"),
    output:
        **transport_set_outputs(TRANSPORT, "{model}", "{set}"),
    log:
        "results/logs/transport/{model}/{set}.log",
    benchmark:
        "results/benchmarks/transport/{model}/{set}.tsv"
    wildcard_constraints:
        model=predict_model_pattern(),
        set=transport_set_pattern(),
