"""Pair raw slices with label slices by the number in their file names, never by listing order.

Two folders or globs of slice files pair by the number in each name (`SOCprist0007.tiff` with
`slice__007.tif`). A stack (multi-page TIFF, HDF5 dataset) pairs by index with the other side, whose
files are put in slice-number order first.

Sparse labels (data.sparse_labels): label files for only some raw slices, paired by number; a raw
slice without a label file pairs with None (ingested unlabelled). Only asked for explicitly: left
implicit, a label file lost in a copy would silently turn into an unlabelled slice. A label file
without a raw partner stays an error either way.
"""

import logging
import re
from pathlib import Path

from xrayseg.io.errors import InputError, summarised
from xrayseg.io.readers import FileSlices, read_image_file
from xrayseg.settings.specs import slice_number

log = logging.getLogger(__name__)

SPARSE_HINT = (
    "add the missing label files, or set data.sparse_labels: true if only some slices are "
    "labelled (a raw slice without a label file is then ingested unlabelled)"
)


class SparseLabelFiles(FileSlices):
    """Label files in raw-slice order with None where a raw slice has no label file; reading
    that slice gives None."""

    kind = "sparse_files"

    @property
    def files(self):
        return [Path(p) for p in self.items if p is not None]

    def name_of(self, item):
        return "" if item is None else Path(item).name

    def read(self, index):
        item = self.items[index]
        return None if item is None else read_image_file(item)

    def select(self, positions):
        return SparseLabelFiles(self.spec, [self.items[p] for p in positions])


_DIGITS = re.compile(r"(\d+)")


def natural_key(path):
    """Sort key that orders `a2` before `a10` (digits compared as numbers)."""
    parts = _DIGITS.split(Path(path).name)
    return [int(p) if p.isdigit() else p.lower() for p in parts]


def _by_number(paths, side):
    numbered = {}
    for path in paths:
        number = slice_number(path)
        if number in numbered:
            raise InputError(
                f"{side} files {numbered[number]} and {path} carry the same slice number {number}; "
                "each slice needs a unique number in its name (remove the copy, or rename one)"
            )
        numbered[number] = path
    return numbered


def pair_slices(raw_paths, label_paths, sparse=False):
    """List of (raw, label) path pairs in slice order.

    Pairs by the number in each file name. When the names carry no numbers at all, pairs by
    natural sort order and says so in the log. Raises InputError naming the unpaired files.
    sparse: a raw file without a label partner pairs with None (a label file without a raw
    partner is still an error); the names must carry numbers.
    """
    raw_paths = [Path(p) for p in raw_paths]
    label_paths = [Path(p) for p in label_paths]
    if sparse:
        return _pair_sparse(raw_paths, label_paths)
    raw_numbers = [slice_number(p) for p in raw_paths]
    label_numbers = [slice_number(p) for p in label_paths]
    numbered = not all(n is None for n in raw_numbers + label_numbers)
    if numbered:
        # Two files of one side with one number, or a name without one, is the cause of any
        # count mismatch it makes: say so first.
        _numbered(raw_paths, label_paths)
    if len(raw_paths) != len(label_paths):
        hint = _unpaired_hint(raw_paths, label_paths)
        more_raw = len(raw_paths) > len(label_paths)
        raise InputError(
            f"found {len(raw_paths)} raw files but {len(label_paths)} label files; {hint}; "
            + (SPARSE_HINT if more_raw else "add their raw slices or remove them")
        )
    if not numbered:
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
    raw_by_number, label_by_number = _numbered(raw_paths, label_paths)
    if raw_by_number.keys() != label_by_number.keys():
        offset = numbering_offset(raw_by_number, label_by_number)
        if offset is not None:
            raw, labels = sorted(raw_by_number), sorted(label_by_number)
            raise InputError(
                f"the raw files are numbered {raw[0]}..{raw[-1]} and the label files "
                f"{labels[0]}..{labels[-1]}: the same {len(raw)} slices counted from another "
                f"start (an offset of {offset})? Rename the files of one side so that a slice "
                "and its labels carry the same number"
            )
        lonely_raw = raw_by_number.keys() - label_by_number.keys()
        raise InputError(
            _unpaired_hint(raw_paths, label_paths)
            + "; add the missing partner files or remove the lonely ones"
            + (f" ({SPARSE_HINT})" if lonely_raw else "")
        )
    log.info("paired %d raw and label files by the number in their names", len(raw_by_number))
    return [(raw_by_number[n], label_by_number[n]) for n in sorted(raw_by_number)]


