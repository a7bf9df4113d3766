"""Pair raw slices with label slices by the number in their file names, never by listing order."""

import logging
import re
from pathlib import Path

log = logging.getLogger(__name__)

_DIGITS = re.compile(r"(\d+)")


def slice_number(path):
    """The last run of digits in the file name's stem, as an int; None when there is none.

    `SOCprist0007.tiff` -> 7, `slice__007.tif` -> 7, `scan_2_z0012.png` -> 12.
    """
    runs = _DIGITS.findall(Path(path).name.split(".")[0])
    return int(runs[-1]) if runs else None


def natural_key(path):
    """Sort key that orders `a2` before `a10` (digits compared as numbers)."""
    parts = _DIGITS.split(Path(path).name)
    return [int(p) if p.isdigit() else p.lower() for p in parts]


def _by_number(paths, side):
    numbered = {}
    for path in paths:
        number = slice_number(path)
        if number in numbered:
            raise ValueError(
                f"{side} files {numbered[number]} and {path} carry the same slice number {number}; "
                "each slice needs a unique number in its name"
            )
        numbered[number] = path
    return numbered


def pair_slices(raw_paths, label_paths):
    """List of (raw, label) path pairs in slice order.

    Pairs by the number in each file name. When the names carry no numbers at all, pairs by
    natural sort order and says so in the log. Raises ValueError naming the unpaired files.
    """
    raw_paths = [Path(p) for p in raw_paths]
    label_paths = [Path(p) for p in label_paths]
    if len(raw_paths) != len(label_paths):
        hint = _unpaired_hint(raw_paths, label_paths)
        raise ValueError(
            f"found {len(raw_paths)} raw files but {len(label_paths)} label files; {hint}"
        )
    raw_numbers = [slice_number(p) for p in raw_paths]
    label_numbers = [slice_number(p) for p in label_paths]
    if all(n is None for n in raw_numbers + label_numbers):
        log.info("file names carry no slice numbers: pairing raw and labels by natural sort order")
        return list(
            zip(
                sorted(raw_paths, key=natural_key),
                sorted(label_paths, key=natural_key),
                strict=True,
            )
        )
    for side, paths, numbers in (
        ("raw", raw_paths, raw_numbers),
        ("label", label_paths, label_numbers),
    ):
        missing = [str(p) for p, n in zip(paths, numbers, strict=True) if n is None]
        if missing:
            raise ValueError(f"{side} files without a slice number in their name: {missing[:5]}")
    raw_by_number = _by_number(raw_paths, "raw")
    label_by_number = _by_number(label_paths, "label")
    if raw_by_number.keys() != label_by_number.keys():
        raise ValueError(_unpaired_hint(raw_paths, label_paths))
    return [(raw_by_number[n], label_by_number[n]) for n in sorted(raw_by_number)]


def _unpaired_hint(raw_paths, label_paths):
    raw_numbers = {slice_number(p): p for p in raw_paths}
    label_numbers = {slice_number(p): p for p in label_paths}
    lonely_raw = [
        str(raw_numbers[n]) for n in sorted(raw_numbers.keys() - label_numbers.keys(), key=str)
    ]
    lonely_labels = [
        str(label_numbers[n]) for n in sorted(label_numbers.keys() - raw_numbers.keys(), key=str)
    ]
    parts = []
    if lonely_raw:
        parts.append(f"raw slices with no label partner: {lonely_raw[:5]}")
    if lonely_labels:
        parts.append(f"label slices with no raw partner: {lonely_labels[:5]}")
    return "; ".join(parts) or "raw and label file lists differ"
