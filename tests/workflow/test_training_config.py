"""The paper-scale config plans every training job (tests/unit/project/test_paper_config.py checks
the config itself)."""

import yaml

from helpers.workflow import REPO, run_snakemake

PAPER = REPO / "config" / "paper.yaml"


def test_paper_config_plans_every_training_job(tmp_path):
    result = run_snakemake(tmp_path, "--dry-run", "--configfile", str(PAPER))
    plan = result.stdout + result.stderr
    for model in yaml.safe_load(PAPER.read_text())["models"]:
        assert f"results/models/{model}/model.pt" in plan
