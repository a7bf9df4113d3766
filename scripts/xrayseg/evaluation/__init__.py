"""Evaluation: predict and score every slice of the held-out blocks (rule evaluate,
scripts/evaluate.py).

Entry: evaluate.evaluate_model; calibrate.calibrate_model (rule calibrate, scripts/calibrate.py:
the temperature of a model's probabilities, fitted on whole val slices)
Modules: evaluate, calibrate, calibration (temperature fit, reliability, ECE, error-detection
AUROC), testuncertainty (the test slices' uncertainty maps and calibration in evaluate), metrics
(confusion-based scores), boundary (boundary F1), bootstrap
(intervals over slices), slicescores (per-slice rows, pooled scores, confusion table), panels
(slice panels), microstructure (the test block's microstructure errors), subset (which train
slices are scored). Its files are written by xrayseg.io (tables, labelfiles, probabilities).

Nothing is imported here, so that the report can use metrics and bootstrap without torch.
"""
