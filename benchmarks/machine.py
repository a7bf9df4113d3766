"""What every benchmark shares: the machine description, alternating timing, a conv peak.

Import it from a script in benchmarks/ (Python puts the script's folder on sys.path); importing it
also puts scripts/ on sys.path so `import xrayseg` works without installing anything.
"""

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "scripts") not in sys.path:
    sys.path.insert(0, str(REPO / "scripts"))


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (platform.processor() elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags():
    """The vector extensions that matter for convolutions (AVX2, AVX-512, AMX, bf16)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = line.split(":", 1)[1].split()
            wanted = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
            return [flag for flag in wanted if flag in flags]
    return []


def load_average():
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def machine_info(device="cpu"):
    """A dict describing where the figures come from."""
    import torch

    info = {
        "cpu": cpu_model(),
        "cpu_flags": cpu_flags(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average": [round(x, 2) for x in load_average()],
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
    }
    if str(device).startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
        info["cuda"] = torch.version.cuda
    return info


def print_machine(title, device="cpu"):
    """Print the header every benchmark starts with; returns the machine dict."""
    info = machine_info(device)
    flags = ",".join(info["cpu_flags"]) or "none of avx2/avx512/amx"
    print(f"== {title}", flush=True)
    print(
        f"machine: {info['cpu']} ({flags}), {info['usable_cores']} usable of "
        f"{info['logical_cores']} logical cores, load average "
        f"{' '.join(f'{x:.2f}' for x in info['load_average'])}",
        flush=True,
    )
    gpu = f", GPU {info['gpu']} (CUDA {info['cuda']})" if "gpu" in info else ""
    print(
        f"python {info['python']}, torch {info['torch']}, {info['torch_threads']} torch "
        f"thread(s), device {info['device']}{gpu}",
        flush=True,
    )
    return info


def synchronize(device):
    import torch

    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def alternate(functions, rounds, device="cpu", warmup=1):
    """Run every function once per round, in turn, `rounds` times (after `warmup` untimed
    rounds); returns {name: [wall seconds, ...]}. Alternating spreads a shared machine's changing
    load evenly over the contenders, so their ratios stay fair."""
    for _ in range(warmup):
        for function in functions.values():
            function()
            synchronize(device)
    seconds = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            synchronize(device)
            started = time.perf_counter()
            function()
            synchronize(device)
            seconds[name].append(time.perf_counter() - started)
    return seconds


def summary(times):
    """(median, min) of a list of seconds."""
    return statistics.median(times), min(times)


def conv_flops(channels, side, batch):
    """FLOPs of one 3x3 convolution, `channels` in and out, on batch x side x side."""
    return 2 * channels * channels * 9 * side * side * batch


# (channels, side): 3x3 convolutions of the same FLOPs (19.3 G) at the shapes a UNet's levels have.
PEAK_SHAPES = ((64, 512), (128, 256), (256, 128))


def conv_peak_functions(device="cpu", shapes=PEAK_SHAPES, batch=1):
    """{name: (function, FLOPs)} timing large 3x3 convolutions, channels-last, the ways torch
    offers on `device` (eager and pre-packed oneDNN on the CPU; fp32 and bf16 on a GPU). The
    fastest FLOP rate among them is this machine's practical convolution peak."""
    import torch

    from xrayseg.inference.cpufusion import fused_forward

    functions = {}
    for channels, side in shapes:
        torch.manual_seed(0)
        conv = torch.nn.Conv2d(channels, channels, 3, padding=1, bias=False).eval().to(device)
        conv = conv.to(memory_format=torch.channels_last)
        images = torch.randn(batch, channels, side, side, device=device)
        images = images.contiguous(memory_format=torch.channels_last)
        flops = conv_flops(channels, side, batch)
        label = f"{channels}ch {side}px"
        variants = {f"conv {label}": conv}
        if str(device) == "cpu":
            variants[f"conv {label} packed"] = fused_forward(torch.nn.Sequential(conv))
        else:
            variants[f"conv {label} bf16"] = _bf16(conv, device)
        for name, function in variants.items():

            def run(function=function, images=images):
                with torch.no_grad():
                    function(images)

            run()  # packs weights, checks the packing, picks kernels: not part of the timing
            functions[name] = (run, flops)
    return functions


def _bf16(network, device):
    import torch

    def run(images):
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16):
            return network(images)

    return run


def write_json(path, payload):
    """Write figures as JSON (for the device check and the README)."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(payload, indent=2, default=str))
