"""Evaluation: every slice of the held-out blocks predicted and scored, and models calibrated.

Rules evaluate and calibrate (scripts/evaluate.py, scripts/calibrate.py); the files they write
have their layouts in xrayseg.io. Nothing is imported here, so that the report can use metrics and
bootstrap without torch.
Entry: evaluate.evaluate_model, calibrate.calibrate_model.
"""
