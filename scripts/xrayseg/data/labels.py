"""Map label images (grey values or RGB colours) to class indices, and report what does not fit.

`label_values[i]` in the files becomes class i; the optional mask value becomes IGNORE_INDEX (pixels
that count for nothing in training and scoring). Values that are neither are collected per slice so
one error can list them all: value, pixel count and the slices holding it.
"""

from collections import defaultdict

import numpy as np

from xrayseg.io.errors import InputError, summarised
from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.settings.specs import is_rgb_value

# More unknown values than this are no stray pixels: the message says what causes so many.
MANY_UNKNOWN_VALUES = 10


def _colour_codes(rgb):
    """One int64 per pixel for a Y x X x 3 colour image (16 bits per channel)."""
    rgb = rgb.astype(np.int64)
    return (rgb[..., 0] << 32) | (rgb[..., 1] << 16) | rgb[..., 2]


def _colour_of(code):
    code = int(code)
    return [code >> 32, (code >> 16) & 0xFFFF, code & 0xFFFF]


class LabelMapping:
    """Turns one label slice into uint8 class indices; unknown values are returned, not raised."""

    def __init__(self, label_values, mask=None):
        if len(label_values) >= IGNORE_INDEX:
            raise InputError(
                f"data.label_values: {len(label_values)} classes; at most {IGNORE_INDEX - 1} fit"
            )
        self.rgb = is_rgb_value(label_values[0])
        self.label_values = [list(v) if self.rgb else v for v in label_values]
        encode = self._encode
        self.codes = [encode(v) for v in label_values]
        self.mask_code = None if mask is None else encode(mask)

    def _encode(self, value):
        if self.rgb:
            return int(_colour_codes(np.asarray(value)[None, :])[0])
        return value

    def describe(self, code):
        """A value as the user wrote it in the config: 128 or [0, 0, 255]."""
        if self.rgb:
            return str(_colour_of(code))
        return f"{code:g}" if isinstance(code, float) else str(code)

    def pixel_codes(self, label_slice, name):
        """The slice as one comparable value per pixel; errors when grey and RGB are mixed up."""
        array = np.asarray(label_slice)
        if array.ndim == 3 and array.shape[-1] == 1:
            array = array[..., 0]
        colour = array.ndim == 3 and array.shape[-1] in (3, 4)
        if self.rgb and not colour:
            found = np.unique(array)
            raise InputError(
                f"{name}: label image is greyscale (shape {array.shape}, values "
                f"{found[:10].tolist()}{' ...' if found.size > 10 else ''}) but data.label_values "
                f"are RGB colours {self.label_values}; give grey values, e.g. label_values: "
                f"{found[:10].tolist()}"
            )
        if not self.rgb and colour:
            colours = np.unique(array[..., :3].reshape(-1, 3), axis=0)
            raise InputError(
                f"{name}: label image is RGB (shape {array.shape}, colours "
                f"{colours[:6].tolist()}{' ...' if len(colours) > 6 else ''}) but "
                f"data.label_values are grey values {self.label_values}; give one [R, G, B] "
                "colour per class, e.g. "
                f"label_values: {colours[:6].tolist()}"
            )
        if not colour and array.ndim != 2:
            raise InputError(
                f"{name}: a label slice must be Y x X grey values or Y x X x 3 colours, "
                f"got shape {array.shape}"
            )
        if not colour:
            return array
        if array.shape[-1] == 4:
            alpha = array[..., 3]
            if alpha.min() != alpha.max():
                raise InputError(
                    f"{name}: label image has a transparency channel with more than one value; "
                    "save the labels as RGB without transparency"
                )
        return _colour_codes(array[..., :3])

    def classes(self, label_slice, name):
        """(uint8 class indices, {unknown value: pixel count}) for one label slice."""
        codes = self.pixel_codes(label_slice, name)
        classes = np.full(codes.shape, IGNORE_INDEX, dtype=np.uint8)
        known = np.zeros(codes.shape, dtype=bool)
        for index, code in enumerate(self.codes):
            hit = codes == code
            classes[hit] = index
            known |= hit
        if self.mask_code is not None:
            known |= codes == self.mask_code
        unknown = {}
        if not known.all():
            found, counts = np.unique(codes[~known], return_counts=True)
            unknown = {v.item(): int(c) for v, c in zip(found, counts, strict=True)}
        return classes, unknown


class UnknownLabels:
    """Label values outside label_values (and mask), gathered over every slice for one error."""

    def __init__(self, mapping):
        self.mapping = mapping
        self.pixels = defaultdict(int)
        self.slices = defaultdict(list)

    def add(self, name, unknown):
        for value, count in unknown.items():
            self.pixels[value] += count
            self.slices[value].append(name)

    def __bool__(self):
        return bool(self.pixels)

    def widened_to_16_bits(self):
        """The 16-bit values of the grey label values (v * 257, as an 8-bit image saved as 16
        bits holds) when the unknown values are those and nothing else; else None."""
        if self.mapping.rgb or self.mapping.mask_code is not None:
            return None
        if not all(isinstance(v, int) and 0 <= v <= 255 for v in self.mapping.codes):
            return None
        widened = [v * 257 for v in self.mapping.codes]
        unknown = set(self.pixels)
        if not unknown or not unknown <= set(widened):
            return None
        return widened

    def lines(self, shown_slices=5):
        """One line per unknown value, most pixels first: value, pixel count and slices."""
        lines = []
        for value in sorted(self.pixels, key=lambda v: -self.pixels[v]):
            slices = self.slices[value]
            shown = ", ".join(slices[:shown_slices]) + (
                f", ... ({len(slices)} slices)" if len(slices) > shown_slices else ""
            )
            lines.append(
                f"value {self.mapping.describe(value)}: {self.pixels[value]} pixels in {shown}"
            )
        return lines

    def message(self, where="the job log"):
        """One line: the first few unknown values (most pixels first), how many there are and
        where the full list is, and the fixes."""
        known = f"data.label_values {self.mapping.label_values}"
        if self.mapping.mask_code is not None:
            known += f" and data.mask {self.mapping.describe(self.mapping.mask_code)}"
        lines = self.lines(shown_slices=3)
        many = ""
        widened = self.widened_to_16_bits()
        if widened:
            return (
                f"label files hold {widened} where data.label_values are "
                f"{self.mapping.label_values}: the labels were saved as 16-bit images (each "
                "value times 257); save them as 8-bit, or give the 16-bit values as "
                f"data.label_values: {widened}"
            )
        if len(lines) > MANY_UNKNOWN_VALUES:
            many = (
                "; so many values mean data.labels points at scans, or labels were resized or "
                "saved lossily (export them at full size, nearest-neighbour, lossless)"
            )
        return (
            f"label files hold values that are not in {known}: "
            f"{summarised(lines, shown=3, where=where, separator='; ')}. Fix: add each value to "
            "data.label_values (with a name in data.class_names), set data.mask to the value "
            f"that marks pixels outside the sample, or correct the label files{many}"
        )
