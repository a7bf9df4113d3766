"""Figures of the data and the patches: the split strip, classes along the stack, grey values."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from xrayseg.data.splitshading import SPLIT_COLOURS, mark_labelled, shade_splits, split_blocks
from xrayseg.io.resultnames import PATCH_COUNTS
from xrayseg.report.style import class_palette, message_figure


def draw_split_strip(axis, splits):
    """The stack as one horizontal strip coloured by split, each block labelled with its size."""
    for name, first, last in split_blocks(splits):
        axis.axvspan(first - 0.5, last + 0.5, color=SPLIT_COLOURS.get(name, "#eeeeee"))
        count = last - first + 1
        if name != "guard" or count > 0.04 * len(splits):
            axis.text((first + last) / 2, 0.5, f"{name}\n{count}", ha="center", va="center")
    axis.set_xlim(splits.index.min() - 0.5, splits.index.max() + 0.5)
    axis.set_yticks([])
    axis.set_xlabel("slice (position along the stack)")
    axis.grid(False)


def data_figure(ingest_summary, histograms, class_names):
    """Class fractions along the stack above the split strip; grey-value histograms per class.

    ingest_summary: results/ingest/summary.csv (slice, split, fraction_<class>, ...);
    histograms: results/ingest/histograms.csv (grey, class, fraction: each class's grey-value
    histogram over every slice, made by ingest).
    """
    palette = class_palette(class_names)
    figure = plt.figure(figsize=(12, 4.6), layout="constrained")
    grid = figure.add_gridspec(2, 2, height_ratios=[4, 1], width_ratios=[1.5, 1])
    along = figure.add_subplot(grid[0, 0])
    strip = figure.add_subplot(grid[1, 0], sharex=along)
    histogram = figure.add_subplot(grid[:, 1])

    splits = ingest_summary.set_index("slice")["split"]
    shade_splits(along, splits, label=False)
    labelled = ingest_summary.get("labelled", pd.Series(True, index=ingest_summary.index))
    labelled = labelled.astype(bool)
    # Unlabelled slices have no class fractions (sparse labels): gaps in the lines, a dot on
    # each labelled slice.
    marker = "." if not labelled.all() else None
    for name in class_names:
        along.plot(
            ingest_summary["slice"],
            ingest_summary[f"fraction_{name}"].where(labelled),
            color=palette[name],
            marker=marker,
            label=name,
        )
    ignored = ingest_summary.get("fraction_ignored", pd.Series(0.0, index=ingest_summary.index))
    if ignored[labelled].any():
        along.plot(ingest_summary["slice"], ignored.where(labelled), "k--", marker=marker)
    mark_labelled(along, ingest_summary["slice"], labelled)
    along.legend(fontsize="small")
    along.set(
        ylim=(0, 1), xlabel="", ylabel="fraction of the slice", title="Classes along the stack"
    )
    along.tick_params(labelbottom=False)
    draw_split_strip(strip, splits)

    sns.lineplot(
        data=histograms, x="grey", y="fraction", hue="class", palette=palette, ax=histogram
    )
    histogram.set(
        xlabel="raw grey value",
        ylabel="fraction of the class's pixels",
        title="Grey values per class (all slices)",
    )
    return figure


def patch_source(orientation):
    """What a patch file's patches were cut from: slices, y-planes or x-planes."""
    return "slices" if orientation == "z" else f"{orientation}-planes"


def patches_figure(counts):
    """Patches made / mostly ignored / exact duplicates / near-duplicates / kept per split, one
    panel per size and orientation.

    counts: the rows of every results/patches/{size}px[_{axis}].csv (size, orientation, split,
    made, ...).
    """
    if counts.empty:
        return message_figure("No model trains on patches: no patch sets were made.")
    long = counts.melt(
        id_vars=["size", "orientation", "split"],
        value_vars=list(PATCH_COUNTS),
        var_name="count",
        value_name="n",
    )
    long["count"] = long["count"].map(PATCH_COUNTS)
    order = list(PATCH_COUNTS.values())
    panels = sorted(
        set(zip(long["size"], long["orientation"], strict=True)),
        key=lambda panel: (panel[0], "zyx".index(panel[1])),
    )
    figure, axes = plt.subplots(
        1, len(panels), figsize=(4.5 * len(panels) + 1, 3.4), squeeze=False, layout="constrained"
    )
    for axis, (size, orientation) in zip(axes[0], panels, strict=True):
        sns.barplot(
            data=long[(long["size"] == size) & (long["orientation"] == orientation)],
            x="split",
            y="n",
            hue="count",
            hue_order=order,
            palette="muted",
            ax=axis,
        )
        axis.set(
            title=f"{size} px patches from {patch_source(orientation)}", xlabel="", ylabel="patches"
        )
        if axis is not axes[0][-1]:
            axis.get_legend().remove()
        else:
            sns.move_legend(axis, "upper left", bbox_to_anchor=(1, 1), title=None, frameon=False)
    return figure
