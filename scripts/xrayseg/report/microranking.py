"""Ranking models on their predicted test block's microstructure, and TPB density along it.

The TPB density along the block shows where their errors come from. The ranking's score is the
microstructure error of xrayseg.microstructure.ranking (RANKING_RULE), the one evaluate
chooses each model's clean-up by; the report's verdict (xrayseg.report.verdict) says whether
this ranking agrees with the one on pixels.
"""

import itertools

import pandas as pd

from xrayseg.microstructure.profile import tpb_profile
from xrayseg.microstructure.ranking import model_errors
from xrayseg.microstructure.roles import class_roles

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
