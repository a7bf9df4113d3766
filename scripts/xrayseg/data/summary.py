"""Per-slice statistics gathered while ingesting: summary.csv and a figure of the classes.

summary.csv has one row per slice: index, split, source names, raw grey mean and std (in the files'
units), and the fraction of pixels in each class and under the ignore mask. The figure shows the
class fractions along the stack (with the split blocks) and each class's grey-value histogram: the
first things to look at when a model disappoints (drift, a badly labelled slice, overlapping
classes).
"""

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from xrayseg.io.volume import IGNORE_INDEX

# Histogram range in normalised units (0 and 1 are the train slices' low and high percentiles).
HIST_RANGE = (-0.25, 1.25)
HIST_BINS = 120
SPLIT_COLOURS = {"val": "#fdd49e", "test": "#d4b9da", "guard": "#eeeeee"}


class SliceStatistics:
    """Accumulates one summary row per slice and grey-value histograms per class."""

    def __init__(self, class_names, norm_low, norm_high):
        self.class_names = list(class_names)
        self.norm_low, self.norm_high = norm_low, norm_high
        self.rows = []
        self.histograms = np.zeros((len(class_names), HIST_BINS), dtype=np.int64)

    def add(self, z, split, raw_name, label_name, raw, normalised, classes):
        """Record slice z: `raw` in file units, `normalised` as written, `classes` uint8."""
        counts = np.bincount(classes.ravel(), minlength=256)
        row = {
            "slice": z,
            "split": split,
            "raw_name": raw_name,
            "label_name": label_name,
            "mean": float(raw.mean(dtype=np.float64)),
            "std": float(raw.std(dtype=np.float64)),
        }
        for index, name in enumerate(self.class_names):
            row[f"fraction_{name}"] = counts[index] / classes.size
        row["fraction_ignored"] = counts[IGNORE_INDEX] / classes.size
        self.rows.append(row)

        low, high = HIST_RANGE
        bins = ((normalised - low) * (HIST_BINS / (high - low))).astype(np.int64)
        np.clip(bins, 0, HIST_BINS - 1, out=bins)
        keep = classes != IGNORE_INDEX
        flat = classes[keep].astype(np.int64) * HIST_BINS + bins[keep]
        self.histograms += np.bincount(flat, minlength=self.histograms.size).reshape(
            self.histograms.shape
        )

    def frame(self):
        return pd.DataFrame(self.rows)

    def write_csv(self, path):
        self.frame().to_csv(path, index=False)

    def write_figure(self, path):
        """Class fractions along the stack and grey-value histograms per class, as a PNG."""
        frame = self.frame()
        figure = Figure(figsize=(11, 4.2))
        along, histogram = figure.subplots(1, 2, width_ratios=[1.4, 1])
        figure.subplots_adjust(left=0.06, right=0.98, bottom=0.13, top=0.92, wspace=0.2)
        _shade_splits(along, frame)
        for name in self.class_names:
            along.plot(frame["slice"], frame[f"fraction_{name}"], label=name, linewidth=1.2)
        if frame["fraction_ignored"].any():
            along.plot(frame["slice"], frame["fraction_ignored"], "k--", label="ignored")
        along.set(xlabel="slice", ylabel="fraction of pixels", title="Classes along the stack")
        along.set_ylim(0, 1)
        along.legend(loc="upper right", fontsize="small")

        low, high = HIST_RANGE
        centres = low + (np.arange(HIST_BINS) + 0.5) * (high - low) / HIST_BINS
        grey = self.norm_low + centres * (self.norm_high - self.norm_low)
        for name, counts in zip(self.class_names, self.histograms, strict=True):
            total = counts.sum()
            if total:
                histogram.plot(grey, counts / total, label=name, linewidth=1.2)
        for value in (self.norm_low, self.norm_high):
            histogram.axvline(value, color="grey", linewidth=0.8, linestyle=":")
        histogram.set(
            xlabel="raw grey value (dotted: normalisation low / high)",
            ylabel="fraction of the class's pixels",
            title="Grey values per class (all slices)",
        )
        histogram.xaxis.set_major_locator(MaxNLocator(6))
        histogram.legend(fontsize="small")
        figure.savefig(path, format="png", dpi=100)


def _shade_splits(axes, frame):
    """Background spans for val, test and guard blocks, so drift across splits stands out."""
    splits = frame["split"].tolist()
    start = 0
    for z in range(1, len(splits) + 1):
        if z == len(splits) or splits[z] != splits[start]:
            if splits[start] in SPLIT_COLOURS:
                axes.axvspan(start - 0.5, z - 0.5, color=SPLIT_COLOURS[splits[start]], linewidth=0)
            if splits[start] != "guard":
                axes.text((start + z - 1) / 2, 0.02, splits[start], ha="center", va="bottom")
            start = z
