"""How the report's figures look where it matters for reading them: one colour per model across
every figure, distinct colours, outliers cut at the axis edge, about ten TPB windows, no
"ignored" legend entry without ignored pixels."""

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.microstructure.profile import window_starts
from xrayseg.report import comparepanels, figures, inputs, offscale
from xrayseg.report.microranking import profile_windows
from xrayseg.report.style import model_palette

matplotlib.use("Agg")

MODELS = ["threshold", "rf", "dnn", "unet", "unet25d"]
CLASSES = ["pore", "YSZ", "Ni"]


def smallest_difference(colours):
    """The smallest CIEDE2000 difference between two of the colours."""
    lab = [rgb2lab(np.array(mcolors.to_rgb(c))[None, None, :])[0, 0] for c in colours]
    return min(
        deltaE_ciede2000(lab[i], lab[j]) for i in range(len(lab)) for j in range(i + 1, len(lab))
    )


@pytest.mark.parametrize("n_models", [2, 5, 10])
def test_model_colours_are_clearly_distinct(n_models):
    palette = model_palette([f"m{i}" for i in range(n_models)])
    assert smallest_difference(palette.values()) >= 20
    # And none is black, the truth's colour in the TPB profile.
    assert smallest_difference([*palette.values(), "black"]) >= 20


def test_more_models_than_fixed_colours_still_get_distinct_colours():
    palette = model_palette([f"m{i}" for i in range(16)])
    assert len(set(palette.values())) == 16
    assert smallest_difference(palette.values()) >= 5


def test_a_models_colour_follows_the_config_order_not_the_ranking():
    assert model_palette(MODELS)["unet"] == model_palette([*MODELS, "extra"])["unet"]


def microstructure_tables(errors):
    """{model: microstructure.csv} with the given relative errors of two quantities."""
    return {
        model: pd.DataFrame(
            {
                "metric": ["interface_density", "tpb_density"],
                "phases": ["pore/YSZ", "pore/YSZ/Ni"],
                "unit": ["1/length", "1/length^2"],
                "true": [0.03, 0.0005],
                "predicted": [0.03, 0.0005],
                "relative_error": values,
            }
        )
        for model, values in errors.items()
    }


def legend_colours(axis):
    """{label: RGB} of an axis's legend entries (or the figure's first legend)."""
    legend = axis.get_legend() or axis.figure.legends[0]
    colours = {}
    for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
        colour = handle.get_color() if hasattr(handle, "get_color") else handle.get_facecolor()
        if isinstance(colour, np.ndarray) and colour.ndim == 2:
            colour = colour[0]
        colours[text.get_text()] = mcolors.to_rgb(colour)
    return colours


def test_every_model_has_its_palette_colour_in_every_figure():
    palette = model_palette(MODELS)
    expected = {model: mcolors.to_rgb(colour) for model, colour in palette.items()}
    rng = np.random.default_rng(0)
    per_class = pd.DataFrame(
        [{"model": m, "class": c, "value": rng.random()} for m in MODELS for c in CLASSES]
    )
    histories = {
        m: pd.DataFrame({"step": [1, 2], "train_loss": [1.0, 0.5], "val_loss": [1.1, 0.6]})
        for m in MODELS
    }
    errors = microstructure_tables({m: [0.01 * i, -0.02 * i] for i, m in enumerate(MODELS)})
    profiles = {
        "pore/YSZ/Ni": pd.DataFrame(
            [
                {"window_centre": z, "source": source, "tpb_density": rng.random()}
                for source in ["labels", *MODELS]
                for z in range(3)
            ]
        )
    }
    metrics = pd.DataFrame(
        {
            "split": ["test"] * 3,
            "slice": [7, 8, 9],
            "accuracy": rng.random(3),
            **{f"{kind}_fraction_{c}": rng.random(3) for kind in ("true", "pred") for c in CLASSES},
        }
    )
    models = {
        m: inputs.ModelResults(m, {"class_names": CLASSES}, metrics, None, None, None)
        for m in MODELS
    }
    splits = pd.Series(["test"] * 3, index=[7, 8, 9])
    drawn = {
        "along_stack": figures.along_stack_figure(models, splits, palette).axes[0],
        "fractions": figures.fractions_figure(models, palette).axes[-1],
        "per_class": figures.per_class_figure(per_class, per_class, palette).axes[1],
        "curves": figures.curves_figure(histories, palette).axes[0],
        "microstructure": figures.microstructure_figure(errors, palette).axes[0],
        "tpb_profile": figures.tpb_profile_figure(profiles, palette, (2, 1), 1.0).axes[0],
    }
    for name, axis in drawn.items():
        shown = {k: v for k, v in legend_colours(axis).items() if k in expected}
        assert shown == expected, name
    matplotlib.pyplot.close("all")


