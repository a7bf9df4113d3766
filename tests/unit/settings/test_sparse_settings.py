"""Config checks of synthetic.train_label_every, at start-up (before the volume is generated)."""

import copy
from pathlib import Path

from helpers.workflow import TINY_CONFIG
from xrayseg.settings.config import checked_config

SCHEMA = Path(__file__).resolve().parents[3] / "config" / "schema.yaml"


def sparse_tiny(every, **data):
    config = copy.deepcopy(TINY_CONFIG)
    config["synthetic"]["train_label_every"] = every
    config["data"].update(data)
    return config


def test_sparse_synthetic_labels_need_the_opt_in():
    problems = checked_config(sparse_tiny(3), SCHEMA)
    assert problems == [
        (
            "data.sparse_labels",
            "synthetic.train_label_every 3 writes labels for only some slices; set "
            "data.sparse_labels: true to ingest them",
        )
    ]
    assert checked_config(sparse_tiny(3, sparse_labels=True), SCHEMA) == []


def test_sparse_synthetic_labels_cannot_follow_a_slice_range():
    problems = checked_config(sparse_tiny(3, sparse_labels=True, slices=[0, 20]), SCHEMA)
    assert [key for key, _ in problems] == ["synthetic.train_label_every"]


def test_too_few_labelled_train_slices_stop_the_run_at_start_up():
    # The tiny volume's train block is slices 0-10: every 5th labels 0, 5, 10; every 6th 0, 6.
    assert checked_config(sparse_tiny(5, sparse_labels=True), SCHEMA) == []
    [(key, why)] = checked_config(sparse_tiny(6, sparse_labels=True), SCHEMA)
    assert key == "split"
    assert why.startswith("the train block (slices 0-10) holds 2 labelled slices")
    config = sparse_tiny(6, sparse_labels=True)
    config["split"]["min_labelled_slices"] = 2
    assert checked_config(config, SCHEMA) == []
