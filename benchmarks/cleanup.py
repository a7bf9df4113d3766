"""Every clean-up candidate on each trained model's val and test blocks: which one the rule
picks, and what it does to the test scores.

Usage (from the repository root, with the environment `make run` uses active):
    python benchmarks/cleanup.py --workdir W              # W: a finished run (W/results, W/config)
    python benchmarks/cleanup.py --workdir W --models unet25d,rf --json cleanup.json
    python benchmarks/cleanup.py --workdir W --candidates "[{}, {majority: 5}]"
    python benchmarks/cleanup.py --quick      # a smoke test: fullsize.py --quick's run first

W is a folder a pipeline run finished in (benchmarks/fullsize.py --keep W, or a repository
checkout after `snakemake`): its config (W/config/config.yaml, completed with the schema's
defaults), its ingested volume, split and checkpoints are used as they are; nothing is trained.
Each model's val and test blocks are predicted once, as evaluate predicts them (its `evaluate`
settings), and every candidate (--candidates, YAML; default BROAD) is applied to both blocks
(xrayseg.cleanup) and scored as evaluate scores it (xrayseg.evaluation.cleanupchoice): pixel
accuracy, mean IoU, the microstructure error, the TPB error and the worst interface error.

Printed per model: one row per candidate with its val and test figures and its seconds (cleaning
and measuring both blocks), then the candidate the choice rule (CHOICE_RULE, with the config's
cleanup.accuracy_tolerance) picks among the config's own candidates and among all of them, with
its test figures beside no clean-up's.
"""

import argparse
import copy
import shutil
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import yaml
from machine import REPO, print_machine, write_json
from pipeline import quick_run

from xrayseg.data.split import slices_of
from xrayseg.evaluation.cleanupchoice import (
    CandidateScore,
    block_figures,
    candidate_cleanups,
    choose,
    ranked_measure,
)
from xrayseg.evaluation.evaluate import predict_blocks
from xrayseg.inference.predictor import Predictor
from xrayseg.microstructure.roles import class_roles
from xrayseg.models.checkpoint import load_checkpoint
from xrayseg.models.device import pick_device
from xrayseg.settings.config import checked_config, problem_lines
from xrayseg.settings.evaluate import EvaluateSettings
from xrayseg.settings.layout import (
    INGEST,
    SPLIT,
    ingest_outputs,
    split_outputs,
    train_folder,
    train_outputs,
)

