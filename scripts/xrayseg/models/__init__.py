"""Models: the registry (config `arch` name -> how to build and train it), checkpoints, devices.

Entry: spec_for, build_network (here); checkpoint.save_checkpoint / load_checkpoint (one file per
trained model, written by training, read by evaluation and prediction); device.pick_device (the
config's `device`, auto: CUDA when present).

Adding a model is one new file here with a `SPEC` and one line in `REGISTRY`, plus a config entry.
`kind` says which training path a model takes: "torch" (trained on patches by the training loop)
or "pixel" (a classic per-pixel classifier fitted on train slices directly);
xrayseg.settings.models.PATCH_ARCHS lists the torch kind for the rules.
"""

from xrayseg.models import dnn, rf, threshold, unet, unet3d

REGISTRY = {
    "dnn": dnn.SPEC,
    "unet": unet.SPEC,
    "unet3d": unet3d.SPEC,
    "threshold": threshold.SPEC,
    "rf": rf.SPEC,
}


def spec_for(arch):
    """The registry entry for an architecture name; ValueError lists the known names."""
    if arch not in REGISTRY:
        raise ValueError(f"unknown model arch {arch!r}; known: {sorted(REGISTRY)}")
    return REGISTRY[arch]


def build_network(arch, n_classes, in_channels, arch_args):
    """A torch network for a registered torch architecture."""
    spec = spec_for(arch)
    return spec.build(n_classes=n_classes, in_channels=in_channels, **arch_args)


def count_parameters(network):
    """Trainable parameter count of a torch network."""
    return sum(p.numel() for p in network.parameters() if p.requires_grad)