def _numbered(raw_paths, label_paths):
    """({number: raw path}, {number: label path}); an error when a name has no number or two
    files of one side share a number."""
    for side, paths in (("raw", raw_paths), ("label", label_paths)):
        missing = [str(p) for p in paths if slice_number(p) is None]
        if missing:
            raise InputError(
                f"{side} files without a slice number in their name: {missing[:5]}; raw and "
                "label files pair by the number in their names, so every name needs one"
            )
    return _by_number(raw_paths, "raw"), _by_number(label_paths, "label")


def numbering_offset(raw_numbers, label_numbers):
    """k when the label numbers are the raw numbers shifted by k (k != 0), every one of them
    (at least two), else None."""
    raw, labels = sorted(raw_numbers), sorted(label_numbers)
    if len(raw) != len(labels) or len(raw) < 2:
        return None
    offsets = {label - number for number, label in zip(raw, labels, strict=True)}
    return offsets.pop() if len(offsets) == 1 and 0 not in offsets else None


def _pair_sparse(raw_paths, label_paths):
    """pair_slices with data.sparse_labels: every raw file, with its label file or None."""
    raw_by_number, label_by_number = _numbered(raw_paths, label_paths)
    lonely_labels = label_by_number.keys() - raw_by_number.keys()
    if lonely_labels:
        shown = summarised(str(label_by_number[n]) for n in sorted(lonely_labels))
        raise InputError(
            f"label slices with no raw partner: [{shown}]; every "
            "label file needs the raw slice of the same number (data.sparse_labels allows raw "
            "slices without labels, not the reverse)"
        )
    log.info(
        "paired %d label files with %d raw files by the number in their names; %d raw slices "
        "have no label file and are ingested unlabelled (data.sparse_labels)",
        len(label_by_number),
        len(raw_by_number),
        len(raw_by_number) - len(label_by_number),
    )
    return [(raw_by_number[n], label_by_number.get(n)) for n in sorted(raw_by_number)]


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


def pair_sources(raw, labels, sparse=False):
    """(raw, labels) SliceSources reordered so slice i of one is slice i of the other.

    Two file lists pair by the number in the names; when either side is a stack, slices pair by
    index (the file side in slice-number order) and the counts must agree. sparse
    (data.sparse_labels): two file lists may have fewer labels than raw files; the labels
    source then reads None for a raw slice without a label file. A stack cannot leave a slice
    out: its unlabelled slices hold the mask value.
    """
    if raw.kind == "files" and labels.kind == "files":
        pairs = pair_slices(raw.paths, labels.paths, sparse)
        raw = _reorder(raw, [p for p, _ in pairs])
        if sparse:
            return raw, SparseLabelFiles(labels.spec, [q for _, q in pairs])
        return raw, _reorder(labels, [q for _, q in pairs])
    if raw.kind == "files":
        raw = _reorder(raw, ordered_paths(raw.paths))
    if labels.kind == "files":
        labels = _reorder(labels, ordered_paths(labels.paths))
    if len(raw) != len(labels):
        raise InputError(
            f"raw {raw.spec!r} holds {len(raw)} slices but labels {labels.spec!r} hold "
            f"{len(labels)}; a stack pairs with the other side slice by slice, so both need the "
            "same number of slices (an unlabelled slice of a label stack holds the data.mask "
            "value in every pixel)"
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
        parts.append(f"raw slices with no label partner: [{summarised(lonely_raw)}]")
    if lonely_labels:
        parts.append(f"label slices with no raw partner: [{summarised(lonely_labels)}]")
    return "; ".join(parts) or "raw and label file lists differ"
