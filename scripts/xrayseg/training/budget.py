"""The training budget: how many optimiser steps a network takes, from its settings and its data.

`steps: auto` (the default) grows the budget with the data: `passes` passes over the deduplicated
train patches (every orientation's patch file counted), batch_size patches a step, rounded up,
then held within [min_steps, max_steps]. The floor keeps a small volume's training as long as it
needs to converge (a few dozen patches are seen hundreds of times); the cap keeps a large
volume's run within its time, past the point where more steps stop paying. An integer `steps`
is exactly that many steps.

`max_batch_size` (unset: the batch never changes) lets a network whose passes would need more
than max_steps take larger steps instead of fewer passes: the batch grows to what makes the
passes fit the cap, up to max_batch_size, and the learning rate grows with the square root of the
batch (the square-root rule for Adam). It is for networks whose small steps are mostly overhead:
the dnn's step of 512 patches costs 3.4x its step of 32 on one core of a 2-core EPYC, so 16x the
patches cost 3.4x the time. The rule reads nothing but its arguments, so the same data and
settings always give the same budget (and, on the CPU, the same weights).
"""

import math
from dataclasses import asdict, dataclass

# Why the budget is what it is.
RULES = ("fixed", "passes", "floor", "cap", "batch")

# val_every auto: about this many validations per budget, and never more often than every
# MIN_VAL_EVERY steps (a validation costs about ten optimiser steps of the default UNet).
VALIDATIONS_PER_BUDGET = 20
MIN_VAL_EVERY = 50


@dataclass(frozen=True)
class Budget:
    """steps: the optimiser steps to take; rule: which of RULES set them; batch_size: patches a
    step; train_patches, passes, min_steps, max_steps, base_batch_size (the configured batch),
    max_batch_size: what the rule read (passes and the bounds are None for a fixed budget)."""

    steps: int
    rule: str
    train_patches: int
    batch_size: int
    passes: float | None = None
    min_steps: int | None = None
    max_steps: int | None = None
    base_batch_size: int | None = None
    max_batch_size: int | None = None

    @property
    def grew(self):
        """Whether the batch grew past the configured one (max_batch_size)."""
        return self.base_batch_size is not None and self.batch_size != self.base_batch_size

    @property
    def lr_factor(self):
        """What the configured learning rate is multiplied by: the square root of the batch's
        growth (1 when it did not grow)."""
        return math.sqrt(self.batch_size / self.base_batch_size) if self.grew else 1.0

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
        if self.grew:
            grown = (
                f"of {self.batch_size} patches (the batch grown from {self.base_batch_size}, at "
                f"most max_batch_size {self.max_batch_size}, learning rate x{self.lr_factor:.2f}, "
                f"so that {self.passes:g} passes over {self.train_patches} train patches fit "
                f"max_steps {self.max_steps})"
            )
            if self.rule == "cap":
                return f"{self.steps} steps: the cap (max_steps) {grown}, below {passes}"
            return f"{self.steps} steps {grown}"
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

    settings: steps ("auto" or an int), passes, min_steps, max_steps, batch_size and
    max_batch_size (None: the batch stays batch_size).
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
    largest = settings.get("max_batch_size") or batch_size
    if largest < batch_size:
        raise ValueError(
            f"training.max_batch_size ({largest}) is below training.batch_size ({batch_size}): "
            "the batch may only grow"
        )
    read = {
        "passes": passes,
        "min_steps": floor,
        "max_steps": cap,
        "base_batch_size": batch_size,
        "max_batch_size": settings.get("max_batch_size"),
    }
    wanted = passes_steps(passes, train_patches, batch_size)
    if wanted > cap:
        # The smallest batch that makes the passes fit the cap, at most `largest` (without
        # max_batch_size: batch_size itself, which leaves the cap to decide).
        batch_size = min(largest, math.ceil(passes * train_patches / cap))
        wanted = passes_steps(passes, train_patches, batch_size)
        if wanted <= cap:
            return Budget(max(wanted, floor), "batch", train_patches, batch_size, **read)
    rule = "floor" if wanted < floor else "cap" if wanted > cap else "passes"
    return Budget(min(max(wanted, floor), cap), rule, train_patches, batch_size, **read)


def validation_interval(val_every, steps):
    """Steps between validations: `val_every` itself, or for "auto" a twentieth of the budget
    (VALIDATIONS_PER_BUDGET), at least MIN_VAL_EVERY steps. Scaling with the budget keeps
    `patience` (counted in validations) a fixed share of the run, so early stopping does not
    cut a long cosine schedule while its learning rate is still high."""
    if val_every == "auto":
        return max(MIN_VAL_EVERY, math.ceil(steps / VALIDATIONS_PER_BUDGET))
    return int(val_every)
