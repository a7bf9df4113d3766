"""Tortuosity factors of shapes whose answer is known without TauFactor."""

import contextlib
import io
import math

import numpy as np
import pytest
import taufactor

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.microstructure.tortuosity import tortuosity


def straight_channel():
    """A 3 x 3 channel of class 1 along z through class 0."""
    volume = np.zeros((10, 8, 8), np.uint8)
    volume[:, 2:5, 2:5] = 1
    return volume


def zigzag(length, width):
    """A one-voxel-wide path of class 1 that crosses the volume along z, sweeping the whole
    width along y between every two steps along z, without touching itself; an odd length
    starts and ends it with one voxel on each face."""
    volume = np.zeros((length, width, 3), np.uint8)
    y = 0
    for z in range(length):
        if z % 2 == 0:
            volume[z, y, 1] = 1
        else:
            end = width - 1 if y == 0 else 0
            volume[z, min(y, end) : max(y, end) + 1, 1] = 1
            y = end
    return volume


def test_a_straight_channel_along_the_flux_has_tau_1_and_its_fraction_as_diffusivity():
    result = tortuosity(straight_channel(), 1, "z", tolerance=1e-3)
    assert result.converged
    assert result.tau == pytest.approx(1, abs=1e-4)
    assert result.effective_diffusivity == pytest.approx(9 / 64, rel=1e-4)
    assert result.volume_fraction == 9 / 64


def test_a_channel_that_crosses_nothing_across_it_carries_nothing_without_solving():
    result = tortuosity(straight_channel(), 1, "y")
    assert (result.tau, result.effective_diffusivity, result.iterations) == (math.inf, 0.0, 0)


@pytest.mark.parametrize("length, width", [(9, 5), (13, 4)])
def test_a_zigzag_path_has_tau_of_its_length_over_the_sample_length_squared(length, width):
    # A one-voxel path is a chain of equal resistors: n voxels between the two faces carry
    # 1 / n of a straight column's flux while filling n / length of its volume, so
    # tau = volume fraction / (D_eff / D_0) = (n / length)**2.
    volume = zigzag(length, width)
    path_voxels = int(volume.sum())
    assert path_voxels > 2 * length  # the path does wind
    result = tortuosity(volume, 1, "z", tolerance=1e-4)
    assert result.converged
    assert result.tau == pytest.approx((path_voxels / length) ** 2, rel=1e-3)


def test_directions_turn_the_volume_so_the_same_channel_along_x_has_tau_1():
    along_x = np.ascontiguousarray(np.moveaxis(straight_channel(), 0, 2))
    assert tortuosity(along_x, 1, "x").tau == pytest.approx(1, abs=1e-4)
    assert tortuosity(along_x, 1, "z").tau == math.inf


def test_ignored_voxels_block_transport():
    volume = straight_channel()
    volume[4, 2:5, 2:5] = IGNORE_INDEX
    assert tortuosity(volume, 1, "z").tau == math.inf


def test_a_volume_one_voxel_long_along_the_flux_has_no_tortuosity():
    assert math.isnan(tortuosity(np.ones((1, 4, 4), np.uint8), 1, "z").tau)


def test_bad_directions_and_2d_labels_are_refused():
    with pytest.raises(ValueError, match="direction must be one of z, y, x"):
        tortuosity(straight_channel(), 1, "w")
    with pytest.raises(ValueError, match="3-D volume"):
        tortuosity(np.ones((4, 4), np.uint8), 1, "z")


def test_components_that_cross_nothing_change_nothing_but_count_in_the_volume_fraction():
    # A channel, an isolated block and a dead end touching the first face only: TauFactor on
    # the whole phase and the solve on the crossing network give the same tau.
    volume = straight_channel()
    volume[3:6, 6:8, 6:8] = 1  # isolated
    volume[0:4, 0:2, 6:8] = 1  # touches the first face only
    with contextlib.redirect_stdout(io.StringIO()):
        whole = taufactor.Solver((volume == 1).astype(np.uint8), device="cpu")
        whole.solve(verbose=False, conv_crit=1e-4)
    result = tortuosity(volume, 1, "z", tolerance=1e-4)
    assert result.volume_fraction == pytest.approx(float(whole.VF[0]))
    assert result.tau == pytest.approx(float(whole.tau[0]), rel=1e-3)
    assert result.tau > 1  # the same flux through more of the phase
