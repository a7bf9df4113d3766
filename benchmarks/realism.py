"""How real does a volume look? Its noise, noise correlation, class spreads and edge width beside
the real Ni-YSZ tomogram's (xrayseg.data.realism: the method of ../shared/tools/realism.py).

Usage (from the repository root):
    python benchmarks/realism.py results/ingest/volume.h5      # an ingested volume
    python benchmarks/realism.py resources/synthetic           # a synthetic folder (raw/, labels/)
    python benchmarks/realism.py --config config/realistic.yaml             # generate, then measure
    python benchmarks/realism.py --config config/realistic_small.yaml --shape 48 160 160
    python benchmarks/realism.py --quick                        # a small default volume (seconds)

Without a volume it generates the synthetic volume of config/config.yaml with --config's keys on
top (as `snakemake --configfile` merges them), exactly as the synthetic rule writes it, timed,
into a temporary folder (--keep DIR keeps it) and measures that. --slices first:last picks the
slices of the noise and edge figures (default: 6 mid-stack). A synthetic folder's labels map to
classes by the config's data.label_values. Printed: the machine, the generation time and peak
memory (when it generated), and per statistic the volume's value with the real tomogram's in
brackets.
"""

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import tifffile
from dataset import config_with
from machine import print_machine, write_json

from xrayseg.data.realism import (
    REAL_EDGE_RISE_PX,
    REAL_INTERIOR,
    REAL_SPREAD,
    measure_realism,
)
from xrayseg.data.synthetic import write_synthetic_from_config

QUICK_SHAPE = [24, 96, 96]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("volume", nargs="?", help="volume.h5 (raw, labels) or a synthetic folder")
    parser.add_argument("--config", action="append", default=[], help="keys over the default")
    parser.add_argument("--shape", type=int, nargs=3, help="generate this size instead")
    parser.add_argument("--slices", help="first:last of the noise and edge figures")
    parser.add_argument("--keep", help="write the generated volume here (must not exist)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help=f"generate {QUICK_SHAPE}")
    args = parser.parse_args(argv)
    if args.quick and args.shape is None:
        args.shape = QUICK_SHAPE
    return args


class FolderStack:
    """The slices of a synthetic folder's raw/ or labels/ (sorted names), read when indexed;
    labels as class indices (255 for a value that is no class)."""

    def __init__(self, folder, label_values=None):
        self.paths = sorted(Path(folder).iterdir())
        self.lookup = None
        if label_values is not None:
            self.lookup = np.full(256, 255, dtype=np.uint8)
            self.lookup[np.asarray(label_values, dtype=np.uint8)] = np.arange(len(label_values))

    def __len__(self):
        return len(self.paths)

    def _read(self, index):
        image = tifffile.imread(self.paths[index])
        return image if self.lookup is None else self.lookup[image]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return np.stack([self._read(i) for i in range(*index.indices(len(self)))])
        return self._read(index)


def measure_folder(folder, label_values, first, last):
    folder = Path(folder)
    labels = FolderStack(folder / "labels", label_values)
    if len(labels) != len(list((folder / "raw").iterdir())):
        raise SystemExit(f"{folder}: labels for only some raw slices; measure its volume.h5")
    return measure_realism(FolderStack(folder / "raw"), labels, first, last)


def measure_h5(path, first, last):
    with h5py.File(path, "r") as volume:
        return measure_realism(volume["raw"], volume["labels"], first, last)


def generate(config, shape, folder):
    """Write the config's synthetic volume to `folder` as the rule does: wall seconds."""
    started = time.perf_counter()
    write_synthetic_from_config(
        folder, config["synthetic"], config["data"]["label_values"], shape=shape
    )
    return time.perf_counter() - started


def print_figures(figures):
    found = figures["realism"]
    first, last = found["slices"]
    print(f"slices {first}:{last}; pore-to-YSZ contrast {found['contrast']:.4g} (file units)")
    print(f"{'phase':6s} {'noise':>13s}  {'corr x+1,2,4,8':>34s}  {'corr z+1,2':>20s}")
    for name, real in REAL_INTERIOR.items():
        m = found["interior"][name]
        print(
            f"{name:6s} {m['noise']:.3f} ({real['noise']:.3f})  "
            + " ".join(f"{c:.2f}({t:.2f})" for c, t in zip(m["x"], real["x"], strict=True))
            + "  "
            + " ".join(f"{c:.2f}({t:.2f})" for c, t in zip(m["z"], real["z"], strict=True))
        )
    print(
        "class spread (std / contrast, all pixels): "
        + ", ".join(f"{k} {v:.3f} ({REAL_SPREAD[k]:.3f})" for k, v in found["spread"].items())
    )
    print(f"pore->Ni edge 10-90 % rise: {found['edge_rise_px']:.2f} px ({REAL_EDGE_RISE_PX:.0f})")
    print(f"pore and Ni pixels that read as YSZ: {100 * found['reads_mid']:.1f} % (not measured)")
    print("(in brackets: the real tomogram)")


def main(argv=None):
    args = parse_args(argv)
    figures = {"machine": print_machine("realism: a volume's statistics beside real data")}
    first, last = map(int, args.slices.split(":")) if args.slices else (None, None)
    config = config_with(args.config)
    if args.volume:
        source = Path(args.volume)
        figures["source"] = str(source)
        if source.is_dir():
            found = measure_folder(source, config["data"]["label_values"], first, last)
        else:
            found = measure_h5(source, first, last)
    else:
        shape = args.shape or config["synthetic"]["shape"]
        workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="realism-"))
        folder = workdir / "synthetic" if not args.keep else workdir
        try:
            seconds = generate(config, shape, folder)
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            settings = config["synthetic"]
            figures.update(
                source="generated",
                shape=list(shape),
                realism=settings.get("realism", "easy"),
                generate_s=round(seconds, 1),
                generate_peak_mb=round(peak_mb),
            )
            print(
                f"generated a {' x '.join(map(str, shape))} volume "
                f"(realism {figures['realism']}) in {seconds:.1f} s, peak memory {peak_mb:.0f} MB",
                flush=True,
            )
            found = measure_folder(folder, config["data"]["label_values"], first, last)
        finally:
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
    figures["realism"] = found
    print_figures(figures)
    write_json(args.json, figures)
    return figures


if __name__ == "__main__":
    main()
