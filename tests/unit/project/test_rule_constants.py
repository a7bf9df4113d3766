"""Constants of rules/common.smk that must match the package. Read from the rule file's text:
common.smk runs only inside Snakemake, so a test cannot import it. (Both constants are to move
into the settings package, where a behaviour test can reach them.)"""

import ast
import dataclasses
import re

from helpers.workflow import REPO
from xrayseg.inference.predictor import InferenceSettings
from xrayseg.models import REGISTRY

COMMON = REPO / "rules" / "common.smk"


def test_patch_archs_of_the_rules_are_the_registrys_torch_models():
    common = COMMON.read_text()
    patch_archs = ast.literal_eval(re.search(r"^PATCH_ARCHS = (\(.*\))$", common, re.M).group(1))
    torch_archs = {arch for arch, spec in REGISTRY.items() if spec.kind == "torch"}
    assert set(patch_archs) == torch_archs


def test_the_inference_settings_passed_to_prediction_are_the_predictors():
    common = COMMON.read_text()
    listed = re.search(r"INFERENCE_KEYS = \((.*?)\)", common, re.S).group(1)
    keys = re.findall(r'"(\w+)"', listed)
    assert keys == [field.name for field in dataclasses.fields(InferenceSettings)]
