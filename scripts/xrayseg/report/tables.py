"""The report's HTML tables: scores, per-class IoU, patches, microstructure, package versions."""

import numpy as np
import pandas as pd

from xrayseg.io.resultnames import INTERVAL_SCORES, PATCH_COUNTS
from xrayseg.microstructure.compare import UNITS
from xrayseg.report.datafigures import patch_source
from xrayseg.report.page import (
    difference_points,
    duration,
    number,
    signed_points,
    table,
    with_interval,
)
from xrayseg.report.scores import RANKED_BY
from xrayseg.report.units import unit_text


def score_header():
    """Header of the score table: the ranking score, the lead over each model, the other
    interval scores, then fit and costs."""
    ranked, *others = ranked_first()
    return [
        "model",
        "arch",
        f"test {ranked.label} [CI]",
        f"best − this model, test {ranked.label} [paired CI]",
        *(f"test {score.label} [CI]" for score in others),
        "train accuracy",
        "train − test accuracy (gap, pp)",
        "parameters",
        "train time",
        "inference / slice",
    ]


def ranked_first():
    """INTERVAL_SCORES with the score the models are ranked by first."""
    return sorted(INTERVAL_SCORES, key=lambda score: score.name != RANKED_BY[0])


def score_rows(comparison):
    """Formatted cells of the comparison table (scores.comparison_table), best first."""
    ranked, *others = ranked_first()
    rows = []
    for index, row in comparison.iterrows():
        best = index == 0

        def interval(score, row=row):
            return with_interval(
                row[f"test_{score.name}"],
                row[f"test_{score.name}_ci_low"],
                row[f"test_{score.name}_ci_high"],
                separator="\n",
            )

        difference = (
            "best"
            if best
            else difference_points(
                row[f"diff_{ranked.name}"],
                row[f"diff_{ranked.name}_ci_low"],
                row[f"diff_{ranked.name}_ci_high"],
                separator="\n",
            )
        )
        rows.append(
            [
                f"★ {row['model']}" if best else row["model"],
                row["arch"] + (f", 2.5-D ±{int(row['context'])}" if row["context"] else ""),
                interval(ranked),
                difference,
                *(interval(score) for score in others),
                number(row["train_accuracy"]),
                signed_points(row["gap_accuracy"]),
                f"{int(row['parameters']):,}",
                duration(row["train_seconds"]),
                duration(row["inference_seconds_per_slice"]),
            ]
        )
    return rows


def score_table_html(comparison):
    scored = table(
        score_header(), score_rows(comparison), text_columns=(0, 1), row_classes={0: "best"}
    )
    return f"<div class='wide' id='score-table'>{scored}</div>"


def patch_table_html(counts):
    """made / mostly ignored / exact duplicates / near-duplicates / kept (and the kept share) per
    size, orientation and split."""
    header = ["size (px)", "cut from", "split", *PATCH_COUNTS.values(), "kept %"]
    rows = []
    for _, row in counts.iterrows():
        made = int(row["made"])
        kept_share = f"{100 * row['kept'] / made:.0f} %" if made else "–"
        rows.append(
            [
                int(row["size"]),
                patch_source(row["orientation"]),
                row["split"],
                *(int(row[name]) for name in PATCH_COUNTS),
                kept_share,
            ]
        )
    return table(header, rows, text_columns=(1, 2))


def per_class_table_html(iou_long):
    """Test IoU per class (rows) and model (columns), the best of each row in bold."""
    wide = iou_long.pivot(index="class", columns="model", values="value")
    models = list(dict.fromkeys(iou_long["model"]))
    classes = list(dict.fromkeys(iou_long["class"]))
    wide = wide.reindex(index=classes, columns=models)
    rows, cells = [], {}
    for r, (name, values) in enumerate(wide.iterrows()):
        rows.append([name, *(number(v) for v in values)])
        if values.notna().any():
            cells[r, 1 + int(np.nanargmax(values.to_numpy(dtype=float)))] = "good"
    return table(["test IoU", *models], rows, cell_classes=cells)


def microstructure_table_html(tables, voxel_size):
    """Rows metric / phases with the true value (densities in units.unit_text of the voxel
    size), then each model's relative error (the smallest absolute error of the row in bold,
    unless every model has it)."""
    models = list(tables)
    first = tables[models[0]]
    keys = list(zip(first["metric"], first["phases"], strict=True))
    errors = pd.DataFrame(
        {
            model: pd.Series(
                frame["relative_error"].to_numpy(dtype=float),
                index=pd.MultiIndex.from_arrays([frame["metric"], frame["phases"]]),
            ).reindex(pd.MultiIndex.from_tuples(keys))
            for model, frame in tables.items()
        }
    )
    rows, cells = [], {}
    for r, ((metric, phases), true, unit) in enumerate(
        zip(keys, first["true"], first["unit"], strict=True)
    ):
        values = errors.iloc[r].to_numpy(dtype=float)
        rows.append(
            [
                metric.replace("_", " "),
                phases,
                f"{true:.4g} {unit_text(unit, voxel_size)}".strip(),
                *(f"{100 * v:+.1f} %" if np.isfinite(v) else "–" for v in values),
            ]
        )
        closeness = np.abs(values)
        finite = closeness[np.isfinite(closeness)]
        if finite.size and finite.min() < finite.max():  # a tie between all says nothing
            for column in np.flatnonzero(closeness == finite.min()):
                cells[r, 3 + int(column)] = "good"
    return table(
        ["quantity", "phases", "true", *models], rows, text_columns=(0, 1), cell_classes=cells
    )


def versions_table_html(versions):
    return table(["package", "version"], [[k, v] for k, v in versions.items()], text_columns=(0, 1))


def microstructure_ranking_html(ranking, comparison, voxel_size):
    """The models ranked on the microstructure (microranking.microstructure_ranking), with each
    one's rank and test mean IoU by pixels beside it (bold: the best of each column)."""
    by_pixels = comparison.set_index("model")
    rows, cells = [], {}
    for _, row in ranking.iterrows():
        model = row["model"]
        rows.append(
            [
                model,
                int(row["microstructure_rank"]),
                _percent(row["microstructure_error"], signed=False),
                f"{row['tpb_density']:.4g}" if np.isfinite(row["tpb_density"]) else "–",
                _percent(row["tpb_relative_error"]),
                _percent(row["interface_mean_abs_error"], signed=False),
                _percent(row["interface_max_abs_error"], signed=False),
                int(by_pixels.loc[model, "rank"]),
                number(by_pixels.loc[model, "test_mean_iou"], 4),
            ]
        )
    for column, values, pick in (
        (2, ranking["microstructure_error"], np.nanargmin),
        (4, ranking["tpb_relative_error"].abs(), np.nanargmin),
        (5, ranking["interface_mean_abs_error"], np.nanargmin),
        (6, ranking["interface_max_abs_error"], np.nanargmin),
        (8, [by_pixels.loc[m, "test_mean_iou"] for m in ranking["model"]], np.nanargmax),
    ):
        values = np.asarray(values, dtype=float)
        if np.isfinite(values).any():
            cells[int(pick(values)), column] = "good"
    header = [
        "model",
        "rank (microstructure)",
        "microstructure error",
        f"TPB density ({unit_text(UNITS['tpb_density'], voxel_size)})",
        "TPB error",
        "interface error, mean |·|",
        "interface error, largest |·|",
        "rank (pixels)",
        "test mean IoU",
    ]
    return table(header, rows, cell_classes=cells)


def _percent(value, signed=True):
    if not np.isfinite(value):
        return "–"
    return f"{100 * value:+.1f} %" if signed else f"{100 * value:.1f} %"
