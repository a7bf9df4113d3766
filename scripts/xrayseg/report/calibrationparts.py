"""The report's "Uncertainty and calibration" section, per model.

A reliability diagram of the test pixels before and after temperature scaling, the expected
calibration error (ECE) of each, and how well the uncertainty finds the errors (AUROC), from
evaluate's calibration.csv and the `calibration` entry of its summary.json."""

import math

import matplotlib.pyplot as plt

from xrayseg.report.page import esc, figure_html, number, table

RAW, SCALED = "raw", "scaled"


def _ece(model, when):
    return model.summary.get("calibration", {}).get("test_ece", {}).get(when, float("nan"))


def reliability_figure(models, palette):
    """One panel per model: accuracy against mean confidence per bin, the model's own
    probabilities (grey, dashed) and the scaled ones (its colour); the diagonal is perfect."""
    names = [name for name, model in models.items() if model.calibration is not None]
    columns = min(3, max(1, len(names)))
    rows = max(1, math.ceil(len(names) / columns))
    figure, axes = plt.subplots(
        rows, columns, figsize=(4.2 * columns, 3.8 * rows), layout="constrained", squeeze=False
    )
    for axis in axes.flat[len(names) :]:
        axis.axis("off")
    for axis, name in zip(axes.flat, names, strict=False):
        model = models[name]
        bins = model.calibration
        axis.plot([0, 1], [0, 1], color="0.6", linewidth=1, label="perfectly calibrated")
        for when, style in ((RAW, {"color": "0.45", "linestyle": "--"}), (SCALED, {})):
            part = bins[(bins["probabilities"] == when) & (bins["pixels"] > 0)]
            if part.empty:
                continue
            colour = style.pop("color", palette.get(name))
            label = f"{'own' if when == RAW else 'scaled'}: ECE {_ece(model, _when(when)):.4f}"
            axis.plot(
                part["confidence"],
                part["accuracy"],
                marker="o",
                markersize=4,
                color=colour,
                label=label,
                **style,
            )
        temperature = model.summary.get("calibration", {}).get("temperature")
        title = f"{name}" + (f" (T = {temperature:.3g})" if temperature else " (not scaled)")
        axis.set_title(title, fontsize="medium")
        axis.set_xlim(0, 1.02)
        axis.set_ylim(0, 1.02)
        axis.set_xlabel("confidence (top-class probability)")
        axis.set_ylabel("accuracy")
        axis.legend(loc="upper left", fontsize="x-small")
    return figure


def _when(name):
    return "before" if name == RAW else "after"


def calibration_rows(models):
    """Formatted cells, one row per model: temperature, val NLL, test ECE before and after,
    error-detection AUROC of each uncertainty map, test error rate."""
    rows = []
    for name, model in models.items():
        record = model.summary.get("calibration")
        if record is None:
            rows.append([name, "not recorded"] + ["–"] * 6)
            continue
        auroc = record.get("error_auroc", {})
        temperature = record.get("temperature")
        nll = record.get("val_nll", {})
        rows.append(
            [
                name,
                f"{temperature:.3g}" if temperature else "none",
                f"{number(nll.get('before'), 4)} → {number(nll.get('after'), 4)}" if nll else "–",
                number(record["test_ece"]["before"], 4),
                number(record["test_ece"]["after"], 4),
                number(auroc.get("uncertainty"), 3),
                number(auroc.get("flip_disagreement"), 3),
                number(record.get("error_fraction"), 4),
            ]
        )
    return rows


CALIBRATION_HEADER = [
    "model",
    "temperature",
    "val NLL, own → scaled",
    "test ECE, own",
    "test ECE, scaled",
    "error AUROC of uncertainty",
    "error AUROC of flip disagreement",
    "test error rate",
]


def calibration_parts(models, png):
    """HTML parts of the section."""
    hard = [
        name
        for name, model in models.items()
        if not model.summary.get("calibration", {}).get("has_probabilities", True)
    ]
    notes = [
        "<p>Every prediction carries a per-pixel uncertainty: the normalised entropy of its class "
        "probabilities (0: one class has all the probability; 1: every class alike), and with "
        "flip test-time augmentation also how much the four flips disagree. The probabilities "
        "are first made honest by temperature scaling: the logits are divided by one number T, "
        "fitted on whole val slices to minimise the negative log-likelihood (T > 1: the model "
        "was overconfident); the predicted class never changes. ECE (expected calibration "
        "error, 15 equal-width bins): the pixel-weighted gap between confidence and accuracy on "
        "the test pixels, 0 when a pixel predicted with 80 % confidence is right 80 % of the "
        "time. Error AUROC: the chance that a misclassified test pixel is more uncertain than "
        "a correct one (0.5: the uncertainty tells nothing; 1: every error is more uncertain "
        "than every correct pixel).</p>"
    ]
    if hard:
        notes.append(
            f"<p class='note'>{esc(', '.join(hard))}: hard class decisions, no probabilities, "
            "so no uncertainty (its maps are undefined) and nothing to scale; its ECE is its "
            "error rate (every pixel at confidence 1). The random forest's probabilities are "
            "its averaged tree votes, scaled as p<sup>1/T</sup> (renormalised).</p>"
        )
    return [
        *notes,
        table(CALIBRATION_HEADER, calibration_rows(models)),
        figure_html(
            png,
            "reliability diagrams",
            "Reliability of each model's test-pixel probabilities: the accuracy of the pixels "
            "in each confidence bin against their mean confidence, the model's own "
            "probabilities (dashed) and the temperature-scaled ones; points below the diagonal "
            "are overconfident. Bins with few pixels (far from the top right) are noisy.",
        ),
    ]


def has_calibration(models):
    return any(model.calibration is not None for model in models.values())
