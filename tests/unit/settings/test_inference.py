"""The inference settings: defaults equal to the schema's, and what prediction jobs are given."""

import dataclasses
from pathlib import Path

import yaml

from xrayseg.settings.inference import InferenceSettings, inference_settings

SCHEMA = Path(__file__).resolve().parents[3] / "config" / "schema.yaml"


def evaluate_schema():
    return yaml.safe_load(SCHEMA.read_text())["properties"]["evaluate"]["properties"]


def test_every_inference_setting_is_an_evaluate_setting_with_the_same_default():
    schema = evaluate_schema()
    for field in dataclasses.fields(InferenceSettings):
        assert field.name in schema, f"evaluate.{field.name} is not in the schema"
        assert field.default == schema[field.name]["default"], field.name


def test_the_dict_given_to_prediction_builds_the_predictor_evaluation_builds():
    section = {name: spec["default"] for name, spec in evaluate_schema().items()}
    section.update(window=96, overlap=0.25, flip_tta=True, bootstrap_seed=3)
    given = inference_settings(section)
    assert set(given) == {field.name for field in dataclasses.fields(InferenceSettings)}
    assert InferenceSettings.from_config(given) == InferenceSettings.from_config(section)
    assert given["window"] == 96 and given["overlap"] == 0.25 and given["flip_tta"] is True


def test_keys_that_are_not_inference_settings_are_ignored():
    settings = InferenceSettings.from_config({"window": "patch", "splits": ["test"]})
    assert settings == InferenceSettings(window="patch")
