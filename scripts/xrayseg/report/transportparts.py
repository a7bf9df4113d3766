"""The report's transport section: tortuosity, active TPB and sizes of each model's test block.

From the transport jobs' tables (xrayseg.transport): the models ranked by their transport error
(xrayseg.transport.ranking.TRANSPORT_RULE) beside their ranks by pixels and microstructure, every
quantity's true value and each model's prediction of it, a figure of each model's relative error
per quantity, what was not measured and why, and how long each computation took.
"""

import math

import numpy as np
import pandas as pd

from xrayseg.report.figures import microstructure_figure
from xrayseg.report.page import duration, esc, figure_html, table
from xrayseg.report.units import length_unit, unit_note, unit_text
from xrayseg.transport.ranking import TRANSPORT_RULE, computation_seconds, transport_errors

RANKING_COLUMNS = [
    "model",
    "transport_rank",
    "transport_error",
    "tortuosity_mean_abs_error",
    "tortuosity_max_abs_error",
    "active_tpb_mean_abs_error",
    "size_mean_abs_error",
]
# What the figure shows: tortuosity (D_eff follows from it), TPB, and of the sizes the mean and
# the median (d10 and d90 are in the table).
FIGURE_QUANTITIES = (
    "tortuosity_factor",
    "tpb_density",
    "active_tpb_density",
    "thickness_mean",
    "thickness_d50",
)
NAMES = {
    "tortuosity_factor": "tortuosity τ",
    "effective_diffusivity": "D_eff / D_0",
    "tpb_density": "TPB density",
    "active_tpb_density": "active TPB density",
    "active_tpb_fraction": "active TPB share",
    "thickness_mean": "thickness, mean",
    "thickness_d10": "thickness d10",
    "thickness_d50": "thickness d50",
    "thickness_d90": "thickness d90",
}


def transport_ranking(tables):
    """DataFrame of RANKING_COLUMNS, one row per model ({name: transport table}), smallest
    transport_error first (infinite after finite, NaN last; ties keep the given order)."""
    rows = [{"model": name, **transport_errors(table)} for name, table in tables.items()]
    frame = pd.DataFrame(rows, columns=[c for c in RANKING_COLUMNS if c != "transport_rank"])
    frame = frame.sort_values("transport_error", na_position="last", kind="stable")
    frame = frame.reset_index(drop=True)
    frame.insert(1, "transport_rank", range(1, len(frame) + 1))
    return frame


def _label(row):
    direction = f" along {row['direction']}" if row["direction"] else ""
    return f"{NAMES[row['quantity']]}{direction}"


def figure_tables(tables):
    """{model: frame metric, phases, relative_error} of FIGURE_QUANTITIES, as the microstructure
    figure draws them. A quantity the labels have no finite value of (no path crosses the block)
    has no error to draw and no row (the section's table shows it as ∞); an infinite error (a
    lost path) is left out of the axis (NaN)."""
    frames = {}
    for name, frame in tables.items():
        true = pd.to_numeric(frame["true"], errors="coerce")
        rows = frame[frame["quantity"].isin(FIGURE_QUANTITIES) & np.isfinite(true)]
        errors = rows["relative_error"].to_numpy(dtype=float)
        frames[name] = pd.DataFrame(
            {
                "metric": [_label(row) for _, row in rows.iterrows()],
                "phases": rows["phases"].to_numpy(),
                "relative_error": np.where(np.isinf(errors), np.nan, errors),
            }
        )
    return frames


def transport_figure(tables, palette):
    """Relative error of each transport quantity per model (the microstructure figure's form)."""
    return microstructure_figure(figure_tables(tables), palette, title="Transport (test block)")


def _value(value, unit, voxel_size):
    if value is None or math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞ (no path)"
    if unit == "length":
        return f"{value:.3g} {length_unit(voxel_size)}"
    return f"{value:.4g} {unit_text(unit, voxel_size)}".strip()


def _error(value):
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return " (path lost)"
    return f" ({100 * value:+.1f} %)"


