"""The transport error: one number saying how far a prediction's transport quantities are off.

A model that over-segments thin necks, or closes them, changes the tortuosity of a phase far more
than its pixel accuracy: the report ranks the models by this error (TRANSPORT_RULE) beside their
rank by pixels and by the microstructure error. Also: how long each quantity's computation took.
"""

import math

import numpy as np

# The quantities the transport error averages (each its mean absolute relative error over
# phases and directions), then the mean over those measured.
RANKED_QUANTITIES = ("tortuosity_factor", "active_tpb_density", "thickness_d50")
TRANSPORT_RULE = (
    "the mean, over the tortuosity factors, the active TPB density and the median local "
    "thickness (d50), of each one's mean absolute relative error over its phases and directions "
    "(a phase whose path the prediction loses counts as infinitely wrong)"
)
# Rows whose seconds belong to one computation each: the solve of a phase and direction, the TPB
# of all triples, the local thickness of a phase.
TIMED = {
    "tortuosity": "tortuosity_factor",
    "active_tpb": "tpb_density",
    "sizes": "thickness_mean",
}


def _mean_abs(errors):
    """Mean |error| over the defined ones (NaN: undefined); inf when one is infinite."""
    defined = np.abs(errors[~np.isnan(errors)])
    return float(defined.mean()) if defined.size else math.nan


def transport_errors(table):
    """The ranking's figures of one model's transport table (compare.COLUMNS): each ranked
    quantity's mean absolute relative error, the largest tortuosity error, and transport_error
    (TRANSPORT_RULE; NaN when nothing ranked is measured)."""
    per_quantity = {}
    for quantity in RANKED_QUANTITIES:
        rows = table[table["quantity"] == quantity]
        per_quantity[quantity] = _mean_abs(rows["relative_error"].to_numpy(dtype=float))
    measured = [value for value in per_quantity.values() if not math.isnan(value)]
    tortuosity = table.loc[table["quantity"] == "tortuosity_factor", "relative_error"]
    tortuosity = np.abs(tortuosity.to_numpy(dtype=float))
    tortuosity = tortuosity[~np.isnan(tortuosity)]
    return {
        "transport_error": float(np.mean(measured)) if measured else math.nan,
        "tortuosity_mean_abs_error": per_quantity["tortuosity_factor"],
        "tortuosity_max_abs_error": float(tortuosity.max()) if tortuosity.size else math.nan,
        "active_tpb_mean_abs_error": per_quantity["active_tpb_density"],
        "size_mean_abs_error": per_quantity["thickness_d50"],
    }


def computation_seconds(table):
    """{"tortuosity", "active_tpb", "sizes": seconds} of one transport table (the labels' or a
    model's): the time of each quantity's computations, summed; NaN for one not measured."""
    seconds = {}
    for name, quantity in TIMED.items():
        rows = table[table["quantity"] == quantity]
        values = rows["seconds"].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        if name == "active_tpb":  # one computation for every triple
            values = values[:1]
        seconds[name] = float(values.sum()) if values.size else math.nan
    return seconds
