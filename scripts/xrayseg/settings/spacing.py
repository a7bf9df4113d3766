"""How far apart consecutive slices of the stack lie, and whether its voxels are cubes.

Known at start-up from the config and the file names alone (standard library only:
rules/common.smk decides from it which patch files are inputs, xrayseg.settings.adapt which
settings the data can support).

The slice step is how many scan slices lie from one slice of the stack to the next:
- `data.slice_step: <n>` says so;
- `auto` (the default) reads it from the raw file names: slices named by their number
  (`Sandstone_Versa0000.tif`, `…0050.tif`, `…0100.tif`) are as far apart as the most common gap
  between consecutive numbers (here 50; one missing file leaves a stack of neighbours one);
- `auto` where the names carry no numbers (a multi-page TIFF, an HDF5 dataset, unnumbered files)
  and for the synthetic volume means 1.

`data.voxel_aspect` is the spacing of neighbouring slices over the pixel size (1: cubic voxels;
2: slices twice as far apart as pixels). Consecutive slices of the stack then lie
step x aspect pixels apart. Two facts follow:
- neighbours (step 1): a 2.5-D context, a 3-D network, smoothing and clean-up along the stack
  see the material continue from slice to slice;
- isotropic (neighbours, aspect within ISOTROPY_TOLERANCE of 1): a plane across the slices (y,
  x) looks like a slice, so a network may train on and predict such planes.
"""

from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

from xrayseg.settings.specs import parse_spec, slice_number, spec_files

# A plane across the slices is stretched along the stack by the aspect: within 10 % it stays
# inside the zoom augmentation's range (0.85-1.18), which the networks train with anyway.
ISOTROPY_TOLERANCE = 0.1
AUTO = "auto"


@dataclass(frozen=True)
class SliceSpacing:
    """The slice step, the voxel aspect, and where the step came from (a phrase for messages)."""

    step: int
    aspect: float
    source: str
    gaps: tuple = ()  # (gap, count) pairs of the file numbers, most common first; () if none

    @property
    def neighbours(self):
        """Whether consecutive slices of the stack are neighbouring slices of the scan."""
        return self.step == 1

    @property
    def isotropic(self):
        """Whether planes across the slices look like slices: neighbours and cubic voxels."""
        return self.neighbours and abs(self.aspect - 1) <= ISOTROPY_TOLERANCE

    def describe(self):
        """One phrase: how far apart the slices are and what says so."""
        if self.step > 1:
            apart = f"the slices are {self.step} scan slices apart"
        else:
            apart = "the slices are neighbours"
        text = f"{apart} ({self.source})"
        if len(self.gaps) > 1:
            shown = ", ".join(f"{gap} x{count}" for gap, count in self.gaps[:4])
            text += f"; the numbers' gaps are uneven ({shown}): the most common one counts"
        if self.neighbours and not self.isotropic:
            text += f", with voxels {self.aspect:g} times as deep as wide (data.voxel_aspect)"
        return text

    def record(self):
        """A plain dict for logs, params and the report."""
        return {
            "slice_step": self.step,
            "voxel_aspect": self.aspect,
            "source": self.source,
            "neighbours": self.neighbours,
            "isotropic": self.isotropic,
            "description": self.describe(),
        }


def slice_spacing(data):
    """SliceSpacing of the config's `data` section (files are listed, none is read)."""
    aspect = float(data.get("voxel_aspect", 1.0))
    setting = data.get("slice_step", AUTO)
    if setting != AUTO:
        return SliceSpacing(int(setting), aspect, "data.slice_step")
    if data["source"] == "synthetic":
        return SliceSpacing(1, aspect, "the synthetic volume")
    numbered = numbered_files(data["raw"], data.get("slices"))
    if len(numbered) < 2:
        return SliceSpacing(1, aspect, "no slice numbers in the raw names; data.slice_step auto")
    gaps = number_gaps([number for number, _ in numbered])
    first, second = (name for _, name in numbered[:2])
    source = f"the numbers in the raw file names: {first}, {second}, ..."
    return SliceSpacing(gaps[0][0], aspect, source, gaps)


def numbered_files(spec, slices=None):
    """[(slice number, file name)] of a folder or glob of raw files in number order, within
    data.slices ([start, stop) of that order); empty for a stack or names without numbers."""
    if parse_spec(spec).kind not in ("folder", "glob"):
        return []
    numbered = [(slice_number(path), path.name) for path in spec_files(spec)]
    if any(number is None for number, _ in numbered):
        return []
    numbered.sort()
    if slices:
        numbered = numbered[slices[0] : slices[1]]
    return numbered


def number_gaps(numbers):
    """((gap, count), ...) between consecutive distinct `numbers`, most common first (the
    smaller gap first on a tie)."""
    ordered = sorted(set(numbers))
    counts = Counter(b - a for a, b in pairwise(ordered))
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
