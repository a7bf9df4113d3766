"""The whole comparison report from the pipeline's files: results/report.html.

Its figures are written as PNG files too, and the comparison table as CSV (those also go into
`snakemake --report`)."""

import logging

import h5py
import numpy as np
import pandas as pd

from xrayseg.data.split import labelled_flags
from xrayseg.io.atomic import atomic_output
from xrayseg.io.resultnames import COUNT_NAMES
from xrayseg.io.volume import read_volume_info
from xrayseg.report import comparepanels, datafigures, figures, inputs, microranking, scores
from xrayseg.report.adaptation import adaptation_line
from xrayseg.report.labellingsections import labelling_sections
from xrayseg.report.page import esc, page
from xrayseg.report.provenance import provenance
from xrayseg.report.sections import ReportContent, sections
from xrayseg.report.style import figure_png, model_palette, use_theme
from xrayseg.report.verdict import verdict_lines

log = logging.getLogger(__name__)

# Every figure the report draws; build_report writes each to outputs["figures"][name] when given,
# and "microstructure" and "tpb_profile" too when the models' microstructure tables are given.
FIGURES = (
    "scores",
    "per_class",
    "confusion",
    "along_stack",
    "fractions",
    "panels",
    "curves",
    "data",
    "patches",
)
# Rule input names (lists in model order) -> keys of build_report's per-model paths.
PER_MODEL_INPUTS = {
    "summaries": "summary",
    "metrics": "metrics",
    "confusions": "confusion",
    "predictions": "predictions",
    "histories": "history",
    "microstructure": "microstructure",
    "calibrations": "calibration",
}
# Environment variables through which the Snakemake process that started the run hands its
# command line and version to the report job (rules/common.smk sets them).
COMMAND_VARIABLE = "XRAYSEG_SNAKEMAKE_COMMAND"
VERSION_VARIABLE = "XRAYSEG_SNAKEMAKE_VERSION"


def per_model_paths(models, lists):
    """{model: {key: path}} from {rule input name: [one path per model, in model order]}; inputs
    not given are left out, a list of the wrong length is an error."""
    paths = {model: {} for model in models}
    for name, key in PER_MODEL_INPUTS.items():
        if name not in lists:
            continue
        values = list(lists[name])
        if len(values) != len(models):
            raise ValueError(f"report input {name}: {len(values)} paths for {len(models)} models")
        for model, value in zip(models, values, strict=True):
            paths[model][key] = str(value)
    return paths