def test_a_model_far_off_the_others_is_off_the_scale():
    values = {"good": [5, -3], "close": [8, 2], "fine": [12, 1], "bad": [184, -100]}
    assert offscale.off_scale_models(values) == ["bad"]
    low, high = offscale.axis_limits(values)
    # The axis spans the other models' values, with room for the labels of the cut ones.
    assert 12 < high < 12 + 0.35 * 15 and -3 - 0.35 * 15 < low < -3
    assert offscale.off_scale_models({"a": [5], "b": [8], "c": [12]}) == []
    assert offscale.axis_limits({"a": [5], "b": [8], "c": [12]}) is None
    # With two models the better one sets the scale; with one, nothing is off it.
    assert offscale.off_scale_models({"good": [3], "bad": [40]}) == ["bad"]
    assert offscale.off_scale_models({"only": [40]}) == []
    assert offscale.off_scale_models({"a": [0.0], "b": [0.0], "c": [np.nan]}) == []


def test_the_microstructure_figure_cuts_an_outlier_at_the_edge_and_writes_its_value():
    errors = {"good": [0.05, 0.2], "close": [0.02, 0.28], "bad": [1.84, -1.0]}
    figure = figures.microstructure_figure(microstructure_tables(errors), model_palette(errors))
    axis = figure.axes[0]
    low, high = axis.get_xlim()
    assert high < 100  # the good models' 28 % sets the scale, not the outlier's 184 %
    texts = sorted(t.get_text() for t in axis.texts)
    assert texts == ["bad +184 % ▸", "◂ bad -100 %"]
    for bar in axis.patches:
        assert low - 1e-9 <= bar.get_x() + bar.get_width() <= high + 1e-9
    assert "bad cut at the edge" in axis.get_xlabel()
    matplotlib.pyplot.close(figure)


@pytest.mark.parametrize("n_slices", [10, 15, 20, 47, 100, 500])
def test_the_tpb_profile_has_about_ten_windows(n_slices):
    window, step = profile_windows(n_slices)
    starts = window_starts(n_slices, window, step)
    assert window >= 2 and 1 <= step <= window
    assert 9 <= len(starts) <= 14
    if n_slices >= 20:
        assert step == window  # whole windows tile the block
    # The windows reach the block's end (at most one window's worth left over).
    assert n_slices - (starts[-1] + window) < window + step


def test_a_block_too_short_for_a_window_has_none():
    window, step = profile_windows(1)
    assert window_starts(1, window, step) == []


def panel_legend(labels):
    slices = {0: (np.zeros((4, 4)), labels)}
    predictions = {"a": {0: np.zeros((4, 4), dtype=np.uint8)}}
    figure = comparepanels.panels_figure(slices, predictions, [(0, "why")], CLASSES, ["a"])
    entries = [
        text.get_text()
        for sub in figure.subfigs
        for ax in sub.axes
        if ax.get_legend()
        for text in ax.get_legend().get_texts()
    ]
    matplotlib.pyplot.close(figure)
    return entries


def test_the_panels_legend_lists_ignored_only_when_a_slice_has_ignored_pixels():
    labels = np.zeros((4, 4), dtype=np.uint8)
    assert "ignored" not in panel_legend(labels)
    labels[0, 0] = IGNORE_INDEX
    assert "ignored" in panel_legend(labels)
