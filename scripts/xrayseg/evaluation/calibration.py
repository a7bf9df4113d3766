"""How honest class probabilities are, and how well uncertainty finds errors (pure functions).

Temperature scaling (Guo et al. 2017) divides a model's logits by one number T fitted on held-out
pixels to minimise the negative log-likelihood (NLL): T > 1 softens an overconfident model, T < 1
sharpens an underconfident one, and the predicted class never changes. NLL(1/T) is convex in 1/T
(its second derivative is the variance of the logits under the scaled softmax), so it has one
minimum along log T and a golden-section search finds it without derivatives.

Reliability: pixels binned by their top-class probability (the confidence) in equal-width bins
on [0, 1]; the expected calibration error (ECE) is the pixel-weighted mean of |accuracy -
confidence| over the bins. Error detection: the area under the ROC curve (AUROC) of a per-pixel
uncertainty for telling misclassified pixels from correct ones, i.e. the chance that a random
wrong pixel is more uncertain than a random right one (ties count half; the Mann-Whitney U
statistic divided by the number of pairs). 0.5 is chance, 1 perfect.
"""

import math

import numpy as np

# Equal-width confidence bins of the reliability diagram and ECE (Guo et al.'s 15).
RELIABILITY_BINS = 15
# The temperatures searched: far beyond any model worth calibrating on either side.
TEMPERATURE_RANGE = (0.05, 20.0)
GOLDEN = (math.sqrt(5) - 1) / 2


def log_softmax(logits, temperature=1.0, axis=-1):
    """log softmax(logits / temperature) along `axis`, float64."""
    scaled = np.asarray(logits, dtype=np.float64) / float(temperature)
    scaled = scaled - scaled.max(axis=axis, keepdims=True)
    return scaled - np.log(np.exp(scaled).sum(axis=axis, keepdims=True))


def mean_nll(logits, labels, temperature=1.0):
    """Mean negative log-likelihood of `labels` (N,) under softmax(logits (N, C) / temperature)."""
    labels = np.asarray(labels, dtype=np.int64)
    log_p = log_softmax(logits, temperature, axis=1)
    return float(-log_p[np.arange(len(labels)), labels].mean())


def fit_temperature(logits, labels, tolerance=1e-4, bounds=TEMPERATURE_RANGE):
    """(T, NLL at T = 1, NLL at T): the temperature minimising the mean NLL of `labels` (N,)
    under softmax(logits (N, C) / T), by golden-section search over log T within `bounds`.

    The search stops when the bracket is narrower than `tolerance` in log T (T to 0.01 %). A
    minimum at a bound returns that bound.
    """
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if logits.ndim != 2 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError(
            f"fit_temperature needs logits (N, C) and N labels, got {logits.shape} and "
            f"{labels.shape}"
        )

    def nll(log_t):
        return mean_nll(logits, labels, math.exp(log_t))

    low, high = (math.log(b) for b in bounds)
    inner_low, inner_high = high - GOLDEN * (high - low), low + GOLDEN * (high - low)
    f_low, f_high = nll(inner_low), nll(inner_high)
    while high - low > tolerance:
        if f_low <= f_high:
            high, inner_high, f_high = inner_high, inner_low, f_low
            inner_low = high - GOLDEN * (high - low)
            f_low = nll(inner_low)
        else:
            low, inner_low, f_low = inner_low, inner_high, f_high
            inner_high = low + GOLDEN * (high - low)
            f_high = nll(inner_high)
    temperature = math.exp((low + high) / 2)
    return temperature, mean_nll(logits, labels), mean_nll(logits, labels, temperature)


