"""A scan larger than memory predicted as one job and as chunk jobs, through Snakemake.

Usage (from the repository root, with the environment `make run` uses):
    python benchmarks/bigscan.py                 # 512 x 2048 x 2048 uint16 (4 GiB), 4 chunks
    python benchmarks/bigscan.py --quick         # 24 x 96 x 96, tiny model (a smoke test)
    python benchmarks/bigscan.py --shape 64 2048 2048   # a smaller scan first, to estimate

It generates the scan as a Zarr array (scan.zarr, 16-slice chunks) one slab at a time, so the
generator's memory does not grow with the scan: a periodic tile of three smoothed random fields
(the synthetic volume's phases and grey means) repeated across the slice, plus fresh noise. The
default config's 2.5-D UNet (unet25d) is trained on the default synthetic volume by the pipeline
itself (the time is reported, not part of the table), then two prediction sets of the same scan
are segmented with it by `snakemake --cores N`: `whole` as one chunk job, `chunked` as --chunks
chunk jobs; each then has its assemble job. Printed per set: wall time, voxels per second, every
job's peak memory (the job's own getrusage, from summary.json, and Snakemake's max_rss), and
whether the two sets' labels (every pyramid level), uncertainty and volume.csv are identical.
The 2048^3 estimate scales the measured time per slice.
"""

import argparse
import csv
import json
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from dataset import default_config
from machine import REPO, print_machine, write_json
from pipeline import snakemake_command, timed

