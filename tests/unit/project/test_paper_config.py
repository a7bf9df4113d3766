"""The paper-scale config and the training settings in the schema."""

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from helpers.workflow import REPO
from xrayseg.models import build_network, count_parameters
from xrayseg.settings.checks import schema_problems
from xrayseg.settings.models import model_settings

PAPER = REPO / "config" / "paper.yaml"


def test_paper_config_is_valid_and_is_the_seed_setting():
    config = yaml.safe_load(PAPER.read_text())
    validate(config, str(REPO / "config" / "schema.yaml"))
    models = config["models"]
    unet = model_settings(config, "unet")
    assert unet["patch_size"] == 256 and unet["optimizer"] == "adam" and unet["weight_decay"] > 0
    args = {key: unet[key] for key in ("width", "depth", "dropout")}
    assert count_parameters(build_network("unet", 3, 1, args)) == 7_763_491
    assert count_parameters(build_network("dnn", 3, 1, {"patch_size": 32})) == 544_512
    assert models["dnn"]["patch_size"] == 32
    assert models["unet25d"]["context"] > 0
    assert config["synthetic"]["shape"] == [500, 501, 501]


def test_schema_rejects_a_bad_training_setting():
    config = yaml.safe_load(PAPER.read_text())
    config["training"]["precision"] = "fp8"
    with pytest.raises(WorkflowError, match="fp8"):
        validate(config, str(REPO / "config" / "schema.yaml"))
    config = yaml.safe_load(PAPER.read_text())
    config["models"]["rf"]["context"] = 2  # pixel classifiers see one slice
    # Which keys an architecture takes comes from the catalogue, filled in when the workflow
    # loads the schema (xrayseg.settings.schema), so the workflow's own check is asked.
    assert [key for key, _ in schema_problems(config, REPO / "config" / "schema.yaml")] == [
        "models.rf"
    ]
