"""Seconds per slice of whole-slice inference for a UNet of a given size (untrained weights).

    PYTHONPATH=scripts python -m xrayseg.inference.speed --width 32 --depth 4 --patch 256 \
        --settings '{}' '{"precision": "bf16", "channels_last": true}'

Prints one line per settings dict: the minimum and median wall seconds over the repeats (after a
warm-up slice) and, on the CPU, the process CPU seconds (a steadier measure on a shared machine).
"""

import argparse
import json
import time

import numpy as np
import torch

from xrayseg.inference.predictor import Predictor
from xrayseg.models import build_network
from xrayseg.models.checkpoint import Checkpoint, bare_header
from xrayseg.settings.inference import InferenceSettings


def unet_checkpoint(width, depth, patch, n_classes=3, seed=0):
    """A Checkpoint of an untrained one-channel UNet (seeded random weights)."""
    torch.manual_seed(seed)
    header = bare_header("unet", n_classes, {"width": width, "depth": depth}, patch_size=patch)
    network = build_network("unet", n_classes, header.in_channels, header.arch_args)
    return Checkpoint(header, network.state_dict())


def seconds_per_slice(checkpoint, settings, device="cpu", side=501, repeats=3, seed=0):
    """(wall seconds list, CPU seconds list) of `repeats` predictions of one random slice."""
    image = np.random.default_rng(seed).random((1, side, side)).astype(np.float32)
    predictor = Predictor(checkpoint, device, settings)
    predictor.scores(image)
    walls, cpus = [], []
    for _ in range(repeats):
        if predictor.device.type == "cuda":
            torch.cuda.synchronize()
        wall, cpu = time.perf_counter(), time.process_time()
        predictor.scores(image)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--patch", type=int, default=256)
    parser.add_argument("--side", type=int, default=501)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--settings", nargs="+", default=["{}"], help="JSON InferenceSettings")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    checkpoint = unet_checkpoint(args.width, args.depth, args.patch)
    for text in args.settings:
        settings = InferenceSettings(**json.loads(text))
        walls, cpus = seconds_per_slice(checkpoint, settings, args.device, args.side, args.repeats)
        print(
            f"unet w{args.width} d{args.depth} patch {args.patch} on {args.device} {text}: "
            f"wall min {min(walls):.3f} s, median {np.median(walls):.3f} s; "
            f"CPU min {min(cpus):.3f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
