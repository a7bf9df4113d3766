"""Tables and JSON documents every stage writes: CSV and JSON, each atomic."""

import json

import pandas as pd

from xrayseg.io.atomic import atomic_output


def write_csv(table, path, columns=None):
    """A CSV table without an index: a DataFrame, or rows (dicts) with optional column order."""
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table, columns=columns)
    with atomic_output(path) as tmp:
        frame.to_csv(tmp, index=False)


def write_json(data, path):
    """Indented JSON; NaN stays NaN (an undefined score is NaN, never 0 or 1)."""
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, allow_nan=True))
