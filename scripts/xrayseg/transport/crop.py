"""The central crop that bounds the volume a transport job measures.

Tortuosity, connectivity and local thickness need the whole volume in memory (several bytes per
voxel in each library), so a volume over transport.max_voxels is measured on its central crop:
the largest box centred in it whose sides are cut to one common length at most (a cube where the
volume allows), so the crop keeps every direction as long as the others.
"""


def crop_side(shape, max_voxels):
    """The largest common side s such that the box min(side, s) per axis holds at most
    max_voxels; the longest side when the whole volume fits."""

    def voxels(side):
        total = 1
        for length in shape:
            total *= min(length, side)
        return total

    low, high = 1, max(shape)
    if voxels(high) <= max_voxels:
        return high
    while low < high:
        middle = (low + high + 1) // 2
        if voxels(middle) <= max_voxels:
            low = middle
        else:
            high = middle - 1
    return low


def central_crop(shape, max_voxels):
    """Slices of the central box of `shape` with at most max_voxels voxels (crop_side)."""
    side = crop_side(shape, max_voxels)
    boxes = []
    for length in shape:
        kept = min(length, side)
        start = (length - kept) // 2
        boxes.append(slice(start, start + kept))
    return tuple(boxes)
