"""How the results were made: the command, date, machine and package versions."""

import os
import platform
from datetime import UTC, datetime
from importlib import metadata

# The packages the pipeline's jobs use, as pip names.
PACKAGES = (
    "snakemake",
    "torch",
    "numpy",
    "scipy",
    "scikit-image",
    "scikit-learn",
    "h5py",
    "tifffile",
    "pandas",
    "matplotlib",
    "seaborn",
)


def package_versions(packages=PACKAGES, known=None):
    """{package: version} as installed where this runs; `known` versions (e.g. Snakemake's own,
    passed from the main process) fill in packages missing here, else "not installed here"."""
    known = known or {}
    versions = {"python": platform.python_version()}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = known.get(package) or "not installed here"
    return versions


def machine():
    """The machine that wrote the report: host, operating system, CPU count."""
    return {
        "host": platform.node(),
        "system": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def provenance(command, snakemake_version, devices, now=None):
    """Everything the report's "How it was made" section states.

    command: the Snakemake command line of the run that wrote the report, or None when it was
    not recorded. devices: {model: {"train": ..., "evaluate": ...}} as evaluate recorded them.
    """
    now = now or datetime.now(UTC)
    return {
        "date": f"{now:%Y-%m-%d %H:%M:%S %Z}",
        "command": command or "not recorded (the report job was started without it)",
        "versions": package_versions(known={"snakemake": snakemake_version}),
        "machine": machine(),
        "devices": devices,
    }
