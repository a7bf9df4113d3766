"""The clean-up a model's evaluation chose, which predict applies to new scans.

Evaluate writes results/eval/{model}/cleanup.json = {"majority": k, "min_island": n, "name": ...,
...} (the choice on the val block); predict reads majority and min_island. Without the file (an
evaluation that chose nothing yet) a scan is not cleaned.
"""

import json
from pathlib import Path

from xrayseg.cleanup.candidates import Cleanup


def read_cleanup(path):
    """The Cleanup recorded in a cleanup.json; no clean-up when `path` is None or missing."""
    if path is None or not Path(path).is_file():
        return Cleanup()
    record = json.loads(Path(path).read_text())
    try:
        return Cleanup(int(record["majority"]), int(record["min_island"]))
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{path} holds no clean-up (majority, min_island): {record}; evaluate the model again"
        ) from error


def model_cleanup(model, paths):
    """The Cleanup of `model` among {model: cleanup.json path} (none when it has no file)."""
    return read_cleanup((paths or {}).get(model))
