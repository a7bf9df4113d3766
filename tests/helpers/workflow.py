"""The repository root, the tiny config and a Snakemake runner, shared by the workflow tests."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))

# A whole pipeline run in well under a minute on 2 cores: tiny volume, tiny networks, few steps.
TINY_CONFIG = {
    "seed": 1,
    "device": "cpu",
    "data": {
        "source": "synthetic",
        "label_values": [0, 128, 255],
        "class_names": ["pore", "YSZ", "Ni"],
    },
    "synthetic": {"shape": [24, 64, 64], "feature_size": 6, "seed": 3},
    "split": {"val_fraction": 0.2, "test_fraction": 0.25, "guard_slices": 1},
    "training": {
        "steps": 48,
        "val_every": 4,
        "val_patches": 64,
        "batch_size": 8,
        "lr": 0.005,
        "patience": 12,
    },
    "models": {
        "threshold": {"arch": "threshold"},
        "dnn": {"arch": "dnn", "patch_size": 16, "hidden": 32},
        "unet": {"arch": "unet", "patch_size": 32, "width": 4, "depth": 2},
    },
    "evaluate": {"batch_size": 8},
    "threads": {"train": 1, "evaluate": 1},
}


def write_config(workdir, config):
    """Write `config` where the Snakefile's `configfile:` finds it when run in `workdir`."""
    path = Path(workdir) / "config" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    return path


# The markers of the test pytest is setting up or running (tests/conftest.py records them before
# any fixture of the test runs); None outside pytest.
current_test = None


class SnakemakeInFastTest(RuntimeError):
    """A test without the `workflow` marker tried to start Snakemake."""


def snakemake_command(workdir, *args, snakefile=REPO / "Snakefile"):
    """The command line of a Snakemake run in `workdir`; refused inside a test that is not marked
    `workflow`, so that `pytest -m "not workflow"` never starts Snakemake."""
    if current_test is not None and "workflow" not in current_test["markers"]:
        raise SnakemakeInFastTest(
            f"{current_test['name']} starts Snakemake but is not marked `workflow`: move it to "
            "tests/workflow/ (marked there) so that `pytest -m 'not workflow'` stays fast"
        )
    return [SNAKEMAKE, "--snakefile", str(snakefile), "--directory", str(workdir), *args]


def run_snakemake(workdir, *args, check=True, timeout=900, snakefile=REPO / "Snakefile"):
    """Run Snakemake on the workflow (the repository's by default) in `workdir`."""
    command = snakemake_command(workdir, *args, snakefile=snakefile)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-5000:]}\n{result.stderr[-5000:]}"
        )
    return result
