"""Bad inputs as a hostile but ordinary user brings them, each run through Snakemake on one tiny
data set: the run stops with one readable line at the very end of its output that names the file
or key, the problem and the fix, prints no traceback, and leaves no output of the failed stage
behind. (Issue 26; a case with nothing wrong in it but an empty answer exits 0.)

Every case copies the shared 12-slice data set (train 0-4, guard 5, val 6-7, guard 8, test
9-11), breaks one thing and runs only as far as the stage that must stop it (a dry run for the
config, the split for the data). Cases that need a full or read-only results/ run Snakemake in a
mount namespace of its own with a small tmpfs there (skipped where that is not allowed).

XRAYSEG_BAD_INPUTS_TABLE=<file> appends each case's row (case, last line, exit code) to a
Markdown table in that file.
"""

import copy
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pytest
import tifffile

from helpers.ingest_data import (
    CLASS_NAMES,
    GREY_VALUES,
    SPLIT,
    grey_labels,
    phantom,
    write_real_layout,
)
from helpers.workflow import TINY_CONFIG, snakemake_command, write_config

SPLIT_CSV = "results/split/split.csv"
TABLE = os.environ.get("XRAYSEG_BAD_INPUTS_TABLE")


def base_config():
    """The shared data set's config: the threshold model only (the slices are 14 x 17 px)."""
    data = {
        "source": "files",
        "raw": "data/raw",
        "labels": "data/labels",
        "label_values": GREY_VALUES,
        "class_names": CLASS_NAMES,
    }
    models = {"threshold": {"arch": "threshold"}}
    return {**copy.deepcopy(TINY_CONFIG), "data": data, "split": dict(SPLIT), "models": models}


@dataclass
class Data:
    """The case's copy of the data set: its folder and the arrays it was written from."""

    root: Path
    raw: np.ndarray
    classes: np.ndarray

    def raw_file(self, z):
        return self.root / "data" / "raw" / f"SOCprist{z + 1:04d}.tiff"

    def label_file(self, z):
        return self.root / "data" / "labels" / f"slice__{z + 1:03d}.tif"


@dataclass
class Case:
    """One bad input: what it changes, how far Snakemake runs, what the last line says."""

    words: tuple  # all in the last line of the output
    config: object = None  # edits the config dict in place
    files: object = None  # edits the Data in place
    target: str = SPLIT_CSV
    dry_run: bool = False  # a config problem stops a dry run as it stops a real one
    exit_code: int = 1
    stage: str = "ingest"  # whose outputs must not exist: config (no results/), ingest, split
    mount: str | None = None  # tmpfs options for results/ ("ro", "size=..."), or None
    fill: int = 0  # bytes written into that tmpfs before Snakemake starts (0: none)
    check: object = None  # further assertions on the finished run's folder


def setting(path, value):
    """An edit setting the dotted config key `path` to `value` (None removes it)."""

    def edit(config):
        *parents, key = path.split(".")
        node = config
        for parent in parents:
            node = node.setdefault(parent, {})
        if value is None:
            node.pop(key, None)
        else:
            node[key] = value

    return edit


def both(*edits):
    def edit(target):
        for one in edits:
            one(target)

    return edit


# --- edits of the data ------------------------------------------------------------------------


def raw_slice(z, make):
    """Rewrite raw slice z as make(original slice)."""

    def edit(data):
        tifffile.imwrite(data.raw_file(z), make(data.raw[z]))

    return edit


def label_slice(z, make):
    def edit(data):
        tifffile.imwrite(data.label_file(z), make(grey_labels(data.classes[z])))

    return edit


def write_bytes(path_of, content):
    def edit(data):
        path_of(data).write_bytes(content)

    return edit


def truncate(path_of):
    def edit(data):
        path = path_of(data)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    return edit


def replace_with_folder(path_of):
    def edit(data):
        path = path_of(data)
        path.unlink()
        path.mkdir()

    return edit


