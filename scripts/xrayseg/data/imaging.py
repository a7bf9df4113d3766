"""Imaging effects of a real tomogram for the synthetic volume: correlated noise, shading.

Spatially correlated noise and slow shading within a class (xrayseg.data.synthetic applies them;
benchmarks/fit_noise.py fits their parameters to the real tomogram's statistics,
xrayseg.data.realism measures them)."""

import numpy as np
from scipy import ndimage


def unit_filtered_noise(shape, sigma, rng):
    """White noise smoothed by a Gaussian of `sigma` (px, one per axis or one for all),
    scaled to unit variance by the kernel's norm (exact for any size, no pass over the data).

    Its correlation at lag d along an axis is gaussian_correlation(sigma, d): about
    exp(-d^2 / (4 sigma^2)) for sigma above 1 px.
    """
    sigmas = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (len(shape),))
    field = rng.standard_normal(shape, dtype=np.float32)
    if np.any(sigmas > 0):
        field = ndimage.gaussian_filter(field, sigma=tuple(sigmas), mode="wrap", output=field)
    field /= np.float32(np.prod([_kernel_norm(s) for s in sigmas]))
    return field


def _kernel(sigma):
    """The 1-D kernel scipy's gaussian_filter applies for `sigma` (truncate 4)."""
    if sigma <= 0:
        return np.ones(1)
    radius = int(4.0 * sigma + 0.5)
    impulse = np.zeros(2 * radius + 1)
    impulse[radius] = 1.0
    return ndimage.gaussian_filter1d(impulse, sigma, mode="constant")


def _kernel_norm(sigma):
    return float(np.sqrt(np.sum(_kernel(sigma) ** 2)))


def gaussian_correlation(sigma, lag):
    """Correlation at integer `lag` of white noise smoothed by scipy's Gaussian of `sigma`."""
    kernel = _kernel(sigma)
    lag = abs(int(lag))
    if lag >= len(kernel):
        return 0.0
    return float(np.dot(kernel[: len(kernel) - lag], kernel[lag:]) / np.dot(kernel, kernel))


def correlated_noise(shape, std, short_sigma, long_sigma, long_share, rng):
    """Noise of standard deviation `std` with a real tomogram's correlation: a sum of two
    smoothed white noises, a short-range part (Gaussian sigma `short_sigma` per axis z, y, x)
    and a weak long-range part (`long_sigma`) holding `long_share` of the variance.

    Correlation at lag d along an axis: (1 - share) * rho(short, d) + share * rho(long, d),
    rho = gaussian_correlation.
    """
    noise = unit_filtered_noise(shape, short_sigma, rng)
    noise *= np.float32(std * np.sqrt(1.0 - long_share))
    if long_share > 0:
        long_range = unit_filtered_noise(shape, long_sigma, rng)
        noise += long_range * np.float32(std * np.sqrt(long_share))
    return noise


def noise_correlation(short_sigma, long_sigma, long_share, lag):
    """The correlation correlated_noise has at `lag` along one axis (sigmas of that axis)."""
    return (1.0 - long_share) * gaussian_correlation(
        short_sigma, lag
    ) + long_share * gaussian_correlation(long_sigma, lag)


def slow_field(shape, sigma, rng):
    """A unit-variance Gaussian random field that varies over `sigma` px (per axis z, y, x):
    drawn on a grid `sigma` / 4 apart and interpolated linearly (a 500^3 volume with a sigma of
    100 px costs one pass of interpolation, not a 800-tap filter)."""
    sigmas = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (len(shape),))
    steps = [max(1, int(s // 4)) for s in sigmas]
    coarse_shape = [(n - 1) // step + 2 for n, step in zip(shape, steps, strict=True)]
    field = unit_filtered_noise(coarse_shape, sigmas / np.asarray(steps), rng)
    for axis, (n, step) in enumerate(zip(shape, steps, strict=True)):
        field = _interpolate_axis(field, n, step, axis)
    return field


def _interpolate_axis(field, n, step, axis):
    """`n` samples along `axis`, `1 / step` grid points apart, linearly interpolated."""
    position = np.arange(n, dtype=np.float64) / step
    below = np.floor(position).astype(np.intp)
    weight_shape = [1] * field.ndim
    weight_shape[axis] = n
    weight = (position - below).astype(np.float32).reshape(weight_shape)
    lower = np.take(field, below, axis=axis)
    upper = np.take(field, below + 1, axis=axis)
    lower *= 1 - weight
    upper *= weight
    lower += upper
    return lower
