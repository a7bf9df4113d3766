"""The comparison report: one self-contained HTML file with every model side by side."""

import base64
import html
import io
import json
import logging
import platform
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from xrayseg.atomic import atomic_output  # noqa: E402

log = logging.getLogger(__name__)

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th { background: #f3f3f3; }
tr.best td { font-weight: bold; background: #eef7ee; }
img { max-width: 100%; }
.note { color: #555; font-size: 0.9em; }
"""


def figure_to_img(fig, alt):
    """An <img> tag with the figure embedded as base64 PNG (no external files, no network)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def png_to_img(path, alt):
    encoded = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def score_table(summaries):
    """DataFrame: one row per model with its pooled test scores, size and timings."""
    rows = []
    for model, summary in summaries.items():
        test = summary["splits"]["test"]
        row = {
            "model": model,
            "arch": summary["arch"],
            "test accuracy": test["accuracy"],
            "test mean IoU": test["mean_iou"],
        }
        if "train" in summary["splits"]:
            row["train−test accuracy gap"] = (
                summary["splits"]["train"]["accuracy"] - test["accuracy"]
            )
        row.update(
            {
                "parameters": summary["parameters"],
                "train s": summary["train_seconds"],
                "inference s/slice": summary["inference_seconds_per_slice"],
            }
        )
        rows.append(row)
    return pd.DataFrame(rows).sort_values("test mean IoU", ascending=False).reset_index(drop=True)


def table_html(frame, best_index=None):
    header = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for index, row in frame.iterrows():
        cells = "".join(f"<td>{_format(v)}</td>" for v in row)
        css = ' class="best"' if index == best_index else ""
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><tr>{header}</tr>{''.join(body)}</table>"


def _format(value):
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:.1f}"
    return html.escape(str(value))


def scores_figure(table):
    long = table.melt(
        id_vars="model",
        value_vars=["test accuracy", "test mean IoU"],
        var_name="score",
        value_name="value",
    )
    fig, axis = plt.subplots(figsize=(7, 3.5))
    sns.barplot(data=long, x="model", y="value", hue="score", ax=axis)
    low = max(0.0, float(long["value"].min()) - 0.05)
    axis.set_ylim(low, 1.0)
    axis.set_title("Test scores per model (whole slices)")
    return figure_to_img(fig, "test scores per model")


def build_report(summary_paths, panel_paths, split_csv, config, out_html):
    """Write results/report.html from the evaluation summaries and panels of every model."""
    summaries = {model: json.loads(Path(p).read_text()) for model, p in summary_paths.items()}
    table = score_table(summaries)
    splits = pd.read_csv(split_csv)
    split_counts = (
        splits["split"].value_counts().reindex(["train", "guard", "val", "test"], fill_value=0)
    )
    parts = [
        f"<h1>xrayseg comparison report</h1><p class='note'>Generated "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC} on {html.escape(platform.node())}.</p>",
        "<h2>Data</h2>",
        f"<p>{len(splits)} slices: "
        + ", ".join(f"{name} {count}" for name, count in split_counts.items())
        + " (contiguous blocks; guard slices are used by nothing).</p>",
        "<h2>Models on the test slices</h2>",
        table_html(table, best_index=0),
        scores_figure(table),
        "<h2>Test slice panels</h2>",
    ]
    for model, path in panel_paths.items():
        parts.append(f"<h3>{html.escape(model)}</h3>{png_to_img(path, f'{model} panel')}")
    parts.append(
        "<h2>Configuration</h2><pre>" + html.escape(json.dumps(config, indent=2)) + "</pre>"
    )
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>xrayseg report</title>"
        f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
    with atomic_output(out_html) as tmp:
        tmp.write_text(page, encoding="utf-8")
    log.info("wrote %s with %d models", out_html, len(summaries))
