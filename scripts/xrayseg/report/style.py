"""Shared look of the report's figures: colours per model, class and split; PNG rendering."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

SPLIT_COLOURS = {"train": "#a6cee3", "guard": "#dddddd", "val": "#fdbf6f", "test": "#cab2d6"}
DPI = 100


def use_theme():
    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.9)


def model_palette(models):
    """{model: colour}, the same in every figure (colour-blind safe for up to 10 models)."""
    colours = sns.color_palette("colorblind", max(len(models), 1))
    return {model: colours[i % len(colours)] for i, model in enumerate(models)}


def class_palette(class_names):
    return dict(zip(class_names, sns.color_palette("Set2", len(class_names)), strict=True))


def figure_png(figure):
    """The figure as PNG bytes; the figure is closed (pyplot keeps no reference)."""
    buffer = io.BytesIO()
    # Every figure lays itself out (constrained layout), so no second "tight" drawing pass.
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def message_figure(text, size=(6, 1.2)):
    """A small figure holding only a sentence, for a figure that has nothing to show."""
    figure, axis = plt.subplots(figsize=size, layout="constrained")
    axis.axis("off")
    axis.text(0.5, 0.5, text, ha="center", va="center", wrap=True)
    return figure


def split_blocks(splits):
    """[(split, first slice, last slice)] of the contiguous blocks of a Series indexed by slice."""
    order = splits.sort_index()
    slices, names = order.index.to_list(), order.to_list()
    blocks, start = [], 0
    for i in range(1, len(names) + 1):
        if i == len(names) or names[i] != names[start]:
            blocks.append((names[start], slices[start], slices[i - 1]))
            start = i
    return blocks


def shade_splits(axis, splits, label=True):
    """Background spans per contiguous split block of `splits` (a Series indexed by slice)."""
    for name, first, last in split_blocks(splits):
        colour = SPLIT_COLOURS.get(name, "#eeeeee")
        axis.axvspan(first - 0.5, last + 0.5, color=colour, alpha=0.35, linewidth=0, zorder=0)
        if label and name != "guard":
            axis.text(
                (first + last) / 2,
                1.0,
                name,
                ha="center",
                va="bottom",
                transform=axis.get_xaxis_transform(),
                fontsize="small",
            )