class ReliabilityTally:
    """Pixels, summed confidence and summed correctness per equal-width confidence bin; add
    slices one at a time (the counts add up exactly)."""

    def __init__(self, bins=RELIABILITY_BINS):
        self.bins = int(bins)
        self.pixels = np.zeros(self.bins, dtype=np.int64)
        self.confidence = np.zeros(self.bins, dtype=np.float64)
        self.correct = np.zeros(self.bins, dtype=np.float64)

    def add(self, confidence, correct):
        """confidence: top-class probabilities in [0, 1]; correct: whether that class is right."""
        confidence = np.asarray(confidence, dtype=np.float64).ravel()
        correct = np.asarray(correct, dtype=bool).ravel()
        index = np.clip((confidence * self.bins).astype(np.int64), 0, self.bins - 1)
        self.pixels += np.bincount(index, minlength=self.bins)
        self.confidence += np.bincount(index, weights=confidence, minlength=self.bins)
        self.correct += np.bincount(index, weights=correct, minlength=self.bins)

    def ece(self):
        """Expected calibration error; NaN with no pixels."""
        total = self.pixels.sum()
        if total == 0:
            return float("nan")
        return float(np.abs(self.correct - self.confidence).sum() / total)

    def rows(self):
        """One dict per bin: bin, low, high, pixels, confidence and accuracy (means; NaN when
        the bin is empty)."""
        rows = []
        for b in range(self.bins):
            n = int(self.pixels[b])
            rows.append(
                {
                    "bin": b,
                    "low": b / self.bins,
                    "high": (b + 1) / self.bins,
                    "pixels": n,
                    "confidence": self.confidence[b] / n if n else float("nan"),
                    "accuracy": self.correct[b] / n if n else float("nan"),
                }
            )
        return rows


def expected_calibration_error(confidence, correct, bins=RELIABILITY_BINS):
    """ECE of top-class confidences and whether the top class was right (equal-width bins)."""
    tally = ReliabilityTally(bins)
    tally.add(confidence, correct)
    return tally.ece()


def top_class_confidence(probabilities, labels, axis=0):
    """(confidence, correct) of class probabilities along `axis` against integer labels."""
    probabilities = np.asarray(probabilities)
    predicted = probabilities.argmax(axis=axis)
    return probabilities.max(axis=axis), predicted == np.asarray(labels)


def auroc(scores, positives):
    """Area under the ROC curve of `scores` for telling `positives` (True) from the rest, from
    average ranks (ties share their rank): U / (n_pos * n_neg). NaN when either group is empty."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    positives = np.asarray(positives, dtype=bool).ravel()
    n_pos = int(positives.sum())
    n_neg = positives.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    # Average rank (1-based) of each distinct value: the ranks its ties would share.
    upper = np.cumsum(counts)
    mean_rank = upper - (counts - 1) / 2
    rank_sum = mean_rank[inverse][positives].sum()
    u = rank_sum - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def auroc_from_counts(negatives, positives):
    """AUROC from counts of negatives and positives per score value, the values in increasing
    order (the same statistic as auroc on the values themselves, ties counting half)."""
    negatives = np.asarray(negatives, dtype=np.float64)
    positives = np.asarray(positives, dtype=np.float64)
    n_neg, n_pos = negatives.sum(), positives.sum()
    if n_neg == 0 or n_pos == 0:
        return float("nan")
    below = np.cumsum(negatives) - negatives
    return float((positives * (below + negatives / 2)).sum() / (n_pos * n_neg))


# Every float16 value in [0, 1] as its bit pattern, which orders non-negative float16 values as
# their values (0x3C00 is 1.0): a histogram over them holds the stored maps exactly.
FLOAT16_UNIT_PATTERNS = 0x3C00 + 1


class ErrorDetectionTally:
    """Counts of right and wrong pixels per float16 uncertainty value in [0, 1], added slice by
    slice; auroc() is then exact for the float16 maps written beside the predictions."""

    def __init__(self):
        self.right = np.zeros(FLOAT16_UNIT_PATTERNS, dtype=np.int64)
        self.wrong = np.zeros(FLOAT16_UNIT_PATTERNS, dtype=np.int64)

    def add(self, uncertainty, wrong):
        """uncertainty: values in [0, 1] (NaN pixels are left out); wrong: misclassified."""
        values = np.asarray(uncertainty, dtype=np.float32).ravel()
        wrong = np.asarray(wrong, dtype=bool).ravel()
        defined = np.isfinite(values)
        bits = np.clip(values[defined], 0, 1).astype(np.float16).view(np.uint16)
        wrong = wrong[defined]
        self.wrong += np.bincount(bits[wrong], minlength=FLOAT16_UNIT_PATTERNS)
        self.right += np.bincount(bits[~wrong], minlength=FLOAT16_UNIT_PATTERNS)

    def auroc(self):
        return auroc_from_counts(self.right, self.wrong)

    @property
    def pixels(self):
        return int(self.right.sum() + self.wrong.sum())
