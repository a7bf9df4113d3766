"""The checks every raw slice passes, in ingest and in predict alike.

Greyscale, 2-D, the size of the first slice, finite grey values. Errors name the slice's file and
its data spec."""

import numpy as np

from xrayseg.io.errors import InputError


def grey_slice(source, z, shape=None):
    """Slice z of a SliceSource as a 2-D greyscale array, checked against `shape` (the first
    slice's): a colour image whose channels are equal is taken as grey, any other is an error."""
    pixels = source.read(z)
    where = f"{source.name(z)} ({source.spec})"
    if pixels.ndim == 3 and pixels.shape[-1] in (3, 4):
        if (
            not (pixels[..., 0] == pixels[..., 1]).all()
            or not (pixels[..., 0] == pixels[..., 2]).all()
        ):
            raise InputError(
                f"{where}: raw slice is a colour image (shape {pixels.shape}); save the scans "
                "as greyscale"
            )
        pixels = pixels[..., 0]
    if pixels.ndim != 2:
        raise InputError(f"{where}: raw slices must be 2-D greyscale, got shape {pixels.shape}")
    if shape is not None and pixels.shape != tuple(shape):
        raise InputError(
            f"{where}: shape {pixels.shape} differs from the first slice {source.name(0)} "
            f"{tuple(shape)}; every slice must have the same size (crop or pad them, or leave "
            "the odd ones out)"
        )
    return pixels


def is_finite(pixels):
    """Whether every grey value is a number (integer images always are)."""
    return not np.issubdtype(pixels.dtype, np.floating) or bool(np.isfinite(pixels).all())


def non_finite_error(names, spec):
    """The error for slices holding NaN or infinite grey values, naming (up to ten of) them."""
    shown = ", ".join(names[:10]) + (f", ... ({len(names)} slices)" if len(names) > 10 else "")
    return InputError(
        f"{shown} ({spec}): raw slices hold NaN or infinite grey values; replace them in the "
        "scans (e.g. with 0 outside the reconstructed field of view and a data.mask label there)"
    )


def grey_block(source, start, stop, shape):
    """Slices start..stop-1 of a SliceSource as one (Z, Y, X) greyscale array, checked as
    grey_slice checks each slice; read at once where the source can (source.reads_blocks)."""
    if not source.reads_blocks:
        return np.stack([grey_slice(source, z, shape) for z in range(start, stop)])
    pixels = source.read_block(start, stop)
    if pixels.ndim == 4 and pixels.shape[-1] in (3, 4):
        if (pixels[..., 0] != pixels[..., 1]).any() or (pixels[..., 0] != pixels[..., 2]).any():
            return np.stack([grey_slice(source, z, shape) for z in range(start, stop)])
        pixels = pixels[..., 0]
    if pixels.ndim != 3 or pixels.shape[1:] != tuple(shape):
        # Slice by slice, so the error names the first slice that is wrong.
        return np.stack([grey_slice(source, z, shape) for z in range(start, stop)])
    return pixels
