"""Training throughput: the real training job against a bare loop over the same patches.

Usage (from the repository root):
    python benchmarks/training.py                 # the default config's UNet, 140 steps, 3 rounds
    python benchmarks/training.py --model dnn --steps 300
    python benchmarks/training.py --quick         # a tiny smoke run (seconds)

The patches come from the pipeline's own stages (synthetic volume, ingest, split, patch file) at
the default config's volume size. Then, round after round (alternating, so a shared machine's load
falls on both alike):

  real  xrayseg.training.job.train_model, exactly what the train rule runs: reads the patch file
        (HDF5), builds the model, takes `--steps` optimiser steps on seeded, augmented batches,
        scoring the validation subset and writing the resume checkpoint every `val_every` steps
        (the config's); then the final checkpoint and history.
  bare  the same network, optimiser, loss, precision and thread count, taking the same number of
        steps on batches of the same size, taken in order from patches already in memory: no
        file, no sampling, no augmentation, no validation, no checkpoints: the speed limit.

Printed: train patches per second of each; the real job's time split into validation, checkpoint
writing and the rest ("loop": reading, sampling, augmenting, stepping); and loop / bare, the
share of the bare speed the real training loop keeps (1 - it is the data pipeline's overhead).
"""

import argparse
import importlib
import statistics
import tempfile
import time
from pathlib import Path

import torch
from dataset import Dataset, default_config
from machine import print_machine, write_json

from xrayseg.models import build_network
from xrayseg.settings.architectures import architecture
from xrayseg.training import job as job_module
from xrayseg.training import loop as loop_module
from xrayseg.training.data import load_patch_set
from xrayseg.training.defaults import with_defaults
from xrayseg.training.job import train_model
from xrayseg.training.loop import train_step
from xrayseg.training.losses import SegmentationLoss
from xrayseg.training.precision import Precision
from xrayseg.training.schedule import make_optimizer


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="unet", help="a model of config/config.yaml")
    parser.add_argument("--steps", type=int, default=140, help="optimiser steps per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shape", default=None, help="synthetic volume Z,Y,X (default: config)")
    parser.add_argument("--threads", type=int, default=None, help="default: config threads.train")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="a tiny UNet on a tiny volume")
    return parser.parse_args(argv)


def benchmark_config(args):
    """The default config, shrunk for --quick."""
    config = default_config()
    if args.quick:
        config["synthetic"]["shape"] = [12, 64, 64]
        # 12 slices leave val and test 2 each, under the default's 3 labelled slices per block.
        config["split"].update(guard_slices=1, min_labelled_slices=1)
        config["models"] = {
            "unet": {"arch": "unet", "patch_size": 16, "width": 4, "depth": 2, "batch_size": 4}
        }
        args.model, args.steps, args.rounds = "unet", 6, 1
    if args.shape:
        config["synthetic"]["shape"] = [int(s) for s in args.shape.split(",")]
    if args.model not in config["models"]:
        raise SystemExit(f"no model {args.model!r} in the config; known: {list(config['models'])}")
    return config


class Stopwatch:
    """Wrap a module function and add up the seconds spent in it."""

    def __init__(self, module, name):
        self.module, self.name = module, name
        self.original = getattr(module, name)
        self.seconds = 0.0

    def __enter__(self):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        setattr(self.module, self.name, timed)
        return self

    def __exit__(self, *exc):
        setattr(self.module, self.name, self.original)


def real_round(dataset, model_name, settings, threads, workdir):
    """One train_model job; returns its timings."""
    out = Path(workdir) / f"real_{time.monotonic_ns()}"
    out.mkdir()
    with (
        Stopwatch(loop_module, "evaluate_patches") as validation,
        Stopwatch(job_module, "save_checkpoint") as checkpoints,
    ):
        started = time.perf_counter()
        train_model(
            model_name,
            settings,
            dataset.volume,
            dataset.split_csv,
            dataset.patches_path(settings["patch_size"]) if "patch_size" in settings else None,
            out / "model.pt",
            out / "history.csv",
            threads=threads,
            seed=0,
            device="cpu",
        )
        total = time.perf_counter() - started
    return {
        "total_s": total,
        "validation_s": validation.seconds,
        "checkpoint_s": checkpoints.seconds,
        "loop_s": total - validation.seconds - checkpoints.seconds,
    }