def broken_link(path_of):
    def edit(data):
        path = path_of(data)
        path.unlink()
        path.symlink_to("/nonexistent/scan/SOCprist.tiff")

    return edit


def remove(path_of):
    def edit(data):
        path_of(data).unlink()

    return edit


def copy_to(path_of, name):
    def edit(data):
        source = path_of(data)
        shutil.copy(source, source.with_name(name))

    return edit


def all_raw(make):
    """Rewrite every raw slice as make(slice)."""

    def edit(data):
        for z in range(len(data.raw)):
            tifffile.imwrite(data.raw_file(z), make(data.raw[z]))

    return edit


def nan_in_float_stack(data):
    """Every raw slice as float32; slice 3 with one NaN pixel."""
    for z in range(len(data.raw)):
        pixels = data.raw[z].astype(np.float32)
        if z == 3:
            pixels[2, 2] = np.nan
        tifffile.imwrite(data.raw_file(z), pixels)


def empty_ranking(workdir):
    ranking = (workdir / "results/suggest/best/next_slices.csv").read_text().splitlines()
    assert len(ranking) == 1 and "rank" in ranking[0], ranking


def class_out_of_train(data):
    """Class Ni (255) relabelled as YSZ (128) in every train slice (0-4)."""
    for z in range(5):
        labels = grey_labels(data.classes[z])
        labels[labels == 255] = 128
        tifffile.imwrite(data.label_file(z), labels)


def non_utf8_name(data):
    folder = os.fsencode(data.root / "data" / "raw")
    os.rename(os.fsencode(data.raw_file(4)), folder + b"/SOCprist0005\xff.tiff")


def multi_page(data):
    tifffile.imwrite(data.raw_file(3), np.stack([data.raw[3], data.raw[3]]))


def hdf5_file(data):
    with h5py.File(data.root / "scan.h5", "w") as f:
        f["exchange/data"] = data.raw
        f["labels"] = grey_labels(data.classes)


def big_slices(data):
    """The data again at 12 x 256 x 256: an ingested volume of a few MB."""
    raw, classes = phantom(shape=(256, 256))
    for side in ("raw", "labels"):
        shutil.rmtree(data.root / "data" / side)
    write_real_layout(data.root / "data", raw, grey_labels(classes))


def labels_counted_from_zero(data):
    """The label files renamed slice__000.tif .. slice__011.tif (the raw ones start at 0001)."""
    for z in range(len(data.raw)):
        data.label_file(z).rename(data.label_file(z - 1))


def labels_as_16_bits(data):
    for z in range(len(data.raw)):
        tifffile.imwrite(data.label_file(z), grey_labels(data.classes[z]).astype(np.uint16) * 257)


def sparse_lonely_label(data):
    """Sparse labels of slices 0,2,...; and one label file of slice 13, which has no raw."""
    for z in range(1, 12, 2):
        data.label_file(z).unlink()
    shutil.copy(data.label_file(0), data.label_file(12))


def sparse_val_short(data):
    """Sparse labels: the val block (slices 6-7) keeps one labelled slice."""
    data.label_file(7).unlink()


def raw_path(z):
    return lambda data: data.raw_file(z)


def label_path(z):
    return lambda data: data.label_file(z)


