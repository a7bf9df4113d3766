"""The realism statistics on constructed volumes whose answer is known by construction."""

import numpy as np
import pytest
from scipy import ndimage

from xrayseg.data.realism import (
    class_spread,
    edge_profile,
    interior_noise,
    measure_realism,
    reads_as_middle,
    rise_width,
)

MEANS = (20000.0, 30000.0, 40000.0)


def three_bands(shape=(12, 96, 120)):
    """Labels pore | YSZ | Ni in three bands across x (each 40 px: wide interiors)."""
    labels = np.zeros(shape, dtype=np.uint8)
    labels[:, :, 40:80] = 1
    labels[:, :, 80:] = 2
    return labels


def test_white_noise_is_measured_at_its_std_and_uncorrelated():
    labels = three_bands()
    noise = np.random.default_rng(0).normal(0, 500, labels.shape)
    contrast, found = interior_noise(np.asarray(MEANS)[labels] + noise, labels)
    assert contrast == pytest.approx(10000, rel=0.01)
    for phase in found.values():
        assert phase["noise"] == pytest.approx(0.05, rel=0.05)
        assert max(abs(c) for c in (*phase["x"], *phase["z"])) < 0.05


def test_neighbour_sums_give_correlation_one_half_at_one_step_and_none_at_two():
    labels = three_bands()
    white = np.random.default_rng(1).normal(0, 1, (labels.shape[0] + 1, *labels.shape[1:]))
    along_z = white[1:] + white[:-1]
    along_x = along_z + np.roll(along_z, 1, axis=2)
    _, found = interior_noise(np.asarray(MEANS)[labels] + 300 * along_x, labels)
    for phase in found.values():
        assert phase["x"][0] == pytest.approx(0.5, abs=0.05)
        assert abs(phase["x"][1]) < 0.05
        assert phase["z"][0] == pytest.approx(0.5, abs=0.05)
        assert abs(phase["z"][1]) < 0.05


def test_a_grey_offset_per_slice_and_class_is_not_noise():
    labels = three_bands()
    noise = np.random.default_rng(2).normal(0, 500, labels.shape)
    raw = np.asarray(MEANS)[labels] + noise
    offsets = np.random.default_rng(3).normal(0, 3000, (labels.shape[0], 3))
    shifted = raw + offsets[np.arange(labels.shape[0])[:, None, None], labels]
    plain_contrast, plain = interior_noise(raw, labels)
    contrast, found = interior_noise(shifted, labels)
    for name in plain:
        # In grey levels: the offsets move the class means, so the contrast too.
        assert found[name]["noise"] * contrast == pytest.approx(
            plain[name]["noise"] * plain_contrast, rel=0.02
        )


def test_a_gaussian_blurred_step_rises_10_to_90_percent_over_2_56_sigma():
    """Pore for x < 60, Ni beyond, YSZ far away at x >= 110: the signed distance is x - 60."""
    labels = np.zeros((30, 40, 140), dtype=np.uint8)
    labels[:, :, 60:] = 2
    labels[:, :, 110:] = 1
    grey = ndimage.gaussian_filter1d(np.asarray(MEANS)[labels], 2.0, axis=2, mode="nearest")
    positions, profile = edge_profile(grey, labels, slice(10, 20))
    assert rise_width(positions, profile) == pytest.approx(2 * 1.2816 * 2.0, abs=0.35)


def test_a_flat_profile_has_no_rise_width():
    assert np.isnan(rise_width(np.arange(8.0), np.ones(8)))


def test_class_spread_is_each_class_std_over_the_pore_to_ysz_contrast():
    labels = np.array([[0, 0, 1, 1, 2, 2]])
    raw = np.array([[90.0, 110.0, 195.0, 205.0, 300.0, 300.0]])
    spread = class_spread([(raw, labels)])
    assert spread == pytest.approx({"pore": 10 / 100, "YSZ": 5 / 100, "Ni": 0.0})


def test_reads_as_middle_counts_outer_class_pixels_nearest_the_middle_mean():
    labels = np.array([0, 0, 0, 1, 2, 2])
    raw = np.array([0.0, 20.0, 60.0, 50.0, 100.0, 70.0])
    # Pore 60 and Ni 70 are nearer 50 than their own means (0, 100): 2 of 5 outer pixels.
    assert reads_as_middle(raw, labels, (0.0, 50.0, 100.0)) == pytest.approx(2 / 5)


def test_measure_realism_takes_six_slices_mid_stack_by_default():
    labels = three_bands((40, 64, 120))
    labels[:, 32:, 40:80] = 2  # a pore-Ni edge with YSZ far from part of it
    raw = np.asarray(MEANS)[labels] + np.random.default_rng(4).normal(0, 200, labels.shape)
    found = measure_realism(raw, labels)
    assert found["slices"] == (17, 23)
    assert set(found["interior"]) == set(found["spread"]) == {"pore", "YSZ", "Ni"}
    assert 0 <= found["reads_mid"] < 0.01
