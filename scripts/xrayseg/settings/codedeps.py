"""The package source files a script runs, found by reading its imports (standard library only).

Rules list them as inputs, so editing one stage's code reruns that stage and what follows, and
nothing else. Python runs a package's __init__.py before any module in it, so those count too.
"""

import ast
from pathlib import Path

PACKAGE = "xrayseg"


def package_modules(script, root, package=PACKAGE):
    """Sorted paths (str) of every file of `package` under `root` that importing `script` runs:
    the modules it imports, transitively, and the __init__.py of each package on their way.

    Imports inside functions count (they run when the function does); relative imports are
    followed; `script` itself is not listed.
    """
    root = Path(root)
    seen, todo = set(), [Path(script)]
    while todo:
        for name in imported_names(todo.pop(), root):
            if name.split(".")[0] != package:
                continue
            for path in module_files(name, root):
                if path not in seen:
                    seen.add(path)
                    todo.append(path)
    return sorted(str(path) for path in seen)


def imported_names(path, root):
    """Dotted names of every module a source file imports, and of every name it imports from a
    module (which may be a submodule), relative imports resolved against its place under `root`."""
    path = Path(path)
    try:
        package = path.relative_to(root).with_suffix("").parts[:-1]
    except ValueError:
        package = ()
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                module = ".".join([*anchor, module] if module else anchor)
            names += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return names


def module_files(dotted, root):
    """The files Python runs to import `dotted` from `root`: the __init__.py of each package on
    the way and the module itself (those that exist)."""
    parts = dotted.split(".")
    files = []
    for depth in range(1, len(parts) + 1):
        base = Path(root).joinpath(*parts[:depth])
        files += [f for f in (base.with_suffix(".py"), base / "__init__.py") if f.is_file()]
    return files
