"""Seaborn figures that compare the models.

Scores with intervals, per-class IoU, training curves, confusion matrices, phase fractions,
accuracy along the stack and microstructure errors."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from xrayseg.data.splitshading import shade_splits
from xrayseg.microstructure.compare import UNITS
from xrayseg.report.offscale import axis_limits, clip_to, label_off_scale, off_scale_models
from xrayseg.report.style import message_figure
from xrayseg.report.units import unit_text

# Darker than the background shades, so markers stand out on white.
SPLIT_MARKERS = {
    "train": ("#1f78b4", "o", -0.22),
    "val": ("#ff7f00", "s", 0.0),
    "test": ("#6a3d9a", "D", 0.22),
}
SCORE_LABELS = {"accuracy": "pixel accuracy", "mean_iou": "mean IoU"}


def scores_figure(split_long, table, confidence):
    """Accuracy and mean IoU per split and model (train-vs-test gap at a glance), with bootstrap
    intervals; and each model's paired difference to the best model in test mean IoU.

    split_long: scores.split_scores; table: scores.comparison_table (best first).
    """
    order = table["model"].tolist()
    figure, axes = plt.subplots(
        1, 3, figsize=(14, 3.8), layout="constrained", width_ratios=[1, 1, 0.9]
    )
    for axis, score in zip(axes[:2], ("accuracy", "mean_iou"), strict=True):
        for split, (colour, marker, offset) in SPLIT_MARKERS.items():
            rows = split_long[(split_long["score"] == score) & (split_long["split"] == split)]
            rows = rows.set_index("model").reindex(order).dropna(subset=["value"])
            if rows.empty:
                continue
            x = np.array([order.index(m) for m in rows.index]) + offset
            low = (rows["value"] - rows["ci_low"]).clip(lower=0).fillna(0)
            high = (rows["ci_high"] - rows["value"]).clip(lower=0).fillna(0)
            axis.errorbar(
                x,
                rows["value"],
                yerr=[low, high],
                fmt=marker,
                color=colour,
                capsize=3,
                label=split,
            )
        axis.set_xticks(range(len(order)), order, rotation=30, ha="right")
        axis.set(title=f"{SCORE_LABELS[score]} per split", ylabel=SCORE_LABELS[score])
    axes[0].legend(title=None, fontsize="small")

    _differences_panel(axes[2], table, confidence)
    return figure


def _differences_panel(axis, table, confidence):
    """The best model's paired lead in test mean IoU over each other model, in percentage
    points; a model far behind the others (offscale) is cut at the axis edge and labelled."""
    others = table.iloc[1:]
    if others.empty:
        axis.axis("off")
        axis.text(0.5, 0.5, "one model: nothing to compare", ha="center", va="center")
        return
    points = {
        column: 100 * others[f"diff_mean_iou{column}"].to_numpy(dtype=float)
        for column in ("", "_ci_low", "_ci_high")
    }
    limits = axis_limits(
        {
            model: [points[""][i], points["_ci_low"][i], points["_ci_high"][i]]
            for i, model in enumerate(others["model"])
        }
    )
    y = np.arange(len(others))
    shown, cut = clip_to(points[""], limits)
    low, _ = clip_to(points["_ci_low"], limits)
    high, _ = clip_to(points["_ci_high"], limits)
    on_scale = ~cut
    axis.errorbar(
        shown[on_scale],
        y[on_scale],
        xerr=[
            np.nan_to_num(shown - low)[on_scale].clip(min=0),
            np.nan_to_num(high - shown)[on_scale].clip(min=0),
        ],
        fmt="o",
        color="#333333",
        capsize=3,
    )
    for position, value, drawn in zip(y[cut], points[""][cut], shown[cut], strict=True):
        axis.plot(drawn, position, ">" if value > 0 else "<", color="#333333")
        label_off_scale(axis, drawn, position, f"{value:+.2f} pp", limits)
    axis.axvline(0, color="#b2182b", linewidth=1)
    axis.set_yticks(y, others["model"])
    axis.set_ylim(len(others) - 0.5, -0.5)
    if limits is not None:
        axis.set_xlim(*limits)
    axis.set(
        title=f"{table['model'].iloc[0]} minus each model (test)",
        xlabel=f"mean IoU difference (percentage points),\npaired {confidence:.0%} interval",
    )


def per_class_figure(iou_long, boundary_long, palette):
    """Test IoU and boundary F1 of each class, models side by side."""
    figure, axes = plt.subplots(1, 2, figsize=(13, 3.6), layout="constrained")
    for axis, frame, title in (
        (axes[0], iou_long, "IoU per class (test)"),
        (axes[1], boundary_long, "boundary F1 per class (test)"),
    ):
        # saturation 1: seaborn pales bars by default, and a model keeps one colour throughout.
        sns.barplot(
            data=frame, x="class", y="value", hue="model", palette=palette, saturation=1, ax=axis
        )
        axis.set(title=title, xlabel="", ylabel=title.split(" per")[0], ylim=(0, 1.05))
        axis.legend_.remove()
    axes[1].legend(*axes[0].get_legend_handles_labels(), loc="upper left", bbox_to_anchor=(1, 1))
    return figure


def curves_figure(histories, palette):
    """Train (solid) and validation (dashed) loss and accuracy by optimiser step of every network;
    the dot marks the validation with the lowest loss (the weights kept)."""
    curves = {
        name: history
        for name, history in histories.items()
        if {"train_loss", "val_loss"} <= set(history.columns) and len(history)
    }
    if not curves:
        return message_figure(
            "No model trains in steps (pixel models are fitted in one go): no curves."
        )
    figure, axes = plt.subplots(1, 2, figsize=(13, 3.8), layout="constrained")
    for name, history in curves.items():
        colour = palette[name]
        for axis, score in zip(axes, ("loss", "accuracy"), strict=True):
            for split, style in (("train", "-"), ("val", "--")):
                column = f"{split}_{score}"
                if column in history:
                    axis.plot(history["step"], history[column], style, color=colour)
        best = history.loc[history["val_loss"].idxmin()]
        axes[0].plot(best["step"], best["val_loss"], "o", color=colour)
        axes[0].plot([], [], "-o", color=colour, label=name)
        if "val_accuracy" in history:
            axes[1].plot(best["step"], best["val_accuracy"], "o", color=colour)
    axes[0].set(title="loss (solid: train, dashed: validation)", xlabel="step", ylabel="loss")
    axes[1].set(title="patch accuracy", xlabel="step", ylabel="accuracy")
    axes[0].legend(fontsize="small")
    skipped = sorted(set(histories) - set(curves))
    if skipped:
        figure.suptitle(f"no curves (fitted in one go): {', '.join(skipped)}", fontsize="small")
    return figure


def confusion_matrices(models, split="test"):
    """{model: DataFrame true x predicted} of pooled counts of a split, rows normalised to 1."""
    matrices = {}
    for name, model in models.items():
        rows = model.confusion[model.confusion["split"] == split]
        counts = rows.pivot_table(
            index="true", columns="predicted", values="count", aggfunc="sum"
        ).reindex(index=model.class_names, columns=model.class_names, fill_value=0)
        totals = counts.sum(axis=1).replace(0, np.nan)
        matrices[name] = counts.div(totals, axis=0)
    return matrices


def confusion_figure(models):
    """Row-normalised test confusion matrix of each model: the diagonal is each class's recall,
    the rest says which class it is mistaken for."""
    matrices = confusion_matrices(models)
    rows = math.ceil(len(matrices) / 4)  # at most 4 a row, rows filled evenly
    columns = math.ceil(len(matrices) / rows)
    figure, axes = plt.subplots(
        rows, columns, figsize=(3.6 * columns, 3.2 * rows), squeeze=False, layout="constrained"
    )
    for axis, (name, matrix) in zip(axes.ravel(), matrices.items(), strict=False):
        sns.heatmap(
            matrix,
            annot=True,
            fmt=".1%",
            cmap="Blues",
            vmin=0,
            vmax=1,
            cbar=False,
            square=True,
            ax=axis,
            annot_kws={"fontsize": "small"},
        )
        axis.set(title=name, xlabel="predicted", ylabel="true")
    for axis in axes.ravel()[len(matrices) :]:
        axis.axis("off")
    return figure


def fraction_points(models):
    """Long table model, slice, class, true, predicted: phase fractions of each test slice."""
    rows = []
    for name, model in models.items():
        test = model.metrics[model.metrics["split"] == "test"]
        for class_name in model.class_names:
            rows.append(
                pd.DataFrame(
                    {
                        "model": name,
                        "slice": test["slice"],
                        "class": class_name,
                        "true": test[f"true_fraction_{class_name}"],
                        "predicted": test[f"pred_fraction_{class_name}"],
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def fractions_figure(models, palette):
    """Predicted against true phase fraction of every test slice, one panel per class; points on
    the diagonal are right (phase fractions feed porosity and transport estimates)."""
    points = fraction_points(models)
    class_names = list(dict.fromkeys(points["class"]))
    figure, axes = plt.subplots(
        1, len(class_names), figsize=(3.8 * len(class_names) + 1.5, 3.6), layout="constrained"
    )
    axes = np.atleast_1d(axes)
    for axis, class_name in zip(axes, class_names, strict=True):
        rows = points[points["class"] == class_name]
        low = float(np.nanmin(rows[["true", "predicted"]].to_numpy()))
        high = float(np.nanmax(rows[["true", "predicted"]].to_numpy()))
        pad = 0.05 * max(high - low, 0.01)
        axis.plot([low - pad, high + pad], [low - pad, high + pad], color="grey", linewidth=1)
        sns.scatterplot(
            data=rows, x="true", y="predicted", hue="model", palette=palette, s=22, ax=axis
        )
        axis.set(
            title=class_name,
            xlabel="true fraction",
            ylabel="predicted fraction",
            xlim=(low - pad, high + pad),
            ylim=(low - pad, high + pad),
        )
        axis.set_aspect("equal")
        if axis is not axes[-1]:
            axis.legend_.remove()
        else:
            sns.move_legend(axis, "upper left", bbox_to_anchor=(1, 1), frameon=False)
    return figure


def along_stack_figure(models, splits, palette):
    """Pixel accuracy of every evaluated slice along the stack, split blocks shaded: drift, or a
    single bad slice, shows here."""
    figure, axis = plt.subplots(figsize=(13, 3.6), layout="constrained")
    shade_splits(axis, splits)
    for name, model in models.items():
        for _, rows in model.metrics.sort_values("slice").groupby("split", sort=False):
            axis.plot(rows["slice"], rows["accuracy"], ".-", color=palette[name], markersize=4)
        axis.plot([], [], ".-", color=palette[name], label=name)
    axis.set(xlabel="slice", ylabel="pixel accuracy", xlim=(splits.index.min() - 0.5, None))
    axis.set_xlim(splits.index.min() - 0.5, splits.index.max() + 0.5)
    axis.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
    return figure


def microstructure_long(tables):
    """Long table model, quantity, relative_error_percent from each model's microstructure.csv."""
    rows = []
    for name, table in tables.items():
        rows.append(
            pd.DataFrame(
                {
                    "model": name,
                    "quantity": table["metric"].str.replace("_", " ") + " " + table["phases"],
                    "relative_error_percent": 100 * table["relative_error"].astype(float),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def microstructure_figure(tables, palette, title="Microstructure (test block)"):
    """Relative error of each microstructure quantity measured on the predicted test block, one
    bar per model; a model far off the others (offscale) is cut at the axis edge and labelled,
    so the axis shows the differences between the good models. (The transport section draws
    its quantities with it too.)"""
    long = microstructure_long(tables)
    quantities = list(dict.fromkeys(long["quantity"]))
    models = list(tables)
    errors = {
        model: long[long["model"] == model]
        .set_index("quantity")["relative_error_percent"]
        .reindex(quantities)
        .to_numpy(dtype=float)
        for model in models
    }
    limits = axis_limits(errors)
    height = 1.2 + 0.18 * len(quantities) * max(1, len(tables)) ** 0.5
    figure, axis = plt.subplots(figsize=(10, height), layout="constrained")
    bar = 0.8 / len(models)
    for index, model in enumerate(models):
        y = np.arange(len(quantities)) - 0.4 + bar * (index + 0.5)
        shown, cut = clip_to(errors[model], limits)
        axis.barh(y, np.nan_to_num(shown), height=bar, color=palette[model], label=model)
        for position, value, drawn in zip(y[cut], errors[model][cut], shown[cut], strict=True):
            label_off_scale(axis, drawn, position, f"{model} {value:+.0f} %", limits)
    axis.set_yticks(range(len(quantities)), quantities)
    axis.set_ylim(len(quantities) - 0.5, -0.5)
    if limits is not None:
        axis.set_xlim(*limits)
    axis.axvline(0, color="black", linewidth=0.8)
    cut_models = off_scale_models(errors) if limits is not None else []
    axis.set(
        xlabel="relative error of the prediction (%)"
        + (f"; {', '.join(cut_models)} cut at the edge, value labelled" if cut_models else ""),
        ylabel="",
        title=title,
    )
    axis.grid(axis="y", visible=False)
    axis.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False, title="model")
    return figure


def tpb_profile_figure(profiles, palette, windows, voxel_size):
    """TPB density per window along the test block (windows: slices per window and from one
    window's start to the next): the labels (black) and every model, one panel per triple of
    phases (microranking.tpb_profiles)."""
    if not profiles:
        return message_figure("No TPB profile: the microstructure roles name fewer than 3 phases.")
    figure, axes = plt.subplots(
        1,
        len(profiles),
        figsize=(7.5 * len(profiles) + 2, 3.6),
        squeeze=False,
        layout="constrained",
    )
    for axis, (triple, frame) in zip(axes[0], profiles.items(), strict=True):
        for source, rows in frame.groupby("source", sort=False):
            truth = source == "labels"
            axis.plot(
                rows["window_centre"],
                rows["tpb_density"],
                "o-" if truth else ".-",
                color="black" if truth else palette[source],
                linewidth=2.2 if truth else 1.2,
                label="labels (truth)" if truth else source,
                zorder=3 if truth else 2,
            )
        axis.set(
            xlabel=f"test slice (window centre; {window_text(*windows)})",
            ylabel=f"TPB density ({unit_text(UNITS['tpb_density'], voxel_size)})",
            title=f"TPB {triple} along the test block",
        )
    axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
    return figure


def window_text(window, step):
    """'windows of 2 slices, 1 apart (overlapping)' / 'windows of 10 slices'."""
    text = f"windows of {window} slices"
    return text if step == window else f"{text}, starting {step} apart (overlapping)"
