"""Bootstrap confidence intervals over slices.

Slices, not pixels, are the independent-ish units: neighbouring pixels are strongly correlated, so
resampling pixels would give absurdly narrow intervals. Each resample draws as many slices as the
split has, with replacement, sums their per-slice counts (confusion matrices) and scores the pooled
counts exactly like the point estimate; the interval is the percentile interval of those scores.
Seeded, so a rerun gives the same interval.

Neighbouring tomogram slices are strongly correlated, so n slices hold fewer than n independent
observations and a plain bootstrap understates the uncertainty. `block` > 1 makes it a moving-block
bootstrap: each resample strings together randomly placed runs of `block` consecutive items (in
the order given, i.e. stack order), which keeps the correlation within a run.
"""

import numpy as np


def resample_weights(n_items, n_resamples, seed, block=1):
    """(n_resamples, n_items) int64: how often each item is drawn in each resample.

    Each resample draws n_items items: runs of `block` consecutive items at random starts
    (single items when block is 1), the last run cut short.
    """
    rng = np.random.default_rng(seed)
    block = max(1, min(int(block), n_items))
    n_runs = -(-n_items // block)
    starts = rng.integers(0, n_items - block + 1, size=(n_resamples, n_runs))
    draws = (starts[:, :, None] + np.arange(block)).reshape(n_resamples, -1)[:, :n_items]
    offsets = np.arange(n_resamples)[:, None] * n_items
    counts = np.bincount((draws + offsets).ravel(), minlength=n_resamples * n_items)
    return counts.reshape(n_resamples, n_items)


def bootstrap_intervals(
    per_item_counts, statistics, n_resamples=2000, confidence=0.95, seed=0, block=1
):
    """{name: (low, high)} percentile intervals of pooled statistics over resampled items.

    per_item_counts: array (n_items, ...) of additive counts (e.g. one confusion matrix per slice).
    statistics: {name: function mapping pooled counts (n_resamples, ...) to (n_resamples,) values}.
    block: run length of a moving-block bootstrap (1: plain bootstrap over items).
    Resamples where a statistic is undefined (NaN) are left out of its interval; with no items,
    or no defined resample, the interval is (NaN, NaN).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    counts = np.asarray(per_item_counts, dtype=np.float64)
    if counts.shape[0] == 0:
        return {name: (float("nan"), float("nan")) for name in statistics}
    weights = resample_weights(counts.shape[0], n_resamples, seed, block).astype(np.float64)
    pooled = (weights @ counts.reshape(counts.shape[0], -1)).reshape(n_resamples, *counts.shape[1:])
    tail = (1 - confidence) / 2 * 100
    intervals = {}
    for name, statistic in statistics.items():
        values = np.asarray(statistic(pooled), dtype=np.float64)
        values = values[np.isfinite(values)]
        if values.size == 0:
            intervals[name] = (float("nan"), float("nan"))
        else:
            low, high = np.percentile(values, [tail, 100 - tail])
            intervals[name] = (float(low), float(high))
    return intervals
