"""The config the report is given: everything it shows, nothing that changes none of it."""

from xrayseg.settings.report import NOT_IN_THE_REPORT, report_config

CONFIG = {
    "seed": 1,
    "split": {"val_fraction": 0.2, "guard_slices": 1},
    "evaluate": {"bootstrap_seed": 0, "window": "slice"},
    "threads": {"train": 1, "evaluate": 2},
    "predict": {"b": {"raw": "scan"}},
}


def test_the_report_takes_every_section_but_threads_and_predict_in_canonical_order():
    given = report_config(CONFIG)
    assert set(NOT_IN_THE_REPORT) == {"threads", "predict"}
    assert given == {key: CONFIG[key] for key in ("seed", "split", "evaluate")}
    assert list(given) == ["evaluate", "seed", "split"]
    assert list(given["split"]) == ["guard_slices", "val_fraction"]


def test_the_sets_the_transport_stage_measures_are_not_in_the_report():
    config = {**CONFIG, "transport": {"quantities": ["sizes"], "sets": ["b"]}}
    assert report_config(config)["transport"] == {"quantities": ["sizes"]}
