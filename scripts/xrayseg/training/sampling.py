"""Which patches each optimiser step trains on, and which validation patches are scored.

Step s trains on the s-th batch of an endless stream of seeded, reshuffled passes over the train
patches: every patch comes once per pass, in a fresh order each pass, and a batch that crosses
the end of a pass continues into the next one. The stream is a pure function of (seed, step), so
a resumed run needs no sampler state, and a step budget means the same thing whatever the number
of patches. Validation uses one fixed, seeded subset of the val patches, the same at every
validation (so validation losses compare).
"""

import numpy as np
import torch

# Separate random streams (numpy SeedSequence entropy) for the passes and the validation subset.
PASS_STREAM = 1
VALIDATION_STREAM = 2


class BatchStream:
    """indices(step) -> the train patch indices of optimiser step `step` (a LongTensor)."""

    def __init__(self, count, batch_size, seed):
        if count < 1:
            raise ValueError("no train patches to draw batches from")
        self.count, self.batch_size, self.seed = int(count), int(batch_size), int(seed)
        self._passes = {}

    def order(self, number):
        """The patch order of pass `number` (cached: a step reads one or two passes)."""
        if number not in self._passes:
            if len(self._passes) > 2:
                self._passes.pop(min(self._passes))
            rng = np.random.default_rng([self.seed, PASS_STREAM, number])
            self._passes[number] = rng.permutation(self.count)
        return self._passes[number]

    def indices(self, step):
        position = step * self.batch_size
        parts, needed = [], self.batch_size
        while needed:
            number, offset = divmod(position, self.count)
            part = self.order(number)[offset : offset + needed]
            parts.append(part)
            needed -= len(part)
            position += len(part)
        return torch.from_numpy(np.concatenate(parts))


def validation_indices(count, limit, seed):
    """Sorted indices of at most `limit` of `count` validation patches, seeded and fixed."""
    if count <= limit:
        return torch.arange(count)
    rng = np.random.default_rng([seed, VALIDATION_STREAM])
    return torch.from_numpy(np.sort(rng.choice(count, size=limit, replace=False)))
