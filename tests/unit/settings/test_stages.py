"""Each stage's settings: built from the checked config, passed as a plain param and read back
the same; a setting reruns the stages whose params hold it, and only those."""

import copy
from pathlib import Path

import pytest
import yaml

from helpers.workflow import TINY_CONFIG
from xrayseg.settings.config import checked_config
from xrayseg.settings.evaluate import CalibrateSettings, EvaluateSettings
from xrayseg.settings.inference import InferenceSettings
from xrayseg.settings.labelling import SuggestSettings
from xrayseg.settings.predict import PredictSettings

REPO = Path(__file__).resolve().parents[3]
SCHEMA = REPO / "config" / "schema.yaml"


def checked(config, **sections):
    """`config` with some sections' keys replaced, checked and completed as a run sees it."""
    config = copy.deepcopy(config)
    for section, values in sections.items():
        config[section] = {**config.get(section, {}), **values}
    assert checked_config(config, SCHEMA) == []
    return config


def with_a_set(config):
    """`config` with one prediction set of the repository's own files (any will do)."""
    return {**config, "predict": {"scan": {"raw": str(REPO / "config" / "*.yaml")}}}


def stage_params(config):
    """{stage: its params} of every stage that takes a settings object."""
    return {
        "calibrate": CalibrateSettings.from_config(config).to_params(),
        "evaluate": EvaluateSettings.from_config(config).to_params(),
        "predict": PredictSettings.from_config(config, "scan").to_params(),
        "suggest": SuggestSettings.from_config(config).to_params(),
    }


def is_plain(value):
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(is_plain(item) for item in value)
    return value is None or isinstance(value, bool | int | float | str)


@pytest.mark.parametrize("stage", ["calibrate", "evaluate", "predict", "suggest"])
def test_params_are_plain_data_that_read_back_as_the_settings(stage):
    config = checked(with_a_set(yaml.safe_load((REPO / "config" / "config.yaml").read_text())))
    params = stage_params(config)[stage]
    assert is_plain(params)
    kind = {
        "calibrate": CalibrateSettings,
        "evaluate": EvaluateSettings,
        "predict": PredictSettings,
        "suggest": SuggestSettings,
    }[stage]
    assert kind.from_params(params).to_params() == params
    assert repr(kind.from_params(params).to_params()) == repr(params)


def test_evaluate_settings_hold_every_evaluate_key_as_the_config_gives_it():
    config = checked(TINY_CONFIG, evaluate={"axes": ["z", "x"], "window": 24})
    settings = EvaluateSettings.from_config(config)
    assert settings.axes == ["z", "x"] and settings.inference.window == 24
    flat = {**settings.to_params(), **settings.to_params()["inference"]}
    assert {key: flat[key] for key in config["evaluate"]} == config["evaluate"]
    assert settings.microstructure.roles == config["microstructure"]["roles"]


def test_an_inference_setting_changes_every_predicting_stage_and_a_scoring_one_only_evaluate():
    base = stage_params(checked(with_a_set(TINY_CONFIG)))
    inference = stage_params(checked(with_a_set(TINY_CONFIG), evaluate={"overlap": 0.25}))
    scoring = stage_params(checked(with_a_set(TINY_CONFIG), evaluate={"bootstrap_seed": 9}))
    assert all(inference[stage] != base[stage] for stage in base)
    assert {stage for stage in base if scoring[stage] != base[stage]} == {"evaluate"}


def test_the_learning_curves_evaluation_scores_the_test_block_alone():
    settings = EvaluateSettings.from_config(checked(TINY_CONFIG))
    assert settings.test_only().splits == ["test"]
    assert settings.test_only().inference == settings.inference


def test_params_missing_or_adding_a_key_are_refused_by_name():
    params = SuggestSettings.from_config(checked(TINY_CONFIG)).to_params()
    with pytest.raises(ValueError, match=r"SuggestSettings: params missing \['min_distance'\]"):
        SuggestSettings.from_params({"inference": params["inference"]})
    with pytest.raises(ValueError, match=r"InferenceSettings: .*unknown \['tiles'\]"):
        SuggestSettings.from_params({**params, "inference": {**params["inference"], "tiles": 2}})


def test_an_evaluate_key_no_setting_takes_stops_the_run():
    config = checked(TINY_CONFIG)
    config["evaluate"]["new_score"] = True
    with pytest.raises(ValueError, match="evaluate.new_score: not a field of EvaluateSettings"):
        EvaluateSettings.from_config(config)


def test_inference_settings_built_without_a_config_predict_as_a_default_run():
    without_evaluate = {key: value for key, value in TINY_CONFIG.items() if key != "evaluate"}
    assert InferenceSettings() == InferenceSettings.from_config(checked(without_evaluate))
