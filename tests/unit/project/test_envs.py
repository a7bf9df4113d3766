"""The conda envs in envs/ against the rules, the scripts' imports and the pip pins.

Conda cannot run on the test machines (no channels reachable), so these checks stand in for
`snakemake --use-conda`: every rule that does work names an env; each env lists exactly the
third-party packages its rules' scripts import (through the xrayseg modules they use, computed
here, never listed by hand), pinned to the versions requirements.txt installs.
"""

import re
import sys
import tomllib
from importlib.metadata import packages_distributions

import pytest
import yaml

from helpers.rules import rules
from helpers.workflow import REPO
from xrayseg.settings.codedeps import imported_names, package_modules

SCRIPTS = REPO / "scripts"
RULES = REPO / "rules"
# Packages used without an import statement in our code: tifffile reads and writes compressed
# TIFFs (LZW, deflate, ...) through imagecodecs; TauFactor and PoreSpy import, or depend on,
# heavy packages whose versions the transport env pins rather than leaving them to the resolver.
PORESPY_EXTRAS = {"connected-components-3d", "dask", "edt", "llvmlite", "pyvista", "vtk"}
RUNTIME_EXTRAS = {
    "tifffile": {"imagecodecs"},
    "taufactor": {"ipython", "matplotlib", "psutil", "pyvista", "scikit-image", "vtk"},
    "porespy": PORESPY_EXTRAS | {"matplotlib", "psutil", "scikit-image"},
}
# conda-forge names that differ from PyPI's: the *-base packages leave out GUI toolkits and extras.
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib", "seaborn-base": "seaborn"}
# In an env for its own sake, not imported by a script.
ENV_TOOLS = {"python", "pip"}

CONDA_SPEC_RE = re.compile(r"^([A-Za-z0-9_.-]+)\s*==\s*([^\s=<>!,]+)$")
PIP_SPEC_RE = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;]+)$")


def normalise(name):
    """PyPI's normal form of a package name (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def third_party_imports(script, root=SCRIPTS):
    """Top-level names of the third-party modules a script imports, directly or through the
    xrayseg modules it runs (found by the same walk that lists the rules' code inputs)."""
    found = set()
    for path in [script, *package_modules(script, root)]:
        for name in imported_names(path, root):
            top = name.split(".")[0]
            if top and top != "xrayseg" and top not in sys.stdlib_module_names:
                found.add(top)
    return found


def packages_for(modules):
    """PyPI packages (normalised names) that provide these top-level modules, plus their extras."""
    providers = packages_distributions()
    unknown = sorted(m for m in modules if m not in providers)
    assert not unknown, f"imports no installed package provides: {unknown}; add to requirements.txt"
    packages = {normalise(dist) for module in modules for dist in providers[module]}
    for package in list(packages):
        packages |= RUNTIME_EXTRAS.get(package, set())
    return packages


def env_packages(path):
    """PyPI name -> pinned version for each package an env file lists (conda and pip parts)."""
    env = yaml.safe_load(path.read_text())
    pins = {}
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            for spec in entry["pip"]:
                match = PIP_SPEC_RE.match(spec.strip())
                assert match, f"{path.name}: pip entry {spec!r} is not pinned as name==version"
                pins[normalise(match.group(1))] = match.group(2)
            continue
        name = re.split(r"[=<>! ]", entry, maxsplit=1)[0]
        if name in ENV_TOOLS:
            continue
        match = CONDA_SPEC_RE.match(entry.strip())
        assert match, f"{path.name}: {entry!r} is not pinned as name==version"
        pins[normalise(CONDA_TO_PYPI.get(match.group(1), match.group(1)))] = match.group(2)
    return pins


def pip_pins():
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        match = PIP_SPEC_RE.match(line.split("#")[0].strip())
        if match:
            pins[normalise(match.group(1))] = match.group(2)
    return pins


ENV_FILES = sorted((REPO / "envs").glob("*.yaml"))


def test_every_rule_that_does_work_names_an_existing_env():
    found = rules()
    assert found, "no rules found in rules/*.smk"
    for name, rule in found.items():
        if rule["works"]:
            assert rule["env"], f"rules/{rule['file']}: rule {name} has no conda: env"
            assert rule["env"].is_file(), f"rule {name}: {rule['env']} does not exist"
    used = {rule["env"] for rule in found.values()}
    assert set(ENV_FILES) <= used, f"envs no rule uses: {sorted(set(ENV_FILES) - used)}"


@pytest.mark.parametrize("env_file", ENV_FILES, ids=lambda path: path.name)
def test_env_parses_and_pins_python_of_the_project(env_file):
    env = yaml.safe_load(env_file.read_text())
    assert set(env) >= {"name", "channels", "dependencies"}, env_file.name
    assert "conda-forge" in env["channels"]
    target = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]["target-version"]
    assert f"python=3.{target.removeprefix('py3')}" in env["dependencies"], env_file.name


@pytest.mark.parametrize("env_file", ENV_FILES, ids=lambda path: path.name)
def test_env_lists_exactly_what_its_rules_import(env_file):
    scripts = [r["script"] for r in rules().values() if r["env"] == env_file and r["script"]]
    imported = set().union(*(third_party_imports(script) for script in scripts))
    needed = packages_for(imported)
    listed = set(env_packages(env_file))
    assert listed == needed, (
        f"{env_file.name}: add {sorted(needed - listed)}, drop {sorted(listed - needed)} "
        f"(imports of {[s.name for s in scripts]} and the xrayseg modules they use)"
    )


@pytest.mark.parametrize("env_file", ENV_FILES, ids=lambda path: path.name)
def test_env_pins_the_versions_pip_installs(env_file):
    pip = pip_pins()
    for package, version in env_packages(env_file).items():
        assert package in pip, f"{env_file.name}: {package} is not pinned in requirements.txt"
        assert version == pip[package], (
            f"{env_file.name}: {package} {version}, requirements.txt has {pip[package]}"
        )


def test_import_walk_follows_package_modules_and_skips_the_standard_library(tmp_path):
    files = {
        "shim.py": "import json\nfrom xrayseg.stage import run\n",
        "xrayseg/__init__.py": "",
        "xrayseg/stage.py": "import numpy as np\nfrom . import helpers\nfrom .sub.deep import x\n",
        "xrayseg/helpers.py": "import os\n\ndef f():\n    import yaml\n",
        "xrayseg/sub/__init__.py": "from scipy import ndimage\n",
        "xrayseg/sub/deep.py": "from ..helpers import f\nimport torch.nn\n",
        "xrayseg/unused.py": "import pandas\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = third_party_imports(tmp_path / "shim.py", root=tmp_path)
    assert found == {"numpy", "yaml", "scipy", "torch"}


def test_packages_for_maps_import_names_to_package_names():
    assert packages_for({"yaml", "tifffile"}) == {"pyyaml", "tifffile", "imagecodecs"}
    with pytest.raises(AssertionError, match="no_such_module"):
        packages_for({"no_such_module"})
