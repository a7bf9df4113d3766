"""The microstructure error: the one rule the report ranks models by and evaluate chooses a
clean-up by."""

import math

import numpy as np

from helpers.microstructure import micro_table
from xrayseg.microstructure.compare import comparison_table, measure_microstructure
from xrayseg.microstructure.ranking import RANKED_METRICS, model_errors

ROLES = {"pore": 0, "ysz": 1, "ni": 2}


def test_the_score_is_the_mean_of_the_tpb_and_interface_mean_absolute_errors():
    errors = model_errors(micro_table(0.12, [0.03, -0.06, 0.0], fraction=0.5))
    assert math.isclose(errors["tpb_relative_error"], 0.12)
    assert math.isclose(errors["interface_mean_abs_error"], 0.03)
    assert math.isclose(errors["interface_max_abs_error"], 0.06)
    # (0.12 + 0.03) / 2: the volume fraction's 50 % error is not ranked.
    assert math.isclose(errors["microstructure_error"], 0.075)
    assert math.isclose(errors["tpb_density"], 1.12)


def test_the_ranked_metrics_alone_are_measured_as_in_the_full_measurement():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, (6, 10, 10)).astype(np.uint8)
    everything = measure_microstructure(labels, ROLES)
    ranked = measure_microstructure(labels, ROLES, metrics=RANKED_METRICS)
    assert {metric for metric, _ in ranked} == set(RANKED_METRICS)
    assert ranked == {key: value for key, value in everything.items() if key in ranked}


def test_the_error_of_a_table_of_ranked_metrics_equals_that_of_the_full_table():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, (6, 10, 10)).astype(np.uint8)
    predicted = np.where(rng.random(truth.shape) < 0.1, 1, truth).astype(np.uint8)
    full, ranked = (
        model_errors(
            comparison_table(
                measure_microstructure(truth, ROLES, metrics=metrics),
                measure_microstructure(predicted, ROLES, metrics=metrics),
            )
        )
        for metrics in (None, RANKED_METRICS)
    )
    assert full == ranked and math.isfinite(full["microstructure_error"])


def test_a_table_without_ranked_metrics_has_nan_errors_without_a_warning():
    import warnings

    table = micro_table(0.1, [0.1, 0.1, 0.1], fraction=0.2)
    only_fraction = table[table["metric"] == "volume_fraction"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        errors = model_errors(only_fraction)
    assert set(errors) == {
        "microstructure_error",
        "tpb_density",
        "tpb_relative_error",
        "tpb_mean_abs_error",
        "interface_mean_abs_error",
        "interface_max_abs_error",
    }
    assert all(math.isnan(value) for value in errors.values())


def test_without_tpb_rows_the_interfaces_alone_rank():
    table = micro_table(0.1, [0.02, -0.04, 0.06])
    errors = model_errors(table[table["metric"] != "tpb_density"])
    assert math.isnan(errors["tpb_density"]) and math.isnan(errors["tpb_relative_error"])
    assert math.isclose(errors["microstructure_error"], 0.04)
    assert math.isnan(errors["tpb_mean_abs_error"])
