"""Tortuosity factor of one phase's transport path, by TauFactor's solver.

TauFactor (tldr-group; Kench et al., SoftwareX 2023) solves steady diffusion through the phase's
voxels (conductive 1, everything else 0), with fixed potentials on the two faces normal to the flux
and no flux through the other four. Its effective diffusivity ratio D_eff / D_0 is the mean flux
over what a solid block of the phase would carry, and its tortuosity factor is
tau = volume_fraction / (D_eff / D_0): 1 for straight channels along the flux, larger the more the
paths wind. A phase with no face-connected path between the two faces carries nothing: tau is
infinite and D_eff / D_0 is 0 (decided here by labelling, without running the solver).

The solver runs on the phase's components that touch both faces: the others (isolated, or
touching one face only) carry no net flux, so leaving them out changes no converged flux, while
their transient fluxes would hold back TauFactor's convergence test (every layer's flux). tau
takes the whole phase's volume fraction, as TauFactor defines it for the whole phase.

Convergence is TauFactor's own test, made every 100 iterations: the flux through every layer normal
to the flux direction agrees within `tolerance` ((max - min) / max, its conv_crit) and tau moved by
less than 2e-3 since the last test (fixed in TauFactor). Iterations grow about linearly with the
length along the flux (its over-relaxation factor is 2 - pi / (1.5 length)).

Ignored voxels (IGNORE_INDEX) are not the phase: they block transport like any other phase.
"""

import contextlib
import io
import logging
import math
import time
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from xrayseg.microstructure.counting import check_labels

log = logging.getLogger(__name__)

# Directions by name: z along the stack (axis 0), y and x across it.
DIRECTION_AXES = {"z": 0, "y": 1, "x": 2}


@dataclass(frozen=True)
class Tortuosity:
    """One solve: tau, D_eff / D_0 (= volume_fraction / tau), the phase's volume fraction, and how
    the solver ended (iterations 0 when no path crosses and the solver was not run)."""

    tau: float
    effective_diffusivity: float
    volume_fraction: float
    iterations: int
    converged: bool
    seconds: float


def spanning(mask, axis):
    """The voxels of `mask` in face-connected components that touch both ends along `axis`."""
    structure = ndimage.generate_binary_structure(mask.ndim, 1)
    components, _ = ndimage.label(mask, structure=structure)
    first = np.unique(np.take(components, 0, axis=axis))
    last = np.unique(np.take(components, -1, axis=axis))
    crossing = np.intersect1d(first[first > 0], last[last > 0])
    return np.isin(components, crossing)


def tortuosity(labels, phase, direction, tolerance=0.01, max_iterations=20000, device="cpu"):
    """Tortuosity factor of class `phase` of a 3-D volume for flux along `direction` (z, y, x).

    Runs taufactor.Solver on the phase's voxels turned so the flux runs along its first axis.
    An unconverged solve (max_iterations reached) keeps its last tau, with converged False and a
    warning in the log. NaN when the volume is under 2 voxels long along the flux.
    """
    labels = check_labels(labels)
    if labels.ndim != 3:
        raise ValueError(f"tortuosity needs a 3-D volume, got shape {labels.shape}")
    if direction not in DIRECTION_AXES:
        raise ValueError(f"direction must be one of {', '.join(DIRECTION_AXES)}, got {direction!r}")
    start = time.perf_counter()
    axis = DIRECTION_AXES[direction]
    mask = labels == phase
    fraction = float(np.count_nonzero(mask) / mask.size)
    if labels.shape[axis] < 2:
        return Tortuosity(math.nan, math.nan, fraction, 0, False, time.perf_counter() - start)
    network = spanning(mask, axis)
    if not network.any():
        return Tortuosity(math.inf, 0.0, fraction, 0, True, time.perf_counter() - start)
    import taufactor  # torch, pyvista and IPython: imported only when a solve runs

    image = np.ascontiguousarray(np.moveaxis(network, axis, 0)).astype(np.uint8)
    # TauFactor prints its progress and warnings; they go to the log instead.
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        solver = taufactor.Solver(image, device=device)
        solver.solve(verbose=False, conv_crit=tolerance, iter_limit=max_iterations)
    if printed.getvalue().strip():
        log.debug("taufactor: %s", printed.getvalue().strip())
    if not solver.converged:
        log.warning(
            "tortuosity of class %d along %s: not converged to %g in %d iterations",
            phase,
            direction,
            tolerance,
            solver.iter,
        )
    diffusivity = float(solver.D_rel[0])
    return Tortuosity(
        tau=fraction / diffusivity if diffusivity > 0 else math.inf,
        effective_diffusivity=diffusivity,
        volume_fraction=fraction,
        iterations=int(solver.iter),
        converged=bool(solver.converged),
        seconds=time.perf_counter() - start,
    )
