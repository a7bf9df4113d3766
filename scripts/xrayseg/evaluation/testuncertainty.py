"""The test slices' uncertainty in evaluate: its maps, calibration and how it finds errors.

Its maps (test_uncertainty.h5), how calibrated the probabilities are before and after temperature
scaling (calibration.csv, the reliability diagram's bins), and how well the uncertainty finds the
errors (summary.json's `calibration`).

Everything is counted over the labelled test pixels, slice by slice, so the numbers are exact
for the whole test block whatever its size: reliability bins add up, and the error-detection
AUROC is taken from counts per float16 uncertainty value (the maps as written).
"""

import logging

import numpy as np
import pandas as pd

from xrayseg.evaluation.calibrate import fitted_temperature
from xrayseg.evaluation.calibration import (
    ErrorDetectionTally,
    ReliabilityTally,
    top_class_confidence,
)
from xrayseg.inference.uncertainty import UncertainPredictor
from xrayseg.io.uncertainty import UncertaintyFile

log = logging.getLogger(__name__)

# calibration.csv: the reliability bins of the model's own probabilities and of the scaled ones.
RAW, SCALED = "raw", "scaled"


class TestUncertainty:
    """Predicts the test slices with their uncertainty and counts what the report shows.

    calibration: calibration.json's contents (None: no temperature); path: where to write the
    maps (None: not written).
    """

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, predictor, calibration, path, slices, names, shape):
        self.calibration = calibration or {}
        temperature = fitted_temperature(self.calibration)
        self.uncertain = UncertainPredictor(predictor, temperature)
        self.n_classes = predictor.n_classes
        self.reliability = {RAW: ReliabilityTally()}
        if temperature is not None:
            self.reliability[SCALED] = ReliabilityTally()
        self.errors = {name: ErrorDetectionTally() for name in self.uncertain.map_names}
        self.file = None
        if path is not None:
            self.file = UncertaintyFile(
                path,
                slices,
                names,
                shape,
                self.uncertain.map_names,
                predictor.header.model_name,
                temperature,
                self.uncertain.has_probabilities,
            )

    def predict(self, z, image, labels):
        """SlicePrediction of test slice z; its maps are written and its pixels counted."""
        return self._count(z, self.uncertain.predict(image), labels)

    def observe(self, z, probabilities, labels):
        """As predict, for test slice z's class probabilities predicted with its block."""
        return self._count(z, self.uncertain.from_probabilities(probabilities), labels)

    def _count(self, z, prediction, labels):
        if self.file is not None:
            self.file.write(z, prediction.maps)
        labels = np.asarray(labels)
        scored = labels < self.n_classes
        wrong = (prediction.classes != labels)[scored]
        for name, probabilities in ((RAW, prediction.raw_probabilities), (SCALED, None)):
            if name not in self.reliability:
                continue
            probabilities = prediction.probabilities if probabilities is None else probabilities
            confidence, correct = top_class_confidence(probabilities[:, scored], labels[scored])
            self.reliability[name].add(confidence, correct)
        if self.uncertain.has_probabilities:
            for name, tally in self.errors.items():
                tally.add(prediction.maps[name][scored], wrong)
        return prediction

    def close(self):
        if self.file is not None:
            self.file.close()

    def table(self):
        """calibration.csv: one row per reliability bin of the raw and (when fitted) the scaled
        probabilities of the test pixels."""
        rows = [
            {"probabilities": name, **row}
            for name, tally in self.reliability.items()
            for row in tally.rows()
        ]
        return pd.DataFrame(rows)

    def summary(self):
        """summary.json's `calibration`: the temperature, test ECE before and after scaling,
        the error-detection AUROC of each map and the val figures of the fit."""
        fitted = SCALED in self.reliability
        record = {
            "has_probabilities": self.uncertain.has_probabilities,
            "fitted": fitted,
            "temperature": self.uncertain.temperature,
            "test_pixels": int(self.reliability[RAW].pixels.sum()),
            "test_ece": {
                "before": self.reliability[RAW].ece(),
                "after": self.reliability[SCALED].ece() if fitted else float("nan"),
            },
            # The chance that a misclassified pixel is more uncertain than a correct one.
            "error_auroc": {
                name: tally.auroc() if self.uncertain.has_probabilities else float("nan")
                for name, tally in self.errors.items()
            },
            "error_fraction": self._error_fraction(),
        }
        for key in ("val_nll", "val_ece", "val_pixels", "reason"):
            if key in self.calibration:
                record[key] = self.calibration[key]
        log.info(
            "test calibration: temperature %s, ECE %.4f -> %.4f, error-detection AUROC %s",
            record["temperature"],
            record["test_ece"]["before"],
            record["test_ece"]["after"],
            {name: round(value, 4) for name, value in record["error_auroc"].items()},
        )
        return record

    def _error_fraction(self):
        tally = self.reliability[RAW]
        total = tally.pixels.sum()
        return float(1 - tally.correct.sum() / total) if total else float("nan")
