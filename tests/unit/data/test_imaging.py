"""Correlated noise and slow shading of the synthetic volume (xrayseg.data.imaging)."""

import numpy as np
import pytest

from xrayseg.data.imaging import (
    correlated_noise,
    gaussian_correlation,
    noise_correlation,
    slow_field,
    unit_filtered_noise,
)


def lag_correlation(field, axis, lag):
    a = np.moveaxis(field, axis, 0)
    return float(np.corrcoef(a[:-lag].ravel(), a[lag:].ravel())[0, 1])


@pytest.mark.parametrize("sigma", [0.0, 0.8, 2.5])
def test_filtered_noise_has_unit_variance_for_any_sigma(sigma):
    field = unit_filtered_noise((32, 96, 96), sigma, np.random.default_rng(0))
    assert field.dtype == np.float32
    assert field.std() == pytest.approx(1.0, rel=0.06)


def test_gaussian_correlation_is_exp_minus_d2_over_4_sigma2_for_wide_kernels():
    for lag in (1, 2, 4, 8):
        assert gaussian_correlation(4.0, lag) == pytest.approx(np.exp(-(lag**2) / 64), abs=0.005)
    assert gaussian_correlation(0.0, 1) == 0.0


def test_correlated_noise_has_its_std_and_the_correlation_it_promises_along_each_axis():
    short, long, share = (0.8, 1.1, 1.1), (3.0, 6.0, 6.0), 0.2
    noise = correlated_noise((64, 192, 192), 5.0, short, long, share, np.random.default_rng(1))
    assert noise.std() == pytest.approx(5.0, rel=0.05)
    for axis, lags in ((0, (1, 2, 4)), (2, (1, 2, 4, 8))):
        for lag in lags:
            expected = noise_correlation(short[axis], long[axis], share, lag)
            assert lag_correlation(noise, axis, lag) == pytest.approx(expected, abs=0.03)


def test_without_a_long_range_part_the_noise_forgets_itself_within_a_few_pixels():
    noise = correlated_noise((16, 128, 128), 1.0, 1.0, 9.0, 0.0, np.random.default_rng(2))
    assert lag_correlation(noise, 2, 1) > 0.7
    assert abs(lag_correlation(noise, 2, 8)) < 0.03


def test_slow_field_is_unit_variance_and_varies_over_its_sigma_per_axis():
    """Drawn on a coarse grid (sigma 8 and 12: every 2nd and 3rd px) and interpolated."""
    sigma = (4.0, 8.0, 12.0)
    field = slow_field((64, 160, 190), sigma, np.random.default_rng(3))
    assert field.shape == (64, 160, 190)
    assert field.std() == pytest.approx(1.0, rel=0.1)
    for axis, s in enumerate(sigma):
        assert lag_correlation(field, axis, 1) > 0.98
        lag = int(2 * s)
        assert lag_correlation(field, axis, lag) == pytest.approx(
            gaussian_correlation(s, lag), abs=0.08
        )
