"""A 4-phase sandstone labelled on 9 slices 50 apart: write it, and run the default models on it.

Usage (from the repository root):
    python benchmarks/sparse4.py resources/sparse4     # write the files config/sparse4.yaml reads
    python benchmarks/sparse4.py --run                 # and run the default pipeline on them
    python benchmarks/sparse4.py --quick               # --run on small sections, threshold alone

The files (xrayseg.data.sandstone): raw/Sandstone_VersaNNNN.tif (uint8) and
labels/Sandstone_VersaNNNN.tif (RGB masks), NNNN = 0000, 0050, ..., 0400, each --side x --width
px (default 512 x 498, half the real set's 1024 x 996, for speed). --run copies the repository
into a fresh work folder (as benchmarks/fullsize.py does), writes the files into its
resources/sparse4, makes config/config.yaml there the default config with config/sparse4.yaml
merged over it (data.source files, RGB label values, split 7 / 1 / 1 without guards), runs
`snakemake --cores N` and prints the run's time and each model's test accuracy, mean IoU and IoU
per class. What the real sandstone gave with the defaults (issue 23): random forest mean IoU 0.926
(clay 0.76), 2-D UNet 0.840 (clay 0.49), threshold 0.803, dense net 0.658, 2.5-D UNet 0.452
(clay 0.0).
"""

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import yaml
from dataset import config_with
from machine import REPO, print_machine, write_json
from pipeline import fresh_copy, snakemake_command, timed

from xrayseg.data.sandstone import write_sparse_sandstone

QUICK_SHAPE = (96, 96)
QUICK_MODELS = {"threshold": {"arch": "threshold"}}
QUICK_SETTINGS = {"bootstrap_resamples": 200}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", help="write the files here (must not exist)")
    parser.add_argument("--side", type=int, default=512, help="section height (px)")
    parser.add_argument("--width", type=int, default=498, help="section width (px)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run", action="store_true", help="run the default pipeline on them")
    parser.add_argument("--cores", default="2", help="snakemake --cores (default: 2)")
    parser.add_argument("--keep", help="run in this folder and keep it (must not exist)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="--run, small, threshold only")
    args = parser.parse_args(argv)
    if args.quick:
        args.run = True
        args.side, args.width = QUICK_SHAPE
    if not args.out and not args.run:
        parser.error("give a folder to write, or --run")
    return args


def run_config(quick):
    """The default config with config/sparse4.yaml merged over it (--quick: threshold only)."""
    config = config_with([REPO / "config" / "sparse4.yaml"])
    if quick:
        config["models"] = dict(QUICK_MODELS)
        config["evaluate"].update(QUICK_SETTINGS)
    return config


def model_test_scores(workdir):
    """{model: test accuracy, mean IoU and IoU per class} from results/eval/*/summary.json."""
    scores = {}
    for path in sorted((Path(workdir) / "results" / "eval").glob("*/summary.json")):
        summary = json.loads(path.read_text())
        test = summary["splits"]["test"]
        scores[summary["model"]] = {
            "accuracy": test["accuracy"],
            "mean_iou": test["mean_iou"],
            "iou": {name: test[f"iou_{name}"] for name in summary["class_names"]},
            "train_s": summary["train_seconds"],
        }
    return scores


def print_scores(scores):
    names = next(iter(scores.values()))["iou"] if scores else {}
    print(
        f"    {'model':10s} {'accuracy':>8s} {'mean IoU':>8s}  "
        + " ".join(f"{'IoU ' + n:>11s}" for n in names)
        + f" {'train s':>8s}"
    )
    for model, s in sorted(scores.items(), key=lambda item: -item[1]["mean_iou"]):
        print(
            f"    {model:10s} {s['accuracy']:8.4f} {s['mean_iou']:8.4f}  "
            + " ".join(f"{v:11.3f}" for v in s["iou"].values())
            + f" {s['train_s']:8.1f}"
        )


def run(args, figures):
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="xrayseg-sparse4-"))
    workdir.mkdir(parents=True, exist_ok=not args.keep)
    try:
        fresh_copy(workdir)
        write_sparse_sandstone(
            workdir / "resources" / "sparse4", shape=(args.side, args.width), seed=args.seed
        )
        config = run_config(args.quick)
        (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        command = [*snakemake_command(), "--cores", args.cores]
        print(f"in {workdir}: {' '.join(command[-2:])}, {len(config['models'])} models", flush=True)
        seconds, _ = timed(command, workdir)
        figures.update(run_s=round(seconds, 1), models=model_test_scores(workdir))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"  whole run {figures['run_s']:.0f} s; test slice Sandstone_Versa0400:", flush=True)
    print_scores(figures["models"])


def main(argv=None):
    args = parse_args(argv)
    figures = {"machine": print_machine("a 4-phase sandstone labelled on 9 slices 50 apart")}
    figures["section"] = [args.side, args.width]
    if args.out:
        started = time.perf_counter()
        write_sparse_sandstone(args.out, shape=(args.side, args.width), seed=args.seed)
        print(f"wrote 9 sections to {args.out} in {time.perf_counter() - started:.1f} s")
    if args.run:
        run(args, figures)
    write_json(args.json, figures)
    return figures


if __name__ == "__main__":
    main()
