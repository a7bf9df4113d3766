"""The microstructure error: one number saying how far a prediction's microstructure is off.

Pixel scores hide what scientists measure from a segmentation: a model at 99 % pixel accuracy can
still be 20 % off in triple-phase boundary (TPB) density, since every edge that flickers from
slice to slice adds boundary. One stated rule (RANKING_RULE) turns a microstructure table
(compare.microstructure_table) into one error: the report ranks the models by it, and evaluate
chooses each model's clean-up of its predicted labels by it (xrayseg.evaluation.cleanupchoice).
"""

import math

import numpy as np

# What the microstructure error averages: each metric's mean absolute relative error over its
# phases (pairs, triples), then the mean over these metrics (those measured).
RANKED_METRICS = ("tpb_density", "interface_density")
RANKING_RULE = (
    "the mean, over the TPB density and the interface densities, of each one's mean absolute "
    "relative error over its phases"
)


def _metric_errors(table, metric):
    rows = table[table["metric"] == metric]
    return rows, rows["relative_error"].to_numpy(dtype=float)


def _mean_abs(errors):
    finite = np.abs(errors[np.isfinite(errors)])
    return float(finite.mean()) if finite.size else math.nan


def model_errors(table):
    """The error figures of one microstructure table (columns metric, phases, predicted,
    relative_error; other metrics are ignored): the first TPB triple's predicted density and
    relative error, each ranked metric's mean absolute relative error, the largest interface
    error, and microstructure_error (RANKING_RULE; NaN when nothing ranked is measured)."""
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
