"""Every transport quantity of one labelled volume, as table rows.

Rows: quantity, phases, direction, unit, value, converged, iterations, seconds, note.
- tortuosity_factor and effective_diffusivity (D_eff / D_0 = volume fraction / tau) per
  transport phase and direction (xrayseg.microstructure.tortuosity, TauFactor's solver);
  converged and iterations say how the solve ended;
- tpb_density, active_tpb_density and active_tpb_fraction (active / total) per triple of classes
  with a microstructure role (xrayseg.microstructure.activetpb);
- thickness_mean, thickness_d10, thickness_d50, thickness_d90 per phase: the local thickness's
  volume-weighted distribution (xrayseg.microstructure.sizes, PoreSpy).
seconds is the time of the computation a row comes from (one solve; the TPB of all triples; one
phase's local thickness). A quantity that does not apply (no transport phase, fewer than three
roles) is one row with no value and a note saying why, so tables and the report can say so.
"""

import itertools
import math
import time

from xrayseg.microstructure.activetpb import active_tpb_densities
from xrayseg.microstructure.sizes import PERCENTILES, size_distribution
from xrayseg.microstructure.tortuosity import tortuosity

COLUMNS = [
    "quantity",
    "phases",
    "direction",
    "unit",
    "value",
    "converged",
    "iterations",
    "seconds",
    "note",
]
UNITS = {
    "tortuosity_factor": "1",
    "effective_diffusivity": "1",
    "tpb_density": "1/length^2",
    "active_tpb_density": "1/length^2",
    "active_tpb_fraction": "1",
    "thickness_mean": "length",
    **{f"thickness_d{p}": "length" for p in PERCENTILES},
}


def row(quantity, phases="", direction="", value=math.nan, seconds=math.nan, note="", **solve):
    return {
        "quantity": quantity,
        "phases": phases,
        "direction": direction,
        "unit": UNITS[quantity],
        "value": value,
        "converged": solve.get("converged", ""),
        "iterations": solve.get("iterations", ""),
        "seconds": seconds,
        "note": note,
    }


def tortuosity_rows(labels, settings, class_names, device):
    if not settings.tortuosity_phases:
        note = "no transport phase: no class has a microstructure role"
        return [row("tortuosity_factor", note=note), row("effective_diffusivity", note=note)]
    rows = []
    for name, direction in itertools.product(settings.tortuosity_phases, settings.directions):
        result = tortuosity(
            labels,
            class_names.index(name),
            direction,
            settings.tolerance,
            settings.max_iterations,
            device,
        )
        solve = {"converged": result.converged, "iterations": result.iterations}
        note = "" if result.converged else f"not converged in {result.iterations} iterations"
        if math.isinf(result.tau):
            note = "no path crosses the volume"
        for quantity, value in (
            ("tortuosity_factor", result.tau),
            ("effective_diffusivity", result.effective_diffusivity),
        ):
            rows.append(row(quantity, name, direction, value, result.seconds, note, **solve))
    return rows


def tpb_rows(labels, settings, class_names):
    role_classes = sorted(class_names.index(name) for name in settings.faces)
    triples = list(itertools.combinations(role_classes, 3))
    quantities = ("tpb_density", "active_tpb_density", "active_tpb_fraction")
    if not triples:
        note = "needs three classes with microstructure roles"
        return [row(quantity, note=note) for quantity in quantities]
    start = time.perf_counter()
    faces = {class_names.index(name): faces for name, faces in settings.faces.items()}
    totals, actives = active_tpb_densities(labels, triples, faces, settings.voxel_size)
    seconds = time.perf_counter() - start
    rows = []
    for triple, total, active in zip(triples, totals, actives, strict=True):
        phases = "/".join(class_names[i] for i in triple)
        fraction = active / total if total > 0 else math.nan
        for quantity, value in zip(quantities, (total, active, fraction), strict=True):
            rows.append(row(quantity, phases, value=float(value), seconds=seconds))
    return rows


def size_rows(labels, settings, class_names):
    rows = []
    for name in settings.size_phases:
        summary = size_distribution(labels, class_names.index(name), settings.voxel_size)
        note = "" if math.isfinite(summary["mean"]) else "phase absent"
        for key in ("mean", *(f"d{p}" for p in PERCENTILES)):
            rows.append(row(f"thickness_{key}", name, "", summary[key], summary["seconds"], note))
    return rows


def measure_volume(labels, settings, class_names, device="cpu"):
    """The rows (COLUMNS) of every quantity in settings.quantities for a Z x Y x X volume of
    class indices (IGNORE_INDEX ignored); settings: xrayseg.settings.transport.TransportSettings."""
    class_names = list(class_names)
    rows = []
    if "tortuosity" in settings.quantities:
        rows += tortuosity_rows(labels, settings, class_names, device)
    if "active_tpb" in settings.quantities:
        rows += tpb_rows(labels, settings, class_names)
    if "sizes" in settings.quantities:
        rows += size_rows(labels, settings, class_names)
    return rows
