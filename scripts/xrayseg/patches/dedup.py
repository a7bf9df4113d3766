"""Duplicate and near-duplicate patches: content hashes and same-position similarity.

Neighbouring tomogram slices are nearly identical, so a grid over every slice yields stacks of
near-copies that inflate the patch count without adding information. A patch is a near-duplicate
when the same area (same y, x, pixel for pixel) was already kept from one of the last `window`
slices and the kept content there agrees with it: label agreement and raw correlation both at or
above their thresholds.
"""

import hashlib

import numpy as np


def content_key(raw_patch, label_patch):
    """Hash of a patch's raw and label content; equal content gives an equal key."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.ascontiguousarray(raw_patch).tobytes())
    digest.update(np.ascontiguousarray(label_patch).tobytes())
    return digest.digest()


def label_agreement(labels_a, labels_b):
    """Fraction of pixels with equal labels, over the last two axes."""
    return (labels_a == labels_b).mean(axis=(-2, -1))


def raw_correlation(raw_a, raw_b):
    """Pearson correlation of raw values over the last two axes.

    Two flat patches (no variance) correlate 1 when equal and 0 otherwise; one flat patch against
    a structured one correlates 0.
    """
    a = raw_a.reshape(*raw_a.shape[:-2], -1).astype(np.float64)
    b = raw_b.reshape(*raw_b.shape[:-2], -1).astype(np.float64)
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    norm = np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))
    flat_equal = np.all(raw_a == raw_b, axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = (a * b).sum(axis=-1) / norm
    return np.where(norm > 0, correlation, np.where(flat_equal, 1.0, 0.0))


class NearDuplicateFilter:
    """Remembers the content kept at every pixel of one split's slices, most recent first.

    For each pixel it holds the raw value, label and slice index of the latest kept patch covering
    it. A candidate tile is compared with that kept content at its own position; it only counts as
    a near-duplicate when every one of its pixels was kept within the last `window` slices
    (window 0 switches near-duplicate removal off).
    """

    def __init__(self, height, width, window, min_label_agreement, min_raw_correlation):
        self.window = window
        self.min_label_agreement = min_label_agreement
        self.min_raw_correlation = min_raw_correlation
        self.raw = np.zeros((height, width), dtype=np.float32)
        self.labels = np.zeros((height, width), dtype=np.uint8)
        # Slice index of the kept content per pixel; far in the past where nothing was kept yet.
        self.kept_at = np.full((height, width), np.iinfo(np.int64).min // 2, dtype=np.int64)

    def near_duplicates(self, z, raw_tiles, label_tiles, origins):
        """Boolean mask over the tiles of slice z: True where a tile repeats kept content."""
        mask = np.zeros(raw_tiles.shape[:-2], dtype=bool)
        if self.window == 0 or mask.size == 0:
            return mask
        kept_raw, kept_labels, kept_at = self._at(origins, raw_tiles.shape[-1])
        recent = (z - kept_at <= self.window).all(axis=(-2, -1))
        agree = label_agreement(label_tiles, kept_labels) >= self.min_label_agreement
        correlate = raw_correlation(raw_tiles, kept_raw) >= self.min_raw_correlation
        return recent & agree & correlate

    def remember(self, z, raw_tiles, label_tiles, origins, kept):
        """Record the kept tiles of slice z as the latest content at their positions."""
        size = raw_tiles.shape[-1]
        for index in zip(*np.nonzero(kept), strict=True):
            y, x = origins[index]
            self.raw[y : y + size, x : x + size] = raw_tiles[index]
            self.labels[y : y + size, x : x + size] = label_tiles[index]
            self.kept_at[y : y + size, x : x + size] = z

    def _at(self, origins, size):
        """Kept raw, labels and slice index under every tile, shaped like the tiles."""
        y0, x0 = origins[0, 0]
        rows, cols = origins.shape[:2]
        window = (slice(y0, y0 + rows * size), slice(x0, x0 + cols * size))
        return tuple(
            array[window].reshape(rows, size, cols, size).swapaxes(1, 2)
            for array in (self.raw, self.labels, self.kept_at)
        )
