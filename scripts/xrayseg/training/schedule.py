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


def warmup_factor(step, warmup_steps):
    """The linear warm-up's lr multiplier at `step`: 1/warmup_steps up to 1, then 1."""
    return min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0


def make_scheduler(optimizer, settings):
    """The schedule (None for constant without warm-up); see per_step for when it is stepped.

    A positive `warmup` (a fraction of the steps) ramps the rate up linearly first; cosine then
    decays it over the remaining steps."""
    name = settings["lr_schedule"]
    floor = settings["min_lr_factor"]
    warmup = round(settings["warmup"] * settings["steps"])
    if name == "cosine":
        steps = settings["steps"] - warmup
        return torch.optim.lr_scheduler.LambdaLR(
            optimizer,
            lambda step: (
                warmup_factor(step, warmup) * cosine_factor(max(0, step - warmup), steps, floor)
            ),
        )
    if warmup and name == "constant":
        return torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: warmup_factor(step, warmup)
        )
    if warmup:
        raise ValueError("training.warmup works with lr_schedule cosine or constant, not plateau")
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
