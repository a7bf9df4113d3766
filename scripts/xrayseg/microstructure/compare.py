"""All microstructure metrics of a labelled volume, and how far a prediction's are from the truth.

Metrics are keyed (metric, phases): phases is a class name ("pore"), a pair ("pore/ysz") or a
triple ("pore/ysz/ni"), names coming from the roles dict, then from `class_names` where given, and
"class <i>" for classes named by neither.
"""

import itertools

import numpy as np
import pandas as pd

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.microstructure.connectivity import connected_fraction
from xrayseg.microstructure.counting import (
    check_labels,
    class_counts,
    interface_densities,
    phase_fractions,
    tpb_densities,
)

# Units in terms of the voxel size's length unit; the same in 2-D (per area) and 3-D (per volume).
UNITS = {
    "volume_fraction": "1",
    "connected_fraction": "1",
    "interface_density": "1/length",
    "tpb_density": "1/length^2",
}


def check_roles(roles):
    """Roles as {name: class index}; a clear error for a bad index or a class named twice."""
    roles = dict(roles or {})
    for name, index in roles.items():
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise ValueError(f"roles: class index of {name!r} must be an integer, got {index!r}")
        if not 0 <= index < IGNORE_INDEX:
            raise ValueError(f"roles: class index of {name!r} must be in 0..{IGNORE_INDEX - 1}")
    if len(set(roles.values())) != len(roles):
        raise ValueError(f"roles: each class may have one role only, got {roles}")
    return {str(name): int(index) for name, index in roles.items()}


def class_count_needed(roles, *volumes):
    """Classes 0..n-1 covering every label present (ignored voxels aside) and every role."""
    highest = max(roles.values(), default=-1)
    for volume in volumes:
        present = np.flatnonzero(class_counts(volume)[:IGNORE_INDEX])
        if present.size:
            highest = max(highest, int(present[-1]))
    return highest + 1


def class_labels(roles, n_classes, class_names=None):
    """Display name of each class 0..n_classes-1: its role, its class name, or "class <i>"."""
    names = {index: f"class {index}" for index in range(n_classes)}
    names.update(dict(enumerate(list(class_names or [])[:n_classes])))
    names.update({index: name for name, index in roles.items()})
    if len(set(names.values())) != len(names):
        raise ValueError(f"roles and class names give two classes the same name: {names}")
    return names


def measure_microstructure(
    labels, roles, voxel_size=1.0, axis=0, n_classes=None, *, class_names=None, metrics=None
):
    """Every metric of a labelled 2-D slice or 3-D volume as {(metric, phases): value}.

    - volume_fraction per class, over counted voxels (ignored voxels are left out);
    - connected_fraction per class, spanning along `axis` (see connected_fraction);
    - interface_density per pair of classes, by face counting (see interface_densities);
    - tpb_density per triple of classes named in `roles` (see tpb_densities). With fewer than
      three roles there is no triple and no tpb_density entry; with more, every triple is given.
    `voxel_size` is the length of a voxel edge (densities then come in its units).
    `class_names` (optional) names the classes without a role, and with n_classes unset makes
    every named class a row even when absent from the labels. `metrics` (optional): the metric
    names to measure (keys of UNITS), e.g. only the densities a ranking needs; default all.
    """
    labels = check_labels(labels)
    roles = check_roles(roles)
    wanted = set(UNITS if metrics is None else metrics)
    unknown = wanted - set(UNITS)
    if unknown:
        raise ValueError(f"unknown microstructure metrics {sorted(unknown)}; known: {list(UNITS)}")
    if n_classes is None:
        n_classes = max(class_count_needed(roles, labels), len(class_names or []))
    names = class_labels(roles, n_classes, class_names)
    measured = {}
    if "volume_fraction" in wanted:
        for index, fraction in enumerate(phase_fractions(labels, n_classes)):
            measured["volume_fraction", names[index]] = float(fraction)
    if "connected_fraction" in wanted:
        for index in range(n_classes):
            measured["connected_fraction", names[index]] = connected_fraction(labels, index, axis)
    if "interface_density" in wanted:
        interfaces = interface_densities(labels, n_classes, voxel_size)
        for low, high in itertools.combinations(range(n_classes), 2):
            pair = f"{names[low]}/{names[high]}"
            measured["interface_density", pair] = float(interfaces[low, high])
    triples = list(itertools.combinations(sorted(roles.values()), 3))
    if triples and "tpb_density" in wanted:
        densities = tpb_densities(labels, triples, voxel_size)
        for triple, density in zip(triples, densities, strict=True):
            measured["tpb_density", "/".join(names[i] for i in triple)] = float(density)
    return measured


def relative_errors(true_metrics, predicted_metrics):
    """(predicted - true) / true for every key of `true_metrics`; NaN where true is 0 or NaN."""
    errors = {}
    for key, true in true_metrics.items():
        predicted = predicted_metrics.get(key, float("nan"))
        errors[key] = (predicted - true) / true if true != 0 and np.isfinite(true) else float("nan")
    return errors


def microstructure_table(
    true_volume, predicted_volume, roles, voxel_size=1.0, axis=0, *, class_names=None, metrics=None
):
    """Tidy table: metric, phases, unit, true, predicted, relative_error (one row per metric).

    Both volumes are measured over the same voxels: a voxel ignored in either (IGNORE_INDEX) is
    ignored in both, so a prediction is never scored where the truth is unknown. Both use the
    same class count, so rows line up even when one volume lacks a class. `class_names` and
    `metrics` as in measure_microstructure.
    """
    true_volume = check_labels(true_volume)
    predicted_volume = check_labels(predicted_volume)
    if true_volume.shape != predicted_volume.shape:
        raise ValueError(
            f"true and predicted volumes differ in shape: {true_volume.shape} vs "
            f"{predicted_volume.shape}"
        )
    roles = check_roles(roles)
    ignored = (true_volume == IGNORE_INDEX) | (predicted_volume == IGNORE_INDEX)
    if ignored.any():
        true_volume = np.where(ignored, IGNORE_INDEX, true_volume).astype(np.uint8)
        predicted_volume = np.where(ignored, IGNORE_INDEX, predicted_volume).astype(np.uint8)
    n_classes = max(
        class_count_needed(roles, true_volume, predicted_volume), len(class_names or [])
    )
    true, predicted = (
        measure_microstructure(
            volume, roles, voxel_size, axis, n_classes, class_names=class_names, metrics=metrics
        )
        for volume in (true_volume, predicted_volume)
    )
    return comparison_table(true, predicted)


def comparison_table(true, predicted):
    """The tidy table of microstructure_table from two measure_microstructure results of the
    same classes and metrics (the true volume's and the prediction's)."""
    errors = relative_errors(true, predicted)
    rows = [
        {
            "metric": metric,
            "phases": phases,
            "unit": UNITS[metric],
            "true": true[metric, phases],
            "predicted": predicted.get((metric, phases), float("nan")),
            "relative_error": errors[metric, phases],
        }
        for metric, phases in true
    ]
    return pd.DataFrame(
        rows, columns=["metric", "phases", "unit", "true", "predicted", "relative_error"]
    )
