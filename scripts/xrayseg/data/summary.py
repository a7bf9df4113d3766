"""Per-slice statistics gathered while ingesting: summary.csv, histograms.csv and a figure.

summary.csv has one row per slice: index, split, labelled (whether any pixel holds a class),
source names, raw grey mean and std (in the files' units), and the fraction of pixels in each class
and under the ignore mask (1 on an unlabelled slice). histograms.csv has each
class's grey-value histogram over every slice: one row per class and bin (class, grey: the bin
centre in the files' units, normalised: the same on the normalised scale, count, fraction of the
class's pixels). The figure shows the class fractions along the stack (with the split blocks) and
the histograms: the first things to look at when a model disappoints (drift, a badly labelled
slice, overlapping classes). The report draws its data figure from the same two tables.
"""

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from xrayseg.data.splitshading import mark_labelled, shade_splits
from xrayseg.io.volume import IGNORE_INDEX

# Histogram range in normalised units (0 and 1 are the train slices' low and high percentiles).
HIST_RANGE = (-0.25, 1.25)
HIST_BINS = 120


class SliceStatistics:
    """Accumulates one summary row per slice and grey-value histograms per class."""

    def __init__(self, class_names, norm_low, norm_high):
        self.class_names = list(class_names)
        self.norm_low, self.norm_high = norm_low, norm_high
        self.rows = []
        self.histograms = np.zeros((len(class_names), HIST_BINS), dtype=np.int64)

    def add(self, z, split, raw_name, label_name, raw, normalised, classes, labelled=True):
        """Record slice z: `raw` in file units, `normalised` as written, `classes` uint8."""
        counts = np.bincount(classes.ravel(), minlength=256)
        row = {
            "slice": z,
            "split": split,
            "labelled": bool(labelled),
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

    def bin_centres(self):
        """(normalised, grey in the files' units) of each histogram bin's centre."""
        low, high = HIST_RANGE
        normalised = low + (np.arange(HIST_BINS) + 0.5) * (high - low) / HIST_BINS
        return normalised, self.norm_low + normalised * (self.norm_high - self.norm_low)

    def histogram_table(self):
        """histograms.csv as a long table: class, grey, normalised, count, fraction."""
        normalised, grey = self.bin_centres()
        frames = []
        for name, counts in zip(self.class_names, self.histograms, strict=True):
            total = counts.sum()
            fraction = counts / total if total else np.zeros(HIST_BINS)
            frames.append(
                pd.DataFrame(
                    {
                        "class": name,
                        "grey": grey,
                        "normalised": normalised,
                        "count": counts,
                        "fraction": fraction,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def write_histograms(self, path):
        self.histogram_table().to_csv(path, index=False)

    def write_figure(self, path):
        """Class fractions along the stack and grey-value histograms per class, as a PNG."""
        frame = self.frame()
        figure = Figure(figsize=(11, 4.2))
        along, histogram = figure.subplots(1, 2, width_ratios=[1.4, 1])
        figure.subplots_adjust(left=0.06, right=0.98, bottom=0.13, top=0.92, wspace=0.2)
        shade_splits(along, frame.set_index("slice")["split"])
        # Unlabelled slices have no class fractions: gaps in the lines, dots where lone.
        labelled = frame["labelled"].to_numpy(dtype=bool)
        style = {"linewidth": 1.2, "marker": "." if not labelled.all() else None}
        for name in self.class_names:
            values = frame[f"fraction_{name}"].where(labelled)
            along.plot(frame["slice"], values, label=name, **style)
        if frame["fraction_ignored"][labelled].any():
            ignored = frame["fraction_ignored"].where(labelled)
            along.plot(frame["slice"], ignored, "k--", label="ignored", marker=style["marker"])
        mark_labelled(along, frame["slice"], labelled)
        along.set(xlabel="slice", ylabel="fraction of pixels")
        along.set_title("Classes along the stack", pad=14)  # above the split names
        along.set_ylim(0, 1)
        along.legend(loc="upper right", fontsize="small")

        _, grey = self.bin_centres()
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
