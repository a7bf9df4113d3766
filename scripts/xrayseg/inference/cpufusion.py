"""Convolution + ReLU fusion with pre-packed oneDNN weights, for fp32 inference on the CPU.

What torch.compile's CPU freezing pass does, without its compile time (30-50 s on 2 cores): each
Conv2d / ConvTranspose2d of an eval-mode network (batch norms folded first) runs as one oneDNN
convolution with the following ReLU applied as a post-op, and its weights are reordered once into
oneDNN's blocked layout instead of on every call. The arithmetic is the same, so the logits equal
the eager network's (bit for bit in the tests); what goes is one memory pass per ReLU and the
per-call weight reorder. On a 2-core AVX2 CPU this makes the width-8 UNet ~1.5x faster on a whole
slice and ~1.2x in 64 px windows; the compute-bound width-32 UNet gains nothing measurable.

The oneDNN ops are the ones torch.compile calls, but torch does not document them: if they are
missing, raise, or disagree with the eager network on the first batch, the eager network is used
from then on (with a warning in the log).
"""

import copy
import logging

import torch
from torch import nn

log = logging.getLogger(__name__)

CONVOLUTIONS = (nn.Conv2d, nn.ConvTranspose2d)


def fusion_available():
    """Whether this torch build has the oneDNN ops the fused convolutions need."""
    mkldnn = getattr(torch.ops, "mkldnn", None)
    try:
        return bool(
            torch.backends.mkldnn.is_available()
            and mkldnn._convolution_pointwise
            and mkldnn._convolution_transpose_pointwise
            and mkldnn._reorder_convolution_transpose_weight
            and torch._C._nn.mkldnn_reorder_conv2d_weight
        )
    except (AttributeError, RuntimeError):
        return False


class PackedConvolution(nn.Module):
    """A Conv2d or ConvTranspose2d (optionally followed by a ReLU) as one oneDNN call.

    The weights are packed on the first call, for that call's input shape (oneDNN picks its
    layout by shape); inputs of other shapes give the same results.
    """

    def __init__(self, conv, relu):
        super().__init__()
        if conv.padding_mode != "zeros" or isinstance(conv.padding, str):
            raise ValueError(f"cannot pack {conv}: only numeric zero padding")
        self.transposed = isinstance(conv, nn.ConvTranspose2d)
        self.padding = list(conv.padding)
        self.stride = list(conv.stride)
        self.dilation = list(conv.dilation)
        self.groups = conv.groups
        self.output_padding = list(conv.output_padding) if self.transposed else None
        self.attr = "relu" if relu else "none"
        self.weight = conv.weight.detach().clone()
        self.bias = None if conv.bias is None else conv.bias.detach().clone()
        self.packed = None

    def pack(self, shape):
        if self.transposed:
            return torch.ops.mkldnn._reorder_convolution_transpose_weight(
                self.weight,
                self.padding,
                self.output_padding,
                self.stride,
                self.dilation,
                self.groups,
                list(shape),
            )
        return torch._C._nn.mkldnn_reorder_conv2d_weight(
            self.weight.to_mkldnn(),
            self.padding,
            self.stride,
            self.dilation,
            self.groups,
            list(shape),
        )

    def forward(self, images):
        if self.packed is None:
            self.packed = self.pack(images.shape)
        if self.transposed:
            return torch.ops.mkldnn._convolution_transpose_pointwise(
                images,
                self.packed,
                self.bias,
                self.padding,
                self.output_padding,
                self.stride,
                self.dilation,
                self.groups,
                self.attr,
                [],
                "",
            )
        return torch.ops.mkldnn._convolution_pointwise(
            images,
            self.packed,
            self.bias,
            self.padding,
            self.stride,
            self.dilation,
            self.groups,
            self.attr,
            [],
            "",
        )


def pack_convolutions(network):
    """A copy of an eval-mode network with every Conv2d and ConvTranspose2d as a
    PackedConvolution; inside an nn.Sequential each absorbs a ReLU that follows it (nn.Identity
    in between, as batch-norm folding leaves, is skipped)."""
    network = copy.deepcopy(network).eval()
    for module in list(network.modules()):
        names = list(module._modules)
        for position, name in enumerate(names):
            layer = module._modules[name]
            if not isinstance(layer, CONVOLUTIONS):
                continue
            relu_name = None
            if isinstance(module, nn.Sequential):
                following = position + 1
                while following < len(names) and isinstance(
                    module._modules[names[following]], nn.Identity
                ):
                    following += 1
                if following < len(names) and isinstance(
                    module._modules[names[following]], nn.ReLU
                ):
                    relu_name = names[following]
            module._modules[name] = PackedConvolution(layer, relu=relu_name is not None)
            if relu_name is not None:
                module._modules[relu_name] = nn.Identity()
    return network


def fused_forward(network):
    """A function batch -> output running `network` (eval mode, on the CPU, fp32) with packed,
    ReLU-fused convolutions; falls back to the network itself when that is impossible or does not
    reproduce it. Call it under torch.no_grad()."""
    if not fusion_available():
        log.info("oneDNN fused convolutions unavailable in this torch build; running eagerly")
        return network
    try:
        fused = pack_convolutions(network)
    except (RuntimeError, ValueError) as error:
        log.warning("cannot fuse the network's convolutions (%s); running eagerly", error)
        return network
    state = {"checked": False, "use": fused}

    def forward(batch):
        if state["checked"]:
            return state["use"](batch)
        state["checked"] = True
        # Check once, on one sample of the first real batch, that the fused network computes
        # what the network computes.
        probe = batch[:1]
        try:
            expected, found = network(probe), fused(probe)
        except RuntimeError as error:
            log.warning("fused convolutions failed (%s); running eagerly", error)
            state["use"] = network
        else:
            tolerance = 1e-5 * float(expected.abs().max()) + 1e-6
            if expected.shape != found.shape or not torch.allclose(
                found, expected, rtol=1e-4, atol=tolerance
            ):
                log.warning("fused convolutions disagree with the network; running eagerly")
                state["use"] = network
        return state["use"](batch)

    return forward
