"""The one prediction engine of a new scan: slabs of the fixed grid, predicted with their halos.

xrayseg.prediction.plan cuts the scan; this module predicts one slab at a time and yields a
SlicePrediction (xrayseg.inference.uncertainty) per wanted slice:

  per slice    (z alone, no smoothing, a 2-D or 2.5-D network or a pixel model) each slice from
               itself and its neighbours, exactly as evaluate predicts a slice;
  planes       (evaluate.axes with y or x, or smooth_sigma > 0) the slab's probability range
               predicted along each axis, the y- and x-planes cut from the read range, the
               probabilities averaged, smoothed along the stack within the range, and the
               slab's own slices kept (volume-segmantics' multi-axis prediction, in slabs);
  volume       a 3-D network predicts the read range as one volume (3-D sliding windows) and
               keeps the slab's slices.

Memory: the read range's raw values (4 bytes per voxel) and the probability range's class
probabilities (4 bytes per voxel and class), one plane's prediction at a time.
"""

import time

import numpy as np

from xrayseg.data.planes import check_axes, neighbour_indices
from xrayseg.inference.block import plane, plane_count, smooth_along_stack
from xrayseg.prediction.plan import (
    PIXEL_PLANE_HALO,
    Halo,
    ScanPlan,
    slab_slices_for,
    smooth_radius,
)


def scan_plan(predictor, n_slices, slice_shape, axes, smooth_sigma, vote_size, slab_mb):
    """The ScanPlan of a scan predicted by `predictor` (xrayseg.inference.predictor.Predictor)
    along `axes`, smoothed by `smooth_sigma` slices, cleaned with a majority vote over boxes of
    `vote_size` (1: none), in slabs that fit `slab_mb` megabytes."""
    axes = check_axes(axes, "evaluate.axes")
    volumetric = predictor.volumetric
    sigma = 0.0 if volumetric else float(smooth_sigma)
    across = [axis for axis in axes if axis != "z"]
    planes = 0
    if across and not volumetric:
        patch = predictor.header.patch_size
        planes = patch // 2 if patch else PIXEL_PLANE_HALO
    depth = predictor.header.patch_depth if volumetric else 0
    halo = Halo(
        context=predictor.context,
        planes=planes,
        volume_before=depth // 2,
        volume_after=(depth - 1) // 2 if depth else 0,
        smooth=smooth_radius(sigma),
        vote=int(vote_size) // 2,
    )
    per_slice = not volumetric and tuple(axes) == ("z",) and sigma == 0
    slab = slab_slices_for(slab_mb, slice_shape[0] * slice_shape[1])
    return ScanPlan(int(n_slices), slab, halo, per_slice)


class OffsetSlices:
    """Slices start..stop-1 of a scan held as one (Z, Y, X) array, indexed by scan slice."""

    def __init__(self, block, start):
        self.block, self.start = block, start

    def __getitem__(self, z):
        return self.block[z - self.start]


class SlabEngine:
    """Predicts slabs of a NewScan with an UncertainPredictor as the ScanPlan says."""

    def __init__(self, scan, uncertain, plan, axes=("z",), smooth_sigma=0.0):
        self.scan = scan
        self.uncertain = uncertain
        self.predictor = uncertain.predictor
        self.plan = plan
        self.axes = check_axes(axes, "evaluate.axes")
        self.sigma = 0.0 if self.predictor.volumetric else float(smooth_sigma)
        self.seconds = 0.0  # prediction time so far (reading excluded)

    def predict(self, slab, wanted):
        """Yield (z, SlicePrediction) for slices wanted = (w0, w1) of `slab` = (a, b), in order."""
        w0, w1 = wanted
        a, b = slab
        if not a <= w0 < w1 <= b:
            raise ValueError(f"slices {wanted} are not within slab {slab}")
        if self.plan.per_slice:
            yield from self._slices(w0, w1)
        elif self.predictor.volumetric:
            yield from self._volume(slab, w0, w1)
        else:
            yield from self._planes(slab, w0, w1)

    def _slices(self, w0, w1):
        context = self.predictor.context
        r0, r1 = self.plan.clamp(w0 - context, w1 + context)
        raw = OffsetSlices(self.scan.block(r0, r1), r0)
        allowed = range(r0, r1)
        for z in range(w0, w1):
            image = self.uncertain.slice_input(raw, z, allowed)
            started = time.perf_counter()
            prediction = self.uncertain.predict(image)
            self.seconds += time.perf_counter() - started
            yield z, prediction

    def _volume(self, slab, w0, w1):
        r0, r1 = self.plan.read_range(slab)
        block = self.scan.block(r0, r1)
        started = time.perf_counter()
        scores = self.predictor.scores(block[None])
        self.seconds += time.perf_counter() - started
        for z in range(w0, w1):
            probabilities = self.predictor.probabilities_from(scores[:, z - r0])
            yield z, self.uncertain.from_probabilities(probabilities)

    def _planes(self, slab, w0, w1):
        p0, p1 = self.plan.probability_range(slab)
        r0, r1 = self.plan.read_range(slab)
        block = self.scan.block(r0, r1)
        started = time.perf_counter()
        total = np.zeros((p1 - p0, self.predictor.n_classes, *block.shape[1:]), np.float32)
        for axis in self.axes:
            self._add_axis(total, block, axis, p0 - r0)
        if len(self.axes) > 1:
            total /= len(self.axes)
        smooth_along_stack(total, self.sigma)
        self.seconds += time.perf_counter() - started
        for z in range(w0, w1):
            yield z, self.uncertain.from_probabilities(total[z - p0])

    def _add_axis(self, total, block, axis, offset):
        """Add the probabilities of every plane of `axis` of `block` (the read range) for the
        rows of the probability range (offset rows into the block, total's depth)."""
        predictor, context = self.predictor, self.predictor.context
        depth = total.shape[0]
        if axis == "z":
            allowed = range(len(block))
            for index in range(depth):
                image = predictor.slice_input(block, offset + index, allowed)
                total[index] += predictor.probabilities(image)
            return
        count = plane_count(block.shape, axis)
        for index in range(count):
            image = np.stack(
                [plane(block, axis, i) for i in neighbour_indices(index, context, count)]
            ).astype(np.float32, copy=False)
            rows = predictor.probabilities(image)[:, offset : offset + depth]
            if axis == "y":
                total[:, :, index, :] += rows.transpose(1, 0, 2)
            else:
                total[:, :, :, index] += rows.transpose(1, 0, 2)
