"""Inference: a trained model as a predictor of whole slices (used by evaluation and prediction).

Its settings are xrayseg.settings.inference.InferenceSettings.
Entry: predictor.Predictor.
"""