# Majority boxes, island sizes and both together, around the defaults.
BROAD = [
    {},
    {"majority": 3},
    {"majority": 5},
    {"min_island": 20},
    {"min_island": 50},
    {"min_island": 100},
    {"min_island": 200},
    {"min_island": 500},
    {"majority": 3, "min_island": 50},
    {"majority": 3, "min_island": 100},
    {"majority": 3, "min_island": 200},
    {"majority": 5, "min_island": 100},
]
BLOCKS = ("val", "test")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="a folder a pipeline run finished in")
    parser.add_argument("--models", help="comma-separated (default: every configured model)")
    parser.add_argument("--candidates", help="YAML list of {majority, min_island} (default BROAD)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="a tiny run made first, 4 candidates")
    args = parser.parse_args(argv)
    if not args.workdir and not args.quick:
        parser.error("--workdir is required (or --quick)")
    return args


def run_config(workdir):
    config = yaml.safe_load((Path(workdir) / "config" / "config.yaml").read_text())
    problems = checked_config(config, REPO / "config" / "schema.yaml")
    if problems:
        raise SystemExit(problem_lines(problems))
    return config


def predicted_blocks(workdir, model, settings, blocks, threads):
    """{split: (Z, Y, X) predicted class maps} of the val and test blocks, as evaluate predicts
    them, and the seconds that took."""
    import torch

    torch.set_num_threads(threads)
    checkpoint = load_checkpoint(Path(workdir) / train_outputs(train_folder(model))["checkpoint"])
    predictor = Predictor(checkpoint, pick_device("auto"), settings.inference)
    started = time.perf_counter()
    with h5py.File(Path(workdir) / ingest_outputs(INGEST)["volume"], "r") as volume:
        maps, _, _ = predict_blocks(predictor, volume, blocks, settings)
    stacked = {split: np.stack([maps[split][z] for z in blocks[split]]) for split in blocks}
    return stacked, time.perf_counter() - started, list(checkpoint.header.class_names)


def candidate_rows(truth, predicted, cleanups, settings, class_names):
    """One row per clean-up: its val and test figures and seconds."""
    roles = class_roles(settings.microstructure.roles, class_names)
    n_classes = len(class_names)
    measure = ranked_measure(roles, settings.microstructure, n_classes, class_names)
    true_metrics = {split: measure(truth[split]) for split in BLOCKS}
    rows = []
    for cleanup in cleanups:
        started = time.perf_counter()
        row = {"candidate": cleanup.name, "cleanup": cleanup}
        for split in BLOCKS:
            cleaned = cleanup.apply(predicted[split], n_classes)
            figures = block_figures(truth[split], cleaned, n_classes, true_metrics[split], measure)
            row.update({f"{split}_{key}": value for key, value in figures.items()})
        row["seconds"] = time.perf_counter() - started
        rows.append(row)
        print_row(row)
    return rows


def print_row(row):
    print(
        f"| {row['candidate']} | {row['val_accuracy']:.4f} | "
        f"{100 * row['val_microstructure_error']:.1f} % | {row['test_accuracy']:.4f} | "
        f"{row['test_mean_iou']:.4f} | {100 * row['test_tpb_relative_error']:+.1f} % | "
        f"{100 * row['test_interface_max_abs_error']:.1f} % | "
        f"{100 * row['test_microstructure_error']:.1f} % | {row['seconds']:.1f} |",
        flush=True,
    )


def chosen_among(rows, entries, tolerance):
    """The row CHOICE_RULE picks among the candidates `entries`, and why."""
    by_name = {row["candidate"]: row for row in rows}
    wanted = [by_name[c.name] for c in candidate_cleanups(entries) if c.name in by_name]
    scores = [
        CandidateScore(row["cleanup"], {k[4:]: v for k, v in row.items() if k.startswith("val_")})
        for row in wanted
    ]
    index, why = choose(scores, tolerance)
    return wanted[index], why


def main(argv=None):
    args = parse_args(argv)
    machine = print_machine("clean-up candidates on each model's val and test blocks")
    workdir = quick_run("cleanup_quick_") if args.quick else Path(args.workdir).resolve()
    config = run_config(workdir)
    settings = EvaluateSettings.from_config(config)
    entries = yaml.safe_load(args.candidates) if args.candidates else BROAD
    if args.quick:
        entries = entries[:4]
    configured = config["cleanup"]["candidates"]
    cleanups = candidate_cleanups(copy.deepcopy(entries) + copy.deepcopy(configured))
    split = pd.read_csv(workdir / split_outputs(SPLIT)["split"])
    blocks = {name: slices_of(split, name) for name in BLOCKS}
    with h5py.File(workdir / ingest_outputs(INGEST)["volume"], "r") as volume:
        truth = {
            name: np.asarray(volume["labels"][block[0] : block[-1] + 1])
            for name, block in blocks.items()
        }
    tolerance = config["cleanup"]["accuracy_tolerance"]
    models = args.models.split(",") if args.models else list(config["models"])
    figures = {"machine": machine, "blocks": {k: [v[0], v[-1]] for k, v in blocks.items()}}
    for model in models:
        predicted, seconds, class_names = predicted_blocks(
            workdir, model, settings, blocks, args.threads
        )
        print(f"\n{model}: val and test blocks predicted in {seconds:.0f} s", flush=True)
        print(
            "| candidate | val acc | val micro err | test acc | test mean IoU | test TPB err | "
            "test worst iface | test micro err | s |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        rows = candidate_rows(truth, predicted, cleanups, settings, class_names)
        none = rows[0]
        record = {"predict_seconds": seconds, "rows": rows, "chosen": {}}
        for label, among in (("config", configured), ("all", entries + configured)):
            row, why = chosen_among(rows, among, tolerance)
            record["chosen"][label] = {"candidate": row["candidate"], "why": why}
            print(
                f"{model}, chosen among the {label} candidates: {row['candidate']} -> test "
                f"accuracy {none['test_accuracy']:.4f} -> {row['test_accuracy']:.4f}, mean IoU "
                f"{none['test_mean_iou']:.4f} -> {row['test_mean_iou']:.4f}, TPB "
                f"{100 * none['test_tpb_relative_error']:+.1f} -> "
                f"{100 * row['test_tpb_relative_error']:+.1f} %, worst interface "
                f"{100 * none['test_interface_max_abs_error']:.1f} -> "
                f"{100 * row['test_interface_max_abs_error']:.1f} %",
                flush=True,
            )
        for row in rows:
            row["cleanup"] = row["cleanup"].record()
        figures[model] = record
    if args.json:
        write_json(args.json, figures)
    if args.quick:
        shutil.rmtree(workdir.parent)


if __name__ == "__main__":
    main()
