"""Training: patch data, augmentation, the loop and the per-model job (rule train,
scripts/train.py).

Entry: job.train_model
Modules: job, loop, data, augment, losses, precision, preemption.
"""
