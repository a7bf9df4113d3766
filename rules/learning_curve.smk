# Would more labels help? (config learning_curve; xrayseg.labelling.subsets.) One model trained on
# nested, seeded, evenly spread subsets of the labelled train slices, one point per configured
# number of slices, through the pipeline's own patches, train and evaluate rules: each point's
# split sets the train slices outside its subset aside, its patches come only from the subset,
# and its test scores come from the same evaluation as the main run's (test block only).


rule learning_curve_split:
    input:
        split=SPLIT_TABLE,
        code=package_modules(SCRIPTS / "learning_curve_split.py"),
    output:
        **subset_split_outputs(learning_curve_folder("{model}", "{n}")),
    log:
        "results/logs/learning_curve/{model}/{n}/split.log",
    benchmark:
        "results/benchmarks/learning_curve/{model}/{n}/split.tsv"
    wildcard_constraints:
        n=r"\d+",
    conda:
        "../envs/imaging.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        seed=config["learning_curve"]["seed"],
    script:
        "../scripts/learning_curve_split.py"


use rule patches as learning_curve_patches with:
    input:
        **subset_split_outputs(learning_curve_folder("{model}", "{n}")),
        volume=VOLUME,
        code=package_modules(SCRIPTS / "patches.py"),
    output:
        **patch_outputs(learning_curve_folder("{model}", "{n}"), "{size}"),
    log:
        "results/logs/learning_curve/{model}/{n}/patches_{size}px.log",
    benchmark:
        "results/benchmarks/learning_curve/{model}/{n}/patches_{size}px.tsv"
    wildcard_constraints:
        n=r"\d+",


use rule train as learning_curve_train with:
    input:
        unpack(learning_curve_train_inputs),
        code=package_modules(SCRIPTS / "train.py"),
    output:
        **train_outputs(learning_curve_folder("{model}", "{n}")),
    log:
        "results/logs/learning_curve/{model}/{n}/train.log",
    benchmark:
        "results/benchmarks/learning_curve/{model}/{n}/train.tsv"
    wildcard_constraints:
        n=r"\d+",


use rule evaluate as learning_curve_evaluate with:
    input:
        checkpoint=train_outputs(learning_curve_folder("{model}", "{n}"))["checkpoint"],
        volume=VOLUME,
        split=SPLIT_TABLE,
        code=package_modules(SCRIPTS / "evaluate.py"),
    output:
        **learning_curve_evaluation(learning_curve_folder("{model}", "{n}")),
    log:
        "results/logs/learning_curve/{model}/{n}/evaluate.log",
    benchmark:
        "results/benchmarks/learning_curve/{model}/{n}/evaluate.tsv"
    wildcard_constraints:
        n=r"\d+",
    params:
        settings=learning_curve_evaluate_settings(),
        device=config["device"],
