"""Non-overlapping, deduplicated training patches per split: results/patches/{size}px.h5.

Layout of {size}px.h5: one group per split (train, val, test) holding
  raw      float32 (N, size, size)   normalised raw values, one compressed chunk per patch
  labels   uint8   (N, size, size)   class indices (255 = ignore), one chunk per patch
  origins  int32   (N, 3)            slice index, y, x of the patch's top-left corner
Root attrs: settings (JSON), config_hash (settings + volume + split assignment),
volume_config_hash. Group attrs: made, mostly_ignored, exact_duplicates, near_duplicates, kept,
slices (the labelled slices cut), class_fractions (over labelled pixels), ignored_fraction; root
attr orientation ("z").

{size}px_y.h5 and {size}px_x.h5 have the same layout with patches cut from the planes across each
block's slices (xrayseg.patches.planes: orientation "y" or "x"; origins (z, y, x) of the patch's
first row and column, its rows running along the stack). Planes span every slice of the block;
rows from unlabelled slices are ignored labels and count towards max_ignored_fraction).

Patches of a split come only from that split's labelled slices (guard and unlabelled slices give
none). A patch with no labelled pixel, or with more than `max_ignored_fraction` of its pixels
ignored (mask, unlabelled parts of a scribbled slice), is skipped and counted as mostly_ignored:
it would fill a batch slot with almost no loss. Exact duplicates are dropped across splits,
held-out splits first (xrayseg.patches.patchfile, the steps shared with the 3-D patches);
near-duplicates (xrayseg.patches.dedup) are judged against the content kept from the same split's
slices.
"""

from functools import partial

import numpy as np

from xrayseg.data.planes import check_axes, volume_position
from xrayseg.data.split import labelled_slices_of, slices_of
from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.patches.dedup import NearDuplicateFilter
from xrayseg.patches.grid import slice_offsets, tile_slice
from xrayseg.patches.patchfile import Grid, PatchKind, build_patch_file
from xrayseg.patches.planes import block_planes


def mostly_ignored(label_tiles, max_ignored_fraction):
    """Boolean mask over the tiles: True where a tile has no labelled pixel, or more than
    `max_ignored_fraction` of its pixels ignored."""
    ignored = (label_tiles == IGNORE_INDEX).mean(axis=(-2, -1))
    return (ignored > max_ignored_fraction) | (ignored == 1.0)


def cut_planes(raw_volume, label_volume, slices, rng, size, axis, near_duplicate):
    """(grids, near-duplicate filter) of one split: the tiles of each of its `slices` (axis z),
    or of each plane of `axis` across its block of `slices` (y, x)."""
    first_slice, planes = 0, slices
    if axis != "z" and slices:
        raw_volume, label_volume = block_planes(raw_volume, label_volume, slices, axis, size)
        first_slice, planes = slices[0], range(len(raw_volume))
    height, width = raw_volume.shape[1:]
    near_filter = NearDuplicateFilter(height, width, **near_duplicate)
    grids = plane_grids(raw_volume, label_volume, planes, size, rng, axis, first_slice)
    return grids, near_filter


def plane_grids(raw_planes, label_planes, planes, size, rng, axis, first_slice):
    """The Grid of tiles of each of `planes` (indices into the plane stacks), its grid offset
    cycling through the four corners (xrayseg.patches.grid)."""
    offsets = slice_offsets(len(planes), *raw_planes.shape[1:], size, rng)
    for plane, (offset_y, offset_x) in zip(planes, offsets, strict=True):
        raw_tiles, origins = tile_slice(
            np.asarray(raw_planes[plane], dtype=np.float32), size, offset_y, offset_x
        )
        label_tiles, _ = tile_slice(
            np.asarray(label_planes[plane], dtype=np.uint8), size, offset_y, offset_x
        )
        z, y, x = volume_position(axis, first_slice, plane, origins[..., 0], origins[..., 1])
        volume_origins = np.stack(np.broadcast_arrays(z, y, x), axis=-1)
        yield Grid(plane, raw_tiles, label_tiles, origins, volume_origins)


def build_patches(
    volume_path,
    split_csv,
    size,
    seed,
    near_duplicate,
    out_h5,
    out_csv,
    max_ignored_fraction=1.0,
    orientation="z",
):
    """Write the patch file and its counts table for one patch size and orientation (z: from
    the labelled slices; y, x: from the planes across each block); returns the counts table.

    max_ignored_fraction: patches.max_ignored_fraction (1: skip only patches with no labelled
    pixel)."""
    check_axes([orientation], "patch orientation")
    settings = {
        "size": size,
        "seed": seed,
        "near_duplicate": dict(near_duplicate),
        "max_ignored_fraction": float(max_ignored_fraction),
    }
    if orientation != "z":
        settings["orientation"] = orientation
    kind = PatchKind(
        name=f"{size}px {orientation}",
        patch_shape=(size, size),
        settings=settings,
        split_slices=labelled_slices_of if orientation == "z" else slices_of,
        cut=partial(cut_planes, size=size, axis=orientation, near_duplicate=near_duplicate),
        skipped=partial(mostly_ignored, max_ignored_fraction=max_ignored_fraction),
        table_columns=lambda split, slices: {
            "size": size,
            "orientation": orientation,
            "split": split,
            "slices": len(slices),
        },
        root_attrs={"orientation": orientation},
    )
    return build_patch_file(volume_path, split_csv, kind, out_h5, out_csv)
