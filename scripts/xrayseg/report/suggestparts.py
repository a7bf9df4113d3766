"""The report's "Which slice to label next" section, from the suggest job's files.

Its stack.csv, summary.json and panel (results/suggest/{model}/). The prediction sets' slices
join the ranking in next_slices.csv, which the report leaves out so that editing the sets does
not rerun it."""

from pathlib import Path

import numpy as np

from xrayseg.report.inputs import read_csv, read_json
from xrayseg.report.page import esc, figure_html, number, table

SHOWN_ROWS = 10


def load_suggestions(paths):
    """{ranking, summary, panel (PNG bytes), folder} from {ranking, summary, panel} paths."""
    return {
        "ranking": read_csv(paths["ranking"], ("rank", "slice", "mean_uncertainty", "suggested")),
        "summary": read_json(paths["summary"]),
        "panel": Path(paths["panel"]).read_bytes(),
        "folder": str(Path(paths["ranking"]).parent),
    }


def suggestion_rows(ranking):
    rows = []
    for _, row in ranking.head(SHOWN_ROWS).iterrows():
        near = row.get("near")
        rows.append(
            [
                str(int(row["rank"])),
                str(int(row["slice"])),
                str(row.get("name", "")),
                str(row.get("split", "")),
                str(row.get("kind", "")),
                number(row["mean_uncertainty"], 4),
                "yes"
                if bool(row["suggested"])
                else f"no: near {int(near)}"
                if near is not None and np.isfinite(near)
                else "no",
            ]
        )
    return rows


def suggest_parts(suggestions):
    summary, ranking = suggestions["summary"], suggestions["ranking"]
    folder = esc(suggestions["folder"])
    temperature = summary.get("temperature")
    scaled = f"temperature {temperature:.3g}" if temperature else "its own probabilities"
    parts = [
        f"<p><b>{esc(summary['note'][0].upper() + summary['note'][1:])}.</b></p>",
        f"<p>Ranked by {esc(summary['model'])}'s mean uncertainty over each slice ({scaled}), "
        "most uncertain first and spread along the stack: a slice closer than "
        f"{int(summary['min_distance'])} slices to one already suggested is passed over (it "
        "would mostly repeat that slice's structure). The whole ranking is "
        f"<code>{folder}/stack.csv</code>; with prediction sets, their slices join it in "
        f"<code>{folder}/next_slices.csv</code>.</p>",
    ]
    if ranking.empty:
        return parts
    parts += [
        table(
            ["rank", "slice", "name", "split", "kind", "mean uncertainty", "suggested"],
            suggestion_rows(ranking),
            text_columns=(2, 3, 4, 6),
        ),
        figure_html(
            suggestions["panel"],
            "slices to label next",
            "The first suggestions: raw slice, prediction and uncertainty (normalised entropy, "
            "0 sure, 1 every class alike).",
        ),
    ]
    return parts
