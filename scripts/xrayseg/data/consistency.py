"""Ingest checks that look across slices: one stack, every class in train, raw vs labels.

Whether the slices make one stack, every class reaches the train block, and raw and labels
are the right way round.

- StackRanges: the dtype and grey-value range of every raw slice against the stack's. A slice
  exported again at another bit depth (an 8-bit slice among 16-bit ones) would otherwise be
  normalised with the others' numbers and come out nearly black, without a word.
- class_presence_problems: a class that no labelled train slice holds cannot be learnt (the
  networks score IoU 0 on it); named with the blocks that do hold it, and the fixes.
- swapped_problem: raw slices that hold only label values beside label slices full of grey
  values: data.raw and data.labels are swapped (else every grey value would be reported as an
  unknown label value).

Each problem is one line naming the slices, the evidence and the fix (xrayseg.io.errors).
"""

import numpy as np

from xrayseg.data.split import SPLITS
from xrayseg.io.errors import InputError, summarised
from xrayseg.io.volume import IGNORE_INDEX

# Pixels of a slice sampled for its grey-value range, and the range's percentiles: robust to a
# few hot or dead pixels.
RANGE_SAMPLE = 1 << 16
RANGE_PERCENTILES = (0.5, 99.5)
# An integer slice whose values all fit in 8 bits, in a stack whose slices typically reach past
# 12 bits, holds an 8-bit export in a wider file.
EIGHT_BIT_MAX = 255
WIDE_STACK_MAX = 4095


class StackRanges:
    """The dtype and grey-value range of each raw slice, gathered one slice at a time."""

    def __init__(self, spec):
        self.spec = spec
        self.names, self.dtypes, self.ranges, self.maxima = [], [], [], []

    def add(self, name, pixels):
        """Record one raw slice (2-D, finite grey values)."""
        stride = max(1, int(np.ceil(np.sqrt(pixels.size / RANGE_SAMPLE))))
        sample = pixels[::stride, ::stride]
        low, high = np.percentile(sample, RANGE_PERCENTILES)
        self.names.append(name)
        self.dtypes.append(str(pixels.dtype))
        self.ranges.append((float(low), float(high)))
        self.maxima.append(float(pixels.max()))

    def problems(self):
        """One line per kind of outlier: slices of another dtype than most, and slices (of the
        common dtype) whose grey values lie outside the range the stack's slices share."""
        if len(self.names) < 2:
            return []
        dtypes, counts = np.unique(self.dtypes, return_counts=True)
        common = str(dtypes[np.argmax(counts)])
        same = [i for i, d in enumerate(self.dtypes) if d == common]
        low = float(np.median([self.ranges[i][0] for i in same]))
        high = float(np.median([self.ranges[i][1] for i in same]))
        typical_max = float(np.median([self.maxima[i] for i in same]))
        others = f"{len(same)} of the {len(self.names)} slices of {self.spec} are {common}"
        shared = f"grey values {_grey(low)}..{_grey(high)}"
        problems = []
        other_dtype = [i for i, d in enumerate(self.dtypes) if d != common]
        if other_dtype:
            problems.append(
                f"{self._evidence(other_dtype, dtype=True)}, but {others} with {shared}: "
                f"another bit depth or number type (exported again?); export "
                f"{_them(other_dtype)} like the others, or leave {_them(other_dtype)} and "
                f"{_its(other_dtype)} partner out of the data"
            )
        eight_bit = [
            i
            for i in same
            if np.issubdtype(np.dtype(common), np.integer)
            and self.maxima[i] <= EIGHT_BIT_MAX < WIDE_STACK_MAX < typical_max
        ]
        if eight_bit:
            problems.append(
                f"{self._evidence(eight_bit)}: only 8-bit values in a {common} file, while the "
                f"other slices of {self.spec} reach {shared} (exported at 8 bits, then "
                f"widened?); export {_them(eight_bit)} again from the original scan like the "
                "others"
            )
        disjoint = [
            i
            for i in same
            if i not in eight_bit and (self.ranges[i][1] < low or self.ranges[i][0] > high)
        ]
        if disjoint:
            problems.append(
                f"{self._evidence(disjoint)}, which no other slice of {self.spec} shares (they "
                f"have {shared}): another scan or contrast setting? export {_them(disjoint)} "
                f"like the others, or leave {_them(disjoint)} and {_its(disjoint)} partner out "
                "of the data"
            )
        return problems

    def _evidence(self, indices, dtype=False):
        """'a.tif has grey values 3..251' ('a.tif is uint8 with ...') for the first few."""
        shown = [
            f"{self.names[i]} {f'is {self.dtypes[i]} with' if dtype else 'has'} grey values "
            f"{_grey(self.ranges[i][0])}..{_grey(self.ranges[i][1])}"
            for i in indices
        ]
        return summarised(shown, shown=3)


