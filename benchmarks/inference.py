"""Whole-slice inference: xrayseg's sliding window against MONAI's, side by side in one process.

Usage (from the repository root; MONAI from benchmarks/requirements.txt):
    python benchmarks/inference.py                      # paper + default UNet on a 501 x 501 slice
    python benchmarks/inference.py --models default --bf16 --rounds 3   # + bf16 autocast, both
    python benchmarks/inference.py --compile            # adds torch.compile (and its compile time)
    python benchmarks/inference.py --device cuda --bf16 --json out.json
    python benchmarks/inference.py --quick              # a tiny smoke run (seconds)

Each model (the paper UNet: width 32, depth 4, 256 px windows; the default UNet: width 8, depth 3,
64 px windows) is first trained briefly on a synthetic tomogram (xrayseg.data.synthetic), so that
argmax agreement and pixel accuracy mean something; the timings do not depend on the weights. Then
one synthetic 501 x 501 test slice is predicted by every contender in turn, round after round
(alternating spreads a shared machine's load evenly), and the script prints per contender: median
and minimum seconds, the speed-up over MONAI (median of the per-round ratios), the FLOPs its
forward passes executed, the FLOP rate as a fraction of this machine's convolution peak (the
fastest of 3x3 convolutions with 64 / 128 / 256 channels on 512 / 256 / 128 px, eager and
pre-packed, timed in the same rounds), the largest logit difference from MONAI, argmax agreement
with MONAI and pixel accuracy against the labels.

Contenders (all fp32 unless named otherwise, xrayseg's `auto` precision pinned to fp32 so that no
ratio compares a bf16 run with an fp32 one; overlap 0.5, Gaussian weighting with sigma = 1/8 of
the window in both libraries):
  monai            monai.inferers.sliding_window_inference on the plain eval-mode network
                   (NCHW, batch norms as trained), as many windows per forward as xrayseg uses
  xrayseg plain    xrayseg.inference.predictor.Predictor, same window, NCHW, no fused convolutions
  xrayseg          Predictor with patch windows (the model's patch size) and its other defaults:
                   channels-last, fused pre-packed convolutions
  xrayseg slice    Predictor with window "slice": the whole slice in one window (padded to 512)
  monai slice      MONAI with the same whole-slice window (what the window alone gives MONAI)
  ... compiled     (--compile) torch.compile of the whole-slice network; compile time printed
  ... bf16         (--bf16) the same under bf16 autocast, for MONAI as for xrayseg: each bf16
                   contender's speed-up is over "monai bf16" (like with like) and, printed
                   beside it, over MONAI's fp32 default
"""

import argparse
import contextlib
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from machine import PEAK_SHAPES, alternate, conv_peak_functions, print_machine, write_json

from xrayseg.data.synthetic import image_phases, make_phases
from xrayseg.inference.fastforward import fold_batchnorms, inference_forward
from xrayseg.inference.predictor import Predictor
from xrayseg.inference.sliding_window import window_shape
from xrayseg.models import build_network
from xrayseg.models.checkpoint import Checkpoint, bare_header
from xrayseg.settings.inference import InferenceSettings
from xrayseg.training.data import PatchSet
from xrayseg.training.defaults import with_defaults
from xrayseg.training.loop import fit_network

# Optimiser steps of batch 8 on 64 px patches. Training the paper UNet on the CPU takes minutes
# (about 2.5 s per step on 2 cores), so the weights are cached (--cache) and reused by later runs.
TRAIN_STEPS = {"paper": 48, "default": 96, "tiny": 1}
# name: (width, depth, window = training patch size)
MODELS = {"paper": (32, 4, 256), "default": (8, 3, 64), "tiny": (4, 2, 32)}
SYNTHETIC = {
    "fractions": [0.30, 0.43, 0.27],
    "grey_means": [22700, 35000, 40900],
    "grey_stds": [2400, 1300, 1700],
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="paper,default", help=f"from {sorted(MODELS)}")
    parser.add_argument("--side", type=int, default=501, help="test slice side (px)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (each runs all)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--train-steps", type=int, default=None, help="default: per model")
    parser.add_argument(
        "--cache",
        default=str(Path(tempfile.gettempdir()) / "xrayseg-bench-checkpoints"),
        help="reuse trained weights from this folder ('' to always train)",
    )
    parser.add_argument("--compile", action="store_true", help="add torch.compile contenders")
    parser.add_argument("--bf16", action="store_true", help="add bf16 autocast contenders")
    parser.add_argument("--no-monai", action="store_true", help="xrayseg contenders only")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="tiny model, small slice, 1 round")
    args = parser.parse_args(argv)
    if args.quick:
        args.models, args.side, args.rounds = "tiny", 96, 1
        args.train_steps = 0 if args.train_steps is None else args.train_steps
    return args