def bare_round(settings, train_set, steps, threads, n_classes):
    """`steps` optimiser steps over in-memory batches of the train patches; returns seconds."""
    torch.set_num_threads(threads)
    arch_args = architecture(settings["arch"]).arguments_of(settings)
    torch.manual_seed(0)
    network = build_network(settings["arch"], n_classes, train_set.images.shape[1], arch_args)
    precision = Precision(settings["precision"], "cpu", settings["channels_last"])
    precision.prepare(network)
    optimizer = make_optimizer(
        network, settings["optimizer"], settings["lr"], settings["weight_decay"]
    )
    scaler = precision.grad_scaler()
    loss_fn = SegmentationLoss(dice_weight=settings["dice_weight"])
    size = settings["batch_size"]
    count = len(train_set)
    batches = [
        train_set.batch(torch.arange(start, start + size) % count, "cpu")
        for start in range(0, max(count, size), size)
    ]
    network.train()
    started = time.perf_counter()
    for step in range(steps):
        images, labels = batches[step % len(batches)]
        train_step(network, optimizer, scaler, loss_fn, precision, images, labels)
    return time.perf_counter() - started


def main(argv=None):
    args = parse_args(argv)
    config = benchmark_config(args)
    settings = with_defaults(
        {**config["training"], **config["models"][args.model], "patience": 10**6}
    )
    settings["steps"] = args.steps
    threads = args.threads or int(config["threads"]["train"])
    torch.set_num_threads(threads)
    machine = print_machine("training throughput: the real training job vs a bare loop")
    shape = config["synthetic"]["shape"]
    n_classes = len(config["data"]["class_names"])
    with tempfile.TemporaryDirectory(prefix="xrayseg-train-") as workdir:
        dataset = Dataset(workdir, config)
        started = time.perf_counter()
        dataset.build(shape, [settings["patch_size"]])
        print(
            f"patches of {settings['patch_size']} px from a {shape[0]} x {shape[1]} x {shape[2]} "
            f"synthetic volume, built in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        train_set = load_patch_set(dataset.patches_path(settings["patch_size"]), "train")
        val_count = len(load_patch_set(dataset.patches_path(settings["patch_size"]), "val"))
        print(
            f"model {args.model} ({settings['arch']}): {len(train_set)} train / {val_count} val "
            f"patches, batch {settings['batch_size']}, {args.steps} steps per round (validation "
            f"every {settings['val_every']} on at most {settings['val_patches']} patches), "
            f"{args.rounds} rounds, {threads} thread(s), precision {settings['precision']}, "
            f"channels-last {settings['channels_last']}, augment {settings['augment']}",
            flush=True,
        )
        # A process's first optimiser imports torch._dynamo: seconds that every training job
        # pays once. Paid here, outside the rounds, and reported.
        started = time.perf_counter()
        importlib.import_module("torch._dynamo")

        import_seconds = time.perf_counter() - started
        print(
            f"first optimiser of a process imports torch._dynamo: {import_seconds:.1f} s "
            "(once per training job; not in the rounds)",
            flush=True,
        )
        reals, bares = [], []
        for _ in range(args.rounds):
            reals.append(real_round(dataset, args.model, settings, threads, workdir))
            bares.append(bare_round(settings, train_set, args.steps, threads, n_classes))
    trained = args.steps * settings["batch_size"]
    real = {key: statistics.median(r[key] for r in reals) for key in reals[0]}
    bare = statistics.median(bares)
    ratios = [bare_s / r["loop_s"] for r, bare_s in zip(reals, bares, strict=True)]
    job_ratios = [bare_s / r["total_s"] for r, bare_s in zip(reals, bares, strict=True)]
    figures = {
        "train_patches_per_round": trained,
        "bare_patches_per_s": trained / bare,
        "loop_patches_per_s": trained / real["loop_s"],
        "job_patches_per_s": trained / real["total_s"],
        "real_seconds": real,
        "bare_seconds": bare,
        "loop_over_bare": statistics.median(ratios),
        "job_over_bare": statistics.median(job_ratios),
        "rounds": {"real": reals, "bare": bares},
        "dynamo_import_s": import_seconds,
    }
    print(
        f"  bare loop       {figures['bare_patches_per_s']:8.1f} train patches/s "
        f"({bare:.2f} s per round, median)",
        flush=True,
    )
    print(
        f"  real loop       {figures['loop_patches_per_s']:8.1f} train patches/s "
        f"({real['loop_s']:.2f} s: reading, sampling, augmenting, stepping)",
        flush=True,
    )
    print(
        f"  real job        {figures['job_patches_per_s']:8.1f} train patches/s "
        f"({real['total_s']:.2f} s, of which validation {real['validation_s']:.2f} s, "
        f"checkpoints {real['checkpoint_s']:.2f} s)",
        flush=True,
    )
    print(
        f"  loop / bare speed {figures['loop_over_bare']:.3f} (data pipeline overhead "
        f"{100 * (1 - figures['loop_over_bare']):.1f} %); whole job / bare "
        f"{figures['job_over_bare']:.3f}",
        flush=True,
    )
    write_json(args.json, {"machine": machine, "model": args.model, **figures})
    return figures


if __name__ == "__main__":
    main()
