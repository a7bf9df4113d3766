# xrayseg: raw X-ray tomography slices + labels -> trained models -> one comparison report.
# Stages and data flow: README.md (a tour) and docs/architecture.md. This file is the table of
# contents.

import sys

from snakemake.utils import min_version

min_version("9.0")

# A YAML mistake in the config gets one line naming the file and the place (Snakemake's own
# message names neither).
sys.path.insert(0, f"{workflow.basedir}/scripts")
from xrayseg.settings.configfile import yaml_syntax_problem

if _yaml_problem := yaml_syntax_problem("config/config.yaml"):
    raise SystemExit(f"config error: {_yaml_problem}")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/errors.smk"
include: "rules/synthetic.smk"
include: "rules/ingest.smk"
include: "rules/split.smk"
include: "rules/patches.smk"
include: "rules/train.smk"
include: "rules/calibrate.smk"
include: "rules/evaluate.smk"
include: "rules/report.smk"
include: "rules/predict.smk"
include: "rules/suggest.smk"
include: "rules/learning_curve.smk"
include: "rules/transport.smk"


rule all:
    input:
        "results/report.html",
        learning_curve_figure(),
        predict_targets(),
        next_slices_file(suggest_folder(suggest_model())),
        transport_targets(),