def build_report(
    model_paths,
    volume,
    ingest_summary,
    histograms,
    split_csv,
    patch_counts,
    config,
    outputs,
    command=None,
    snakemake_version=None,
    suggestions=None,
    learning_curve=None,
    adaptation=None,
):
    """Write outputs["html"], outputs["scores"] (CSV) and outputs["figures"][name] (PNGs).

    model_paths: {model: {summary, metrics, confusion, history, predictions, and optionally
    microstructure}}; volume, ingest_summary, histograms: ingest's volume.h5, summary.csv and
    histograms.csv; patch_counts: the results/patches/{size}px.csv paths; config: the run's
    config (shown in the report; evaluate.bootstrap_seed is used);
    command / snakemake_version: the command line that ran the pipeline, if recorded;
    suggestions: {ranking, summary, panel} of the suggest job; learning_curve: {splits,
    summaries, metrics} path lists, one per point (xrayseg.report.labellingsections);
    adaptation: the settings adapted to the data (xrayseg.settings.adapt.Adaptation.record()),
    said in the verdict area.
    """
    use_theme()
    models = {name: inputs.load_model(name, paths) for name, paths in model_paths.items()}
    if not models:
        raise ValueError("report: no models (config key models is empty)")
    info = read_volume_info(volume)
    summary = inputs.read_csv(ingest_summary, ("slice", "split"))
    split_frame = inputs.read_csv(split_csv, ("slice", "split")).set_index("slice")
    splits = split_frame["split"]
    labelled = labelled_flags(split_frame)
    counts = _patch_counts(patch_counts)

    comparison = scores.comparison_table(models, _bootstrap_settings(models, config))
    order = comparison["model"].tolist()
    models = {name: models[name] for name in order}  # best first everywhere
    micro = {n: m.microstructure for n, m in models.items() if m.microstructure is not None}
    palette = model_palette(model_paths)  # the config's order, not the ranking
    confidence = float(next(iter(models.values())).summary.get("confidence", 0.95))
    split_long = scores.split_scores(models)
    iou = scores.per_class_scores(models, "iou")
    boundary = scores.per_class_scores(models, "boundary_f1")

    test_slices = sorted(splits[(splits == "test") & labelled].index)  # the ones evaluated
    predictions = {
        name: inputs.read_predictions(m.predictions, info.label_values, test_slices)
        for name, m in models.items()
    }
    best_test = models[order[0]].metrics.query("split == 'test'")
    picks = comparepanels.pick_slices(
        dict(zip(best_test["slice"], best_test["accuracy"], strict=True)), predictions
    )
    panel_slices = inputs.read_slices(volume, [z for z, _ in picks])

    drawn = {
        "scores": figures.scores_figure(split_long, comparison, confidence),
        "per_class": figures.per_class_figure(iou, boundary, palette),
        "confusion": figures.confusion_figure(models),
        "along_stack": figures.along_stack_figure(models, splits, palette),
        "fractions": figures.fractions_figure(models, palette),
        "panels": comparepanels.panels_figure(
            panel_slices, predictions, picks, info.class_names, order
        ),
        "curves": figures.curves_figure({n: m.history for n, m in models.items()}, palette),
        "data": datafigures.data_figure(
            summary, inputs.read_histograms(histograms), info.class_names
        ),
        "patches": datafigures.patches_figure(counts),
    }
    ranking, profile_windows = None, None
    # Densities are in the unit of the configured voxel size (units.unit_text).
    voxel_size = float(config["microstructure"]["voxel_size"])
    if micro:
        drawn["microstructure"] = figures.microstructure_figure(micro, palette)
        ranking = microranking.microstructure_ranking(micro)
        comparison = comparison.merge(ranking, on="model", how="left")
        drawn["tpb_profile"], profile_windows = _tpb_profile_figure(
            models, predictions, volume, palette, voxel_size
        )
    pngs = {name: figure_png(figure) for name, figure in drawn.items()}
    extra_pngs, extra_sections = labelling_sections(
        models, palette, _bootstrap_settings(models, config), suggestions, learning_curve
    )
    pngs.update(extra_pngs)

    made = provenance(command, snakemake_version, {n: m.devices for n, m in models.items()})
    parts = sections(
        ReportContent(
            models=models,
            comparison=comparison,
            pngs=pngs,
            volume=info,
            splits=splits,
            labelled=labelled,
            patch_counts=counts,
            iou=iou,
            microstructure=micro,
            picks=picks,
            config=config,
            made=made,
            extra_sections=extra_sections,
            micro_ranking=ranking,
            voxel_size=voxel_size,
            profile_windows=profile_windows,
        )
    )
    document = page(
        "xrayseg: model comparison",
        f"Written {esc(made['date'])} from the results under <code>results/</code>.",
        [*verdict_lines(comparison, confidence, ranking), *_adapted(adaptation)],
        parts,
    )
    for name, png in pngs.items():
        path = outputs["figures"].get(name)
        if path:
            with atomic_output(path) as tmp:
                tmp.write_bytes(png)
    with atomic_output(outputs["scores"]) as tmp:
        comparison.to_csv(tmp, index=False)
    with atomic_output(outputs["html"]) as tmp:
        tmp.write_text(document, encoding="utf-8")
    log.info("wrote %s: %d models, best %s", outputs["html"], len(models), order[0])
    return comparison


def _tpb_profile_figure(models, predictions, volume, palette, voxel_size):
    """TPB density along the test block, labels and every model (the roles of the first model's
    evaluation; every model is evaluated with the same)."""
    record = next(iter(models.values())).summary.get("microstructure", {})
    # Test slices measured as 2-D sections are not neighbours: no profile along them.
    roles = record.get("roles", {}) if record.get("measure", "volume") == "volume" else {}
    first = next(iter(predictions.values()))
    slices = sorted(first)
    with h5py.File(volume, "r") as handle:
        truth = np.asarray(handle["labels"][slices[0] : slices[-1] + 1])
    blocks = {name: np.stack([maps[z] for z in slices]) for name, maps in predictions.items()}
    profiles = microranking.tpb_profiles(
        truth,
        blocks,
        roles,
        next(iter(models.values())).class_names,
        voxel_size,
        first_slice=slices[0],
    )
    windows = microranking.profile_windows(len(slices))
    return figures.tpb_profile_figure(profiles, palette, windows, voxel_size), windows


def _adapted(adaptation):
    line = adaptation_line(adaptation)
    return [line] if line else []


def _patch_counts(paths):
    """Every patch counts table in one frame; a table without an orientation column (written
    before patches were cut across the slices) holds patches from slices."""
    frames = [inputs.read_csv(p, ("size", "split", *COUNT_NAMES)) for p in paths]
    if not frames:
        return pd.DataFrame(columns=["size", "orientation", "split", *COUNT_NAMES])
    frames = [f if "orientation" in f else f.assign(orientation="z") for f in frames]
    return pd.concat(frames, ignore_index=True)


def _bootstrap_settings(models, config):
    """The evaluation's bootstrap settings (as recorded in a summary.json) for paired intervals."""
    summary = next(iter(models.values())).summary
    return {
        "n_resamples": int(summary["bootstrap_resamples"]),
        "confidence": float(summary["confidence"]),
        "block": int(summary["bootstrap_block"]),
        "seed": int(config["evaluate"]["bootstrap_seed"]),
    }
