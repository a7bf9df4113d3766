"""Qualitative comparison: raw / label / every model's prediction and errors on the SAME slices.

The per-model panel.png files of evaluate each show that model's own median slice, so they cannot
be compared; here every model is drawn on the same test slices, chosen to show where it matters:
the best model's worst slice, the slice where the models disagree most, the best model's median.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.report.style import class_palette

IGNORED_GREY = (0.6, 0.6, 0.6)
ERROR_RED = (0.84, 0.1, 0.11)
DISAGREE_ORANGE = (0.95, 0.55, 0.0)


def slice_accuracy(labels, predicted):
    """Pixel accuracy over the scored (not ignored) pixels; NaN when every pixel is ignored."""
    scored = labels != IGNORE_INDEX
    total = int(scored.sum())
    return float(((predicted == labels) & scored).sum() / total) if total else float("nan")


def disagreement(maps):
    """Boolean map: pixels where the given class maps do not all agree."""
    maps = np.asarray(maps)
    return np.any(maps != maps[:1], axis=0)


def separation(slices, n_picks):
    """Slices the picks keep apart: a third of the block's span for three picks (neighbouring
    slices look alike, so panels of nearby slices would show one thing twice), at least 1."""
    return max(1, (max(slices) - min(slices)) // n_picks) if slices else 1


def _first_apart(order, picked, gap):
    """(slice, gap kept): the first slice in `order` at least `gap` from every picked slice,
    relaxing the gap down to 1 (distinct) when none is; (None, 0) when every slice is picked."""
    for kept in range(gap, 0, -1):
        for z in order:
            if all(abs(z - other) >= kept for other in picked):
                return z, kept
    return None, 0


def pick_slices(best_accuracy, predictions):
    """[(slice, why)] of up to three different test slices to compare every model on, as far
    apart as the block allows (separation): the best model's worst slice, the slice where the
    models disagree most, the best model's median slice; when the slice a reason asks for is
    too close to one already picked, the next best slice far enough from it.

    best_accuracy: {slice: accuracy} of the best model's test slices; predictions:
    {model: {slice: class map}}.
    """
    ranked = [
        z for _, z in sorted((acc, z) for z, acc in best_accuracy.items() if np.isfinite(acc))
    ]
    if not ranked:
        return []
    wanted = [("worst", ranked)]
    if len(predictions) > 1:
        slices = sorted(next(iter(predictions.values())))
        disagreeing = {
            z: float(disagreement([maps[z] for maps in predictions.values()]).mean())
            for z in slices
        }
        wanted.append(("disagree", sorted(slices, key=lambda z: (-disagreeing[z], z))))
    middle = len(ranked) // 2
    wanted.append(("median", sorted(ranked, key=lambda z: (abs(ranked.index(z) - middle), z))))
    gap = separation(ranked, len(wanted))
    picks = []
    for reason, order in wanted:
        z, kept = _first_apart(order, [p for p, _ in picks], gap)
        if z is None:
            break
        apart = "" if z == order[0] else f", at least {kept} slices from the slices above"
        if reason == "worst":
            why = "the best model's worst test slice"
        elif reason == "disagree":
            why = f"the models disagree most{apart} ({disagreeing[z]:.1%} of pixels)"
        elif z == order[0]:
            why = "the best model's median test slice"
        else:
            why = (
                f"the best model's slice nearest its median{apart} (accuracy rank "
                f"{ranked.index(z) + 1} of {len(ranked)})"
            )
        picks.append((z, why))
    return picks


def _grey(raw):
    """Raw slice scaled to 0..1 by its own 1st-99th percentiles."""
    low, high = np.nanpercentile(raw, [1, 99])
    return np.clip((raw - low) / max(high - low, 1e-12), 0, 1)


def overlay(raw, mask, colour, ignored=None):
    """RGB image: the raw slice, faded, with `mask` pixels in `colour` and ignored ones grey."""
    faded = 0.45 + 0.55 * _grey(raw)
    image = np.repeat(faded[..., np.newaxis], 3, axis=-1)
    image[mask] = colour
    if ignored is not None:
        image[ignored] = IGNORED_GREY
    return image


def panels_figure(slices, predictions, picks, class_names, model_order):
    """One figure, a block per picked slice (titled with why it was picked): a row raw / label /
    each model's prediction, and a row models-disagree map / legend / each model's errors over
    the faded raw slice.

    slices: {z: (raw, labels)}; predictions: {model: {z: class map}}.
    """
    n_classes = len(class_names)
    palette = class_palette(class_names)
    classes_cmap = ListedColormap([palette[name] for name in class_names]).with_extremes(
        bad=IGNORED_GREY
    )
    style = {
        "cmap": classes_cmap,
        "vmin": -0.5,
        "vmax": n_classes - 0.5,
        "interpolation": "nearest",
    }
    handles = [Patch(color=palette[name], label=name) for name in class_names]
    handles += [
        Patch(color=ERROR_RED, label="error"),
        Patch(color=DISAGREE_ORANGE, label="models disagree"),
    ]
    if any((slices[z][1] == IGNORE_INDEX).any() for z, _ in picks):
        handles.append(Patch(color=IGNORED_GREY, label="ignored"))
    n_columns = 2 + len(model_order)
    # About 12.5 inches wide (the page's width at 100 dpi), cells no smaller than 1.6 inches.
    cell = min(2.3, max(1.6, 12.5 / n_columns))
    figure = plt.figure(figsize=(cell * n_columns, 2.25 * cell * len(picks)), layout="constrained")
    blocks = np.atleast_1d(figure.subfigures(len(picks), 1))
    for block, (z, why) in zip(blocks, picks, strict=True):
        raw, labels = slices[z]
        ignored = labels == IGNORE_INDEX
        block.suptitle(f"Test slice {z}: {why}", fontsize="medium", fontweight="bold")
        top, bottom = block.subplots(2, n_columns)
        top[0].imshow(raw, cmap="gray")
        top[0].set_title("raw", fontsize="small")
        top[1].imshow(np.ma.masked_where(ignored, labels), **style)
        top[1].set_title("label", fontsize="small")
        maps = [predictions[m][z] for m in model_order]
        disagree = disagreement(maps) & ~ignored if len(maps) > 1 else np.zeros_like(ignored)
        bottom[0].imshow(overlay(raw, disagree, DISAGREE_ORANGE, ignored))
        bottom[0].set_title(f"models disagree ({disagree.mean():.1%})", fontsize="small")
        bottom[1].axis("off")
        bottom[1].legend(handles=handles, loc="center", frameon=False, fontsize="small")
        for column, (model, predicted) in enumerate(zip(model_order, maps, strict=True), 2):
            top[column].imshow(predicted, **style)
            accuracy = slice_accuracy(labels, predicted)
            top[column].set_title(f"{model}: {accuracy:.1%} right", fontsize="small")
            errors = (predicted != labels) & ~ignored
            bottom[column].imshow(overlay(raw, errors, ERROR_RED, ignored))
            bottom[column].set_title(f"{model} errors", fontsize="small")
        for axis in (*top, *bottom):
            axis.set_xticks([])
            axis.set_yticks([])
    return figure