def values_table_html(tables, voxel_size):
    """Rows quantity / phases: the labels' value, then each model's (its relative error)."""
    first = next(iter(tables.values()))
    measured = first["true"].notna().to_numpy()
    rows = []
    for index in np.flatnonzero(measured):
        row = first.iloc[index]
        cells = [_label(row), row["phases"], _value(row["true"], row["unit"], voxel_size)]
        for frame in tables.values():
            model = frame.iloc[index]
            cells.append(
                _value(model["predicted"], row["unit"], voxel_size)
                + _error(model["relative_error"])
            )
        rows.append(cells)
    return table(["quantity", "phases", "labels", *tables], rows, text_columns=(0, 1))


def ranking_table_html(ranking, comparison):
    """The transport ranking with each model's rank by pixels and by the microstructure."""
    by_pixels = comparison.set_index("model")

    def percent(value):
        return "–" if math.isnan(value) else "∞" if math.isinf(value) else f"{100 * value:.1f} %"

    rows = []
    for _, row in ranking.iterrows():
        model = row["model"]
        micro = by_pixels.loc[model].get("microstructure_rank", math.nan)
        rows.append(
            [
                model,
                int(row["transport_rank"]),
                percent(row["transport_error"]),
                percent(row["tortuosity_mean_abs_error"]),
                percent(row["tortuosity_max_abs_error"]),
                percent(row["active_tpb_mean_abs_error"]),
                percent(row["size_mean_abs_error"]),
                "–" if pd.isna(micro) else int(micro),
                int(by_pixels.loc[model, "rank"]),
            ]
        )
    header = [
        "model",
        "rank (transport)",
        "transport error",
        "τ error, mean |·|",
        "τ error, largest |·|",
        "active TPB error",
        "d50 error, mean |·|",
        "rank (microstructure)",
        "rank (pixels)",
    ]
    return table(header, rows)


def skipped_html(labels_table):
    """One line per quantity not measured, with why (the labels' notes); '' when none."""
    skipped = labels_table[labels_table["value"].isna() & (labels_table["note"] != "")]
    lines = dict.fromkeys(
        f"{NAMES[row['quantity']]}: {row['note']}" for _, row in skipped.iterrows()
    )
    if not lines:
        return ""
    return "<p>Not measured: " + "; ".join(esc(line) for line in lines) + ".</p>"


def seconds_table_html(labels_table, tables):
    """How long each quantity took for the labels and each model."""
    rows = []
    for source, frame in {"labels": labels_table, **tables}.items():
        seconds = computation_seconds(frame)
        rows.append([source, *(duration(seconds[key]) for key in seconds)])
    return table(["source", "tortuosity", "active TPB", "sizes"], rows)


def transport_parts(tables, labels_table, ranking, comparison, png, voxel_size):
    """The section's HTML parts."""
    crop = next((n for n in labels_table["note"] if "central crop" in n), "")
    measured_on = f" ({esc(crop.split('; ')[-1])})" if crop else ""
    return [
        "<p>Tortuosity factors (TauFactor), active triple-phase boundary and local-thickness "
        "sizes (PoreSpy) of each model's predicted test block against the labels' "
        f"{measured_on}: the numbers electrode scientists publish (docs/transport.md). The "
        f"models ranked by {esc(TRANSPORT_RULE)}, beside their ranks by pixels and by the "
        "microstructure error: a model that closes or opens thin necks changes the "
        "tortuosity far more than its pixel accuracy.</p>",
        ranking_table_html(ranking, comparison),
        skipped_html(labels_table),
        f"<p>Each quantity on the labels and each model's prediction (relative error). "
        f"{esc(unit_note(voxel_size))}</p>",
        values_table_html(tables, voxel_size),
        figure_html(
            png,
            "transport relative errors",
            "Relative error of each transport quantity measured on the prediction (0: the "
            "prediction gives the true value). A phase whose path across the block the "
            "prediction loses has no bar (its error is infinite: the table says so).",
        ),
        "<p>How long each took (wall time of the transport jobs):</p>",
        seconds_table_html(labels_table, tables),
    ]
