"""Microstructure of the predicted test block for every model and prediction option: pixel scores,
TPB and interface density errors, and the time of training and prediction.

Usage (from the repository root, with the environment `make run` uses active):
    python benchmarks/microstructure.py --workdir /work/data/i19b/default        # default volume
    python benchmarks/microstructure.py --workdir /work/data/i19b/full \\
        --synthetic /work/data/full/resources/synthetic                         # 500 x 501 x 501
    python benchmarks/microstructure.py --workdir W --options z,zyx --models unet,unet_o
    python benchmarks/microstructure.py --quick --workdir W                     # a smoke test

The work folder is kept and reused. Its config is the default config (config/config.yaml) with
each network also configured a second time as `<name>_o`, trained in every orientation
(training.orientations [z, y, x]); --synthetic reads a synthetic volume made before as
`data.source: files` (as benchmarks/fullsize.py does), --shape makes one. Snakemake (this
repository's Snakefile, run in the work folder) trains every model that has no checkpoint yet;
--keep-models also keeps checkpoints whose code changed since (`--rerun-triggers params input`),
so that changing only how blocks are predicted never retrains.

Then every (model, option) is evaluated on the test block alone by the pipeline's own
evaluate_model, into bench/{option}/{model}/ (reused while its settings are unchanged; --fresh
redoes it). Options (OPTIONS): z (the slices, as before), z+s<sigma> (Gaussian along the stack),
zyx (planes along z, y and x averaged), zyx+s<sigma>. Orientation-trained networks get
ORIENTED_OPTIONS.

Printed: the machine and its load, then per model and option: test pixel accuracy and mean IoU,
the relative error of the TPB density, the mean and largest absolute relative error of the
interface densities, the microstructure score (the report's ranking rule: the mean over TPB and
interface densities of their mean absolute relative error), the training job's wall and CPU
seconds (Snakemake's benchmark file) and the evaluation's wall and CPU seconds. The machine is
shared: CPU seconds are the figure to compare when the load is high.
"""

import argparse
import copy
import json
import os
import resource
import time
from pathlib import Path

import yaml
from dataset import default_config
from machine import REPO, load_average, print_machine, write_json
from pipeline import snakemake_command, timed

from xrayseg.evaluation.evaluate import evaluate_model
from xrayseg.settings.config import checked_config, problem_lines
from xrayseg.settings.evaluate import EvaluateSettings
from xrayseg.settings.layout import evaluate_outputs, train_folder, train_outputs
from xrayseg.settings.models import PATCH_ARCHS

OPTIONS = {
    "z": {"axes": ["z"], "smooth_sigma": 0},
    "z+s1": {"axes": ["z"], "smooth_sigma": 1},
    "z+s2": {"axes": ["z"], "smooth_sigma": 2},
    "z+s3": {"axes": ["z"], "smooth_sigma": 3},
    "zyx": {"axes": ["z", "y", "x"], "smooth_sigma": 0},
    "zyx+s1": {"axes": ["z", "y", "x"], "smooth_sigma": 1},
}
ORIENTED_OPTIONS = ("z", "zyx", "zyx+s1")
ORIENTED_SUFFIX = "_o"
QUICK_SHAPE = [16, 48, 48]
QUICK_CONFIG = {
    "split": {"val_fraction": 0.2, "test_fraction": 0.25, "guard_slices": 1},
    "synthetic": {"feature_size": 6},
    "training": {"steps": 8, "val_every": 4, "val_patches": 16},
    "models": {
        "threshold": {"arch": "threshold"},
        "unet": {"arch": "unet", "patch_size": 16, "width": 2, "depth": 2},
    },
    "evaluate": {"bootstrap_resamples": 50},
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="work folder (kept; reused)")
    parser.add_argument("--synthetic", help="reuse this synthetic folder (raw/ and labels/)")
    parser.add_argument("--shape", type=int, nargs=3, help="synthetic.shape (default: config's)")
    parser.add_argument("--models", help="comma-separated (default: every configured model)")
    parser.add_argument("--options", help=f"comma-separated from {list(OPTIONS)} (default all)")
    parser.add_argument("--cores", default="2", help="snakemake --cores for training")
    parser.add_argument("--keep-models", action="store_true", help="never retrain on code change")
    parser.add_argument("--fresh", action="store_true", help="re-evaluate every option")
    parser.add_argument("--no-oriented", action="store_true", help="no <name>_o networks")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="a tiny volume and two models")
    return parser.parse_args(argv)


