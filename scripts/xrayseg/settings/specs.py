"""What the config's `data` section names, worked out without reading an image (stdlib only).

A data spec is one string, one of:
  - a folder of single-slice files:   "scans/raw"              (every .tif, .tiff, .png in it)
  - a glob of single-slice files:     "scans/raw/SOCprist*.tiff"
  - one multi-page TIFF stack (Z x Y x X): "scans/raw.tif"
  - an HDF5 dataset:                  "scan.h5:/exchange/data"
  - a Zarr array (v2 or v3):          "scan.zarr", or an array inside a store: "scan.ome.zarr/0"
                                      (an OME-Zarr image's full-resolution level), "scan.zarr:raw"

rules/common.smk imports this module to list a rule's input files and to check the config before any
job runs, so it must stay free of numpy, tifffile, h5py and zarr (the Snakemake process may lack
them). A Zarr array's metadata is JSON, so its shape is read here with the standard library.
"""

import glob
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

SINGLE_SLICE_SUFFIXES = (".tif", ".tiff", ".png")
TIFF_SUFFIXES = (".tif", ".tiff")
HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf", ".nxs", ".he5")
_HDF5_SPEC = re.compile(
    r"^(?P<path>.+?(?:"
    + "|".join(re.escape(s) for s in HDF5_SUFFIXES)
    + r"))(?::(?P<dataset>.*))?$",
    re.IGNORECASE,
)
_GLOB_CHARS = re.compile(r"[*?\[]")
_DIGITS = re.compile(r"(\d+)")
# The store is the first path part ending in .zarr; what follows ("/0", ":raw") is the array in it.
_ZARR_SPEC = re.compile(r"^(?P<path>.*?[^/]\.zarr)(?:[/:](?P<array>.*))?$", re.IGNORECASE)
# The metadata file of a Zarr array: v2 (.zarray) and v3 (zarr.json, node_type array).
ZARR_V2_ARRAY, ZARR_V3_META = ".zarray", "zarr.json"
ZARR_DTYPE_BYTES = {"bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "float16": 2}


@dataclass(frozen=True)
class DataSpec:
    """A parsed data spec: its kind (folder, glob, stack, hdf5, zarr), the path and the dataset
    (an HDF5 dataset, or the array's path inside a Zarr store; "" for an array at its root)."""

    text: str
    kind: str
    path: Path
    dataset: str | None = None


def parse_spec(spec):
    """Classify a data spec string; see the module docstring for the forms."""
    text = str(spec)
    match = _HDF5_SPEC.match(text)
    if match:
        return DataSpec(text, "hdf5", Path(match["path"]), match["dataset"] or None)
    match = _ZARR_SPEC.match(text.rstrip("/"))
    if match:
        array = (match["array"] or "").strip("/")
        return DataSpec(text, "zarr", Path(match["path"]), array)
    path = Path(text)
    if path.is_dir():
        return DataSpec(text, "folder", path)
    if not _GLOB_CHARS.search(text) and path.suffix.lower() in TIFF_SUFFIXES:
        return DataSpec(text, "stack", path)
    return DataSpec(text, "glob", path)


def spec_files(spec):
    """The files a spec reads, sorted; empty when nothing matches (the caller names the key)."""
    parsed = parse_spec(spec)
    if parsed.kind in ("hdf5", "stack"):
        return [parsed.path] if parsed.path.is_file() else []
    if parsed.kind == "zarr":
        # The array's metadata file stands for the store (its chunks are thousands of files).
        meta = zarr_metadata_file(parsed)
        return [meta] if meta is not None else []
    if parsed.kind == "folder":
        files = [p for p in parsed.path.iterdir() if p.suffix.lower() in SINGLE_SLICE_SUFFIXES]
    else:
        files = [Path(p) for p in glob.glob(parsed.text)]
    return sorted(p for p in files if p.is_file())


def slice_number(path):
    """The last run of digits in the file name's stem, as an int; None when there is none.

    `SOCprist0007.tiff` -> 7, `slice__007.tif` -> 7, `scan_2_z0012.png` -> 12. Raw and label
    files pair by it (xrayseg.data.pairing), and the gaps between the raw files' numbers say how
    far apart the slices are (xrayseg.settings.spacing).
    """
    runs = _DIGITS.findall(Path(path).name.split(".")[0])
    return int(runs[-1]) if runs else None


def zarr_metadata_file(parsed):
    """The metadata file of the Zarr array a parsed spec names, or None when there is none."""
    folder = parsed.path / parsed.dataset if parsed.dataset else parsed.path
    for name in (ZARR_V2_ARRAY, ZARR_V3_META):
        path = folder / name
        if path.is_file() and (name == ZARR_V2_ARRAY or _is_v3_array(path)):
            return path
    return None


def _is_v3_array(path):
    try:
        return json.loads(path.read_text()).get("node_type") == "array"
    except (OSError, ValueError):
        return False


def zarr_shape(spec):
    """(shape, bytes per value) of the Zarr array a spec names, from its metadata (stdlib only);
    None when the spec names no array (the reader says why)."""
    meta = zarr_metadata_file(parse_spec(spec))
    if meta is None:
        return None
    record = json.loads(meta.read_text())
    dtype = record.get("data_type", record.get("dtype"))
    if isinstance(dtype, str) and re.fullmatch(r"[<>|]?[uif]\d+", dtype):
        size = int(dtype.lstrip("<>|")[1:])
    else:
        size = ZARR_DTYPE_BYTES.get(str(dtype), 4)
    return tuple(int(n) for n in record["shape"]), size


def spec_bytes(spec):
    """How many bytes a spec's scan takes: a Zarr array's uncompressed size, the files' size
    otherwise (what `predict.<set>.outputs: auto` decides by)."""
    parsed = parse_spec(spec)
    if parsed.kind == "zarr":
        found = zarr_shape(spec)
        return 0 if found is None else math.prod(found[0]) * found[1]
    return sum(path.stat().st_size for path in spec_files(spec))


def is_rgb_value(value):
    """True for an [R, G, B] colour, False for a grey value."""
    return isinstance(value, list | tuple)


def data_problems(data, check_files=True):
    """(config key, problem) pairs for the config's `data` section; empty when it is usable.

    Checks what the schema cannot: matching lengths, one kind of label value, a mask that is not a
    class, a sensible slice range and, for `source: files`, that every spec matches something.
    """
    problems = []
    values, names = data["label_values"], data["class_names"]
    if len(values) != len(names):
        problems.append(
            (
                "data.class_names",
                f"{len(names)} names for {len(values)} label_values; give one name per label value",
            )
        )
    kinds = {is_rgb_value(v) for v in values}
    if len(kinds) > 1:
        problems.append(
            (
                "data.label_values",
                f"{values} mixes grey values and [R, G, B] colours; use one kind for every class",
            )
        )
    keys = [tuple(v) if is_rgb_value(v) else v for v in values]
    if len(set(keys)) != len(keys):
        problems.append(("data.label_values", f"{values} lists a value twice"))
    if len(set(names)) != len(names):
        problems.append(("data.class_names", f"{names} lists a name twice"))
    mask = data.get("mask")
    if mask is not None:
        key = tuple(mask) if is_rgb_value(mask) else mask
        if kinds and is_rgb_value(mask) not in kinds:
            problems.append(
                (
                    "data.mask",
                    f"{mask} must be the same kind as data.label_values "
                    "(a grey value for grey labels, an [R, G, B] colour for RGB labels)",
                )
            )
        elif key in keys:
            problems.append(
                (
                    "data.mask",
                    f"{mask} is also a class in data.label_values; the mask value marks pixels "
                    "that belong to no class",
                )
            )
    slices = data.get("slices")
    if slices is not None and not slices[0] < slices[1]:
        problems.append(
            ("data.slices", f"{slices}: give [start, stop] with start < stop (stop excluded)")
        )
    if data.get("source") == "files" and check_files:
        for key in ("raw", "labels"):
            spec = data.get(key)
            if not spec:
                problems.append(
                    (f"data.{key}", "a folder, glob, TIFF stack, file.h5:/dataset or scan.zarr")
                )
            elif not spec_files(spec):
                problems.append((f"data.{key}", f"no files match {spec!r}; {_spec_hint(spec)}"))
    return problems


def _spec_hint(spec):
    parsed = parse_spec(spec)
    if parsed.kind == "folder":
        return f"the folder holds no {'/'.join(SINGLE_SLICE_SUFFIXES)} files"
    if parsed.kind in ("hdf5", "stack"):
        return f"{parsed.path} does not exist (paths are relative to the working directory)"
    if parsed.kind == "zarr":
        return (
            f"{parsed.path} holds no Zarr array at {parsed.dataset or 'its root'!r} (paths are "
            "relative to the working directory; an OME-Zarr image's full resolution is "
            f"{parsed.path}/0)"
        )
    return "check the path (relative to the working directory) and the pattern"