def synthetic_stack(shape, seed, normalisation=None):
    """(images float32 normalised, labels int64) of a synthetic tomogram like the real data.
    The normalisation (low, high) comes from these images unless given."""
    feature = 13.0  # the real data's chord lengths (config/config.yaml: feature_size)
    phases = make_phases(shape, SYNTHETIC["fractions"], feature, seed)
    grey = image_phases(phases, SYNTHETIC["grey_means"], SYNTHETIC["grey_stds"], 2.0, 0.0, seed)
    if normalisation is None:
        normalisation = tuple(float(v) for v in np.percentile(grey, [0.5, 99.5]))
    low, high = normalisation
    images = ((grey - low) / (high - low)).astype(np.float32)
    return images, phases.astype(np.int64), normalisation


def grid_patches(images, labels, size):
    """Non-overlapping size x size patches of every slice, as a PatchSet."""
    depth, height, width = images.shape
    cut = (height // size) * size, (width // size) * size
    view = images[:, : cut[0], : cut[1]].reshape(depth, cut[0] // size, size, cut[1] // size, size)
    image_patches = view.transpose(0, 1, 3, 2, 4).reshape(-1, 1, size, size)
    label_view = labels[:, : cut[0], : cut[1]].reshape(
        depth, cut[0] // size, size, cut[1] // size, size
    )
    label_patches = label_view.transpose(0, 1, 3, 2, 4).reshape(-1, size, size)
    return PatchSet(torch.from_numpy(image_patches.copy()), torch.from_numpy(label_patches.copy()))


def unet_header(width, depth, window):
    """The checkpoint header of the benchmark's UNet predicting in `window` px windows."""
    return bare_header("unet", 3, {"width": width, "depth": depth, "dropout": 0.1}, window)


def trained_checkpoint(width, depth, window, steps, quick, device, seed=0):
    """A checkpoint of a UNet trained `steps` optimiser steps on 64 px (quick: window-sized)
    patches of a synthetic volume; returns (checkpoint, normalisation)."""
    header = unet_header(width, depth, window)
    torch.manual_seed(seed)
    network = build_network("unet", 3, 1, header.arch_args)
    if steps == 0:
        print("  untrained (random weights)", flush=True)
        return Checkpoint(header, network.state_dict()), None
    started = time.perf_counter()
    patch = window if quick else 64
    shape = (2, 2 * patch, 2 * patch) if quick else (6, 256, 256)
    images, labels, normalisation = synthetic_stack(shape, seed + 1)
    patches = grid_patches(images, labels, patch)
    settings = with_defaults(
        {
            "steps": steps,
            "val_every": steps,
            "batch_size": 8,
            "lr": 0.005,
            "optimizer": "adamw",
            "weight_decay": 1e-4,
            "precision": "fp32",
            "channels_last": True,
            "augment": False,
        }
    )
    state = fit_network(network, patches, patches, settings, device, seed)
    checkpoint = Checkpoint(header, state["best_weights"])
    last = state["history"][-1]
    print(
        f"  trained {steps} step(s) on {len(patches)} patches of {patch} px: train accuracy "
        f"{last['train_accuracy']:.3f} ({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    return checkpoint, normalisation


def forward_flops(network, in_channels, window, depth):
    """FLOPs (2 per multiply-add) of the convolutions of one forward pass on one window.

    Counted with hooks on a small probe input and scaled by area: in a fully convolutional UNet
    every layer's pixel count is a fixed fraction of the input's. Convolutions are all a UNet
    computes, up to a few percent of element-wise work (ReLU, pooling, concatenation)."""
    total = 0

    def count(module, inputs, output):
        nonlocal total
        kernel = module.kernel_size[0] * module.kernel_size[1]
        channels = module.in_channels * module.out_channels // module.groups
        pixels = inputs[0].shape[-2] * inputs[0].shape[-1]
        if isinstance(module, torch.nn.Conv2d):
            pixels = output.shape[-2] * output.shape[-1]
        total += 2 * channels * kernel * pixels * output.shape[0]

    probe = 4 * 2**depth
    network = copy.deepcopy(network).cpu().float().eval()
    convolutions = (torch.nn.Conv2d, torch.nn.ConvTranspose2d)
    hooks = [
        module.register_forward_hook(count)
        for module in network.modules()
        if isinstance(module, convolutions)
    ]
    with torch.no_grad():
        network(torch.zeros(1, in_channels, probe, probe))
    for hook in hooks:
        hook.remove()
    rows, cols = window_shape(window)
    return total * rows * cols / probe**2


class Counted:
    """Wrap a batch function and count the windows it sees."""

    def __init__(self, function):
        self.function = function
        self.windows = 0

    def __call__(self, batch, *args, **kwargs):
        self.windows += batch.shape[0]
        return self.function(batch, *args, **kwargs)


def plain_network(checkpoint, device):
    network = build_network("unet", 3, 1, checkpoint.header.arch_args)
    network.load_state_dict(checkpoint.payload)
    return network.eval().to(device)


def xrayseg_contender(checkpoint, device, settings, shape, forward=None):
    """(predict function image -> logits numpy, counter, window, batch) for one setting on
    slices of `shape` (height, width)."""
    predictor = Predictor(checkpoint, device, settings)
    if forward is not None:
        predictor.forward = forward
    counter = Counted(predictor.forward)
    predictor.forward = counter

    def predict(image):
        return predictor.scores(image)

    window = predictor.window_for(*shape)
    return predict, counter, window, predictor.batch_for(window)


def monai_contender(network, device, window, batch, padding_mode="constant", dtype=None):
    from monai.inferers import sliding_window_inference

    counter = Counted(network)

    def predict(image):
        tensor = torch.from_numpy(image)[None].to(device)
        autocast = (
            torch.autocast(torch.device(device).type, dtype=dtype)
            if dtype is not None
            else contextlib.nullcontext()
        )
        with torch.no_grad(), autocast:
            out = sliding_window_inference(
                tensor,
                window_shape(window),
                batch,
                counter,
                overlap=0.5,
                mode="gaussian",
                sigma_scale=0.125,
                padding_mode=padding_mode,
            )
        return out[0].float().cpu().numpy()

    return predict, counter, window, batch


def monai_starts(length, window, overlap):
    """Window starts along one axis as monai.data.utils.dense_patch_slices places them: a fixed
    step of int(window * (1 - overlap)), the last window pushed back inside the image."""
    step = window if length == window else max(1, int(window * (1 - overlap)))
    count = next(d for d in range(length) if d * step + window >= length) + 1
    return [min(i * step, length - window) for i in range(count)]


def stitching_check(contender, image, monai_output, window):
    """Largest logit difference from MONAI when xrayseg's stitching uses MONAI's window starts
    and MONAI's importance map (its Gaussian floored at 1e-3): the two implementations then do
    the same arithmetic, so what remains is rounding (and batch-norm folding)."""
    from monai.data.utils import compute_importance_map

    from xrayseg.inference import sliding_window as xrayseg_inference

    saved = xrayseg_inference.window_starts, xrayseg_inference.gaussian_importance

    def importance(window, sigma_scale):
        return compute_importance_map(window_shape(window), "gaussian", sigma_scale).numpy()

    xrayseg_inference._stitch_weights.cache_clear()
    xrayseg_inference.window_starts = monai_starts
    xrayseg_inference.gaussian_importance = importance
    try:
        matched = contender[0](image)
    finally:
        xrayseg_inference.window_starts, xrayseg_inference.gaussian_importance = saved
        xrayseg_inference._stitch_weights.cache_clear()
    return float(np.abs(matched - monai_output).max())


def compiled_forward(checkpoint, device):
    """(batch function, compile seconds) of torch.compile on the folded channels-last network;
    the compile happens on the first call, timed here on a dummy slice-sized batch."""
    import torch._inductor.config as inductor_config

    inductor_config.freezing = True  # constant-fold the weights: oneDNN packing, as in cpufusion
    network = fold_batchnorms(plain_network(checkpoint, device)).to(
        memory_format=torch.channels_last
    )
    compiled = torch.compile(network, dynamic=False)

    def forward(batch):
        batch = batch.to(device).contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            return compiled(batch).float()

    return forward


def benchmark_model(name, args, device, monai_available):
    width, depth, window = MODELS[name]
    steps = args.train_steps
    if steps is None:
        steps = TRAIN_STEPS[name]
    print(f"\n-- {name} UNet: width {width}, depth {depth}, window {window} px", flush=True)
    cache = Path(args.cache) / f"{name}_{steps}steps.pt" if args.cache and steps else None
    if cache is not None and cache.exists():
        weights, normalisation = torch.load(cache, weights_only=True)
        checkpoint = Checkpoint(unet_header(width, depth, window), weights)
        print(f"  trained weights from {cache} ({steps} steps)", flush=True)
    else:
        checkpoint, normalisation = trained_checkpoint(
            width, depth, window, steps, args.quick, device
        )
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            torch.save((checkpoint.payload, normalisation), cache)
    images, labels, _ = synthetic_stack((1, args.side, args.side), 99, normalisation)
    image, label = images[:1], labels[0]
    shape = image.shape[-2:]
    network = plain_network(checkpoint, device)
    contenders = {}
    fp32 = InferenceSettings(window="patch", precision="fp32")
    placeholder = Predictor(checkpoint, device, fp32)
    xr_window = placeholder.window_for(*shape)
    xr_batch = placeholder.batch_for(xr_window)
    if monai_available:
        contenders["monai"] = monai_contender(network, device, xr_window, xr_batch)
    plain = inference_forward(network, device, fuse_convolutions=False)
    contenders["xrayseg plain"] = xrayseg_contender(
        checkpoint,
        device,
        InferenceSettings(window="patch", channels_last=False, precision="fp32"),
        shape,
        forward=plain,
    )
    contenders["xrayseg"] = xrayseg_contender(checkpoint, device, fp32, shape)
    slice_settings = InferenceSettings(window="slice", precision="fp32")
    contenders["xrayseg slice"] = xrayseg_contender(checkpoint, device, slice_settings, shape)
    slice_window = contenders["xrayseg slice"][2]
    if monai_available:
        contenders["monai slice"] = monai_contender(
            network, device, slice_window, 1, padding_mode="reflect"
        )
    if args.bf16:
        # MONAI under the same autocast as xrayseg's bf16, so that bf16 compares with bf16.
        if monai_available:
            contenders["monai bf16"] = monai_contender(
                network, device, xr_window, xr_batch, dtype=torch.bfloat16
            )
        contenders["xrayseg bf16"] = xrayseg_contender(
            checkpoint, device, InferenceSettings(window="patch", precision="bf16"), shape
        )
        if monai_available:
            contenders["monai slice bf16"] = monai_contender(
                network, device, slice_window, 1, padding_mode="reflect", dtype=torch.bfloat16
            )
        contenders["xrayseg slice bf16"] = xrayseg_contender(
            checkpoint, device, InferenceSettings(window="slice", precision="bf16"), shape
        )
    compile_seconds = None
    if args.compile:
        forward = compiled_forward(checkpoint, device)
        contender = xrayseg_contender(checkpoint, device, slice_settings, shape, forward=forward)
        started = time.perf_counter()
        contender[0](image)
        compile_seconds = time.perf_counter() - started
        contenders["xrayseg slice compiled"] = contender
    # One untimed pass per contender: outputs for agreement, window counts for FLOPs.
    for contender in contenders.values():
        contender[1].windows = 0
    outputs = {key: contender[0](image) for key, contender in contenders.items()}
    windows = {key: contender[1].windows for key, contender in contenders.items()}
    matched = None
    if "monai" in contenders:
        matched = stitching_check(
            contenders["xrayseg plain"], image, outputs["monai"], contenders["monai"][2]
        )
        print(
            f"  stitching check: with MONAI's window starts and importance map, xrayseg plain "
            f"gives MONAI's logits to max |d| = {matched:.2e} (logits span "
            f"{float(outputs['monai'].min()):.1f} .. {float(outputs['monai'].max()):.1f})",
            flush=True,
        )
    conv_batch = 16 if device.type == "cuda" else 1  # long enough to time on a GPU
    peak = conv_peak_functions(device, ((16, 128),) if args.quick else PEAK_SHAPES, conv_batch)
    functions = {key: (lambda c=contender: c[0](image)) for key, contender in contenders.items()}
    functions.update({key: function for key, (function, _) in peak.items()})
    seconds = alternate(functions, args.rounds, device, warmup=0)
    rates = {key: flops / statistics.median(seconds[key]) for key, (_, flops) in peak.items()}
    peak_name = max(rates, key=rates.get)
    peak_rate = rates[peak_name]
    best_rate = peak[peak_name][1] / min(seconds[peak_name])
    reference = "monai" if "monai" in contenders else "xrayseg plain"
    rows = []
    for key, contender in contenders.items():
        window_side = contender[2]
        flops = forward_flops(network, 1, window_side, depth) * windows[key]
        times = seconds[key]
        median = statistics.median(times)
        ratios = [r / t for r, t in zip(seconds[reference], times, strict=True)]
        # Like with like: a bf16 contender against MONAI's bf16 run (its fp32 default otherwise).
        same = f"{reference} bf16" if key.endswith("bf16") else reference
        same = same if same in contenders else reference
        same_ratios = [r / t for r, t in zip(seconds[same], times, strict=True)]
        out = outputs[key]
        rows.append(
            {
                "model": name,
                "contender": key,
                "precision": "bf16" if key.endswith("bf16") else "fp32",
                "window": "x".join(str(side) for side in window_shape(window_side)),
                "windows": windows[key],
                "windows_per_forward": contender[3],
                "median_s": median,
                "min_s": min(times),
                "speedup_vs_" + reference.replace(" ", "_"): statistics.median(ratios),
                "same_precision_reference": same,
                "speedup_same_precision": statistics.median(same_ratios),
                "gflop": flops / 1e9,
                "gflop_per_s": flops / median / 1e9,
                "fraction_of_conv_peak": flops / median / peak_rate,
                "max_abs_logit_diff": float(np.abs(out - outputs[reference]).max()),
                "argmax_agreement": float((out.argmax(0) == outputs[reference].argmax(0)).mean()),
                "accuracy": float((out.argmax(0) == label).mean()),
            }
        )
    print(
        f"  conv peak: {peak_rate / 1e9:.1f} GFLOP/s median ({best_rate / 1e9:.1f} best) by "
        f"{peak_name} (3x3, batch {conv_batch}); all: "
        + ", ".join(f"{key} {rate / 1e9:.1f}" for key, rate in rates.items()),
        flush=True,
    )
    if compile_seconds is not None:
        row = next(r for r in rows if r["contender"] == "xrayseg slice compiled")
        eager = next(r for r in rows if r["contender"] == "xrayseg slice")
        saved = eager["median_s"] - row["median_s"]
        breakeven = compile_seconds / saved if saved > 0 else float("inf")
        print(
            f"  torch.compile: first call {compile_seconds:.1f} s; saves {saved:.3f} s per slice, "
            f"so it pays back after {breakeven:.0f} slices",
            flush=True,
        )
    print_table(rows, reference)
    return rows, {
        "stitching_check_max_abs_diff": matched,
        "conv_peak_gflop_per_s": peak_rate / 1e9,
        "conv_peak_variant": peak_name,
        "conv_rates_gflop_per_s": {key: rate / 1e9 for key, rate in rates.items()},
        "compile_seconds": compile_seconds,
    }


def print_table(rows, reference):
    speed_key = "speedup_vs_" + reference.replace(" ", "_")
    print(
        f"  {'contender':24s} {'prec':>4s} {'window':>7s} {'wins':>5s} {'median s':>9s} "
        f"{'min s':>7s} {'x ' + reference:>9s} {'x same':>7s} {'GFLOP':>7s} {'GFLOP/s':>8s} "
        f"{'%peak':>6s} {'max|dlogit|':>11s} {'agree':>6s} {'acc':>6s}",
        flush=True,
    )
    for row in rows:
        print(
            f"  {row['contender']:24s} {row['precision']:>4s} {row['window']:>7s} "
            f"{row['windows']:5d} {row['median_s']:9.3f} {row['min_s']:7.3f} "
            f"{row[speed_key]:9.2f} {row['speedup_same_precision']:7.2f} "
            f"{row['gflop']:7.1f} {row['gflop_per_s']:8.1f} "
            f"{100 * row['fraction_of_conv_peak']:6.1f} {row['max_abs_logit_diff']:11.4f} "
            f"{row['argmax_agreement']:6.4f} {row['accuracy']:6.4f}",
            flush=True,
        )
    print(
        f"  x {reference}: speed-up over {reference} in fp32; x same: over {reference} in the "
        "row's own precision (bf16 rows: over MONAI under the same bf16 autocast)",
        flush=True,
    )


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    machine = print_machine("inference benchmark: xrayseg vs MONAI sliding windows", device)
    monai_available = False
    if not args.no_monai:
        try:
            import monai

            monai_available = True
            print(f"monai {monai.__version__}", flush=True)
        except ImportError:
            print(
                "monai is not installed (pip install -r benchmarks/requirements.txt): "
                "xrayseg contenders only",
                flush=True,
            )
    results, extras = [], {}
    for name in args.models.split(","):
        if name not in MODELS:
            sys.exit(f"unknown model {name!r}; known: {sorted(MODELS)}")
        rows, extra = benchmark_model(name, args, device, monai_available)
        results.extend(rows)
        extras[name] = extra
    write_json(args.json, {"machine": machine, "results": results, "models": extras})
    return results


if __name__ == "__main__":
    main()
