"""Prediction: segment new scans with a trained or the best model (rule predict,
scripts/predict.py).

Entry: predict.predict_set
Modules: predict, scan (the new scan, normalised like the training data), choose (the best
model), shift (grey-value check against the training data), segment (the pass over the scan
that predicts and writes each slice, through xrayseg.io's writers).
"""
