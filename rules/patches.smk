rule patches:
    input:
        volume="results/ingest/volume.h5",
        split="results/split/split.csv",
        code=package_modules(SCRIPTS / "patches.py"),
    output:
        patches="results/patches/{size}px.h5",
        counts=report(
            "results/patches/{size}px.csv",
            caption="../report/patches.rst",
            category="Patches",
            labels={"size": "{size} px", "result": "patch counts"},
        ),
    log:
        "results/logs/patches/{size}px.log",
    benchmark:
        "results/benchmarks/patches/{size}px.tsv"
    conda:
        "../envs/imaging.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        settings=config["patches"],
    script:
        "../scripts/patches.py"


# Patches cut across the slices (the y- or x-planes of each split block) for the networks whose
# training.orientations name that axis.
use rule patches as patches_across with:
    output:
        patches="results/patches/{size}px_{axis}.h5",
        counts=report(
            "results/patches/{size}px_{axis}.csv",
            caption="../report/patches.rst",
            category="Patches",
            labels={"size": "{size} px", "result": "patch counts ({axis}-planes)"},
        ),
    log:
        "results/logs/patches/{size}px_{axis}.log",
    benchmark:
        "results/benchmarks/patches/{size}px_{axis}.tsv"
    wildcard_constraints:
        axis="y|x",


rule cubes:
    input:
        volume="results/ingest/volume.h5",
        split="results/split/split.csv",
        code=package_modules(SCRIPTS / "cubes.py"),
    output:
        patches="results/patches/{cube_depth}x{cube_side}x{cube_side}px.h5",
        counts=report(
            "results/patches/{cube_depth}x{cube_side}x{cube_side}px.csv",
            caption="../report/cubes.rst",
            category="Patches",
            labels={
                "size": "{cube_depth} x {cube_side} x {cube_side} px",
                "result": "patch counts",
            },
        ),
    log:
        "results/logs/patches/{cube_depth}x{cube_side}x{cube_side}px.log",
    benchmark:
        "results/benchmarks/patches/{cube_depth}x{cube_side}x{cube_side}px.tsv"
    conda:
        "../envs/imaging.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        seed=config["patches"]["seed"],
    script:
        "../scripts/cubes.py"
