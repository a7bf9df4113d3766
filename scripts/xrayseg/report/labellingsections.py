"""The report's sections on uncertainty and labelling, each drawn from its own files.

"Uncertainty and calibration" (every model), "Which slice to label next" (the suggest job's
ranking) and "Would more labels help?" (the learning curve, when configured). Each is handed to
the page as (anchor, title, parts)."""

from xrayseg.report.calibrationparts import calibration_parts, has_calibration, reliability_figure
from xrayseg.report.learningcurve import (
    curve_figure,
    curve_parts,
    curve_table,
    flattening,
    load_points,
)
from xrayseg.report.style import figure_png
from xrayseg.report.suggestparts import load_suggestions, suggest_parts


def labelling_sections(models, palette, bootstrap, suggestions=None, learning_curve=None):
    """({figure name: PNG}, [(anchor, title, parts)]).

    models: {name: ModelResults}, best first; bootstrap: the evaluation's bootstrap settings
    (n_resamples, confidence, seed, block); suggestions: {ranking, summary, panel} paths of the
    suggest job; learning_curve: {splits, summaries, metrics} path lists, one per point.
    """
    pngs, sections = {}, []
    if has_calibration(models):
        pngs["reliability"] = figure_png(reliability_figure(models, palette))
        sections.append(
            (
                "uncertainty",
                "Uncertainty and calibration",
                calibration_parts(models, pngs["reliability"]),
            )
        )
    if suggestions:
        sections.append(
            ("suggest", "Which slice to label next", suggest_parts(load_suggestions(suggestions)))
        )
    if learning_curve and learning_curve.get("summaries"):
        points = load_points(
            learning_curve["splits"], learning_curve["summaries"], learning_curve["metrics"]
        )
        curve = curve_table(points, bootstrap)
        _, sentence = flattening(curve)
        model = points[0][2].summary.get("model", "")
        reference = models[model].summary if model in models else None
        pngs["learning_curve"] = figure_png(curve_figure(curve, reference, palette.get(model)))
        sections.append(
            (
                "learning_curve",
                "Would more labels help?",
                curve_parts(
                    model, curve, pngs["learning_curve"], sentence, bootstrap["confidence"]
                ),
            )
        )
    return pngs, sections
