"""Which torch device a job runs on, in which precision and memory layout.

The same choice for training, evaluation and prediction."""

import functools
import logging
from pathlib import Path

import torch

from xrayseg.io.errors import InputError
from xrayseg.settings.startchecks import device_problem

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
# CPU features that make bf16 convolutions fast through oneDNN: AMX tiles (Sapphire Rapids and
# later) or AVX512-BF16 (Cooper Lake, Zen 4 and later). Without them bf16 is emulated and about
# 10x slower than fp32 (measured on an AVX2-only EPYC).
NATIVE_BF16_FLAGS = ("amx_bf16", "avx512_bf16")
CPUINFO = Path("/proc/cpuinfo")


def pick_device(requested="auto"):
    """cuda when present (or asked for), else cpu. Asking for a CUDA device this machine lacks
    is an InputError naming the `device` key."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    problem = device_problem(requested, count, torch.__version__)
    if problem:
        raise InputError(problem)
    return torch.device(requested)


@functools.cache
def cpu_has_native_bf16():
    """True when this CPU runs bf16 natively (NATIVE_BF16_FLAGS), checked at run time.

    Asked of torch.cpu.get_capabilities() (torch's cpuinfo, the same detection torch's own
    kernels dispatch on). Every CPU with AMX also has AVX512-BF16, which
    oneDNN uses where the kernel leaves AMX off, so either flag means fast bf16. Where that call
    is missing or fails, the Linux kernel's /proc/cpuinfo flags decide; with neither, the answer
    is no, which costs speed, never correctness.
    """
    capabilities = _torch_cpu_capabilities()
    if capabilities is not None:
        return any(bool(capabilities.get(flag, False)) for flag in NATIVE_BF16_FLAGS)
    return bool(_cpuinfo_flags() & set(NATIVE_BF16_FLAGS))


def _torch_cpu_capabilities():
    get = getattr(getattr(torch, "cpu", None), "get_capabilities", None)
    if get is None:
        return None
    try:
        return dict(get())
    except Exception as error:  # a cpuinfo failure must not stop a job
        log.warning("torch.cpu.get_capabilities() failed (%s); reading %s", error, CPUINFO)
        return None


def _cpuinfo_flags():
    try:
        text = CPUINFO.read_text()
    except OSError:
        return set()
    return {
        flag
        for line in text.splitlines()
        if line.startswith("flags")
        for flag in line.partition(":")[2].split()
    }


def resolve_precision(name, device, fp16=True, key="training.precision", training_3d=False):
    """The concrete precision (fp32, bf16 or fp16) a setting means on a device.

    auto: bf16 on a CUDA card that supports it, else fp16 (or fp32 where `fp16` is False, as
    for prediction); on the CPU bf16 when it runs natively (cpu_has_native_bf16), else fp32 —
    and fp32 for training a 3-D network on the CPU (training_3d): torch 2.13's bf16 backward of
    Conv3d on the CPU returns NaN or values near 1e36 for inputs two slices deep, as a 3-D UNet's
    deepest level gets (measured on an AVX512-BF16 EPYC; forward passes are fine).
    `key` names the setting in errors.
    """
    device = torch.device(device)
    known = PRECISIONS if fp16 else tuple(p for p in PRECISIONS if p != "fp16")
    if name not in known:
        raise ValueError(f"{key}: unknown {name!r}; known: {list(known)}")
    if name != "auto":
        return name
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return "bf16"
        return "fp16" if fp16 else "fp32"
    if device.type == "cpu" and cpu_has_native_bf16() and not training_3d:
        return "bf16"
    return "fp32"


# The channels-last memory format of a batch or weight tensor with this many dimensions.
CHANNELS_LAST = {4: torch.channels_last, 5: torch.channels_last_3d}


def network_memory_format(network):
    """channels_last_3d for a network with 3-D convolution weights (5-D tensors), else
    channels_last (torch refuses channels_last on 5-D tensors)."""
    if any(parameter.dim() == 5 for parameter in network.parameters()):
        return torch.channels_last_3d
    return torch.channels_last


def describe_precision(name, resolved, device, training_3d=False):
    """A log phrase: the precision used, and why when `auto` chose it."""
    if name != "auto":
        return resolved
    device = torch.device(device)
    if device.type == "cpu" and training_3d and cpu_has_native_bf16():
        why = "3-D training on the CPU: bf16 Conv3d gradients are unreliable in this torch"
    elif device.type == "cpu":
        why = "native bf16 on this CPU" if resolved == "bf16" else "no native bf16 on this CPU"
    else:
        why = f"on {device.type}"
    return f"{resolved} (auto: {why})"
