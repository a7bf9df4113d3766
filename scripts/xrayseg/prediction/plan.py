"""How a scan is cut for prediction: one fixed grid of slabs, halos, and what each chunk job does.

A scan of n slices is predicted slab by slab on ONE global grid: slabs of `slab_slices` slices
from slice 0 (the last may be shorter). The grid depends on the scan, the model and the settings
alone, never on the chunks, so every job that predicts a slab predicts it the same way, and one
job and K chunk jobs give the same labels voxel for voxel, by construction.

Each slab [a, b) is predicted with halos of slices where the scan continues (clamped at its
ends):
  - smoothing along the stack (evaluate.smooth_sigma) needs the probabilities of `smooth`
    slices either side: the probability range is [a - smooth, b + smooth);
  - those slices' inputs need `context` neighbours (a 2.5-D model), `planes` rows above and
    below in the y- and x-planes (multi-axis prediction: the planes are cut from the read range,
    so a kept voxel sees that much of the stack around it), or half a 3-D network's window
    depth: the read range is the probability range widened by the largest of these.
A slab keeps its own slices only. Along z alone without smoothing (the default) a slice's
prediction depends on nothing but its own neighbours, so such a scan is predicted slice by slice
(`per_slice`) and only the slices asked for are predicted.

The clean-up's majority vote needs the final labels of `vote` slices either side: a chunk job
[A, B) predicts the labels of [A - vote, B + vote), i.e. the slabs that range touches (its own
and, at its borders, its neighbours'), and votes its own slices with the real neighbours. Island
removal merges the chunks' surveys (xrayseg.cleanup.survey) in the assemble job.

Standard library only: the plan is cheap to build and to test.
"""

from dataclasses import asdict, dataclass

# At most this many slices per slab: beyond it a slab gains nothing (every array op is large
# already) and the first output appears later.
MAX_SLAB_SLICES = 64
# Bytes one pixel of a slab takes at the peak of a chunk job (measured on 2048 px slices with
# 3 classes by benchmarks/bigscan.py, rounded up): the raw slab and its halo (float32), the class
# probabilities or the majority vote's class counts (4 bytes per class), the labels and the
# island survey's component ids and face counts.
SLAB_BYTES_PER_PIXEL = 48
# Rows of stack above and below the probability range of the y- and x-planes of a slab predicted
# by a pixel model (a network uses half its training patch: the context a window centred on a
# voxel gives it).
PIXEL_PLANE_HALO = 16
# gaussian_filter1d's default reach: truncate * sigma.
SMOOTH_TRUNCATE = 4.0


def smooth_radius(sigma):
    """Slices either side that a Gaussian of `sigma` slices reaches (scipy's radius)."""
    return int(SMOOTH_TRUNCATE * float(sigma) + 0.5) if sigma > 0 else 0


@dataclass(frozen=True)
class Halo:
    """Slices of context each slab or chunk needs on either side (where the scan continues)."""

    context: int = 0  # a 2.5-D model's neighbours
    planes: int = 0  # rows around the probability range of the y- and x-planes
    volume_before: int = 0  # a 3-D network: half its window depth before
    volume_after: int = 0  # and after
    smooth: int = 0  # smoothing radius
    vote: int = 0  # majority vote radius

    @property
    def before(self):
        """Slices read before a slab's probability range."""
        return max(self.context, self.planes, self.volume_before)

    @property
    def after(self):
        return max(self.context, self.planes, self.volume_after)

    def record(self):
        return asdict(self)


def slab_slices_for(slab_mb, slice_pixels, bytes_per_pixel=SLAB_BYTES_PER_PIXEL):
    """Slices per slab: what `slab_mb` megabytes hold at bytes_per_pixel, 1 to MAX_SLAB_SLICES."""
    per_slice = max(1, int(slice_pixels)) * bytes_per_pixel
    return max(1, min(MAX_SLAB_SLICES, int(float(slab_mb) * 2**20) // per_slice))


@dataclass(frozen=True)
class ScanPlan:
    """The slab grid of a scan of n_slices and the halos of its slabs and chunks."""

    n_slices: int
    slab_slices: int
    halo: Halo
    per_slice: bool  # each slice predicted alone (z only, no smoothing, not a 3-D network)

    def __post_init__(self):
        if self.n_slices < 1 or self.slab_slices < 1:
            raise ValueError(f"a plan needs slices and slabs, got {self}")

    def slabs(self):
        """[(a, b)] of the global grid, in order, covering [0, n_slices) once."""
        return [
            (start, min(start + self.slab_slices, self.n_slices))
            for start in range(0, self.n_slices, self.slab_slices)
        ]

    def clamp(self, start, stop):
        return max(0, start), min(self.n_slices, stop)

    def probability_range(self, slab):
        """[p0, p1): the slices of slab (a, b) whose probabilities are computed (and smoothed)."""
        a, b = slab
        return self.clamp(a - self.halo.smooth, b + self.halo.smooth)

    def read_range(self, slab):
        """[r0, r1): the slices slab (a, b) reads."""
        p0, p1 = self.probability_range(slab)
        return self.clamp(p0 - self.halo.before, p1 + self.halo.after)

    def label_range(self, chunk):
        """[l0, l1): the slices whose labels chunk (A, B) needs: its own and the vote's halo."""
        first, stop = chunk
        return self.clamp(first - self.halo.vote, stop + self.halo.vote)

    def chunk_work(self, chunk):
        """[((a, b), (w0, w1))]: the slabs chunk (A, B) predicts and, of each, the slices it
        wants (within the chunk's label range), in order."""
        first, stop = chunk
        if not 0 <= first < stop <= self.n_slices:
            raise ValueError(f"chunk {chunk} is not within the scan's {self.n_slices} slices")
        l0, l1 = self.label_range(chunk)
        work = []
        for a, b in self.slabs():
            w0, w1 = max(a, l0), min(b, l1)
            if w0 < w1:
                work.append(((a, b), (w0, w1)))
        return work

    def record(self):
        """The plan for summary.json."""
        return {
            "n_slices": self.n_slices,
            "slab_slices": self.slab_slices,
            "per_slice": self.per_slice,
            "halo": self.halo.record(),
        }
