"""A model's transport quantities beside the labels': the table each transport job writes.

Columns: quantity, phases, direction, unit, true, predicted, relative_error, converged,
iterations, seconds, note. relative_error is (predicted - true) / true: NaN where the truth is 0,
infinite or missing (a tortuosity without a crossing path); infinite where the labels' phase
crosses the volume and the prediction's does not. converged, iterations and seconds are the
prediction's (the labels' are in their own table); note joins both notes.
"""

import math

import pandas as pd

KEYS = ["quantity", "phases", "direction"]
COLUMNS = [
    *KEYS,
    "unit",
    "true",
    "predicted",
    "relative_error",
    "converged",
    "iterations",
    "seconds",
    "note",
]


# Columns of text, where an empty field is an empty text (no direction, no note), not a number.
TEXT_COLUMNS = ("quantity", "phases", "direction", "unit", "converged", "iterations", "note")


def read_table(path):
    """A transport table (the labels', a model's or a set's) as written: text columns as text
    ("" where empty), the others as numbers (NaN where empty, inf where infinite)."""
    header = pd.read_csv(path, nrows=0).columns
    text = [column for column in header if column in TEXT_COLUMNS]
    numbers = {column: [""] for column in header if column not in TEXT_COLUMNS}
    return pd.read_csv(
        path, dtype=dict.fromkeys(text, str), keep_default_na=False, na_values=numbers
    )


def relative_error(true, predicted):
    if not math.isfinite(true) or true == 0 or math.isnan(predicted):
        return math.nan
    return (predicted - true) / true


def _note(true_note, predicted_note):
    notes = [f"labels: {true_note}" if true_note else "", predicted_note]
    return "; ".join(note for note in notes if note)


def compare_tables(true_rows, predicted_rows):
    """The comparison table (COLUMNS) of two measure_volume row lists of the same settings:
    one row per row of the truth, in its order."""
    predicted = {tuple(r[k] for k in KEYS): r for r in predicted_rows}
    rows = []
    for true in true_rows:
        key = tuple(true[k] for k in KEYS)
        model = predicted.get(key)
        if model is None:
            raise ValueError(f"the prediction has no {key}; measured with other settings?")
        value, truth = float(model["value"]), float(true["value"])
        rows.append(
            {
                **dict(zip(KEYS, key, strict=True)),
                "unit": true["unit"],
                "true": truth,
                "predicted": value,
                "relative_error": relative_error(truth, value),
                "converged": model["converged"],
                "iterations": model["iterations"],
                "seconds": model["seconds"],
                "note": _note(true["note"], model["note"]),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
