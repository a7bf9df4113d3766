"""The pipeline's first stages as plain calls, configured like the default run: a synthetic
tomogram, ingest, split and patch files in a work folder (what the benchmarks measure or need)."""

import copy
from pathlib import Path

import yaml
from machine import REPO

from xrayseg.data.ingest import ingest_volume
from xrayseg.data.split import write_split_table
from xrayseg.data.synthetic import write_synthetic_from_config
from xrayseg.patches.build import build_patches


def default_config():
    """config/config.yaml, as the default run reads it."""
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def merged(base, top):
    """`base` with `top`'s keys over it, section by section (as Snakemake's --configfile)."""
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def config_with(paths):
    """The default config with each config file of `paths` merged over it in turn."""
    config = default_config()
    for path in paths:
        config = merged(config, yaml.safe_load(Path(path).read_text()) or {})
    return config


class Dataset:
    """Paths of the stages' outputs under `workdir`, and the calls that make them."""

    def __init__(self, workdir, config=None):
        self.workdir = Path(workdir)
        self.config = copy.deepcopy(config or default_config())
        self.synthetic_dir = self.workdir / "synthetic"
        self.volume = self.workdir / "volume.h5"
        self.split_csv = self.workdir / "split.csv"

    def patches_path(self, size):
        return self.workdir / f"patches_{size}px.h5"

    def make_synthetic(self, shape):
        write_synthetic_from_config(
            self.synthetic_dir,
            self.config["synthetic"],
            self.config["data"]["label_values"],
            shape=shape,
            split=self.config["split"],
        )

    def ingest(self):
        data = self.config["data"]
        return ingest_volume(
            raw_spec=str(self.synthetic_dir / "raw"),
            labels_spec=str(self.synthetic_dir / "labels"),
            label_values=data["label_values"],
            class_names=data["class_names"],
            split=self.config["split"],
            out_path=self.volume,
            percentiles=data["normalise_percentiles"],
            summary_path=self.workdir / "summary.csv",
            histograms_path=self.workdir / "histograms.csv",
            figure_path=self.workdir / "classes.png",
            sparse_labels=data.get("sparse_labels", False),
        )

    def split(self):
        return write_split_table(self.volume, self.config["split"], self.split_csv)

    def patches(self, size):
        settings = self.config["patches"]
        return build_patches(
            volume_path=self.volume,
            split_csv=self.split_csv,
            size=size,
            seed=settings["seed"],
            near_duplicate=settings["near_duplicate"],
            out_h5=self.patches_path(size),
            out_csv=self.workdir / f"patches_{size}px.csv",
            max_ignored_fraction=settings.get("max_ignored_fraction", 1.0),
        )

    def build(self, shape, sizes):
        """Every stage up to the patch files of the given sizes."""
        self.make_synthetic(shape)
        self.ingest()
        self.split()
        for size in sizes:
            self.patches(size)
        return self
