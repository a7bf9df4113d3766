"""Prediction: segment new scans with a trained or the best model.

Rule predict (scripts/predict.py).
Entry: predict.predict_set.
"""
