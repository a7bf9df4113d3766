"""The 3-D UNet against the 2-D UNet: what each costs (parameters, FLOPs per voxel, a training
step, a slice's prediction) and, from finished runs, what each scores on pixels and on the
microstructure of the test block.

Usage (from the repository root, with the environment `make run` uses):
    python benchmarks/unet3d.py                                  # costs on this machine
    python benchmarks/unet3d.py --run RUN_DIR [--run RUN_DIR2]   # + each run's models
    python benchmarks/unet3d.py --quick                          # tiny shapes (a smoke test)

Costs: the default config's 2-D UNet (width 8, depth 3, batches of 8 x 64 x 64) and the 3-D UNet
(width 8, depth 3, batches of 4 x 16 x 32 x 32), fp32, channels-last, one thread (the config's
`threads.train`), timed in alternating rounds. Prediction: one whole-slice window (512 x 512),
and for the 3-D UNet one window of 16 slices of 512 x 512, whose time per slice is doubled for
the 0.5 overlap along the stack. GFLOP per step (forward + backward ~ 3x the forward) and per
slice are printed so that a GPU's time can be estimated from its throughput.

A run (a Snakemake working folder, finished): for each model evaluated there, test accuracy and
mean IoU, the TPB density's relative error and the mean absolute relative error of the interface
densities on the test block (results/eval/{model}/summary.json), training and evaluation wall
and CPU seconds (results/benchmarks/), the optimiser steps taken; and for the networks the test
block predicted again here, timed (`--models` chooses which).
"""

import argparse
import csv
import json
import statistics
from pathlib import Path

from machine import alternate, print_machine, write_json

