"""The report's sections: the figures in their places, with the prose that says how to read them."""

import html
import json
from dataclasses import dataclass, field

import pandas as pd
import yaml

from xrayseg.io.volume import VolumeInfo
from xrayseg.microstructure.ranking import RANKING_RULE
from xrayseg.report import tables
from xrayseg.report.cleanupparts import cleanup_parts
from xrayseg.report.figures import window_text
from xrayseg.report.page import definition_list, esc, figure_html, table
from xrayseg.report.units import unit_note


@dataclass
class ReportContent:
    """What the page shows, loaded and computed once by build_report."""

    models: dict  # {name: inputs.ModelResults}, best first
    comparison: pd.DataFrame  # scores.comparison_table
    pngs: dict  # {figure name: PNG bytes}
    volume: VolumeInfo  # the ingested volume's metadata
    splits: pd.Series  # split of every slice, indexed by slice
    patch_counts: pd.DataFrame  # every results/patches/{size}px.csv
    iou: pd.DataFrame  # scores.per_class_scores(models, "iou")
    microstructure: dict  # {name: microstructure.csv}, empty when not evaluated
    picks: list  # [(slice, why)] of the comparison panels
    config: dict  # the run's configuration, shown in full
    made: dict  # provenance.provenance
    voxel_size: float  # microstructure.voxel_size: the unit of every density
    labelled: pd.Series | None = None  # whether each slice holds labels (None: all do)
    # [(anchor, title, parts)] after "where they fail" and microstructure: uncertainty and
    # labelling (xrayseg.report.labellingsections)
    extra_sections: list = field(default_factory=list)
    # microranking.microstructure_ranking of the models, None when not evaluated
    micro_ranking: pd.DataFrame | None = None
    # (slices per window, slices between window starts) of the TPB profile, when drawn
    profile_windows: tuple | None = None


def sections(content):
    """[(anchor, title, [html parts])] of the page, in reading order: the comparison, where the
    models fail, microstructure (when given), the clean-up (when recorded), the extra sections,
    training, data, patches, how it was made."""
    page_sections = [
        ("comparison", "Models side by side", _comparison_parts(content)),
        ("failures", "Where they fail", _failure_parts(content.pngs, content.picks)),
    ]
    if content.microstructure:
        page_sections.append(
            (
                "microstructure",
                "Microstructure",
                _microstructure_parts(content),
            )
        )
    cleanup = cleanup_parts(content.models)
    if cleanup:
        page_sections.append(("cleanup", "Clean-up", cleanup))
    return (
        page_sections
        + content.extra_sections
        + [
            ("training", "Training", _training_parts(content.models, content.pngs)),
            (
                "data",
                "Data",
                _data_parts(content.volume, content.splits, content.pngs, content.labelled),
            ),
            ("patches", "Patches", _patch_parts(content.patch_counts, content.pngs)),
            ("provenance", "How it was made", _provenance_parts(content.made, content.config)),
        ]
    )


def _comparison_parts(content):
    models, comparison, pngs = content.models, content.comparison, content.pngs
    level = f"{float(next(iter(models.values())).summary.get('confidence', 0.95)):.0%}"
    n_test = int(comparison["test_slices"].iloc[0])
    return [
        "<p>Scores pooled over every pixel of the held-out test slices (whole slices, not "
        f"patches). Brackets: {level} bootstrap intervals over the {n_test} test slices; "
        f"<i>best − this</i> is the best model's lead, bootstrapped with both models scored on "
        "the same resampled slices (paired), so slice difficulty cancels out. An interval "
        "above 0 means the lead is not down to which slices happen to be in the test block. "
        "Neighbouring slices are nearly identical, so the intervals are about the slices "
        "scored, not the whole sample. Differences of scores are in percentage points (pp). "
        f"{after_cleanup_note(models)}Ranked by test mean IoU; ★ best.</p>",
        tables.score_table_html(comparison),
        figure_html(
            pngs["scores"],
            "scores per split and paired differences",
            "Left and middle: each model's scores on train, val and test slices with bootstrap "
            "intervals; a train score far above the test score means the model memorised its "
            "training slices. Right: the best model's lead in test mean IoU over each model, "
            "with its paired interval (red line: no difference).",
        ),
        figure_html(
            pngs["per_class"],
            "per-class IoU and boundary F1",
            "Per-class test IoU and boundary F1 (a predicted phase edge counts when within the "
            "evaluation's tolerance of the true one): which phase each model gets wrong.",
        ),
        tables.per_class_table_html(content.iou),
    ]


def after_cleanup_note(models):
    """The sentence that says the scores are after each model's clean-up ('' when none
    was applied to the test block)."""
    cleaned = [
        name
        for name, model in models.items()
        if "test" in (model.summary.get("cleanup") or {}).get("cleaned", [])
    ]
    if not cleaned:
        return ""
    return (
        "Scores are of each model's predictions after the 3-D clean-up chosen on its val block "
        f"(cleaned: {esc(', '.join(cleaned))}; <a href='#cleanup'>Clean-up</a> has the scores "
        "before). "
    )


