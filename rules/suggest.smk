# Which slice to label next (xrayseg.labelling): the stack's candidate slices ranked by the
# model's uncertainty (suggest; the report shows it), then joined with every prediction set's
# slices (next_slices), ranked by the same model's uncertainty from the sets' predictions.


# The outputs (xrayseg.settings.layout); the report shows the panel.
SUGGEST = suggest_outputs(suggest_folder("{model}"))


rule suggest:
    input:
        unpack(suggest_inputs),
        code=package_modules(SCRIPTS / "suggest.py"),
    output:
        **flagged(
            SUGGEST,
            panel=report(
                SUGGEST["panel"],
                caption="../report/next_slices.rst",
                category="Labelling",
                labels={"model": "{model}", "result": "slices to label next"},
            ),
        ),
    log:
        "results/logs/suggest/{model}.log",
    benchmark:
        "results/benchmarks/suggest/{model}.tsv"
    wildcard_constraints:
        model=predict_model_pattern(),
    conda:
        "../envs/torch.yaml"
    threads: config["threads"]["evaluate"]
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        settings=suggest_settings(),
        device=config["device"],
    script:
        "../scripts/suggest.py"


rule next_slices:
    input:
        unpack(next_slices_inputs),
        code=package_modules(SCRIPTS / "next_slices.py"),
    output:
        ranking=next_slices_file(suggest_folder("{model}")),
    log:
        "results/logs/next_slices/{model}.log",
    benchmark:
        "results/benchmarks/next_slices/{model}.tsv"
    wildcard_constraints:
        model=predict_model_pattern(),
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        min_distance=config["suggest"]["min_distance"],
    script:
        "../scripts/next_slices.py"
