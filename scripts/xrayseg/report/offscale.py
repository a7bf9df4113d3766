"""Axis limits that show the differences between the good models when one model is far off.

A baseline such as the threshold can be off by -100 % and +184 % where the networks differ by a
few per cent; an axis that holds every value then flattens the differences that matter. Here a
model is off the scale when its largest absolute value is more than OUTLIER_FACTOR times that of
the middle model (the lower median over models, so that with two models the better one sets
the scale); the axis then spans the other models' values, and the figures draw the off-scale
values cut at the axis edge, labelled with their value.
"""

import math

import numpy as np

OUTLIER_FACTOR = 2.0
# Room beyond the largest value on the scale, as a share of the axis span.
MARGIN = 0.08
# Room for the labels of the cut values on a side that off-scale values reach.
OFF_SCALE_ROOM = 0.3


def _largest(values):
    finite = np.abs(np.asarray(values, dtype=float))
    finite = finite[np.isfinite(finite)]
    return float(finite.max()) if finite.size else math.nan


def off_scale_models(values_by_model):
    """Models ({model: values}) whose largest absolute value is more than OUTLIER_FACTOR times
    the lower median of every model's largest absolute value."""
    largest = {model: _largest(values) for model, values in values_by_model.items()}
    measured = sorted(value for value in largest.values() if math.isfinite(value))
    if len(measured) < 2:
        return []
    middle = measured[(len(measured) - 1) // 2]
    if middle <= 0:
        return []
    return [m for m, value in largest.items() if value > OUTLIER_FACTOR * middle]


def axis_limits(values_by_model, include=0.0):
    """(low, high) spanning every value of the models on the scale and `include`, with a margin
    on each side that holds values and room for the labels of a side that off-scale values
    reach; None when no model is off the scale (the axis may then hold everything)."""
    outliers = off_scale_models(values_by_model)
    if not outliers:
        return None
    kept, everything = [include], [include]
    for model, values in values_by_model.items():
        values = np.asarray(values, dtype=float).ravel()
        values = values[np.isfinite(values)]
        everything.extend(values)
        if model not in outliers:
            kept.extend(values)
    low, high = min(kept), max(kept)
    span = max(high - low, 1e-12)

    def room(kept_beyond, off_scale_beyond):
        return max(
            MARGIN * span if kept_beyond else 0.0,
            OFF_SCALE_ROOM * span if off_scale_beyond else 0.0,
        )

    return (
        low - room(low < include, min(everything) < low),
        high + room(high > include, max(everything) > high),
    )


def clip_to(values, limits):
    """(values clipped to the limits, boolean mask of the clipped ones); unchanged without
    limits. NaN stays NaN."""
    values = np.asarray(values, dtype=float)
    if limits is None:
        return values, np.zeros(values.shape, dtype=bool)
    clipped = np.clip(values, *limits)
    return clipped, np.isfinite(values) & (clipped != values)


def label_off_scale(axis, x, y, text, limits):
    """Write `text` (an off-scale value) just inside the axis edge at x (the clipped value)."""
    right = x >= limits[1]
    axis.annotate(
        f"{text} ▸" if right else f"◂ {text}",
        (x, y),
        xytext=(-3 if right else 3, 0),
        textcoords="offset points",
        ha="right" if right else "left",
        va="center",
        fontsize="x-small",
        fontweight="bold",
        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        zorder=5,
    )