def _failure_parts(pngs, picks):
    return [
        figure_html(
            pngs["panels"],
            "every model on the same test slices",
            "Every model on the same test slices: "
            + "; ".join(f"slice {z}: {esc(why)}" for z, why in picks)
            + f". {_apart(picks)}Top row: raw, label and each model's "
            "prediction (with its pixel accuracy on the slice); bottom row: where the models "
            "disagree and each model's errors (red) over the faded raw slice.",
        ),
        figure_html(
            pngs["confusion"],
            "confusion matrices",
            "Test confusion matrices, each row normalised to 100 % of that true class: the "
            "diagonal is each class's recall; off-diagonal cells say what it is mistaken for.",
        ),
        figure_html(
            pngs["along_stack"],
            "pixel accuracy along the stack",
            "Pixel accuracy of every evaluated slice along the stack (shaded: split blocks; "
            "gaps: unused guard slices). A drop at the block edges or a trend means drift.",
        ),
        figure_html(
            pngs["fractions"],
            "predicted vs true phase fractions",
            "Predicted against true phase fraction of each test slice, per class (grey line: "
            "perfect). Phase fractions feed porosity and transport estimates, so a model "
            "biased here biases every number computed from its segmentation.",
        ),
    ]


def _apart(picks):
    """The sentence that says how far apart the picked slices are, '' for one slice."""
    slices = sorted(z for z, _ in picks)
    if len(slices) < 2:
        return ""
    gap = min(b - a for a, b in zip(slices, slices[1:], strict=False))
    return (
        "Neighbouring slices look alike, so the picks are kept apart as far as the test block "
        f"allows (here at least {gap} slices). "
    )


def _measured_block(models):
    """What the test block's microstructure was measured on, from the first model's summary:
    " (slices a-b)", and when that is a run of sparse labels, how many were labelled."""
    micro = next(iter(models.values())).summary.get("microstructure") or {}
    if "test_slices" not in micro:
        return ""
    first, last = micro["test_slices"]
    measured, labelled = micro.get("slices_measured"), micro.get("labelled_test_slices")
    if micro.get("measure") == "sections":
        which = (
            f"test slice {first}"
            if first == last
            else f"each of the {measured} test slices {first}–{last}"
        )
        return (
            f" ({which} as a 2-D section: boundary length and triple points per area, averaged "
            "over the slices; the slices are not neighbours or the voxels not cubes)"
        )
    if measured is not None and labelled is not None and measured < labelled:
        return (
            f" (test slices {first}–{last}, the longest contiguous run of the {labelled} "
            "labelled test slices)"
        )
    return f" (test slices {first}–{last})"


def _microstructure_parts(content):
    micro, pngs = content.microstructure, content.pngs
    measured = _measured_block(content.models)
    parts = []
    if content.micro_ranking is not None:
        parts += [
            "<p>The models ranked on the microstructure of their predicted test block, the "
            "number a segmentation is used for: by "
            f"{esc(RANKING_RULE)} (relative errors against the same quantity "
            "measured on the labels), beside their rank by test mean IoU. Each model's "
            "prediction options (<code>evaluate.axes</code>, <code>smooth_sigma</code>) are "
            "those of its evaluation.</p>",
            tables.microstructure_ranking_html(
                content.micro_ranking, content.comparison, content.voxel_size
            ),
        ]
    parts += [
        "<p>Every microstructure quantity measured on each model's predicted test block"
        f"{measured} "
        "against the labels: the relative error of each (bold: smallest). "
        f"{esc(unit_note(content.voxel_size))}</p>",
        tables.microstructure_table_html(micro, content.voxel_size),
        figure_html(
            pngs["microstructure"],
            "microstructure relative errors",
            "Relative error of each quantity measured on the prediction "
            "(0: the prediction gives the true value). A model whose errors are far larger "
            "than the others' is cut at the axis edge with its value written there, so the "
            "axis shows the differences between the other models.",
        ),
    ]
    if "tpb_profile" in pngs:
        windows = window_text(*content.profile_windows)
        parts.append(
            figure_html(
                pngs["tpb_profile"],
                "TPB density along the test block",
                f"Triple-phase boundary density in {windows} along the test block, measured "
                "on the labels (black) and on each model's prediction by the same edge count: "
                "a model whose edges flicker from slice to slice runs above the truth "
                "everywhere, a local failure shows as a bump.",
            )
        )
    return parts


def _training_parts(models, pngs):
    rows = []
    for name, model in models.items():
        history = model.history
        if "val_loss" in history and history["val_loss"].notna().any():
            best_row = history.loc[history["val_loss"].idxmin()]
            stopped = ""
            if "stopped_by" in history and isinstance(history["stopped_by"].iloc[-1], str):
                stopped = f", stopped by {esc(history['stopped_by'].iloc[-1])}"
            rows.append(
                f"{esc(name)}: {int(history['step'].iloc[-1])} steps{_budget_text(history)}"
                f"{stopped}, lowest validation loss {best_row['val_loss']:.4f} at step "
                f"{int(best_row['step'])} (weights kept)"
            )
        else:
            rows.append(f"{esc(name)}: fitted in one go")
    return [
        figure_html(
            pngs["curves"],
            "training curves",
            "Loss and patch accuracy at each validation, by optimiser step, on the train patches "
            "(solid) and the validation patches (dashed); dots: the validation whose weights "
            "were kept.",
        ),
        "<ul>" + "".join(f"<li>{row}</li>" for row in rows) + "</ul>",
    ]


