"""Training throughput of the paper UNet on a GPU (or, tiny, on the CPU), through the loop code.

Usage (from the repository root):
    python benchmarks/gpu_train_check.py                  # paper UNet, 256 px, batch 16, AMP
    python benchmarks/gpu_train_check.py --matrix         # fp32 / bf16 / fp16 x channels-last
    python benchmarks/gpu_train_check.py --device cpu --steps 2 --size 32 --width 4 --depth 2

Each configuration runs twice: "bare" repeats xrayseg.training.loop.train_step on one batch that
already sits on the device (the speed limit), "loop" takes seeded batches from an in-memory
patch set (xrayseg.training.sampling.BatchStream) and augments them on the fly exactly as
fit_network does. The patches are a synthetic
three-phase volume (xrayseg.data.synthetic), so the loss has something to learn. Prints steps/s,
patches/s, peak GPU memory (torch.cuda.max_memory_allocated), the device, torch and CUDA versions,
and a final check that fit_network runs four steps with two validations and its resume state
survives a weights-only load on this device. Self-contained: imports xrayseg from scripts/ beside
this folder.
"""

import argparse
import io
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from xrayseg.data.synthetic import image_phases, make_phases  # noqa: E402
from xrayseg.models import build_network, count_parameters  # noqa: E402
from xrayseg.training.augment import Augmenter  # noqa: E402
from xrayseg.training.data import PatchSet  # noqa: E402
from xrayseg.training.defaults import with_defaults  # noqa: E402
from xrayseg.training.loop import fit_network, train_step  # noqa: E402
from xrayseg.training.losses import SegmentationLoss  # noqa: E402
from xrayseg.training.precision import Precision  # noqa: E402
from xrayseg.training.sampling import BatchStream  # noqa: E402
from xrayseg.training.schedule import make_optimizer  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1")
    parser.add_argument("--steps", type=int, default=300, help="timed steps per measurement")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps first")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=256, help="patch side (px)")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--patches", type=int, default=64, help="in-memory patch set size")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "fp16"])
    parser.add_argument("--no-channels-last", action="store_true")
    parser.add_argument("--matrix", action="store_true", help="every precision x layout")
    parser.add_argument("--json", help="also write the results to this file")
    return parser.parse_args(argv)


def synthetic_patches(count, size, seed=0):
    """`count` slices of a synthetic three-phase volume, normalised like ingest does."""
    phases = make_phases((count, size, size), [0.3, 0.43, 0.27], size / 20, seed)
    grey = image_phases(phases, [22700, 35000, 40900], [2400, 1300, 1700], 2.0, 0.0, seed)
    low, high = np.percentile(grey, [0.5, 99.5])
    images = ((grey - low) / (high - low)).astype(np.float32)
    return PatchSet(torch.from_numpy(images)[:, None], torch.from_numpy(phases.astype(np.int64)))


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(args, device, patch_set, precision_name, channels_last, with_loop):
    """Steps per second and peak memory of one configuration."""
    torch.manual_seed(0)
    network = build_network("unet", 3, 1, {"width": args.width, "depth": args.depth}).to(device)
    precision = Precision(precision_name, device, channels_last)
    precision.prepare(network)
    optimizer = make_optimizer(network, "adam", 1e-3, 1e-5)
    scaler = precision.grad_scaler()
    loss_fn = SegmentationLoss()
    augmenter = Augmenter(True)
    generator = torch.Generator().manual_seed(0)
    network.train()
    fixed = patch_set.batch(torch.arange(min(args.batch, len(patch_set))), device)

    def batch_stream():
        sampler = BatchStream(len(patch_set), args.batch, 0)
        step = 0
        while True:
            images, labels = patch_set.batch(sampler.indices(step), device)
            step += 1
            yield augmenter(images, labels, generator)

    stream = batch_stream() if with_loop else None
    losses = []
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            synchronize(device)
            started = time.perf_counter()
        images, labels = next(stream) if with_loop else fixed
        loss, _ = train_step(network, optimizer, scaler, loss_fn, precision, images, labels)
        if step in (0, args.warmup + args.steps - 1):
            losses.append(float(loss))
    synchronize(device)
    seconds = time.perf_counter() - started
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    return {
        "precision": precision.name,
        "channels_last": channels_last,
        "mode": "loop" if with_loop else "bare",
        "steps_per_s": args.steps / seconds,
        "patches_per_s": args.steps * args.batch / seconds,
        "peak_gib": peak,
        "first_loss": losses[0],
        "last_loss": losses[-1],
    }


def loop_check(device, patch_set):
    """fit_network for four steps on this device; its resume state must load weights-only."""
    network = build_network("unet", 3, 1, {"width": 8, "depth": 2})
    small = PatchSet(patch_set.images[:, :, :64, :64], patch_set.labels[:, :64, :64])
    saved = {}

    def save(state):
        saved["file"] = io.BytesIO()
        torch.save(state, saved["file"])

    settings = with_defaults(
        {"steps": 4, "val_every": 2, "batch_size": 8, "lr": 1e-3, "precision": "auto"}
    )
    fit_network(network, small, small, settings, device, 0, None, save)
    saved["file"].seek(0)
    state = torch.load(saved["file"], weights_only=True)
    return {
        "steps": state["step"],
        "validations": len(state["history"]),
        "precision": Precision("auto", device).name,
        "val_loss": state["history"][-1]["val_loss"],
    }


def main(argv=None):
    args = parse_args(argv)
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # as the training job does
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device {name} | torch {torch.__version__} | CUDA {torch.version.cuda}", flush=True)
    network = build_network("unet", 3, 1, {"width": args.width, "depth": args.depth})
    print(
        f"unet width {args.width} depth {args.depth}: {count_parameters(network):,} parameters; "
        f"batch {args.batch} of {args.size}x{args.size}; {args.steps} timed steps",
        flush=True,
    )
    patch_set = synthetic_patches(args.patches, args.size).to(device)
    if args.matrix:
        configs = [(p, cl) for p in ("fp32", "bf16", "fp16") for cl in (False, True)]
    else:
        configs = [(args.precision, not args.no_channels_last)]
    results = []
    for precision_name, channels_last in configs:
        for with_loop in (False, True):
            result = measure(args, device, patch_set, precision_name, channels_last, with_loop)
            results.append(result)
            peak = f"{result['peak_gib']:.2f} GiB" if result["peak_gib"] is not None else "n/a"
            print(
                f"{result['mode']:4s} {result['precision']:4s} "
                f"channels_last={str(channels_last):5s} {result['steps_per_s']:8.2f} steps/s "
                f"{result['patches_per_s']:9.1f} patches/s  peak {peak}  "
                f"loss {result['first_loss']:.3f} -> {result['last_loss']:.3f}",
                flush=True,
            )
        bare, real = results[-2], results[-1]
        print(
            f"     loop / bare speed: {real['steps_per_s'] / bare['steps_per_s']:.3f}", flush=True
        )
    check = loop_check(device, patch_set)
    print(f"fit_network on {device}: {check}", flush=True)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"device": name, "torch": torch.__version__, "results": results, "loop": check},
                indent=2,
            )
        )
    return results


if __name__ == "__main__":
    main()
