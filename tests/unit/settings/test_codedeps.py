"""The code-dependency walk on a constructed package: what importing a script runs."""

from pathlib import Path

from xrayseg.settings.codedeps import package_modules

FILES = {
    "shim.py": "import json\nfrom pkg.stage.run import main\n",
    "pkg/__init__.py": "",
    "pkg/stage/__init__.py": "from pkg.stage.helpers import helper\n",
    "pkg/stage/run.py": "from . import local\n\ndef main():\n    from ..lazy import later\n",
    "pkg/stage/helpers.py": "import numpy\n",
    "pkg/stage/local.py": "from .deep.leaf import x\nfrom pkg.stage import run\n",
    "pkg/stage/deep/__init__.py": "",
    "pkg/stage/deep/leaf.py": "x = 1\n",
    "pkg/lazy.py": "later = 2\n",
    "pkg/unused.py": "import pkg.stage\n",
    "other/__init__.py": "",
}


def make_tree(root):
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_walk_lists_every_module_run_and_each_package_init_on_the_way(tmp_path):
    make_tree(tmp_path)
    found = package_modules(tmp_path / "shim.py", tmp_path, package="pkg")
    expected = [
        "pkg/__init__.py",  # run by any import of pkg.*, though no file imports `pkg` alone
        "pkg/lazy.py",  # imported inside a function, by a relative import two levels up
        "pkg/stage/__init__.py",
        "pkg/stage/deep/__init__.py",
        "pkg/stage/deep/leaf.py",
        "pkg/stage/helpers.py",  # imported only by pkg/stage/__init__.py
        "pkg/stage/local.py",
        "pkg/stage/run.py",
    ]
    assert found == [str(tmp_path / name) for name in expected]


def test_a_module_that_imports_nothing_of_the_package_has_no_dependencies(tmp_path):
    make_tree(tmp_path)
    assert package_modules(tmp_path / "pkg" / "lazy.py", tmp_path, package="pkg") == []


def test_the_rules_scripts_depend_on_the_top_package_init():
    scripts = Path(__file__).resolve().parents[3] / "scripts"
    found = package_modules(scripts / "split.py", scripts)
    assert str(scripts / "xrayseg" / "__init__.py") in found
    assert str(scripts / "xrayseg" / "data" / "split.py") in found
    assert not any("/training/" in path or "/report/" in path for path in found)
