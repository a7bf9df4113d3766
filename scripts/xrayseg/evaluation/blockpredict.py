"""How each split block is predicted for evaluation, and its predicted slices one at a time.

evaluate.axes and evaluate.smooth_sigma ask for a block's class
probabilities averaged over the planes of several axes and smoothed along the stack
(xrayseg.inference.block). Both need the whole block predicted at once, so they apply to every
split whose every slice is scored (val and test; train too when all its slices are scored). A
split scored on a spread subset (train, evaluate.train_slices) is predicted slice by slice along
z without smoothing, as before: its y- and x-planes would span the whole train block, which costs
what predicting all of it along z costs, twice over. summary.json records the plan of each split.

With axes [z] and no smoothing every block is predicted slice by slice (a slice's prediction is
then exactly what it was before blocks existed), and memory stays at one slice. A model that
predicts whole blocks (a 3-D network) always predicts its blocks whole, slab by slab
(Predictor.block_scores), without smoothing.
"""

import time
from dataclasses import asdict, dataclass

import numpy as np

from xrayseg.data.planes import check_axes, check_contiguous
from xrayseg.inference.block import block_probabilities, plane_count

Z_ONLY = ("z",)


@dataclass(frozen=True)
class BlockPlan:
    """How one split's slices are predicted."""

    axes: tuple  # planes averaged: z (the slices), y, x
    smooth_sigma: float  # Gaussian along the stack, in slices (0: none)
    whole_block: bool  # the block predicted at once (else slice by slice along z)
    why: str  # why this plan, for summary.json

    def record(self):
        return {**asdict(self), "axes": list(self.axes)}


@dataclass
class PredictedSlice:
    """One predicted slice: its class probabilities (C, H, W) float32, class map (H, W) uint8
    and the wall seconds its prediction took (a block's seconds shared among its slices)."""

    slice: int
    probabilities: np.ndarray
    classes: np.ndarray
    seconds: float


def block_plans(blocks, scored, axes, smooth_sigma, predicts_volumes=False):
    """{split: BlockPlan} for the blocks of evaluate.splits ({split: slices}) and the slices of
    each that are scored, asked to be predicted along `axes` and smoothed by `smooth_sigma`
    (evaluate.axes, evaluate.smooth_sigma)."""
    axes = check_axes(axes)
    sigma = float(smooth_sigma)
    if sigma < 0:
        raise ValueError(f"evaluate.smooth_sigma must be at least 0, got {sigma}")
    asked = axes != Z_ONLY or sigma > 0
    plans = {}
    for split, slices in blocks.items():
        whole = list(scored[split]) == list(slices)
        if predicts_volumes:
            why = "a 3-D model predicts the block as a volume (axes and smoothing do not apply)"
            plans[split] = BlockPlan(Z_ONLY, 0.0, True, why)
        elif whole:
            why = "every slice scored" if asked else "axes [z], no smoothing: slice by slice"
            plans[split] = BlockPlan(axes, sigma, asked, why)
        else:
            why = (
                f"{len(scored[split])} of {len(slices)} slices scored: each predicted alone "
                "along z, without smoothing (multi-axis and smoothing need the whole block)"
            )
            plans[split] = BlockPlan(Z_ONLY, 0.0, False, why)
    return plans


def plan_units(plan, n_scored):
    """Slice-sized predictions a plan makes for n_scored slices (progress lines count these)."""
    return n_scored * len(plan.axes) if plan.whole_block else n_scored


def predicted_slices(predictor, raw_volume, block, scored, plan, advance=None):
    """PredictedSlices of the `scored` slices of one contiguous `block`, in slice order.

    raw_volume: the (Z, Y, X) raw dataset of the whole volume; advance(count): progress, called
    with slice-sized predictions done (plan_units in all).
    """
    advance = advance or (lambda count: None)
    if getattr(predictor, "volumetric", False):
        # A 3-D network predicts the block as a volume, slab by slab (inference.volume).
        for z, scores, seconds in predictor.block_scores(raw_volume, block, scored):
            classes = np.argmax(scores, axis=0).astype(np.uint8)
            advance(1)
            yield PredictedSlice(int(z), predictor.probabilities_from(scores), classes, seconds)
        return
    if plan.whole_block:
        yield from _whole_block(predictor, raw_volume, block, scored, plan, advance)
        return
    for z in scored:
        image = predictor.slice_input(raw_volume, z, block)
        started = time.perf_counter()
        scores = predictor.scores(image)
        classes = np.argmax(scores, axis=0).astype(np.uint8)
        seconds = time.perf_counter() - started
        advance(1)
        yield PredictedSlice(int(z), predictor.probabilities_from(scores), classes, seconds)


def _whole_block(predictor, raw_volume, block, scored, plan, advance):
    block = check_contiguous(block)
    first, last = block[0], block[-1]
    raw_block = np.asarray(raw_volume[first : last + 1], dtype=np.float32)
    counter = _PixelShare(raw_block.shape, len(scored), plan.axes, advance)
    started = time.perf_counter()
    probabilities = block_probabilities(
        predictor, raw_block, plan.axes, plan.smooth_sigma, counter.plane_done
    )
    seconds = (time.perf_counter() - started) / len(block)
    counter.finish()
    for z in scored:
        slice_probabilities = probabilities[z - first]
        classes = np.argmax(slice_probabilities, axis=0).astype(np.uint8)
        yield PredictedSlice(int(z), slice_probabilities, classes, seconds)


class _PixelShare:
    """Turns finished planes into slice-sized units of progress by their share of the pixels."""

    def __init__(self, block_shape, units_per_axis, axes, advance):
        self.advance = advance
        self.total = units_per_axis * len(axes)
        self.units_per_plane = {
            axis: units_per_axis / plane_count(block_shape, axis) for axis in axes
        }
        self.done = 0.0
        self.reported = 0

    def plane_done(self, axis, index):
        self.done += self.units_per_plane.get(axis, 0.0)
        whole = min(int(self.done + 1e-9), self.total)
        if whole > self.reported:
            self.advance(whole - self.reported)
            self.reported = whole

    def finish(self):
        if self.total > self.reported:
            self.advance(self.total - self.reported)
            self.reported = self.total