CASES = {
    # --- config, stopped before any job (a dry run) ---
    "config key typo": Case(
        ("config error: trainig: unknown key",),
        config=lambda c: c.__setitem__("trainig", c.pop("training")),
        dry_run=True,
        stage="config",
    ),
    "data key typo (label for labels)": Case(
        ("config error: data.label: unknown key",),
        config=lambda c: c["data"].__setitem__("label", c["data"].pop("labels")),
        dry_run=True,
        stage="config",
    ),
    "negative fraction": Case(
        ("config error: split.val_fraction", "-0.1"),
        config=setting("split.val_fraction", -0.1),
        dry_run=True,
        stage="config",
    ),
    "models section empty": Case(
        ("config error: models",),
        config=setting("models", {}),
        dry_run=True,
        stage="config",
    ),
    "config file not valid YAML (a bracket left open)": Case(
        ("config error: config/config.yaml line", "not valid YAML"),
        files=lambda data: (data.root / "config" / "config.yaml").write_text(
            "data:\n  source: files\n  label_values: [0, 128, 255\nseed: 1\n"
        ),
        dry_run=True,
        stage="config",
    ),
    "config file indented with a tab": Case(
        ("config error: config/config.yaml line 2", "not valid YAML", "'\\t'"),
        files=lambda data: (data.root / "config" / "config.yaml").write_text("data:\n\tseed: 1\n"),
        dry_run=True,
        stage="config",
    ),
    "unknown device name": Case(
        ("config error: device", "'gpu' is not allowed; use one of auto, cpu, cuda"),
        config=setting("device", "gpu"),
        dry_run=True,
        stage="config",
    ),
    "reversed normalisation percentiles": Case(
        ("config error: data.normalise_percentiles", "low percentile first"),
        config=setting("data.normalise_percentiles", [99.5, 0.5]),
        dry_run=True,
        stage="config",
    ),
    "fewer class names than label values": Case(
        ("config error: data.class_names: 2 names for 3 label_values",),
        config=setting("data.class_names", ["pore", "solid"]),
        dry_run=True,
        stage="config",
    ),
    "a label value twice": Case(
        ("config error: data.label_values", "lists a value twice"),
        config=setting("data.label_values", [0, 128, 128]),
        dry_run=True,
        stage="config",
    ),
    "mask equal to a class value": Case(
        ("config error: data.mask", "is also a class"),
        config=setting("data.mask", 128),
        dry_run=True,
        stage="config",
    ),
    "slice range reversed": Case(
        ("config error: data.slices", "start < stop"),
        config=setting("data.slices", [8, 2]),
        dry_run=True,
        stage="config",
    ),
    "stack too short for the split": Case(
        ("config error: split: 4 slices cannot hold",),
        config=setting("data.slices", [0, 4]),
        dry_run=True,
        stage="config",
    ),
    "raw path does not exist": Case(
        ("config error: data.raw: no files match 'data/scans'",),
        config=setting("data.raw", "data/scans"),
        dry_run=True,
        stage="config",
    ),
    "raw and labels the same folder": Case(
        ("config error: data.labels", "names the same files as data.raw"),
        config=setting("data.labels", "data/raw"),
        dry_run=True,
        stage="config",
    ),
    "patch larger than the slices": Case(
        ("config error: models.dnn.patch_size: 32 is larger than the 14x17 slices",),
        config=setting("models", {"dnn": {"arch": "dnn", "patch_size": 32}}),
        dry_run=True,
        stage="config",
    ),
    "HDF5 dataset missing": Case(
        ("config error: data.raw", "has no dataset '/nope'", "/exchange/data"),
        config=both(
            setting("data.raw", "scan.h5:/nope"), setting("data.labels", "scan.h5:/labels")
        ),
        files=hdf5_file,
        dry_run=True,
        stage="config",
    ),
    "HDF5 spec names a text file": Case(
        ("config error: data.raw", "cannot read notes.h5"),
        config=setting("data.raw", "notes.h5:/data"),
        files=lambda data: (data.root / "notes.h5").write_text("not HDF5\n"),
        dry_run=True,
        stage="config",
    ),
    "zero-byte raw TIFF": Case(
        ("config error: data.raw", "SOCprist0005.tiff is empty (0 bytes)"),
        files=write_bytes(raw_path(4), b""),
        dry_run=True,
        stage="config",
    ),
    "zero-byte first raw TIFF": Case(
        ("config error: data.raw", "SOCprist0001.tiff is empty (0 bytes)"),
        files=write_bytes(raw_path(0), b""),
        dry_run=True,
        stage="config",
    ),
    "zero-byte label TIFF": Case(
        ("config error: data.labels", "slice__009.tif is empty (0 bytes)"),
        files=write_bytes(label_path(8), b""),
        dry_run=True,
        stage="config",
    ),
    "a folder where a slice file should be": Case(
        ("config error: data.raw", "SOCprist0005.tiff is a folder"),
        files=replace_with_folder(raw_path(4)),
        dry_run=True,
        stage="config",
    ),
    "broken link among the slices": Case(
        ("config error: data.raw", "SOCprist0005.tiff is a broken link"),
        files=broken_link(raw_path(4)),
        dry_run=True,
        stage="config",
    ),
    "non-UTF-8 file name": Case(
        ("config error: data.raw", "SOCprist0005\\xff.tiff has a name that is not valid UTF-8"),
        files=non_utf8_name,
        dry_run=True,
        stage="config",
    ),
    "first raw slice truncated": Case(
        ("config error: data.raw: cannot read data/raw/SOCprist0001.tiff", "truncated"),
        files=truncate(raw_path(0)),
        dry_run=True,
        stage="config",
    ),
    "device cuda without CUDA": Case(
        ("config error: device: 'cuda' asks for a CUDA GPU", "set device: auto"),
        config=setting("device", "cuda"),
        target="results/models/threshold/model.pt",
        stage="config",
    ),
    # --- the data, stopped by ingest or split ---
    "8-bit raw slice among 16-bit ones": Case(
        ("SOCprist0007.tiff is uint8", "11 of the 12 slices", "uint16", "another bit depth"),
        files=raw_slice(6, lambda s: (s // 256).astype(np.uint8)),
    ),
    "8-bit values in a 16-bit file": Case(
        ("SOCprist0007.tiff has grey values", "only 8-bit values in a uint16 file"),
        files=raw_slice(6, lambda s: s // 256),
    ),
    "float slice among integer ones": Case(
        ("SOCprist0010.tiff is float32", "uint16"),
        files=raw_slice(9, lambda s: s.astype(np.float32)),
    ),
    "a slice of another contrast": Case(
        ("SOCprist0003.tiff has grey values 61100..", "no other slice of data/raw shares"),
        files=raw_slice(2, lambda s: (s // 8 + 60000).astype(np.uint16)),
    ),
    "NaN in a float TIFF stack": Case(
        ("SOCprist0004.tiff", "NaN or infinite"),
        files=nan_in_float_stack,
    ),
    "label value not in label_values": Case(
        ("value 99: 1 pixels in slice__008.tif", "Fix: add each value"),
        files=label_slice(7, lambda s: np.where(np.arange(s.size).reshape(s.shape) == 0, 99, s)),
    ),
    "label values interpolated": Case(
        ("(", "in all; the full list: the job log", "so many values"),
        files=label_slice(2, lambda s: np.arange(s.size).reshape(s.shape) % 250 + 1),
    ),
    "label slice of another size": Case(
        ("label slice slice__007.tif has shape (14, 14)", "SOCprist0007.tiff has (14, 17)"),
        files=label_slice(6, lambda s: s[:, :-3]),
    ),
    "raw slice of another size": Case(
        ("SOCprist0010.tiff", "shape (13, 17) differs from the first slice"),
        files=raw_slice(9, lambda s: s[:-1]),
    ),
    "truncated raw TIFF": Case(
        ("cannot read data/raw/SOCprist0006.tiff", "truncated"),
        files=truncate(raw_path(5)),
    ),
    "text file named .tif": Case(
        ("cannot read data/labels/slice__004.tif", "not the format its name says"),
        files=write_bytes(label_path(3), b"label: pore\n"),
    ),
    "multi-page TIFF among the slices": Case(
        ("SOCprist0004.tiff is a stack of 2 pages",),
        files=multi_page,
    ),
    "colour raw slice": Case(
        ("SOCprist0002.tiff", "raw slice is a colour image"),
        files=raw_slice(
            1, lambda s: np.stack([s // 256, s // 300, s // 256], axis=-1).astype(np.uint8)
        ),
    ),
    "raw and labels folders swapped": Case(
        ("data.raw and data.labels look swapped", "swap 'data/labels' and 'data/raw'"),
        config=both(setting("data.raw", "data/labels"), setting("data.labels", "data/raw")),
    ),
    "labels pointing at a copy of the scans": Case(
        ("label files hold values that are not in data.label_values", "in all"),
        config=setting("data.labels", "data/scans"),
        files=lambda data: shutil.copytree(data.root / "data" / "raw", data.root / "data/scans"),
    ),
    "a class missing from the train block": Case(
        ("class 'Ni' (label value 255) occurs in no slice of the train block", "Move the blocks"),
        files=class_out_of_train,
    ),
    "a class in no slice at all": Case(
        ("class 'GDC' (label value 64) occurs in no labelled slice", "drop it"),
        config=both(
            setting("data.label_values", [*GREY_VALUES, 64]),
            setting("data.class_names", [*CLASS_NAMES, "GDC"]),
        ),
    ),
    "duplicate slice number on one side": Case(
        ("raw files", "SOCprist05.tiff carry the same slice number 5", "remove the copy"),
        files=copy_to(raw_path(4), "SOCprist05.tiff"),
    ),
    "label files counted from 0, raw from 1": Case(
        ("raw files are numbered 1..12 and the label files 0..11", "offset of -1", "Rename"),
        files=labels_counted_from_zero,
    ),
    "labels saved as 16-bit images": Case(
        ("label files hold [0, 32896, 65535]", "saved as 16-bit images"),
        files=labels_as_16_bits,
    ),
    "RGB labels given grey label values": Case(
        ("slice__006.tif (data/labels): label image is RGB", "give one [R, G, B] colour"),
        files=label_slice(5, lambda s: np.stack([s, s // 2, s], axis=-1).astype(np.uint8)),
    ),
    "a label file missing": Case(
        ("found 12 raw files but 11 label files", "data.sparse_labels"),
        files=remove(label_path(4)),
    ),
    "a label file without a raw slice": Case(
        ("label slices with no raw partner: [data/labels/slice__013.tif]", "remove them"),
        files=copy_to(label_path(0), "slice__013.tif"),
    ),
    "sparse labels with a lonely label file": Case(
        ("label slices with no raw partner", "slice__013.tif"),
        config=setting("data.sparse_labels", True),
        files=sparse_lonely_label,
    ),
    "a file without a slice number": Case(
        ("raw files without a slice number in their name", "notes.tif"),
        files=copy_to(raw_path(0), "notes.tif"),
    ),
    "a text file in a glob": Case(
        ("README.txt: unsupported file type '.txt'",),
        config=setting("data.raw", "data/raw/*"),
        files=lambda data: (data.root / "data/raw/README.txt").write_text("scan notes\n"),
    ),
    "slice range past the stack": Case(
        ("data.slices [0, 30] reaches slice 29", "lower the stop"),
        config=setting("data.slices", [0, 30]),
    ),
    "blank scans": Case(
        ("the raw train slices are blank", "1000 and 1000"),
        files=all_raw(lambda s: np.full_like(s, 1000)),
    ),
    "too few labelled slices in a block": Case(
        ("split: the val block (slices 6-7", "holds 1 labelled slice"),
        config=setting("data.sparse_labels", True),
        files=sparse_val_short,
        stage="split",
    ),
    # --- the disk ---
    "read-only results/": Case(
        ("error: cannot write results/", "read-only"),
        mount="ro",
        stage="start",
    ),
    "full results/ disk at the start": Case(
        ("error: no space left on the disk holding results/",),
        mount="size=256k",
        fill=1 << 30,
        stage="start",
    ),
    "results/ disk fills during ingest": Case(
        ("error in ingest: no space left on the disk holding results/",),
        files=big_slices,
        mount="size=4m",
        fill=5 << 19,
    ),
    # --- not an error: nothing to suggest ---
    "nothing to suggest": Case(
        ("nothing to suggest",),
        config=both(
            setting("split.guard_slices", 0),
            setting("models", {"rf": {"arch": "rf"}}),
        ),
        target="results/suggest/best/next_slices.csv",
        exit_code=0,
        stage="none",
        check=empty_ranking,
    ),
}


@pytest.fixture(scope="module")
def shared_data(tmp_path_factory):
    """The good data set every case copies: (folder holding data/, raw, classes)."""
    root = tmp_path_factory.mktemp("bad_inputs_data")
    raw, classes = phantom()
    write_real_layout(root / "data", raw, grey_labels(classes))
    return root, raw, classes


def mount_namespaces_work(folder):
    """Whether this machine lets a process mount a tmpfs in a mount namespace of its own."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount -t tmpfs tmpfs {shlex.quote(str(folder))}"],
        capture_output=True,
    )
    return probe.returncode == 0


def in_own_mount(workdir, command, options, fill):
    """`command` with a tmpfs mounted on workdir/results (in a mount namespace of its own), after
    `fill` bytes written into it; the files left there are listed in workdir/leftovers.txt."""
    results = workdir / "results"
    results.mkdir()
    script = [f"mount -t tmpfs -o {shlex.quote(options)} tmpfs {shlex.quote(str(results))}"]
    if fill:
        script.append(f"head -c {fill} /dev/zero > {results}/filler 2>/dev/null")
    script.append(f"{shlex.join(command)}; code=$?")
    script.append(f"find {results} -type f ! -name filler > {workdir}/leftovers.txt; exit $code")
    return ["unshare", "-m", "sh", "-c", "\n".join(script)]


def leftovers(workdir, case):
    """Output files of the stage that failed (the logs and the error files do not count)."""
    listing = workdir / "leftovers.txt"
    if listing.exists():
        files = [Path(line) for line in listing.read_text().splitlines()]
    else:
        files = [p for p in (workdir / "results").rglob("*") if p.is_file() or p.is_symlink()]
    outputs = [p.relative_to(workdir).as_posix() for p in files]
    if case.stage in ("config", "start"):
        return outputs
    kept = ("results/logs/", "results/benchmarks/")
    if case.stage == "split":
        kept += ("results/ingest/",)
    return [p for p in outputs if not p.startswith(kept)]


def run_case(name, case, shared_data, workdir):
    root, raw, classes = shared_data
    shutil.copytree(root / "data", workdir / "data", symlinks=True)
    config = base_config()
    if case.config:
        case.config(config)
    write_config(workdir, config)
    if case.files:
        case.files(Data(workdir, raw, classes))
    command = snakemake_command(workdir, "--cores", "1", *(["-n"] if case.dry_run else []))
    command.append(case.target)
    if case.mount:
        if not mount_namespaces_work(workdir):
            pytest.skip("no tmpfs mounts in a mount namespace of its own here")
        command = in_own_mount(workdir, command, case.mount, case.fill)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        timeout=600,
        env=env,
    )
    return result.returncode, result.stdout


@pytest.mark.parametrize("name", CASES)
def test_bad_input_ends_the_output_with_one_line_that_names_it(name, shared_data, tmp_path):
    case = CASES[name]
    if name == "device cuda without CUDA":
        torch = pytest.importorskip("torch")
        if torch.cuda.is_available():
            pytest.skip("this machine has a CUDA device")
    workdir = tmp_path / "run"
    workdir.mkdir()
    code, output = run_case(name, case, shared_data, workdir)
    lines = [line for line in output.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if TABLE:  # a run that succeeds is shown by its line with the words
        shown = next((x for x in lines if all(w in x for w in case.words)), last)
        with open(TABLE, "a") as table:
            table.write(f"| {name} | `{(last if code else shown).replace('|', '/')}` | {code} |\n")
    assert code == case.exit_code, output[-3000:]
    if case.check:
        case.check(workdir)
    if case.exit_code == 0:
        assert any(all(word in line for word in case.words) for line in lines), output[-3000:]
        return
    for word in case.words:
        assert word in last, f"{word!r} not in the last line {last!r}:\n{output[-3000:]}"
    assert "Traceback" not in output, output[-3000:]
    assert leftovers(workdir, case) == []
