"""Shared look of the report's figures: colours per model and class, PNG rendering.

The split shading, shared with ingest's figure, is xrayseg.data.splitshading."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

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
