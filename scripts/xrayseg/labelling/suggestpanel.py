"""The top suggestions as one figure: raw slice, prediction and uncertainty map of each.

The uncertainty runs from 0 (sure) to 1 (every class alike)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def save_suggestion_panel(path, slices, class_names, model, kind):
    """Write a PNG with one row per suggested slice: raw, prediction, uncertainty.

    slices: {z: (raw, classes, uncertainty)} in suggestion order (may be empty: the figure then
    says there is nothing to suggest).
    """
    if not slices:
        figure, axis = plt.subplots(figsize=(7, 1.2), layout="constrained")
        axis.axis("off")
        axis.text(0.5, 0.5, "No slice to suggest: no candidate slices", ha="center", va="center")
        figure.savefig(path, format="png", dpi=100)
        plt.close(figure)
        return
    n_classes = len(class_names)
    figure, axes = plt.subplots(
        len(slices), 3, figsize=(9.5, 3.1 * len(slices)), layout="constrained", squeeze=False
    )
    image = None
    for rank, (row, (z, (raw, classes, uncertainty))) in enumerate(
        zip(axes, slices.items(), strict=True), 1
    ):
        row[0].imshow(raw, cmap="gray")
        defined = np.isfinite(uncertainty)
        mean = float(uncertainty[defined].mean()) if defined.any() else float("nan")
        row[0].set_title(f"#{rank}: slice {z}, {kind}: raw", fontsize="small")
        row[1].imshow(classes, cmap="viridis", vmin=0, vmax=n_classes - 1, interpolation="nearest")
        row[1].set_title(f"{model} prediction", fontsize="small")
        image = row[2].imshow(uncertainty, cmap="magma", vmin=0, vmax=1, interpolation="nearest")
        row[2].set_title(f"uncertainty (mean {mean:.3f})", fontsize="small")
        for axis in row:
            axis.set_xticks([])
            axis.set_yticks([])
    figure.colorbar(image, ax=axes[:, 2], shrink=0.6, label="normalised entropy")
    colours = plt.get_cmap("viridis")(np.linspace(0, 1, n_classes))
    handles = [
        matplotlib.patches.Patch(color=colour, label=name)
        for colour, name in zip(colours, class_names, strict=True)
    ]
    axes[0, 1].legend(handles=handles, loc="upper right", fontsize="x-small", framealpha=0.8)
    figure.savefig(path, format="png", dpi=100)
    plt.close(figure)