def benchmark_config(args):
    """The default config (or --quick's), the orientation-trained copies of each network, the
    --synthetic / --shape data."""
    config = default_config()
    if args.quick:
        for section, values in QUICK_CONFIG.items():
            config[section] = (
                values if section == "models" else {**config.get(section, {}), **values}
            )
        config["synthetic"]["shape"] = QUICK_SHAPE
    if args.shape:
        config["synthetic"]["shape"] = list(args.shape)
    if not args.no_oriented:
        for name, entry in list(config["models"].items()):
            if entry["arch"] in PATCH_ARCHS:
                config["models"][name + ORIENTED_SUFFIX] = {
                    **entry,
                    "orientations": ["z", "y", "x"],
                }
    if args.synthetic:
        folder = Path(args.synthetic).resolve()
        if not (folder / "raw").is_dir() or not (folder / "labels").is_dir():
            raise SystemExit(f"--synthetic {folder}: expected the folders raw/ and labels/ in it")
        config["data"].update(source="files", raw=f"{folder}/raw", labels=f"{folder}/labels")
    return config


def completed(config):
    """The config with the schema's defaults filled in (as the pipeline sees it)."""
    config = copy.deepcopy(config)
    problems = checked_config(config, REPO / "config" / "schema.yaml")
    if problems:
        raise SystemExit(problem_lines(problems))
    return config


def train_models(workdir, models, cores, keep_models):
    """Snakemake trains every model without an up-to-date checkpoint; returns its wall seconds."""
    targets = [checkpoint_of(model) for model in models]
    # Targets first: --rerun-triggers takes every value after it.
    command = [*snakemake_command(), *targets, "--snakefile", str(REPO / "Snakefile")]
    command += ["--cores", str(cores)]
    if keep_models:
        command += ["--rerun-triggers", "params", "input"]
    seconds, _ = timed(command, workdir)
    return seconds


def train_figures(workdir, model):
    """(wall s, CPU s) of the model's last training job, from Snakemake's benchmark file."""
    path = Path(workdir) / "results" / "benchmarks" / "train" / f"{model}.tsv"
    if not path.exists():
        return float("nan"), float("nan")
    header, *rows = path.read_text().splitlines()
    values = dict(zip(header.split("\t"), rows[-1].split("\t"), strict=True))
    return float(values["s"]), float(values.get("cpu_time") or "nan")


def checkpoint_of(model):
    """The model's checkpoint, relative to the work folder."""
    return train_outputs(train_folder(model))["checkpoint"]


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def evaluate_option(workdir, config, model, option, fresh):
    """summary.json of one (model, option) evaluation on the test block, with its wall and CPU
    seconds and load average; reused when made before with the same settings."""
    folder = Path(workdir) / "bench" / option / model
    options = {**config, "evaluate": {**config["evaluate"], **OPTIONS[option]}}
    settings = EvaluateSettings.from_config(options).test_only()
    record = folder / "bench.json"
    checkpoint = Path(workdir) / checkpoint_of(model)
    if not fresh and record.exists():
        saved = json.loads(record.read_text())
        unchanged = saved["settings"] == settings.to_params()
        if unchanged and saved["checkpoint_mtime"] == os.path.getmtime(checkpoint):
            return saved
    folder.mkdir(parents=True, exist_ok=True)
    outputs = evaluate_outputs(folder, uncertainty=False)
    load_before = load_average()[0]
    started, cpu_started = time.perf_counter(), cpu_seconds()
    evaluate_model(
        checkpoint,
        Path(workdir) / "results" / "ingest" / "volume.h5",
        Path(workdir) / "results" / "split" / "split.csv",
        settings,
        outputs,
        threads=config["threads"]["evaluate"],
        device=config["device"],
    )
    figures = {
        "settings": settings.to_params(),
        "checkpoint_mtime": os.path.getmtime(checkpoint),
        "evaluate_s": time.perf_counter() - started,
        "evaluate_cpu_s": cpu_seconds() - cpu_started,
        "load_before": load_before,
        "load_after": load_average()[0],
        "summary": json.loads(Path(outputs["summary"]).read_text()),
    }
    record.write_text(json.dumps(figures, indent=1))
    return figures


