"""The input files the config names, checked before any job without reading an image.

What a listing and stat() tell: a broken link, a folder or an empty file where a slice file
should be, a name that is not UTF-8, raw and labels naming the same files, and the
normalisation percentiles in the wrong order. Each is the cause that later surfaces as a
symptom (a slice without a partner, an unreadable file, no grey-value spread), named here
first. Standard library only (rules/common.smk runs it at every start-up).
"""

import glob
import os
from pathlib import Path

from xrayseg.io.errors import summarised
from xrayseg.settings.specs import (
    SINGLE_SLICE_SUFFIXES,
    parse_spec,
    spec_files,
    zarr_metadata_file,
)


def spec_entries(spec):
    """Every path a spec names, whatever it is: the single-slice files of a folder or glob
    (broken links and folders among them, which spec_files leaves out), a stack's file, or a
    Zarr array's metadata file (a store is a folder of chunks: the reader checks the rest)."""
    parsed = parse_spec(spec)
    if parsed.kind == "zarr":
        meta = zarr_metadata_file(parsed)
        return [meta] if meta is not None else []
    if parsed.kind in ("hdf5", "stack"):
        return [parsed.path] if os.path.lexists(parsed.path) else []
    if parsed.kind == "folder":
        entries = [p for p in parsed.path.iterdir() if p.suffix.lower() in SINGLE_SLICE_SUFFIXES]
    else:
        entries = [Path(p) for p in glob.glob(parsed.text)]
    return sorted(entries)


def entry_problem(path):
    """Why the file at `path` cannot be a slice file (or a stack), or None."""
    shown = printable(path)
    if path.is_symlink() and not path.exists():
        return f"{shown} is a broken link (to {printable(os.readlink(path))}); copy the file there"
    if path.is_dir():
        return f"{shown} is a folder, not an image file; move it out of the data"
    if not path.is_file():
        return f"{shown} is not a regular file"
    if path.stat().st_size == 0:
        return f"{shown} is empty (0 bytes); copy it again"
    if printable(path) != str(path):
        return f"{shown} has a name that is not valid UTF-8; rename it"
    return None


def printable(path):
    """A path as text that any console can print (undecodable bytes as \\xNN escapes)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def spec_problems(key, spec):
    """(key, problem) pairs for the files one data spec names (one line, however many files)."""
    bad = [problem for problem in map(entry_problem, spec_entries(spec)) if problem]
    if not bad:
        return []
    fix = "; fix them or remove them (and their partners) from the data"
    if len(bad) == 1:
        return [(key, bad[0])]
    return [(key, f"{len(bad)} files cannot be slices: {summarised(bad, shown=3)}{fix}")]


def same_source(raw_spec, labels_spec):
    """Whether two specs read the same slices (one HDF5 file may hold both, as two datasets)."""
    raw, labels = parse_spec(raw_spec), parse_spec(labels_spec)
    if "hdf5" in (raw.kind, labels.kind):
        return (
            raw.kind == labels.kind
            and raw.dataset == labels.dataset
            and (os.path.realpath(raw.path) == os.path.realpath(labels.path))
        )
    files = [set(map(os.path.realpath, spec_files(spec))) for spec in (raw_spec, labels_spec)]
    return bool(files[0]) and files[0] == files[1]


def input_problems(config):
    """(config key, problem) pairs for the input files of a completed config (data.raw,
    data.labels, every predict set's raw) and the data settings that point at a wrong cause."""
    data = config["data"]
    problems = []
    low, high = data["normalise_percentiles"]
    if not low < high:
        problems.append(
            (
                "data.normalise_percentiles",
                f"[{low}, {high}]: give the low percentile first, e.g. [0.5, 99.5] (grey values "
                "at the low one map to 0, at the high one to 1)",
            )
        )
    predict = config.get("predict") or {}
    specs = {f"predict.{name}.raw": s["raw"] for name, s in predict.items() if s.get("raw")}
    if data["source"] == "files":
        specs = {"data.raw": data["raw"], "data.labels": data["labels"], **specs}
        if same_source(data["raw"], data["labels"]):
            problems.append(
                (
                    "data.labels",
                    f"{data['labels']!r} names the same files as data.raw {data['raw']!r}; point "
                    "data.labels at the label images",
                )
            )
    for key, spec in specs.items():
        problems += spec_problems(key, spec)
    return problems
