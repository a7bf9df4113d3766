"""Optimiser and learning-rate schedule of the training loop.

The schedule runs over optimiser steps: cosine decays the rate from lr to lr * min_lr_factor
over the step budget (updated after every step); plateau halves it when `patience // 3`
validations in a row bring no lower validation loss; constant keeps it.
"""

import math

import torch


def make_optimizer(network, name, lr, weight_decay):
    """Adam (weight decay added to the gradient: L2, as the seed did) or AdamW (decoupled)."""
    optimizers = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
    if name not in optimizers:
        raise ValueError(f"unknown optimizer {name!r}; known: {sorted(optimizers)}")
    return optimizers[name](network.parameters(), lr=lr, weight_decay=weight_decay)


def cosine_factor(step, steps, floor):
    """The cosine schedule's lr multiplier after `step` of `steps` steps: 1 down to `floor`."""
    progress = min(step, steps) / max(1, steps)
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def make_scheduler(optimizer, settings):
    """The schedule (None for constant); see per_step for when it is stepped."""
    name = settings["lr_schedule"]
    floor = settings["min_lr_factor"]
    if name == "cosine":
        steps = settings["steps"]
        return torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: cosine_factor(step, steps, floor)
        )
    if name == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer,
            factor=0.5,
            patience=max(1, settings["patience"] // 3),
            min_lr=settings["lr"] * floor,
        )
    if name == "constant":
        return None
    raise ValueError(f"unknown lr_schedule {name!r}; known: cosine, plateau, constant")


def per_step(scheduler):
    """True for a schedule stepped after every optimiser step, False for one stepped with the
    validation loss (plateau)."""
    return scheduler is not None and not isinstance(
        scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau
    )
