"""The whole default pipeline on a real-size synthetic tomogram: every stage's and model's time,
and each model's test scores.

Usage (from the repository root, with the environment `make run` uses active):
    python benchmarks/fullsize.py                          # 500 x 501 x 501, snakemake --cores all
    python benchmarks/fullsize.py --synthetic /work/data/full/resources/synthetic
    python benchmarks/fullsize.py --set models.rf.trees=64 --set threads.evaluate=2
    python benchmarks/fullsize.py --quick                  # a tiny volume, the baseline alone
    python benchmarks/fullsize.py --realistic              # the volume of config/realistic.yaml

The repository is copied into a fresh work folder (as benchmarks/pipeline.py does: nothing
cached), config/config.yaml there is the default config with synthetic.shape set to --shape and
the --set overrides applied (dotted keys, YAML values), and `snakemake --cores N` runs rule all.
--realistic images the volume as hard as real data (synthetic.realism: real, the real tomogram's
correlated noise; config/realistic.yaml) instead of the easy default.
--synthetic reuses a synthetic volume made before (a folder with raw/ and labels/, as the
synthetic rule writes it; 95 s and ~4 GB at full size): the config then reads it as
`data.source: files`, which ingest pairs exactly as it pairs the synthetic rule's output.

Printed: the run's wall time; every job's wall and CPU seconds and peak memory from Snakemake's
benchmark files (results/benchmarks/**.tsv); each model's training seconds and test accuracy and
mean IoU with their intervals (results/eval/*/summary.json). --keep keeps the work folder.
"""

import argparse
import copy
import csv
import json
import shutil
import tempfile
import time
from pathlib import Path

import yaml
from dataset import default_config
from machine import load_average, print_machine, write_json
from pipeline import fresh_copy, snakemake_command, timed

