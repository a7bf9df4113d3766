"""Training: patch data, augmentation, the loop and the per-model job.

Rule train (scripts/train.py).
Entry: job.train_model.
"""