# How each rule of xrayseg.training.budget set a budget, for the training section.
BUDGET_RULES = {
    "fixed": "training.steps",
    "passes": "passes over the train patches",
    "floor": "the floor, min_steps",
    "cap": "the cap, max_steps",
    "batch": "passes over the train patches in batches grown to fit max_steps",
}


def _budget_text(history):
    """ " of a budget of N (why; P train patches)" from a history's budget columns, or "" for a
    history written without them."""
    if "budget_steps" not in history or pd.isna(history["budget_steps"].iloc[-1]):
        return ""
    last = history.iloc[-1]
    rule = BUDGET_RULES.get(last["budget_rule"], esc(str(last["budget_rule"])))
    return (
        f" of a budget of {int(last['budget_steps'])} ({rule}; "
        f"{int(last['train_patches'])} train patches)"
    )


def _data_parts(volume, splits, pngs, labelled=None):
    n_slices, height, width = volume.shape
    per_split = splits.value_counts()
    if labelled is None:
        labelled = pd.Series(True, index=splits.index)
    labelled_per_split = splits[labelled.reindex(splits.index, fill_value=True)].value_counts()
    sparse = not labelled.all()
    classes = ", ".join(
        f"{esc(name)} (label {esc(json.dumps(value))})"
        for name, value in zip(volume.class_names, volume.label_values, strict=True)
    )
    facts = definition_list(
        [
            ("volume", f"{n_slices} slices of {height} × {width} px"),
            ("raw", f"<code>{esc(volume.raw_source)}</code>"),
            ("labels", f"<code>{esc(volume.labels_source)}</code>"),
            ("classes", classes),
            (
                "slices per split",
                ", ".join(
                    f"{name} {int(per_split.get(name, 0))}"
                    for name in ("train", "val", "test", "guard")
                ),
            ),
            *(
                [
                    (
                        "labelled slices",
                        ", ".join(
                            f"{name} {int(labelled_per_split.get(name, 0))} of "
                            f"{int(per_split.get(name, 0))}"
                            for name in ("train", "val", "test")
                        )
                        + " (labels for only some slices: models train and are scored on "
                        "the labelled ones)",
                    )
                ]
                if sparse
                else []
            ),
            (
                "normalisation",
                f"raw grey {volume.normalisation['low']:.6g} → 0 and "
                f"{volume.normalisation['high']:.6g} → 1 "
                "(percentiles of the train slices)",
            ),
        ]
    )
    return [
        facts,
        figure_html(
            pngs["data"],
            "classes along the stack and grey values per class",
            "Left: class fractions of every slice along the stack, and the split below it "
            "(contiguous blocks: train, val, test, with unused guard slices between them, so "
            "no neighbouring slice crosses a split). Right: grey-value histogram of each class "
            "over all slices; overlapping classes are hard for any model.",
        ),
    ]


def _patch_parts(counts, pngs):
    if counts.empty:
        return ["<p>No model trains on patches.</p>"]
    return [
        "<p>Training patches are cut on a non-overlapping grid from each split's own slices; "
        "exact duplicates (also across splits) and near-duplicates of patches kept from "
        "neighbouring slices are dropped.</p>",
        tables.patch_table_html(counts),
        figure_html(pngs["patches"], "patch counts", "Patches per split and patch size."),
    ]


def _provenance_parts(made, config):
    machine = made["machine"]
    devices = [
        [name, d.get("train") or "not recorded", d.get("evaluate") or "not recorded"]
        for name, d in made["devices"].items()
    ]
    facts = definition_list(
        [
            ("written", esc(made["date"])),
            ("command", f"<code>{esc(made['command'])}</code>"),
            (
                "report written on",
                esc(
                    f"{machine['host']} ({machine['system']}, {machine['processor']}, "
                    f"{machine['cpus']} CPUs)"
                ),
            ),
        ]
    )
    return [
        facts,
        "<h3>Devices</h3><p class='note'>As each model's evaluation recorded them in its "
        "summary.json (the training device from the checkpoint).</p>",
        table(["model", "trained on", "evaluated on"], devices, text_columns=(0, 1, 2)),
        "<h3>Package versions</h3><p class='note'>In the environment of the report job (with "
        "per-rule conda envs, the train and evaluate jobs had their own, pinned to the same "
        "versions).</p>",
        tables.versions_table_html(made["versions"]),
        "<h3>Configuration</h3><details><summary>the run's configuration, defaults filled in "
        "(YAML; threads and prediction sets, which change no result shown here, left "
        "out)</summary>",
        f"<pre>{html.escape(yaml.safe_dump(config, sort_keys=False))}</pre></details>",
    ]
