# Segment configured prediction sets (config `predict`) with a trained model, or with `best`: the
# highest test mean IoU of the last evaluation, so `best` depends on every model's evaluation.
# Each set is predicted by chunk jobs (predict.<set>.chunk_slices slices each, or one for the whole
# scan; GPU work happens here) and one assemble job that merges them into the set's outputs. The
# assemble rule has a variant per output layout (tiff: the TIFFs as well; zarr: the OME-Zarr
# images alone) with and without probabilities.h5.


rule predict_chunk:
    input:
        unpack(predict_chunk_inputs),
        code=package_modules(SCRIPTS / "predict_chunk.py"),
    output:
        # Removed once the set is assembled; written under a temporary name, so a killed job
        # leaves nothing that counts as finished.
        chunk=temp(directory(predict_chunk_folder(predict_folder("{model}", "{set}"), "{chunk}"))),
    log:
        "results/logs/predict/{model}/{set}/{chunk}.log",
    benchmark:
        "results/benchmarks/predict/{model}/{set}/{chunk}.tsv"
    wildcard_constraints:
        model=predict_model_pattern(),
        set=all_sets_pattern(),
        chunk=r"\d+-\d+",
    conda:
        "../envs/torch.yaml"
    threads: config["threads"]["predict"]
    resources:
        mem_mb=predict_chunk_memory,
        runtime=240,
    params:
        settings=predict_chunk_settings,
        cleanup=predict_cleanup_files,
        probabilities=predict_saves_probabilities,
        device=config["device"],
    script:
        "../scripts/predict_chunk.py"


rule predict:
    input:
        unpack(predict_inputs),
        code=package_modules(SCRIPTS / "predict.py"),
    output:
        **predict_job_outputs("tiff", probabilities=False),
    log:
        "results/logs/predict/{model}/{set}.log",
    benchmark:
        "results/benchmarks/predict/{model}/{set}.tsv"
    wildcard_constraints:
        model=predict_model_pattern(),
        set=predict_set_pattern("tiff", probabilities=False),
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=120,
    params:
        settings=predict_settings,
    script:
        "../scripts/predict.py"


use rule predict as predict_with_probabilities with:
    output:
        **predict_job_outputs("tiff", probabilities=True),
    wildcard_constraints:
        model=predict_model_pattern(),
        set=predict_set_pattern("tiff", probabilities=True),


use rule predict as predict_zarr with:
    output:
        **predict_job_outputs("zarr", probabilities=False),
    wildcard_constraints:
        model=predict_model_pattern(),
        set=predict_set_pattern("zarr", probabilities=False),


use rule predict as predict_zarr_with_probabilities with:
    output:
        **predict_job_outputs("zarr", probabilities=True),
    wildcard_constraints:
        model=predict_model_pattern(),
        set=predict_set_pattern("zarr", probabilities=True),
