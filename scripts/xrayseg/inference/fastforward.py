"""Make a trained torch network fast to apply: fold batch norms, pick precision and memory layout.

Nothing here changes what a network computes beyond rounding: batch norms in eval mode are affine
maps, so folding them into the preceding convolution (or linear layer) gives the same logits to
~1e-6 with one memory pass fewer per layer. bf16 autocast and channels-last are options because
their gain depends on the hardware (GPUs and CPUs with native bf16 gain; AVX2-only CPUs lose).
"""

import copy

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

from xrayseg.inference.cpufusion import fused_forward
from xrayseg.inference.sliding_window import flip_averaged
from xrayseg.models.device import CHANNELS_LAST, network_memory_format


def fold_batchnorms(network):
    """A copy of an eval-mode network with every BatchNorm that directly follows a convolution
    (2-D or 3-D, transposed or not) or Linear inside an nn.Sequential folded into that layer."""
    network = copy.deepcopy(network).eval()
    for module in network.modules():
        if not isinstance(module, nn.Sequential):
            continue
        children = list(module._modules.items())
        for (layer_name, layer), (norm_name, norm) in zip(children, children[1:], strict=False):
            if isinstance(norm, nn.BatchNorm2d | nn.BatchNorm3d) and isinstance(
                layer, nn.Conv2d | nn.ConvTranspose2d | nn.Conv3d | nn.ConvTranspose3d
            ):
                transpose = isinstance(layer, nn.ConvTranspose2d | nn.ConvTranspose3d)
                module._modules[layer_name] = fuse_conv_bn_eval(layer, norm, transpose)
            elif isinstance(norm, nn.BatchNorm1d) and isinstance(layer, nn.Linear):
                module._modules[layer_name] = fuse_linear_bn_eval(layer, norm)
            else:
                continue
            module._modules[norm_name] = nn.Identity()
    return network


def inference_forward(
    network, device, bf16=False, channels_last=False, flip_tta=False, fuse_convolutions=True
):
    """A function batch -> float32 logits applying `network` the fast way on `device`.

    bf16: autocast to bfloat16 (logits come back as float32). channels_last: NHWC memory layout
    (NDHWC for a 3-D network's 5-D inputs). flip_tta: average the logits over the four flips
    of each batch.
    fuse_convolutions: in fp32 on the CPU, run convolutions + ReLUs as fused oneDNN calls with
    pre-packed weights (xrayseg.inference.cpufusion; same logits, less memory traffic).
    """
    device = torch.device(device)
    network = fold_batchnorms(network).to(device)
    if channels_last:
        network = network.to(memory_format=network_memory_format(network))
    run = network
    if fuse_convolutions and device.type == "cpu" and not bf16:
        run = fused_forward(network)

    def forward(batch):
        batch = batch.to(device, non_blocking=True)
        if channels_last and batch.dim() in CHANNELS_LAST:
            batch = batch.contiguous(memory_format=CHANNELS_LAST[batch.dim()])
        with (
            torch.no_grad(),
            torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16),
        ):
            return run(batch).float()

    return flip_averaged(forward) if flip_tta else forward
