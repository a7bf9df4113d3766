"""Checkpoints made by hand for the tests of their readers."""

import dataclasses

from xrayseg.models.checkpoint import Checkpoint, bare_header


def checkpoint_of(
    arch,
    payload,
    arch_args=None,
    patch_size=None,
    context=0,
    patch_depth=None,
    n_classes=3,
    **fields,
):
    """A Checkpoint of `payload` (a state dict, or a pixel model's params) with a bare header
    (xrayseg.models.checkpoint.bare_header); `fields` replace any of the header's fields."""
    header = bare_header(arch, n_classes, arch_args, patch_size, context, patch_depth)
    return Checkpoint(dataclasses.replace(header, **fields), payload)
