"""Fit the synthetic volume's blur and correlated noise to the real tomogram's statistics.

Usage (from the repository root):
    python benchmarks/fit_noise.py --fit-blur       # blur (z, in-plane) and noise: the real preset
    python benchmarks/fit_noise.py                  # the noise alone, with the config's edge_blur
    python benchmarks/fit_noise.py --quick          # a small volume, a few evaluations

Why a fit and not a formula: the statistics are measured on 2-D phase interiors (pixels at least
4 px from another phase in their slice, xrayseg.data.realism), but the partial-volume blur is
3-D: a pixel deep inside a phase in its slice can lie a pixel or two from another phase above or
below it, and the blur leaks that phase's grey value in. That leak is smooth, so it adds to the
measured noise and, above all, to its long-range correlation. The fit therefore simulates the
measurement: a synthetic phase volume (the config's structure), the blur, the noise for the
candidate parameters (always from the same random numbers, so the cost is smooth in them), and
the realism measurement on its middle slices; scipy's least_squares moves the parameters until
the measured noise std (tolerance 0.003 of the contrast) and correlations (tolerance 0.02) are
nearest the real tomogram's (xrayseg.data.realism.REAL_INTERIOR), and with --fit-blur the 10-90 %
pore->Ni edge rise its 5 px (tolerance 0.2 px). It prints the parameters to copy into
xrayseg.data.synthetic.REALISTIC_BLUR and REALISTIC_NOISE and the statistics they give beside
the targets (--fit-blur on the default 96 x 320 x 320 volume: about 7 minutes on 2 cores).
With the easy volume's isotropic blur of sigma 2 the best noise still measures 10-20 % above the
real level: that blur leaks more than the real data shows, hence --fit-blur for the preset.

The noise model (xrayseg.data.imaging.correlated_noise): a short-range Gaussian-correlated part
(sigma per axis, z and in-plane) plus a weak long-range part holding a share of the variance, one
std (a fraction of the pore-to-YSZ contrast) for every class.
"""

import argparse
import time

import numpy as np
from dataset import config_with
from machine import print_machine, write_json
from scipy import ndimage, optimize

from xrayseg.data.imaging import correlated_noise
from xrayseg.data.realism import (
    EDGE_REACH,
    REAL_EDGE_RISE_PX,
    REAL_INTERIOR,
    edge_profile,
    interior_masks,
    interior_noise,
    rise_width,
)
from xrayseg.data.synthetic import make_phases

NOISE_TOLERANCE = 0.003
CORRELATION_TOLERANCE = 0.02
EDGE_TOLERANCE_PX = 0.2
# Fitted: noise std (contrast), long share, short sigma z, short sigma y/x, long sigma z, y/x.
NOISE_START = (0.045, 0.05, 0.8, 0.9, 3.0, 6.0)
NOISE_BOUNDS = ((0.005, 0.0, 0.3, 0.3, 1.0, 2.0), (0.12, 0.6, 3.0, 3.0, 20.0, 40.0))
BLUR_BOUNDS = ((0.3, 0.3), (3.0, 3.0))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", default=[], help="keys over the default")
    parser.add_argument("--shape", type=int, nargs=3, default=[96, 320, 320])
    parser.add_argument("--fit-blur", action="store_true", help="fit the edge blur as well")
    parser.add_argument("--seed", type=int, default=3, help="of the noise's random numbers")
    parser.add_argument("--evaluations", type=int, default=200, help="at most, per fit")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="16 x 96 x 96, 10 evaluations")
    args = parser.parse_args(argv)
    if args.quick:
        args.shape, args.evaluations = [16, 96, 96], 10
    return args


class Measurement:
    """The synthetic structure, blurred and noised for candidate parameters, measured on its
    middle slices as the real tomogram was."""

    def __init__(self, settings, shape, seed):
        self.shape = tuple(shape)
        self.seed = seed
        self.phases = make_phases(
            self.shape, settings["fractions"], settings["feature_size"], settings["seed"]
        )
        means = np.asarray(settings["grey_means"], dtype=np.float32)
        self.pure = means[self.phases]
        self.contrast = abs(float(means[1] - means[0]))
        # 24 slices mid-stack, 4 x the real tomogram's 6 measured slices, so the fit follows
        # the structure's typical leak, not one sample's. The stack must be deep (the default
        # 96 slices, over 7 feature sizes): in a thin one the reflected random fields stretch
        # the phases along z, fewer edges lie just above or below a slice, and less leaks.
        middle = self.shape[0] // 2
        self.core = slice(max(0, middle - 12), middle + 12)
        self.interiors = interior_masks(self.phases[self.core])

    def volume(self, blur, noise):
        """The grey values for blur sigmas (z, y/x) and noise parameters (NOISE_START's order)."""
        std, share, short_z, short_xy, long_z, long_xy = noise
        grey = ndimage.gaussian_filter(self.pure, (blur[0], blur[1], blur[1]), mode="nearest")
        grey += correlated_noise(
            self.shape,
            std * self.contrast,
            (short_z, short_xy, short_xy),
            (long_z, long_xy, long_xy),
            share,
            np.random.default_rng(self.seed),
        )
        return grey

    def statistics(self, grey):
        _, found = interior_noise(grey[self.core], self.phases[self.core], interiors=self.interiors)
        return found

    def edge_rise(self, grey):
        """The pore->Ni 10-90 % rise on the core slices (distances from EDGE_REACH beyond)."""
        first = max(0, self.core.start - EDGE_REACH)
        block = slice(first, self.core.stop + EDGE_REACH)
        core = slice(self.core.start - first, self.core.stop - first)
        positions, profile = edge_profile(grey[block], self.phases[block], core)
        return rise_width(positions, profile)


