"""Training: patch data, augmentation, the loop and the per-model job (rule train,
scripts/train.py).

Entry: job.train_model
Modules: job, loop (fit_network, counted in optimiser steps), sampling (which patches each step
and each validation uses), schedule (optimiser, learning rate), settings (the keys the loop
reads), defaults (the schema's defaults, for direct calls), data, augment, losses, precision,
preemption, volumeslices (volume slices read on demand for the pixel models).
"""
