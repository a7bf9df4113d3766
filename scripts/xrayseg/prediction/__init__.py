"""Prediction: segment new scans with a trained or the best model, in chunk jobs and an assembly.

Rules predict_chunk (scripts/predict_chunk.py) and predict with its variants (scripts/predict.py).
Entry: chunk.predict_chunk, assemble.assemble_set; predict.predict_set runs both in one process.
"""
