"""Numeric precision and memory layout of training.

precision: fp32; bf16 (autocast to bfloat16, CPU or CUDA); fp16 (autocast to float16 with a
gradient scaler, CUDA); auto (xrayseg.models.device.resolve_precision: bf16 on a CUDA card that
supports it, else fp16 on CUDA; bf16 on a CPU with native bf16 (AMX or AVX512-BF16), else fp32).
channels_last stores activations as NHWC (NDHWC for a 3-D network: channels_last_3d), which
convolutions on tensor cores (and oneDNN on the CPU) prefer; measured on a 2-core AVX2 CPU, a
width-8 3-D UNet trains 1.5x faster in NDHWC.
"""

import contextlib

import torch

from xrayseg.models.device import CHANNELS_LAST, network_memory_format, resolve_precision


class Precision:
    """autocast() context, grad_scaler() and layout() for one device and precision setting."""

    def __init__(self, name, device, channels_last=False, training_3d=False):
        self.device = torch.device(device)
        self.name = resolve_precision(name, self.device, training_3d=training_3d)
        self.channels_last = bool(channels_last)

    @property
    def dtype(self):
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.name)

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.dtype)

    def grad_scaler(self):
        """Loss scaling keeps fp16 gradients from underflowing; a no-op otherwise."""
        return torch.amp.GradScaler(self.device.type, enabled=self.name == "fp16")

    def prepare(self, network):
        if self.channels_last:
            network.to(memory_format=network_memory_format(network))
        return network

    def layout(self, images):
        if self.channels_last and images.dim() in CHANNELS_LAST:
            return images.contiguous(memory_format=CHANNELS_LAST[images.dim()])
        return images
