"""Data stages: synthetic generation, ingest, split and patch files, timed on a real-size volume.

Usage (from the repository root):
    python benchmarks/data.py                  # 500 x 501 x 501 uint16, like the real data
    python benchmarks/data.py --slices 100     # a 100 x 501 x 501 slab (scales about linearly)
    python benchmarks/data.py --quick          # a tiny smoke run (seconds)

Each stage runs in its own Python process, exactly as the pipeline's rule calls it (the default
config's settings; the volume generated with the config's synthetic settings at the given size),
so each gets its own wall and CPU seconds and peak memory (ru_maxrss; the interpreter and imports
alone take the "base" figure; --quick runs all stages in one process). Throughput is given in MB/s
of raw data: the float32 volume (Z x Y x X x 4 bytes) the patch stage reads, and the uint16
slices (x 2 bytes) ingest reads.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import print_machine, write_json


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=500)
    parser.add_argument("--side", type=int, default=501)
    parser.add_argument("--sizes", default="32,64", help="patch sizes (px), comma-separated")
    parser.add_argument("--workdir", help="keep the files here (default: a temporary folder)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="a 12 x 64 x 64 volume")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.slices, args.side, args.sizes = 12, 64, "16"
    return args


def config_for(args):
    from dataset import default_config

    config = default_config()
    if args.quick:
        # 12 slices leave val and test 2 each, under the default's 3 labelled slices per block.
        config["split"].update(guard_slices=1, min_labelled_slices=1)
    return config


def resident_mb():
    """Current resident memory of this process (MB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_stages(args):
    """Child process: run the named stages in order, printing each one's figures as a JSON line.
    Peak memory is the process's peak so far (one stage per process gives each its own)."""
    from dataset import Dataset

    dataset = Dataset(args.workdir, config_for(args))
    base = resident_mb()
    for stage in args.stage.split(","):
        wall, cpu = time.perf_counter(), time.process_time()
        result = {"stage": stage}
        if stage == "synthetic":
            dataset.make_synthetic([args.slices, args.side, args.side])
        elif stage == "ingest":
            result["slices"] = dataset.ingest()
        elif stage == "split":
            frame = dataset.split()
            result["split_slices"] = frame["split"].value_counts().to_dict()
        elif stage.startswith("patches_"):
            counts = dataset.patches(int(stage.removeprefix("patches_").removesuffix("px")))
            result["patches"] = counts.to_dict(orient="records")
        else:
            raise ValueError(f"unknown stage {stage!r}")
        result.update(
            wall_s=time.perf_counter() - wall,
            cpu_s=time.process_time() - cpu,
            base_mb=base,
            peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        )
        print("RESULT " + json.dumps(result, default=str), flush=True)


def spawn(args, stages, workdir):
    """Run `stages` in one child process; returns {stage: figures}."""
    command = [
        sys.executable,
        __file__,
        "--stage",
        ",".join(stages),
        "--workdir",
        str(workdir),
        "--slices",
        str(args.slices),
        "--side",
        str(args.side),
    ]
    if args.quick:
        command.append("--quick")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"stages {stages} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    results = {}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            figures = json.loads(line[len("RESULT ") :])
            results[figures.pop("stage")] = figures
    return results


def patch_summary(records):
    """'train 123 / val 45 / test 67' patches kept, from the counts table."""
    kept = {}
    for record in records:
        split = record.get("split")
        count = record.get("kept", record.get("patches"))
        if split is not None and count is not None:
            kept[split] = kept.get(split, 0) + int(count)
    return " / ".join(f"{split} {count}" for split, count in kept.items()) or "?"


def main(argv=None):
    args = parse_args(argv)
    if args.stage:
        return run_stages(args)
    machine = print_machine("data stages: synthetic volume, ingest, split, patches")
    sizes = [int(s) for s in args.sizes.split(",")]
    voxels = args.slices * args.side * args.side
    float_mb, uint16_mb = voxels * 4 / 1e6, voxels * 2 / 1e6
    print(
        f"volume {args.slices} x {args.side} x {args.side} uint16 ({uint16_mb:.0f} MB as uint16, "
        f"{float_mb:.0f} MB as float32); stages run one after another"
        + (" in one process" if args.quick else ", one process each"),
        flush=True,
    )
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="xrayseg-data-"))
    workdir.mkdir(parents=True, exist_ok=True)
    stages = ["synthetic", "ingest", "split"] + [f"patches_{size}px" for size in sizes]
    results = {}
    try:
        if args.quick:  # one process for all (starting Python with its imports takes seconds)
            results = spawn(args, stages, workdir)
        else:
            for stage in stages:
                results.update(spawn(args, [stage], workdir))
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"  {'stage':14s} {'wall s':>8s} {'CPU s':>8s} {'peak MB':>8s} {'base MB':>8s} "
        f"{'MB/s':>7s}  notes",
        flush=True,
    )
    for stage, figures in results.items():
        rate, notes = "", ""
        if stage == "ingest":
            figures["uint16_mb_per_s"] = uint16_mb / figures["wall_s"]
            rate = f"{figures['uint16_mb_per_s']:7.1f}"
            notes = "MB/s of uint16 slices read"
        elif stage.startswith("patches"):
            figures["float32_mb_per_s"] = float_mb / figures["wall_s"]
            rate = f"{figures['float32_mb_per_s']:7.1f}"
            notes = f"MB/s of float32 volume; kept {patch_summary(figures['patches'])}"
        print(
            f"  {stage:14s} {figures['wall_s']:8.1f} {figures['cpu_s']:8.1f} "
            f"{figures['peak_mb']:8.0f} {figures['base_mb']:8.0f} {rate:>7s}  {notes}",
            flush=True,
        )
    write_json(
        args.json,
        {"machine": machine, "shape": [args.slices, args.side, args.side], "stages": results},
    )
    return results


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
