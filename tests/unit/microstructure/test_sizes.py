"""Local thickness sizes of shapes whose size is known."""

import math

import numpy as np
import pytest

from xrayseg.microstructure.sizes import local_thickness, size_distribution


def put_sphere(volume, centre, radius, value=1):
    z, y, x = np.indices(volume.shape)
    inside = sum((c - k) ** 2 for c, k in zip((z, y, x), centre, strict=True)) <= radius**2
    volume[inside] = value
    return int(inside.sum())


@pytest.mark.parametrize("radius", [4, 7])
def test_every_voxel_of_a_sphere_has_its_diameter_as_thickness_but_its_tips(radius):
    volume = np.zeros((4 * radius,) * 3, np.uint8)
    voxels = put_sphere(volume, (2 * radius,) * 3, radius)
    thickness = local_thickness(volume, 1, voxel_size=0.5)
    assert thickness.size == voxels
    # All but a few voxels near the poles, where the voxelised surface is flat, are covered by
    # the whole sphere; none by a larger one.
    assert np.count_nonzero(thickness == 2 * radius * 0.5) > 0.95 * voxels
    assert thickness.max() == 2 * radius * 0.5
    summary = size_distribution(volume, 1, voxel_size=0.5)
    assert summary["d10"] == summary["d50"] == summary["d90"] == radius
    assert summary["mean"] == pytest.approx(radius, rel=0.03)


def test_percentiles_are_by_volume_over_spheres_of_two_sizes():
    volume = np.zeros((40, 40, 60), np.uint8)
    big = put_sphere(volume, (20, 20, 15), 8)
    small = put_sphere(volume, (10, 10, 42), 4) + put_sphere(volume, (30, 30, 42), 4)
    assert 0.10 < small / (small + big) < 0.5  # small spheres hold d10, the big one d50 and d90
    summary = size_distribution(volume, 1)
    assert (summary["d10"], summary["d50"], summary["d90"]) == (8, 16, 16)


def test_a_phase_cut_by_the_volume_face_keeps_its_size():
    volume = np.zeros((20, 20, 20), np.uint8)
    put_sphere(volume, (0, 10, 10), 8)  # half a sphere, cut by the first slice
    assert size_distribution(volume, 1)["d50"] == 16


def test_a_missing_phase_has_no_size():
    summary = size_distribution(np.zeros((4, 4, 4), np.uint8), 1)
    assert all(math.isnan(summary[key]) for key in ("mean", "d10", "d50", "d90"))


def test_a_phase_that_fills_the_volume_is_unboundedly_thick():
    # Nothing bounds it (the faces are not walls): PoreSpy's distance transform is infinite.
    summary = size_distribution(np.ones((4, 5, 6), np.uint8), 1)
    assert all(math.isinf(summary[key]) for key in ("mean", "d10", "d50", "d90"))
