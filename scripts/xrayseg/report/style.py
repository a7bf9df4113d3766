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


# Model colours, in the order the config lists the models: Paul Tol's colour-blind safe
# "bright" scheme (its pale yellow after the darker colours), then four more; every pair is at
# least 20 apart in CIEDE2000 (seaborn's "colorblind" has an orange and a vermillion 17 apart,
# which read as one colour in a legend). No black or grey: the figures draw the truth in black
# and a model's own probabilities in grey.
MODEL_COLOURS = (
    "#4477AA",  # blue
    "#EE6677",  # red
    "#228833",  # green
    "#AA3377",  # purple
    "#66CCEE",  # cyan
    "#CCBB44",  # yellow
    "#332288",  # indigo
    "#EE7733",  # orange
    "#997700",  # ochre
    "#44AA99",  # teal
)


def model_palette(models):
    """{model: colour} for the models in the config's order, handed to every figure so that a
    model has one colour throughout the report; more models than MODEL_COLOURS get evenly
    spaced hues."""
    models = list(models)
    if len(models) <= len(MODEL_COLOURS):
        colours = MODEL_COLOURS
    else:
        colours = sns.color_palette("husl", len(models)).as_hex()
    return dict(zip(models, colours, strict=False))


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
