"""The report's clean-up section: each model's chosen 3-D clean-up, its test scores before/after.

From summary.json's `cleanup`, written by xrayseg.evaluation.cleanblocks.

Every other section shows the scores after the clean-up, the ones evaluate scored: this table is
where the effect of the clean-up itself can be read.
"""

import math

from xrayseg.report.page import duration, esc, table

# (figure in summary.json's cleanup.test.before / after, column label, format)
COLUMNS = (
    ("accuracy", "test accuracy", "number"),
    ("mean_iou", "test mean IoU", "number"),
    ("tpb_relative_error", "TPB error", "signed"),
    ("interface_max_abs_error", "worst interface error", "percent"),
)


def _format(value, kind):
    if value is None or not math.isfinite(value):
        return "–"
    if kind == "number":
        return f"{value:.4f}"
    if kind == "signed":
        return f"{100 * value:+.1f} %"
    return f"{100 * value:.1f} %"


def before_after(before, after, kind):
    """'0.9871 → 0.9878', or the one value when the clean-up left it unchanged."""
    first, second = _format(before, kind), _format(after, kind)
    return first if first == second else f"{first} → {second}"


def cleanup_rows(models):
    """Formatted rows (model, clean-up, each COLUMNS figure before → after, choosing time) of
    the models whose summary has a cleanup entry, in the given order."""
    rows = []
    for name, model in models.items():
        record = model.summary.get("cleanup")
        if not record:
            continue
        test = record["test"]
        chosen = record["chosen"]["name"]
        if chosen != "none" and "test" not in record["cleaned"]:
            chosen += " (test block not cleaned)"
        rows.append(
            [
                name,
                chosen,
                *(
                    before_after(test["before"].get(key), test["after"].get(key), kind)
                    for key, _, kind in COLUMNS
                ),
                duration(model.summary.get("cleanup_seconds", {}).get("choosing")),
            ]
        )
    return rows


def cleanup_table_html(models):
    header = [
        "model",
        "clean-up (chosen on val)",
        *(f"{label}, before → after" for _, label, _ in COLUMNS),
        "choosing time",
    ]
    return table(header, cleanup_rows(models), text_columns=(0, 1))


def cleanup_parts(models):
    """The section's HTML parts; [] when no model's evaluation recorded a clean-up."""
    records = {name: m.summary.get("cleanup") for name, m in models.items()}
    records = {name: record for name, record in records.items() if record}
    if not records:
        return []
    first = next(iter(records.values()))
    reasons = "".join(
        f"<li>{esc(name)}: {esc(record['why'])}.</li>" for name, record in records.items()
    )
    return [
        "<p>Each model's predicted labels are cleaned in 3-D by the clean-up chosen on its val "
        "block: a majority vote over a k × k × k box and/or the removal of islands smaller than "
        "N voxels (<code>cleanup.candidates</code>). The rule: "
        f"{esc(first['rule'])}; the tolerance is {100 * first['accuracy_tolerance']:.2g} pp. The "
        "chosen clean-up is applied to every block whose every slice is scored (here "
        f"{esc(_blocks(records))}) before it is scored, so every test score in this report, the "
        "verdict and the rankings included, is after it; this table shows the test block "
        "before → after. Train slices scored on a spread subset of the train block are not "
        "cleaned (a 3-D clean-up needs neighbouring slices), and the probabilities and "
        "uncertainty maps stay the model's own. <code>predict</code> applies the same clean-up "
        "to new scans (<code>results/eval/{model}/cleanup.json</code>).</p>",
        f"<div class='wide'>{cleanup_table_html(models)}</div>",
        f"<details><summary>why each clean-up was chosen</summary><ul>{reasons}</ul></details>",
    ]


def _blocks(records):
    """'train, val and test': the blocks any model's clean-up was applied to, in split order."""
    cleaned = {split for record in records.values() for split in record.get("cleaned", [])}
    names = [split for split in ("train", "val", "test") if split in cleaned] or ["none"]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
