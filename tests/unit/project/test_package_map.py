"""The package's map is its folders and each module's first docstring line, so it cannot drift:
every module opens with a summary line, no `__init__` lists its modules by hand, and every name a
docstring points at (an `Entry:` function, an `xrayseg.…` module or attribute, a scripts/*.py
shim) exists. Read without importing anything, so torch is never loaded.

`python tests/unit/project/test_package_map.py` prints the map: one line per module.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"
PACKAGE = SCRIPTS / "xrayseg"
MODULES = sorted(PACKAGE.rglob("*.py"))
INITS = sorted(PACKAGE.glob("*/__init__.py"))
SHIMS = sorted(SCRIPTS.glob("*.py"))


def docstring(path):
    return ast.get_docstring(ast.parse(path.read_text()), clean=False) or ""


def module_name(path):
    return ".".join(path.relative_to(SCRIPTS).with_suffix("").parts).removesuffix(".__init__")


def package_map():
    """{module: the first line of its docstring} for every module of the package."""
    return {module_name(path): docstring(path).split("\n")[0] for path in MODULES}


def top_level_names(path):
    """The names a module defines or imports at its top level."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def resolves(dotted, folder=SCRIPTS):
    """Whether `dotted` (a.b.c) names a package, a module or a module's top-level name under
    `folder`, following folders and files as far as they go."""
    head, *rest = dotted.split(".")
    if (folder / head / "__init__.py").exists():
        return not rest or resolves(".".join(rest), folder / head)
    if (folder / f"{head}.py").exists():
        return not rest or rest[0] in top_level_names(folder / f"{head}.py")
    return (folder / "__init__.py").exists() and head in top_level_names(folder / "__init__.py")


def entry_names(init):
    """The module.function names of an __init__ docstring's `Entry:` paragraph."""
    match = re.search(r"^Entry:(.*?)(?:\n\n|\Z)", docstring(init), flags=re.M | re.S)
    return re.findall(r"(?<![/\w.])([a-z_]\w*)\.([A-Za-z_]\w*)\b", match.group(1)) if match else []


def test_every_module_opens_with_a_summary_line():
    undocumented, run_on = [], []
    for path in MODULES:
        lines = docstring(path).split("\n")
        if not lines[0].strip():
            undocumented.append(module_name(path))
        elif len(lines) > 1 and lines[1].strip():
            run_on.append(module_name(path))
    assert not undocumented, f"modules without a docstring (their line of the map): {undocumented}"
    assert not run_on, (
        f"docstrings whose summary runs on past the first line: {run_on}; the map shows the first "
        "line only, so end the summary there and leave a blank line after it"
    )


def test_no_init_lists_its_modules():
    listing = [
        module_name(init)
        for init in INITS
        if re.search(r"^\s*Modules\b", docstring(init), flags=re.M)
    ]
    assert not listing, (
        f"{listing} list their modules: the folder and each module's first docstring line are "
        "the map"
    )


def test_the_entry_functions_each_init_names_exist():
    missing = [
        f"{module_name(init)}: {module}.{name}"
        for init in INITS
        for module, name in entry_names(init)
        if not resolves(f"{module}.{name}", init.parent)
    ]
    assert not missing, f"entries named that do not exist: {missing}"


def test_every_shim_calls_an_entry_its_package_names():
    unnamed = []
    for shim in SHIMS:
        imported = {
            (node.module.split(".")[1], node.module.split(".")[2], alias.name)
            for node in ast.parse(shim.read_text()).body
            if isinstance(node, ast.ImportFrom) and (node.module or "").count(".") == 2
            if node.module.startswith("xrayseg.")
            # io (logging, files) and settings (a stage's settings read back) serve every shim.
            and not node.module.startswith(("xrayseg.io.", "xrayseg.settings."))
            for alias in node.names
        }
        packages = {package for package, _, _ in imported}
        for package in packages:
            entries = set(entry_names(PACKAGE / package / "__init__.py"))
            if not {(module, name) for p, module, name in imported if p == package} & entries:
                unnamed.append(f"{shim.name} -> xrayseg.{package}")
    assert not unnamed, f"shims whose entry their package's __init__ does not name: {unnamed}"


def test_the_modules_and_shims_docstrings_point_at_exist():
    dangling = []
    for path in MODULES:
        text = docstring(path)
        names = [name for name in re.findall(r"\bxrayseg(?:\.\w+)+", text) if not resolves(name)]
        shims = re.findall(r"\bscripts/\w+\.py", text)
        names += [shim for shim in shims if not (SCRIPTS.parent / shim).exists()]
        dangling += [f"{module_name(path)}: {name}" for name in names]
    assert not dangling, f"docstrings name what does not exist: {dangling}"


def test_the_report_loads_without_torch():
    """Stage __init__ files import nothing: importing the report's modules must not pull torch
    (through an __init__ that imports its package's networks)."""
    code = (
        "import sys, xrayseg.report.build, xrayseg.evaluation.metrics, "
        "xrayseg.labelling.ranking; print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=SCRIPTS, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


if __name__ == "__main__":
    for module, summary in package_map().items():
        print(f"{module:40} {summary}")