CONTENDERS = {
    "unet": {"arch": "unet", "args": {"width": 8, "depth": 3}, "batch": (8, 1, 64, 64)},
    "unet3d": {"arch": "unet3d", "args": {"width": 8, "depth": 3}, "batch": (4, 1, 16, 32, 32)},
}
QUICK = {
    "unet": {"arch": "unet", "args": {"width": 2, "depth": 2}, "batch": (2, 1, 16, 16)},
    "unet3d": {"arch": "unet3d", "args": {"width": 2, "depth": 2}, "batch": (2, 1, 8, 16, 16)},
}
SLICE_SIDE, WINDOW_DEPTH, Z_OVERLAP = 512, 16, 0.5


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", default=[], help="a finished run's folder")
    parser.add_argument("--models", nargs="*", default=None, help="models to time (networks)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    return parser.parse_args(argv)


def forward_flops(network, shape):
    """FLOPs of one forward pass per input voxel (torch's count)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    images = torch.zeros(1, *shape[1:])
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        network.eval()(images)
    return counter.get_total_flops() / images.numel()


def costs(contenders, rounds, side, depth):
    """Parameters, FLOPs per voxel, median training-step and per-slice prediction seconds."""
    import torch

    from xrayseg.inference.fastforward import inference_forward
    from xrayseg.models import build_network, count_parameters
    from xrayseg.training.losses import SegmentationLoss
    from xrayseg.training.precision import Precision

    torch.set_num_threads(1)
    steps, predictions, rows = {}, {}, {}
    for name, spec in contenders.items():
        torch.manual_seed(0)
        network = build_network(spec["arch"], 3, 1, spec["args"])
        per_voxel = forward_flops(network, spec["batch"])
        network.train()
        precision = Precision("fp32", "cpu", channels_last=True)
        precision.prepare(network)
        images = precision.layout(torch.randn(spec["batch"]))
        labels = torch.randint(0, 3, (spec["batch"][0], *spec["batch"][2:]))
        optimizer = torch.optim.AdamW(network.parameters(), 1e-3)

        def step(network=network, images=images, labels=labels, optimizer=optimizer):
            loss_fn = SegmentationLoss()
            optimizer.zero_grad(set_to_none=True)
            loss_fn(network(images), labels).backward()
            optimizer.step()

        steps[name] = step
        volumetric = len(spec["batch"]) == 5
        window = (1, 1, depth, side, side) if volumetric else (1, 1, side, side)
        forward = inference_forward(network.eval(), "cpu", channels_last=True)
        source = torch.randn(window)

        def predict(forward=forward, source=source):
            forward(source)

        predictions[name] = predict
        voxels_per_step = int(torch.tensor(spec["batch"]).prod())
        rows[name] = {
            "arch": spec["arch"],
            "arch_args": spec["args"],
            "batch": list(spec["batch"]),
            "parameters": count_parameters(network),
            "flops_per_voxel": per_voxel,
            "gflop_per_step": 3 * per_voxel * voxels_per_step / 1e9,
            # A slice costs one window's depth share, twice over with the 0.5 overlap in z.
            "gflop_per_slice": per_voxel
            * side
            * side
            * (1 / (1 - Z_OVERLAP) if volumetric else 1)
            / 1e9,
            "slices_per_window": depth if volumetric else 1,
        }
    step_times = alternate(steps, rounds)
    predict_times = alternate(predictions, max(2, rounds // 2))
    for name, row in rows.items():
        row["step_s"] = statistics.median(step_times[name])
        window_s = statistics.median(predict_times[name])
        if row["slices_per_window"] > 1:
            row["slice_s"] = window_s / row["slices_per_window"] / (1 - Z_OVERLAP)
        else:
            row["slice_s"] = window_s
    return rows


def read_tsv(path):
    """Snakemake's benchmark row (wall s, CPU s, peak MB), or None."""
    if not path.exists():
        return None
    with path.open() as handle:
        row = next(csv.DictReader(handle, delimiter="\t"))
    return {"s": float(row["s"]), "cpu_s": float(row["cpu_time"]), "max_rss_mb": row["max_rss"]}


def run_scores(run, models):
    """Scores, timings and (for the networks in `models`) the test block's prediction time."""
    import h5py
    import pandas as pd
    import torch

    from xrayseg.data.split import slices_of
    from xrayseg.inference.predictor import Predictor
    from xrayseg.models.checkpoint import load_checkpoint
    from xrayseg.settings.inference import InferenceSettings

    run = Path(run)
    split = pd.read_csv(run / "results/split/split.csv")
    test = slices_of(split, "test")
    rows = {}
    for summary_path in sorted(run.glob("results/eval/*/summary.json")):
        name = summary_path.parent.name
        summary = json.loads(summary_path.read_text())
        scores = summary["splits"]["test"]
        micro = summary.get("microstructure", {})
        tpb = micro.get("relative_error", {}).get("tpb_density", {})
        checkpoint = load_checkpoint(run / f"results/models/{name}/model.pt")
        row = {
            "arch": summary["arch"],
            "parameters": summary["parameters"],
            "accuracy": scores["accuracy"],
            "mean_iou": scores["mean_iou"],
            "tpb_relative_error": next(iter(tpb.values()), float("nan")),
            "interface_mean_abs_error": micro.get("mean_abs_relative_error", {}).get(
                "interface_density", float("nan")
            ),
            "steps": checkpoint.header.step,
            "stopped_by": checkpoint.header.stopped_by,
            "train": read_tsv(run / f"results/benchmarks/train/{name}.tsv"),
            "evaluate": read_tsv(run / f"results/benchmarks/evaluate/{name}.tsv"),
            "test_slices": len(test),
        }
        if checkpoint.header.architecture.trains_on_patches and (models is None or name in models):
            torch.set_num_threads(2)
            predictor = Predictor(
                checkpoint, "cpu", InferenceSettings.from_section(summary["inference"])
            )
            with h5py.File(run / "results/ingest/volume.h5", "r") as volume:
                raw = volume["raw"]
                times = [seconds for _, _, seconds in predictor.block_scores(raw, test, test)]
            row["test_block_predict_s"] = sum(times)
        rows[name] = row
    return rows


def main(argv=None):
    args = parse_args(argv)
    machine = print_machine("3-D UNet vs 2-D UNet")
    contenders = QUICK if args.quick else CONTENDERS
    side, depth = (32, 8) if args.quick else (SLICE_SIDE, WINDOW_DEPTH)
    rounds = 2 if args.quick else args.rounds
    cost = costs(contenders, rounds, side, depth)
    print(f"\ncosts (fp32, channels-last, 1 thread, {rounds} alternating rounds):")
    print(
        f"{'model':8} {'batch':>22} {'params':>9} {'kFLOP/voxel':>12} {'GFLOP/step':>11} "
        f"{'s/step':>8} {'GFLOP/slice':>12} {'s/slice':>8}"
    )
    for name, row in cost.items():
        print(
            f"{name:8} {'x'.join(map(str, row['batch'])):>22} {row['parameters']:>9,} "
            f"{row['flops_per_voxel'] / 1e3:>12.1f} {row['gflop_per_step']:>11.2f} "
            f"{row['step_s']:>8.3f} {row['gflop_per_slice']:>12.1f} {row['slice_s']:>8.3f}"
        )
    print(f"(a slice: {side} x {side}; the 3-D UNet's window holds {depth} of them, overlap 0.5)")
    runs = {}
    for run in args.run:
        runs[run] = run_scores(run, args.models)
        print(f"\nrun {run}:")
        print(
            f"{'model':10} {'accuracy':>8} {'mIoU':>7} {'TPB err':>8} {'|iface|':>8} "
            f"{'steps':>6} {'train s':>8} {'CPU s':>7} {'eval s':>7} {'CPU s':>7} "
            f"{'test block s':>12}"
        )
        for name, row in runs[run].items():
            train, evaluate = row["train"] or {}, row["evaluate"] or {}
            block = row.get("test_block_predict_s")
            print(
                f"{name:10} {row['accuracy']:>8.4f} {row['mean_iou']:>7.4f} "
                f"{row['tpb_relative_error']:>+8.3f} {row['interface_mean_abs_error']:>8.3f} "
                f"{row['steps'] or 0:>6} {train.get('s', float('nan')):>8.1f} "
                f"{train.get('cpu_s', float('nan')):>7.1f} {evaluate.get('s', float('nan')):>7.1f} "
                f"{evaluate.get('cpu_s', float('nan')):>7.1f} "
                f"{block if block is not None else float('nan'):>12.2f}"
            )
    write_json(args.json, {"machine": machine, "costs": cost, "runs": runs})


if __name__ == "__main__":
    main()
