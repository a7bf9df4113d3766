"""Inference: a trained model as a predictor of whole slices (used by evaluation and prediction).

Entry: predictor.Predictor (its settings: xrayseg.settings.inference.InferenceSettings)
Modules: predictor, sliding_window (window grid and Gaussian-weighted stitching), fastforward and
cpufusion (the fast eval forward on CPU and GPU), speed (a command-line timer of one slice).
"""
