"""Pair raw slices with label slices by the number in their file names, never by listing order.

Two folders or globs of slice files pair by the number in each name (`SOCprist0007.tiff` with
`slice__007.tif`). A stack (multi-page TIFF, HDF5 dataset) pairs by index with the other side, whose
files are put in slice-number order first.
"""

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
        log.warning(
            "file names carry no slice numbers: pairing raw and labels by natural sort order "
            "(%s with %s, ...)",
            min(raw_paths, key=natural_key).name,
            min(label_paths, key=natural_key).name,
        )
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
            raise ValueError(
                f"{side} files without a slice number in their name: {missing[:5]}; raw and "
                "label files pair by the number in their names, so every name needs one"
            )
    raw_by_number = _by_number(raw_paths, "raw")
    label_by_number = _by_number(label_paths, "label")
    if raw_by_number.keys() != label_by_number.keys():
        raise ValueError(
            _unpaired_hint(raw_paths, label_paths)
            + "; add the missing partner files or remove the lonely ones"
        )
    log.info("paired %d raw and label files by the number in their names", len(raw_by_number))
    return [(raw_by_number[n], label_by_number[n]) for n in sorted(raw_by_number)]


def ordered_paths(paths):
    """Files in slice order: by the number in the name when every name has a unique one, else by
    natural sort (said in the log)."""
    paths = [Path(p) for p in paths]
    numbers = [slice_number(p) for p in paths]
    if None not in numbers and len(set(numbers)) == len(numbers):
        return [p for _, p in sorted(zip(numbers, paths, strict=True))]
    log.warning(
        "file names carry no unique slice numbers: ordering %s by natural sort", paths[0].parent
    )
    return sorted(paths, key=natural_key)


def pair_sources(raw, labels):
    """(raw, labels) SliceSources reordered so slice i of one is slice i of the other.

    Two file lists pair by the number in the names; when either side is a stack, slices pair by
    index (the file side in slice-number order) and the counts must agree.
    """
    if raw.kind == "files" and labels.kind == "files":
        pairs = pair_slices(raw.paths, labels.paths)
        return _reorder(raw, [p for p, _ in pairs]), _reorder(labels, [q for _, q in pairs])
    if raw.kind == "files":
        raw = _reorder(raw, ordered_paths(raw.paths))
    if labels.kind == "files":
        labels = _reorder(labels, ordered_paths(labels.paths))
    if len(raw) != len(labels):
        raise ValueError(
            f"raw {raw.spec!r} holds {len(raw)} slices but labels {labels.spec!r} hold "
            f"{len(labels)}; a stack pairs with the other side slice by slice, so both need the "
            "same number of slices"
        )
    log.info("paired %d raw and label slices by their index in the stack", len(raw))
    return raw, labels


def _reorder(source, paths):
    position = {Path(p): i for i, p in enumerate(source.paths)}
    return source.select([position[Path(p)] for p in paths])


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
