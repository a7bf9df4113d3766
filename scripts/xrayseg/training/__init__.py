"""Training: patch data, augmentation, the loop, checkpoints, and the per-model job."""
