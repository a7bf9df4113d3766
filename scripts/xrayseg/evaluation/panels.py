"""Qualitative panels: raw / label / prediction / error map of one slice."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from xrayseg.io.volume import IGNORE_INDEX  # noqa: E402

# Which ranked test slices get a panel: name -> position in the worst-to-best ranking.
PANEL_PICKS = {
    "worst": lambda count: 0,
    "median": lambda count: count // 2,
    "best": lambda count: count - 1,
}


def pick_panel_slices(ranked):
    """{worst, median, best: slice} from slices ranked worst to best; empty if none."""
    if not ranked:
        return {}
    return {name: ranked[pick(len(ranked))] for name, pick in PANEL_PICKS.items()}


def save_panel(path, raw, labels, predicted, class_names, title):
    """Write a PNG with the raw slice, its labels, a prediction and where they disagree.

    Ignored pixels (label IGNORE_INDEX) show grey in the label and error maps and are not errors.
    Returns the error fraction over the scored pixels.
    """
    n_classes = len(class_names)
    ignored = np.asarray(labels) == IGNORE_INDEX
    class_style = {"cmap": "viridis", "vmin": 0, "vmax": n_classes - 1, "interpolation": "nearest"}
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.4), constrained_layout=True)
    axes[0].imshow(raw, cmap="gray")
    axes[0].set_title("raw")
    axes[1].set_facecolor("0.6")
    axes[1].imshow(np.ma.masked_where(ignored, labels), **class_style)
    axes[1].set_title("label")
    image = axes[2].imshow(predicted, **class_style)
    axes[2].set_title("prediction")
    errors = (np.asarray(predicted) != labels) & ~ignored
    scored = max(1, int((~ignored).sum()))
    error_fraction = float(errors.sum() / scored)
    axes[3].set_facecolor("0.6")
    axes[3].imshow(
        np.ma.masked_where(ignored, errors), cmap="Reds", vmin=0, vmax=1, interpolation="nearest"
    )
    axes[3].set_title(f"errors ({error_fraction:.1%})")
    for axis in axes:
        axis.set_xticks([])
        axis.set_yticks([])
    colorbar = fig.colorbar(image, ax=axes[1:3], ticks=range(n_classes), shrink=0.8)
    colorbar.ax.set_yticklabels(class_names)
    fig.suptitle(title)
    fig.savefig(path, format="png", dpi=90)
    plt.close(fig)
    return error_fraction
