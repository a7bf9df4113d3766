"""The training budget: how many optimiser steps a network takes, from its settings and its data.

`steps: auto` (the default) grows the budget with the data: `passes` passes over the deduplicated
train patches (every orientation's patch file counted), batch_size patches a step, rounded up,
then held within [min_steps, max_steps]. The floor keeps a small volume's training as long as it
needs to converge (a few dozen patches are seen hundreds of times); the cap keeps a large
volume's run within its time, past the point where more steps stop paying. An integer `steps`
is exactly that many steps. The rule reads nothing but its arguments, so the same data and
settings always give the same budget (and, on the CPU, the same weights).
"""

import math
from dataclasses import asdict, dataclass

# Why the budget is what it is.
RULES = ("fixed", "passes", "floor", "cap")

# val_every auto: about this many validations per budget, and never more often than every
# MIN_VAL_EVERY steps (a validation costs about ten optimiser steps of the default UNet).
VALIDATIONS_PER_BUDGET = 20
MIN_VAL_EVERY = 50


@dataclass(frozen=True)
class Budget:
    """steps: the optimiser steps to take; rule: which of RULES set them; train_patches,
    batch_size, passes, min_steps, max_steps: what the rule read (passes and the bounds are
    None for a fixed budget)."""

    steps: int
    rule: str
    train_patches: int
    batch_size: int
    passes: float | None = None
    min_steps: int | None = None
    max_steps: int | None = None

    def describe(self):
        """One sentence for the log and the report."""
        if self.rule == "fixed":
            return f"{self.steps} steps (training.steps)"
        wanted = passes_steps(self.passes, self.train_patches, self.batch_size)
        passes = (
            f"{self.passes:g} passes over {self.train_patches} train patches of "
            f"{self.batch_size} a step = {wanted} steps"
        )
        if self.rule == "floor":
            return f"{self.steps} steps: the floor (min_steps), above {passes}"
        if self.rule == "cap":
            return f"{self.steps} steps: the cap (max_steps), below {passes}"
        return f"{self.steps} steps: {passes}"

    def to_record(self):
        """The budget as plain data (the checkpoint header's field)."""
        return asdict(self)


def passes_steps(passes, train_patches, batch_size):
    """Steps of `batch_size` patches that make `passes` passes over `train_patches` patches."""
    return max(1, math.ceil(passes * train_patches / batch_size))


def training_budget(settings, train_patches):
    """The Budget of a network with these training settings and this many train patches.

    settings: steps ("auto" or an int), passes, min_steps, max_steps and batch_size.
    """
    if train_patches < 1:
        raise ValueError("no train patches: a training budget needs at least one")
    batch_size = int(settings["batch_size"])
    steps = settings["steps"]
    if steps != "auto":
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"training.steps: expected auto or a positive integer, got {steps!r}")
        return Budget(steps, "fixed", train_patches, batch_size)
    floor, cap = int(settings["min_steps"]), int(settings["max_steps"])
    if floor > cap:
        raise ValueError(
            f"training.min_steps ({floor}) is above training.max_steps ({cap}): "
            "the floor of the budget must not exceed its cap"
        )
    passes = float(settings["passes"])
    wanted = passes_steps(passes, train_patches, batch_size)
    rule = "floor" if wanted < floor else "cap" if wanted > cap else "passes"
    return Budget(min(max(wanted, floor), cap), rule, train_patches, batch_size, passes, floor, cap)


def validation_interval(val_every, steps):
    """Steps between validations: `val_every` itself, or for "auto" a twentieth of the budget
    (VALIDATIONS_PER_BUDGET), at least MIN_VAL_EVERY steps. Scaling with the budget keeps
    `patience` (counted in validations) a fixed share of the run, so early stopping does not
    cut a long cosine schedule while its learning rate is still high."""
    if val_every == "auto":
        return max(MIN_VAL_EVERY, math.ceil(steps / VALIDATIONS_PER_BUDGET))
    return int(val_every)
