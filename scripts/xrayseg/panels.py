"""Qualitative panels: raw / label / prediction / error map of one slice."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def save_panel(path, raw, labels, predicted, class_names, title):
    """Write a PNG with the raw slice, its labels, a prediction and where they disagree."""
    n_classes = len(class_names)
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.4), constrained_layout=True)
    axes[0].imshow(raw, cmap="gray")
    axes[0].set_title("raw")
    axes[1].imshow(labels, cmap="viridis", vmin=0, vmax=n_classes - 1, interpolation="nearest")
    axes[1].set_title("label")
    axes[2].imshow(predicted, cmap="viridis", vmin=0, vmax=n_classes - 1, interpolation="nearest")
    axes[2].set_title("prediction")
    errors = predicted != labels
    axes[3].imshow(errors, cmap="Reds", vmin=0, vmax=1, interpolation="nearest")
    axes[3].set_title(f"errors ({errors.mean():.1%})")
    for axis in axes:
        axis.set_axis_off()
    fig.suptitle(title)
    fig.savefig(path, format="png", dpi=90)
    plt.close(fig)
    return np.asarray(errors).mean()