def _grey(value):
    """A grey value for a message: whole above 100, three digits below (float scans)."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _its(indices):
    return "its" if len(indices) == 1 else "their"


def _them(indices):
    return "it" if len(indices) == 1 else "them"


def classes_present(classes, n_classes):
    """A bool per class: whether any pixel of the class-index slice holds it."""
    counts = np.bincount(classes[classes != IGNORE_INDEX].ravel(), minlength=n_classes)
    return counts[:n_classes] > 0


def class_presence_problems(present, splits, class_names, values):
    """One line per class that no train slice holds, naming where it does occur and the fixes.

    present: a bool per slice and class (classes_present of each slice); splits: the split of
    every slice; values: each class's label value as the config writes it.
    """
    present = np.asarray(present, dtype=bool).reshape(len(splits), len(class_names))
    train = [z for z, s in enumerate(splits) if s == "train"]
    problems = []
    for c, name in enumerate(class_names):
        if present[train, c].any():
            continue
        where = []
        for block in [*SPLITS[1:], "guard"]:
            slices = [z for z, s in enumerate(splits) if s == block and present[z, c]]
            if slices:
                where.append(f"{len(slices)} {block} slice{'s' if len(slices) > 1 else ''}")
        about = f"class {name!r} (label value {values[c]})"
        span = f"slices {train[0]}-{train[-1]}" if train else "no slices"
        if not where:
            problems.append(
                f"{about} occurs in no labelled slice: no model can learn or be scored on it; "
                "drop it from data.label_values and data.class_names, or check its value"
            )
            continue
        problems.append(
            f"{about} occurs in no slice of the train block ({span}), only in "
            f"{' and '.join(where)}: no model can learn it. Move the blocks so the train block "
            "holds it (split.val_fraction, split.test_fraction), label it in a train slice, or "
            "drop the class from data.label_values and data.class_names"
        )
    return problems


def looks_like_labels(image, mapping):
    """Whether an image holds only label values (and the mask), of at least two classes."""
    try:
        classes, unknown = mapping.classes(image, "")
    except InputError:  # the other kind (grey for RGB labels, or the reverse)
        return False
    return not unknown and len(np.unique(classes[classes != IGNORE_INDEX])) >= 2


def swapped_problem(raw, labels, mapping):
    """One line when data.raw and data.labels look swapped, judged on the first labelled pair:
    its raw slice holds only label values while most pixels of its label slice hold none."""
    z = next((z for z in range(len(labels)) if labels.items[z] is not None), None)
    if z is None:
        return None
    raw_image, label_image = raw.read(z), np.asarray(labels.read(z))
    if not looks_like_labels(raw_image, mapping):
        return None
    try:
        _, unknown = mapping.classes(label_image, "")
    except InputError:  # not even the kind of image the label values are (grey or RGB)
        unknown = None
    if unknown is not None:
        pixels = label_image.shape[0] * label_image.shape[1]
        if sum(unknown.values()) * 2 <= pixels:
            return None
    found = np.unique(label_image)
    return (
        f"data.raw and data.labels look swapped: raw slice {raw.name(z)} holds only label "
        f"values, and label slice {labels.name(z)} holds {len(found)} grey values "
        f"({label_image.dtype}, {_grey(found[0])}..{_grey(found[-1])}); swap "
        f"{raw.spec!r} and {labels.spec!r} in the config's data section"
    )