MODEL = "unet25d"
FULL_SHAPE = (512, 2048, 2048)
QUICK_SHAPE = (24, 96, 96)
# The scan's Zarr chunks: 16 slices of 512 x 512 px.
SCAN_CHUNKS = (16, 512, 512)
GREY_MEANS = (22700.0, 35000.0, 40900.0)
NOISE = 1500.0
QUICK_TRAINING = {
    "synthetic": {"shape": [24, 64, 64], "feature_size": 6},
    "split": {"val_fraction": 0.2, "test_fraction": 0.25, "guard_slices": 1},
    "training": {"steps": 16, "val_every": 8, "val_patches": 16, "batch_size": 4},
    "model": {"patch_size": 32, "width": 4, "depth": 2},
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", nargs=3, type=int, default=None, help="slices rows cols")
    parser.add_argument("--chunks", type=int, default=4, help="chunk jobs of the chunked set")
    parser.add_argument("--cores", default="2", help="snakemake --cores (default 2)")
    parser.add_argument("--workdir", default=None, help="kept between runs (the scan is reused)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    return parser.parse_args(argv)


def tile_phases(shape, seed, feature=8.0):
    """A periodic (Z, Y, X) field of phase indices 0..2 (three smoothed random fields' argmax,
    smoothed with wrap-around, so that tiles repeat without seams)."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    fields = rng.standard_normal((3, *shape)).astype(np.float32)
    for field in fields:
        ndimage.gaussian_filter(field, feature, output=field, mode="wrap")
    return np.argmax(fields, axis=0).astype(np.uint8)


def generate_scan(path, shape, seed=5, slab=SCAN_CHUNKS[0]):
    """scan.zarr of `shape` uint16, written `slab` slices at a time; returns seconds taken."""
    import zarr

    started = time.perf_counter()
    depth, rows, cols = shape
    tile = tile_phases((min(depth, 64), min(rows, 256), min(cols, 256)), seed)
    reps = (math.ceil(rows / tile.shape[1]), math.ceil(cols / tile.shape[2]))
    chunks = tuple(min(c, s) for c, s in zip(SCAN_CHUNKS, shape, strict=True))
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    scan = zarr.create_array(
        str(tmp), shape=shape, chunks=chunks, dtype=np.uint16, zarr_format=3, fill_value=0
    )
    rng = np.random.default_rng(seed + 1)
    means = np.asarray(GREY_MEANS, dtype=np.float32)
    for start in range(0, depth, slab):
        stop = min(start + slab, depth)
        phases = tile[np.arange(start, stop) % tile.shape[0]]
        phases = np.tile(phases, (1, *reps))[:, :rows, :cols]
        grey = means[phases]
        grey += rng.standard_normal(grey.shape, dtype=np.float32) * np.float32(NOISE)
        scan[start:stop] = np.clip(grey, 0, 65535).astype(np.uint16)
    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)
    return time.perf_counter() - started


def run_config(scan, n_slices, chunks, quick):
    """The default config with the 2.5-D UNet alone and two prediction sets of the scan."""
    config = default_config()
    model = config["models"][MODEL]
    config["models"] = {MODEL: model}
    config["suggest"] = {"model": MODEL}
    config["device"] = "cpu"
    if quick:
        for section in ("synthetic", "split", "training"):
            config[section].update(QUICK_TRAINING[section])
        model.update(QUICK_TRAINING["model"])
    sets = {"raw": str(scan), "model": MODEL, "outputs": "zarr"}
    config["predict"] = {
        "whole": sets,
        "chunked": {**sets, "chunk_slices": math.ceil(n_slices / chunks)},
    }
    return config


def snakemake(workdir, cores, *targets):
    command = [
        *snakemake_command(),
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        str(cores),
        *targets,
    ]
    seconds, _ = timed(command, workdir)
    return seconds


def job_memory(workdir, set_name):
    """{job: (own peak MB, Snakemake's max_rss MB)} of a set's chunk jobs and assemble job."""
    folder = workdir / "results" / "predict" / MODEL / set_name
    summary = json.loads((folder / "summary.json").read_text())
    benchmarks = workdir / "results" / "benchmarks" / "predict" / MODEL
    jobs = {}
    for record in summary["chunks"]:
        name = "-".join(f"{z:06d}" for z in record["chunk"])
        jobs[f"chunk {name}"] = (record["peak_memory_mb"], max_rss(benchmarks / set_name / name))
    jobs["assemble"] = (summary["assemble"]["peak_memory_mb"], max_rss(benchmarks / set_name))
    return jobs, summary


def max_rss(stem):
    """max_rss (MB) of a Snakemake benchmark file `stem`.tsv; None when absent."""
    path = Path(f"{stem}.tsv")
    if not path.is_file():
        return None
    with path.open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    values = [float(row["max_rss"]) for row in rows if row.get("max_rss") not in (None, "", "-")]
    return max(values) if values else None


def identical(workdir):
    """Whether the two sets' labels (every level), uncertainty (level 0) and volume.csv agree,
    compared slab by slab."""
    import zarr

    root = workdir / "results" / "predict" / MODEL
    same = {}
    for image in ("segmentation.ome.zarr", "uncertainty.ome.zarr"):
        groups = [
            zarr.open_group(str(root / name / image), mode="r") for name in ("whole", "chunked")
        ]
        levels = sorted(groups[0].array_keys())
        equal = levels == sorted(groups[1].array_keys())
        for level in levels if equal else []:
            first, second = groups[0][level], groups[1][level]
            equal = equal and first.shape == second.shape
            depth = first.shape[-3]
            for start in range(0, depth, 16):
                if not equal:
                    break
                window = (..., slice(start, min(start + 16, depth)), slice(None), slice(None))
                equal = np.array_equal(first[window], second[window], equal_nan=True)
        same[image] = bool(equal)
    tables = [(root / name / "volume.csv").read_text() for name in ("whole", "chunked")]
    same["volume.csv"] = tables[0] == tables[1]
    return same


def main(argv=None):
    args = parse_args(argv)
    shape = tuple(args.shape or (QUICK_SHAPE if args.quick else FULL_SHAPE))
    machine = print_machine("A large scan predicted as one job and as chunk jobs")
    if args.workdir:
        workdir = Path(args.workdir).resolve()
    else:
        workdir = Path(tempfile.mkdtemp(prefix="xrayseg-bigscan-"))
    workdir.mkdir(parents=True, exist_ok=True)
    scan = workdir / "scan.zarr"
    voxels = math.prod(shape)
    marker = workdir / "scan_shape.json"
    generated = None
    if not marker.is_file() or json.loads(marker.read_text()) != list(shape):
        generated = generate_scan(scan, shape)
        marker.write_text(json.dumps(list(shape)))
        print(f"scan {shape} uint16 ({voxels * 2 / 2**30:.2f} GiB) generated in {generated:.0f} s")
    config = run_config(scan, shape[0], args.chunks, args.quick)
    path = workdir / "config" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    model = f"results/models/{MODEL}/model.pt"
    calibration = f"results/calibration/{MODEL}/calibration.json"
    training = snakemake(workdir, args.cores, model, calibration)
    print(f"training the default 2.5-D UNet (and its calibration): {training:.0f} s")
    runs = {}
    for set_name in ("whole", "chunked"):
        folder = workdir / "results" / "predict" / MODEL / set_name
        shutil.rmtree(folder, ignore_errors=True)
        seconds = snakemake(workdir, args.cores, f"{folder.relative_to(workdir)}/volume.csv")
        jobs, summary = job_memory(workdir, set_name)
        runs[set_name] = {
            "wall_s": seconds,
            "voxels_per_s": voxels / seconds,
            "chunk_jobs": len(summary["chunks"]),
            "slab_slices": summary["plan"]["slab_slices"],
            "predict_s_per_slice": summary["seconds_per_slice"],
            "jobs": {
                name: {"peak_mb": own, "max_rss_mb": rss} for name, (own, rss) in jobs.items()
            },
        }
    same = identical(workdir)
    print("\n| set | chunk jobs | wall s | voxels / s | peak memory per job (MB) |")
    print("|---|---|---|---|---|")
    for set_name, run in runs.items():
        peaks = ", ".join(f"{name} {job['peak_mb']:.0f}" for name, job in run["jobs"].items())
        print(
            f"| {set_name} | {run['chunk_jobs']} | {run['wall_s']:.0f} | "
            f"{run['voxels_per_s']:.3g} | {peaks} |"
        )
    largest = max(job["peak_mb"] for run in runs.values() for job in run["jobs"].values())
    print(f"\nlargest peak of any job: {largest:.0f} MB")
    print(f"identical: {same}")
    per_slice = runs["whole"]["wall_s"] / shape[0]
    cube = 2048 * per_slice * (2048 * 2048) / (shape[1] * shape[2])
    print(
        f"2048^3 estimate: {cube / 3600:.1f} h as one job on this machine "
        f"({per_slice:.2f} s per {shape[1]} x {shape[2]} slice)"
    )
    write_json(
        args.json,
        {
            "machine": machine,
            "shape": list(shape),
            "generate_s": generated,
            "training_s": training,
            "runs": runs,
            "largest_peak_mb": largest,
            "identical": same,
            "cube_2048_estimate_s": cube,
        },
    )
    if not all(same.values()):
        raise SystemExit(f"the chunked prediction differs from the single job: {same}")


if __name__ == "__main__":
    main()