def row_of(model, option, figures, train):
    """One table row from an evaluation's figures."""
    summary = figures["summary"]
    test = summary["splits"]["test"]
    micro = summary["microstructure"]
    tpb = list(micro["relative_error"].get("tpb_density", {}).values())
    interfaces = [abs(v) for v in micro["relative_error"]["interface_density"].values()]
    mean_abs = micro["mean_abs_relative_error"]
    parts = [mean_abs[m] for m in ("tpb_density", "interface_density") if m in mean_abs]
    return {
        "model": model,
        "option": option,
        "accuracy": test["accuracy"],
        "mean_iou": test["mean_iou"],
        "tpb_error": tpb[0] if tpb else float("nan"),
        "interface_mean_abs_error": mean_abs["interface_density"],
        "interface_max_abs_error": max(interfaces),
        "microstructure_score": sum(parts) / len(parts),
        "train_s": train[0],
        "train_cpu_s": train[1],
        "predict_s": summary["inference_seconds"]["total"],
        "evaluate_s": figures["evaluate_s"],
        "evaluate_cpu_s": figures["evaluate_cpu_s"],
        "load": figures["load_before"],
    }


def print_table(rows):
    print(
        "| model | option | test acc | mean IoU | TPB err | iface mean abs | iface max abs | "
        "micro score | train s (CPU) | predict s | evaluate s (CPU) | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['option']} | {r['accuracy']:.4f} | {r['mean_iou']:.4f} | "
            f"{100 * r['tpb_error']:+.1f} % | {100 * r['interface_mean_abs_error']:.1f} % | "
            f"{100 * r['interface_max_abs_error']:.1f} % | {100 * r['microstructure_score']:.1f} %"
            f" | {r['train_s']:.0f} ({r['train_cpu_s']:.0f}) | {r['predict_s']:.1f} | "
            f"{r['evaluate_s']:.0f} ({r['evaluate_cpu_s']:.0f}) | {r['load']:.1f} |",
            flush=True,
        )


def options_for(model, chosen):
    allowed = ORIENTED_OPTIONS if model.endswith(ORIENTED_SUFFIX) else tuple(OPTIONS)
    return [option for option in chosen if option in allowed]


def main(argv=None):
    args = parse_args(argv)
    machine = print_machine("microstructure of the test block per model and prediction option")
    workdir = Path(args.workdir).resolve()
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    config = benchmark_config(args)
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    models = args.models.split(",") if args.models else list(config["models"])
    config = completed(config)
    chosen = args.options.split(",") if args.options else list(OPTIONS)
    unknown = [option for option in chosen if option not in OPTIONS]
    if unknown:
        raise SystemExit(f"--options: unknown {unknown}; known: {list(OPTIONS)}")
    print(f"in {workdir}: training {models} (snakemake --cores {args.cores})", flush=True)
    training_s = train_models(workdir, models, args.cores, args.keep_models)
    print(f"  training step: {training_s:.0f} s wall; load {load_average()[0]:.1f}", flush=True)
    rows = []
    for model in models:
        train = train_figures(workdir, model)
        for option in options_for(model, chosen):
            figures = evaluate_option(workdir, config, model, option, args.fresh)
            rows.append(row_of(model, option, figures, train))
            print(
                f"  {model} {option}: accuracy {rows[-1]['accuracy']:.4f}, TPB "
                f"{100 * rows[-1]['tpb_error']:+.1f} %, {figures['evaluate_s']:.0f} s",
                flush=True,
            )
    if not any(config["models"][m]["arch"] == "unet3d" for m in models):
        print("  (no unet3d model configured: the 3-D UNet's row is for issue 19a's model)")
    print(f"\nload average now: {' '.join(f'{x:.2f}' for x in load_average())}")
    print_table(rows)
    write_json(args.json, {"machine": machine, "workdir": str(workdir), "rows": rows})
    return rows


if __name__ == "__main__":
    main()
