"""Ranking models on their predicted test block's microstructure, and TPB density along it.

The TPB density along the block shows where their errors come from.

Pixel scores hide what scientists measure from a segmentation: a model at 99 % pixel accuracy can
still be 20 % off in triple-phase boundary (TPB) density, since every edge that flickers from
slice to slice adds boundary. The report therefore ranks the models on the microstructure too,
by one stated rule (RANKING_RULE), and its verdict (xrayseg.report.verdict) says whether that
ranking agrees with the one on pixels.
"""

import itertools
import math

import numpy as np
import pandas as pd

from xrayseg.microstructure.profile import tpb_profile
from xrayseg.microstructure.roles import class_roles

# What the microstructure ranking averages: each metric's mean absolute relative error over its
# phases (pairs, triples), then the mean over these metrics (those measured).
RANKED_METRICS = ("tpb_density", "interface_density")
RANKING_RULE = (
    "the mean, over the TPB density and the interface densities, of each one's mean absolute "
    "relative error over its phases"
)
RANKING_COLUMNS = [
    "model",
    "microstructure_rank",
    "microstructure_error",
    "tpb_density",
    "tpb_relative_error",
    "tpb_mean_abs_error",
    "interface_mean_abs_error",
    "interface_max_abs_error",
]


def _metric_errors(table, metric):
    rows = table[table["metric"] == metric]
    return rows, rows["relative_error"].to_numpy(dtype=float)


def _mean_abs(errors):
    finite = np.abs(errors[np.isfinite(errors)])
    return float(finite.mean()) if finite.size else math.nan


def model_errors(table):
    """The ranking's figures of one model's microstructure.csv table: the first TPB triple's
    predicted density and relative error, every metric's mean absolute relative error, the
    largest interface error, and the score (RANKING_RULE; NaN when nothing ranked is measured)."""
    tpb_rows, tpb_errors = _metric_errors(table, "tpb_density")
    _, interface_errors = _metric_errors(table, "interface_density")
    per_metric = {
        "tpb_density": _mean_abs(tpb_errors),
        "interface_density": _mean_abs(interface_errors),
    }
    measured = [value for value in per_metric.values() if math.isfinite(value)]
    finite_interfaces = np.abs(interface_errors[np.isfinite(interface_errors)])
    return {
        "microstructure_error": float(np.mean(measured)) if measured else math.nan,
        "tpb_density": float(tpb_rows["predicted"].iloc[0]) if len(tpb_rows) else math.nan,
        "tpb_relative_error": float(tpb_errors[0]) if tpb_errors.size else math.nan,
        "tpb_mean_abs_error": per_metric["tpb_density"],
        "interface_mean_abs_error": per_metric["interface_density"],
        "interface_max_abs_error": (
            float(finite_interfaces.max()) if finite_interfaces.size else math.nan
        ),
    }


def microstructure_ranking(tables):
    """DataFrame of RANKING_COLUMNS, one row per model ({name: microstructure.csv table}),
    smallest microstructure_error first (ties and NaN keep the given order, NaN last)."""
    rows = [{"model": name, **model_errors(table)} for name, table in tables.items()]
    frame = pd.DataFrame(rows, columns=[c for c in RANKING_COLUMNS if c != "microstructure_rank"])
    frame = frame.sort_values("microstructure_error", na_position="last", kind="stable")
    frame = frame.reset_index(drop=True)
    frame.insert(1, "microstructure_rank", range(1, len(frame) + 1))
    return frame


# Windows along the test block that the TPB profile aims for.
PROFILE_WINDOWS = 10


def profile_windows(n_slices):
    """(slices per window, slices from one window's start to the next) of the TPB profile:
    about PROFILE_WINDOWS windows along a block of n_slices. Windows hold a tenth of the block
    (at least 2 slices: a TPB edge along the stack joins two) and tile it; a block shorter than
    20 slices gets overlapping windows of 2 slices, so that it still shows about ten."""
    window = max(2, n_slices // PROFILE_WINDOWS)
    step = max(1, (n_slices - window) // (PROFILE_WINDOWS - 1))
    return window, min(step, window)


def tpb_profiles(true_block, predicted_blocks, roles, class_names, voxel_size=1.0, first_slice=0):
    """{triple name: DataFrame window_start, window_centre, source, tpb_density} for the truth
    ("labels") and every model ({name: Z x Y x X class indices of the test block}), windows as
    profile_windows gives them; {} without three roles. Slices are numbered from first_slice
    (the block's first slice in the volume)."""
    indices = class_roles(roles, class_names)
    names = {index: name for name, index in indices.items()}
    window, step = profile_windows(true_block.shape[0])
    profiles = {}
    for triple in itertools.combinations(sorted(indices.values()), 3):
        rows = []
        for source, block in {"labels": true_block, **predicted_blocks}.items():
            starts, densities = tpb_profile(block, triple, window, step, voxel_size)
            rows += [
                {
                    "window_start": first_slice + start,
                    "window_centre": first_slice + start + (window - 1) / 2,
                    "source": source,
                    "tpb_density": density,
                }
                for start, density in zip(starts, densities, strict=True)
            ]
        profiles["/".join(names[i] for i in triple)] = pd.DataFrame(rows)
    return profiles