FULL_SHAPE = [500, 501, 501]
# --quick: a volume of seconds and the baseline alone (a smoke test: about 1 CPU minute).
QUICK_SHAPE = [16, 64, 64]
QUICK_MODELS = {"threshold": {"arch": "threshold"}}
QUICK_SETTINGS = {
    "split.guard_slices": 1,
    # 16 slices leave val 2, under the default's 3 labelled slices per block.
    "split.min_labelled_slices": 1,
    "synthetic.feature_size": 6,
    "evaluate.bootstrap_resamples": 200,
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=None, help="slices height width")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="config override, e.g. models.rf.trees=64 (repeatable; VALUE is YAML)",
    )
    parser.add_argument("--synthetic", help="reuse this synthetic folder (raw/ and labels/)")
    parser.add_argument("--cores", default="all", help="snakemake --cores (default: all)")
    parser.add_argument("--keep", help="run in this folder and keep it (must not exist)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="a tiny volume, threshold only")
    parser.add_argument(
        "--realistic", action="store_true", help="synthetic.realism: real (as hard as real data)"
    )
    args = parser.parse_args(argv)
    if args.shape is None:
        args.shape = QUICK_SHAPE if args.quick else FULL_SHAPE
    return args


def set_key(config, dotted, value):
    """config[a][b][c] = value for dotted 'a.b.c' (missing levels are created)."""
    *parents, last = dotted.split(".")
    node = config
    for key in parents:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise SystemExit(f"--set {dotted}: {key} is not a section of the config")
    node[last] = value


def benchmark_config(args):
    """The default config, synthetic.shape = args.shape, then --realistic's, --quick's and
    --set's overrides."""
    config = default_config()
    config["synthetic"]["shape"] = list(args.shape)
    if args.realistic:
        config["synthetic"]["realism"] = "real"
    if args.quick:
        config["models"] = copy.deepcopy(QUICK_MODELS)
        for key, value in QUICK_SETTINGS.items():
            set_key(config, key, value)
    for item in args.set:
        key, separator, value = item.partition("=")
        if not separator:
            raise SystemExit(f"--set {item!r}: expected KEY=VALUE")
        set_key(config, key.strip(), yaml.safe_load(value))
    if args.synthetic:
        folder = Path(args.synthetic).resolve()
        if not (folder / "raw").is_dir() or not (folder / "labels").is_dir():
            raise SystemExit(f"--synthetic {folder}: expected the folders raw/ and labels/ in it")
        config["data"].update(source="files", raw=f"{folder}/raw", labels=f"{folder}/labels")
    return config


# Rules in pipeline order, for the table.
STAGES = (
    "synthetic",
    "ingest",
    "split",
    "patches",
    "train",
    "calibrate",
    "evaluate",
    "transport",
    "suggest",
    "next_slices",
    "report",
    "predict",
)


def stage_order(path):
    rule = path.parts[0].removesuffix(".tsv")
    return (STAGES.index(rule) if rule in STAGES else len(STAGES), str(path))


def job_figures(workdir):
    """[{job, s, cpu_s, max_rss_mb}] from every benchmark file in pipeline order, e.g. job
    'train/unet'."""
    root = Path(workdir) / "results" / "benchmarks"
    jobs = []
    paths = sorted((p.relative_to(root) for p in root.rglob("*.tsv")), key=stage_order)
    for path in (root / p for p in paths):
        with path.open() as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                jobs.append(
                    {
                        "job": str(path.relative_to(root).with_suffix("")),
                        "s": float(row["s"]),
                        "cpu_s": float(row.get("cpu_time") or "nan"),
                        "max_rss_mb": float(row.get("max_rss") or "nan"),
                    }
                )
    return jobs


def model_scores(workdir):
    """{model: test scores and training seconds} from every results/eval/*/summary.json."""
    scores = {}
    for path in sorted((Path(workdir) / "results" / "eval").glob("*/summary.json")):
        summary = json.loads(path.read_text())
        test = summary["splits"]["test"]
        scores[summary["model"]] = {
            "train_s": summary.get("train_seconds"),
            "inference_s_per_slice": summary.get("inference_seconds_per_slice"),
            "scored_slices": {split: s["n_slices"] for split, s in summary["splits"].items()},
            **{
                key: test[key]
                for key in (
                    "accuracy",
                    "accuracy_ci_low",
                    "accuracy_ci_high",
                    "mean_iou",
                    "mean_iou_ci_low",
                    "mean_iou_ci_high",
                )
            },
        }
    return scores


def stage_totals(jobs):
    """{stage: (jobs, summed wall s)} in pipeline order."""
    totals = {}
    for job in jobs:
        count, seconds = totals.get(job["job"].split("/")[0], (0, 0.0))
        totals[job["job"].split("/")[0]] = (count + 1, seconds + job["s"])
    return totals


def print_figures(figures):
    print(
        f"  whole run {figures['run_s']:8.1f} s ({len(figures['jobs'])} jobs); load average "
        f"after it {' '.join(f'{x:.2f}' for x in figures['load_average_after'])}",
        flush=True,
    )
    totals = stage_totals(figures["jobs"])
    print(
        "    by stage (job seconds summed; parallel jobs overlap): "
        + ", ".join(f"{stage} {s:.0f} s ({n})" for stage, (n, s) in totals.items()),
        flush=True,
    )
    print(f"    {'job':26s} {'wall s':>8s} {'CPU s':>8s} {'peak MB':>8s}", flush=True)
    for job in figures["jobs"]:
        print(
            f"    {job['job']:26s} {job['s']:8.1f} {job['cpu_s']:8.1f} {job['max_rss_mb']:8.0f}",
            flush=True,
        )
    print(
        f"    {'model':12s} {'train s':>8s} {'s/slice':>8s}  "
        f"{'test accuracy [95 % CI]':27s} test mean IoU [95 % CI]",
        flush=True,
    )
    for model, s in figures["models"].items():
        print(
            f"    {model:12s} {s['train_s']:8.1f} {s['inference_s_per_slice']:8.3f}  "
            f"{s['accuracy']:.4f} [{s['accuracy_ci_low']:.4f}, {s['accuracy_ci_high']:.4f}]    "
            f"{s['mean_iou']:.4f} [{s['mean_iou_ci_low']:.4f}, {s['mean_iou_ci_high']:.4f}]",
            flush=True,
        )


def main(argv=None):
    args = parse_args(argv)
    machine = print_machine("the default pipeline on a real-size synthetic volume")
    config = benchmark_config(args)
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="xrayseg-full-"))
    workdir.mkdir(parents=True, exist_ok=not args.keep)
    snakemake = snakemake_command()
    try:
        fresh_copy(workdir)
        (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        run = [*snakemake, "--cores", args.cores]
        volume = (
            f"the synthetic volume in {args.synthetic}"
            if args.synthetic
            else f"a synthetic {' x '.join(map(str, args.shape))} volume "
            f"(realism {config['synthetic']['realism']})"
        )
        print(
            f"in {workdir}: {volume}, {len(config['models'])} models; "
            f"snakemake {' '.join(run[len(snakemake) :])}",
            flush=True,
        )
        started = time.perf_counter()
        timed(run, workdir)
        figures = {
            "machine": machine,
            "shape": None if args.synthetic else list(args.shape),
            "realism": None if args.synthetic else config["synthetic"]["realism"],
            "overrides": args.set,
            "synthetic_reused": args.synthetic,
            "run_s": time.perf_counter() - started,
            "load_average_after": [round(x, 2) for x in load_average()],
            "jobs": job_figures(workdir),
            "models": model_scores(workdir),
        }
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print_figures(figures)
    write_json(args.json, figures)
    return figures


if __name__ == "__main__":
    main()
