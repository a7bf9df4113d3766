# The outputs (xrayseg.settings.layout) of each patch rule; the report shows the counts.
PATCH_OUTPUTS = patch_outputs(PATCHES, "{size}")
PATCH_ACROSS_OUTPUTS = patch_outputs(PATCHES, "{size}", "{axis}")
CUBE_OUTPUTS = cube_outputs(PATCHES, "{cube_depth}", "{cube_side}")


rule patches:
    input:
        volume=VOLUME,
        split=SPLIT_TABLE,
        code=package_modules(SCRIPTS / "patches.py"),
    output:
        **flagged(
            PATCH_OUTPUTS,
            counts=report(
                PATCH_OUTPUTS["counts"],
                caption="../report/patches.rst",
                category="Patches",
                labels={"size": "{size} px", "result": "patch counts"},
            ),
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
        **flagged(
            PATCH_ACROSS_OUTPUTS,
            counts=report(
                PATCH_ACROSS_OUTPUTS["counts"],
                caption="../report/patches.rst",
                category="Patches",
                labels={"size": "{size} px", "result": "patch counts ({axis}-planes)"},
            ),
        ),
    log:
        "results/logs/patches/{size}px_{axis}.log",
    benchmark:
        "results/benchmarks/patches/{size}px_{axis}.tsv"
    wildcard_constraints:
        axis="y|x",


rule cubes:
    input:
        volume=VOLUME,
        split=SPLIT_TABLE,
        code=package_modules(SCRIPTS / "cubes.py"),
    output:
        **flagged(
            CUBE_OUTPUTS,
            counts=report(
                CUBE_OUTPUTS["counts"],
                caption="../report/cubes.rst",
                category="Patches",
                labels={
                    "size": "{cube_depth} x {cube_side} x {cube_side} px",
                    "result": "patch counts",
                },
            ),
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
