"""Models: the code of each catalogued architecture, checkpoints and the device they run on.

Entry: spec_for, build_network, fit_pixel_model (here); checkpoint.save_checkpoint /
load_checkpoint (one file per trained model, written by training, read by evaluation and
prediction); device.pick_device (the config's `device`, auto: CUDA when present).

What an architecture is (kind, dimensions, arguments and their defaults) is declared once, in
xrayseg.settings.architectures.CATALOGUE; its code lives in the module of the same name here,
whose SPEC the registry binds. Adding an architecture: its module, imported below; its catalogue
entry; a model in the config.
"""

from xrayseg.models import dnn, rf, threshold, unet, unet3d
from xrayseg.settings.architectures import CATALOGUE, architecture

# The module of every architecture, by name (the import above is what makes codedeps list them
# as the code of the jobs that build or fit a model).
_MODULES = {
    module.__name__.rsplit(".", 1)[-1]: module for module in (dnn, rf, threshold, unet, unet3d)
}
_unbound = [name for name in CATALOGUE if name not in _MODULES]
if _unbound:
    raise ImportError(
        f"catalogued architectures without a module in xrayseg.models: {', '.join(_unbound)}; "
        "import each in xrayseg/models/__init__.py"
    )
REGISTRY = {name: _MODULES[name].SPEC for name in CATALOGUE}


def spec_for(arch):
    """The code of an architecture name; ValueError lists the known names."""
    architecture(arch)
    return REGISTRY[arch]


def build_network(arch, n_classes, in_channels, arch_args):
    """A torch network of a catalogued torch architecture; arguments arch_args leaves out take
    the catalogue's defaults."""
    arguments = architecture(arch).arguments_of(arch_args)
    return spec_for(arch).build(n_classes=n_classes, in_channels=in_channels, **arguments)


def fit_pixel_model(arch, raw_slices, label_slices, n_classes, arch_args, seed=0, threads=1):
    """The params of a catalogued pixel architecture fitted on train slices; arguments arch_args
    leaves out take the catalogue's defaults."""
    arguments = architecture(arch).arguments_of(arch_args)
    return spec_for(arch).fit(
        raw_slices, label_slices, n_classes, seed=seed, threads=threads, **arguments
    )


def count_parameters(network):
    """Trainable parameter count of a torch network."""
    return sum(p.numel() for p in network.parameters() if p.requires_grad)