def residuals(found, edge_rise=None):
    """(measured - real) / tolerance for every statistic (and the edge rise when given)."""
    out = []
    for name, real in REAL_INTERIOR.items():
        out.append((found[name]["noise"] - real["noise"]) / NOISE_TOLERANCE)
        for axis in ("x", "z"):
            out += [
                (m - t) / CORRELATION_TOLERANCE
                for m, t in zip(found[name][axis], real[axis], strict=True)
            ]
    if edge_rise is not None:
        out.append((edge_rise - REAL_EDGE_RISE_PX) / EDGE_TOLERANCE_PX)
    return np.asarray(out)


def fit(measurement, blur, fit_blur, evaluations):
    """Least-squares parameters: (blur, noise)."""

    def cost(params):
        trial_blur, noise = (params[:2], params[2:]) if fit_blur else (blur, params)
        grey = measurement.volume(trial_blur, noise)
        edge = measurement.edge_rise(grey) if fit_blur else None
        return residuals(measurement.statistics(grey), edge)

    start, (low, high) = list(NOISE_START), NOISE_BOUNDS
    if fit_blur:
        start, low, high = [*blur, *start], [*BLUR_BOUNDS[0], *low], [*BLUR_BOUNDS[1], *high]
    result = optimize.least_squares(
        cost, start, bounds=(low, high), diff_step=0.05, max_nfev=evaluations
    )
    params = result.x
    return (tuple(params[:2]), tuple(params[2:])) if fit_blur else (tuple(blur), tuple(params))


def print_result(measurement, blur, noise):
    """Print the parameters and what they give beside the targets; returns the figures."""
    std, share, short_z, short_xy, long_z, long_xy = noise
    print(f"edge blur sigma: z {blur[0]:.2f}, y/x {blur[1]:.2f} px")
    print(
        f"noise: contrast {std:.4f} (std {std * measurement.contrast:.0f} grey levels), "
        f"short sigma (z, y, x) ({short_z:.2f}, {short_xy:.2f}, {short_xy:.2f}), "
        f"long share {share:.3f}, long sigma ({long_z:.1f}, {long_xy:.1f}, {long_xy:.1f})"
    )
    grey = measurement.volume(blur, noise)
    found = measurement.statistics(grey)
    print(f"{'phase':6s} {'noise':>13s}  {'corr x+1,2,4,8':>34s}  {'corr z+1,2':>20s}")
    for name, real in REAL_INTERIOR.items():
        m = found[name]
        print(
            f"{name:6s} {m['noise']:.3f} ({real['noise']:.3f})  "
            + " ".join(f"{c:.2f}({t:.2f})" for c, t in zip(m["x"], real["x"], strict=True))
            + "  "
            + " ".join(f"{c:.2f}({t:.2f})" for c, t in zip(m["z"], real["z"], strict=True))
        )
    print(f"pore->Ni 10-90 % rise {measurement.edge_rise(grey):.2f} px ({REAL_EDGE_RISE_PX})")
    cost = 0.5 * float(np.sum(residuals(found) ** 2))
    print(f"(in brackets: the real tomogram); cost {cost:.1f} (0.5 sum of squared misfits)")
    return {
        "edge_blur": list(blur),
        "noise": {
            "contrast": std,
            "short_sigma": [short_z, short_xy, short_xy],
            "long_sigma": [long_z, long_xy, long_xy],
            "long_share": share,
        },
        "measured": found,
        "cost": cost,
    }


def main(argv=None):
    args = parse_args(argv)
    machine = print_machine("fit the synthetic noise to the real tomogram's interior statistics")
    settings = config_with(args.config)["synthetic"]
    blur = (float(settings["edge_blur"]),) * 2
    started = time.perf_counter()
    measurement = Measurement(settings, args.shape, args.seed)
    blur, noise = fit(measurement, blur, args.fit_blur, args.evaluations)
    print(
        f"fitted on a {' x '.join(map(str, args.shape))} volume in "
        f"{time.perf_counter() - started:.0f} s"
    )
    figures = {"machine": machine, "shape": args.shape, **print_result(measurement, blur, noise)}
    write_json(args.json, figures)
    return figures


if __name__ == "__main__":
    main()
