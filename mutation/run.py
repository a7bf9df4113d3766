"""Mutation testing of the pure modules with mutmut: how many small code changes the tests catch.

`make mutation` runs this (not `make test`, not CI: a few minutes per module on 2 cores). Each
module is mutated on its own, in mutation/work/<module>/, a staged copy of the package laid out as
src/xrayseg (the layout mutmut expects) with the tests; each mutant runs only the unit tests of
its module that call the mutated function. At the end a table of killed / total per module and
every surviving mutant as a one-line diff; survivors listed in mutation/equivalent.txt (changes
that cannot alter behaviour) are marked as such.

    .venv/bin/python mutation/run.py                      # every module
    .venv/bin/python mutation/run.py metrics bootstrap    # some (names as in MODULES)

Exit status 1 when fewer than MIN_KILLED of all mutants (equivalent ones left out) are killed.
Mutants that time out are listed with the survivors and not counted as killed.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "mutation" / "work"
EQUIVALENT = REPO / "mutation" / "equivalent.txt"
MUTMUT = str(Path(sys.executable).with_name("mutmut"))
MIN_KILLED = 0.9
# Survivors that mutation/equivalent.txt excuses: changes that cannot alter behaviour, and
# branches that only run on a CUDA device (killed by the gpu tests where there is one).
KINDS = ("equivalent", "gpu")

# name -> (module under scripts/xrayseg, its unit tests, the functions to mutate or None for all)
MODULES = {
    "metrics": ("evaluation/metrics.py", ["tests/unit/evaluation/test_metrics.py"], None),
    "boundary": ("evaluation/boundary.py", ["tests/unit/evaluation/test_boundary.py"], None),
    "bootstrap": ("evaluation/bootstrap.py", ["tests/unit/evaluation/test_bootstrap.py"], None),
    "slicescores": (
        "evaluation/slicescores.py",
        ["tests/unit/evaluation/test_slicescores.py"],
        None,
    ),
    # save_panel draws a figure (layout, colours): only the choice of slices is tested here.
    "panels": (
        "evaluation/panels.py",
        ["tests/unit/evaluation/test_panels.py"],
        ["pick_panel_slices"],
    ),
    "sliding_window": (
        "inference/sliding_window.py",
        ["tests/unit/inference/test_sliding_window.py"],
        None,
    ),
    "dedup": ("patches/dedup.py", ["tests/unit/patches/test_dedup.py"], None),
    "grid": ("patches/grid.py", ["tests/unit/patches/test_grid.py"], None),
    "counting": (
        "microstructure/counting.py",
        [
            "tests/unit/microstructure/test_microstructure.py",
            "tests/unit/microstructure/test_counting.py",
        ],
        None,
    ),
    "scores": (
        "report/scores.py",
        ["tests/unit/report/test_scores.py", "tests/unit/report/test_report.py"],
        None,
    ),
    "calibration": (
        "evaluation/calibration.py",
        ["tests/unit/evaluation/test_calibration.py"],
        None,
    ),
    "suggestions": ("labelling/ranking.py", ["tests/unit/labelling/test_ranking.py"], None),
    # block_volume_scores runs a network over the planned slabs: only the plans are tested here.
    "slabs": ("inference/volume.py", ["tests/unit/inference/test_volume.py"], ["plan_slabs"]),
    # predicted_slices runs a network over a block: only the choice of plan is tested here.
    "blockplans": (
        "evaluation/blockpredict.py",
        ["tests/unit/evaluation/test_blockpredict.py"],
        ["block_plans", "plan_units"],
    ),
    "block": ("inference/block.py", ["tests/unit/inference/test_block.py"], None),
    "majority": ("cleanup/majority.py", ["tests/unit/cleanup/test_majority.py"], None),
    "islands": ("cleanup/islands.py", ["tests/unit/cleanup/test_islands.py"], None),
    "survey": ("cleanup/survey.py", ["tests/unit/cleanup/test_islands.py"], None),
    "stream": (
        "cleanup/stream.py",
        ["tests/unit/cleanup/test_majority.py", "tests/unit/cleanup/test_islands.py"],
        None,
    ),
    "chunkplan": ("prediction/plan.py", ["tests/unit/prediction/test_plan.py"], None),
    # The chunk jobs' cut and names; the rest of settings/predict.py checks and reads the config.
    "chunknames": (
        "settings/predict.py",
        ["tests/unit/prediction/test_plan.py"],
        ["chunk_ranges", "chunk_name", "parse_chunk_name"],
    ),
    "spacing": ("settings/spacing.py", ["tests/unit/settings/test_spacing.py"], None),
    "adapt": ("settings/adapt.py", ["tests/unit/settings/test_adapt.py"], None),
    "budget": ("training/budget.py", ["tests/unit/training/test_budget.py"], None),
    "microranking": (
        "microstructure/ranking.py",
        ["tests/unit/microstructure/test_ranking.py"],
        None,
    ),
}


def stage(name, module, tests):
    """A fresh copy of the package (as src/xrayseg), the tests and the config, configured for one
    module."""
    folder = WORK / name
    shutil.rmtree(folder, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "scripts" / "xrayseg", folder / "src" / "xrayseg", ignore=ignore)
    shutil.copytree(REPO / "tests", folder / "tests", ignore=ignore)
    # settings.schema reads config/schema.yaml beside the package (modules that build settings).
    shutil.copytree(REPO / "config", folder / "config", ignore=ignore)
    pytest_options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]
    options = pytest_options["ini_options"]
    lines = [
        "[tool.pytest.ini_options]",
        'pythonpath = ["tests"]',  # mutmut puts src/ first on the path itself
        f"addopts = {options['addopts']!r}",
        f"markers = {options['markers']!r}",
        "",
        "[tool.mutmut]",
        'source_paths = ["src/"]',
        'also_copy = ["config"]',
        f'only_mutate = ["src/xrayseg/{module}"]',
        f"pytest_add_cli_args_test_selection = {tests!r}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]',
        # Workers are forked from a server that has imported the tests but run nothing: a fork
        # of a process whose torch or BLAS thread pools have started can hang.
        'process_isolation = "forkserver"',
    ]
    (folder / "pyproject.toml").write_text("\n".join(lines) + "\n")
    return folder


# One thread per test process: mutants run in parallel anyway, and forked workers of a process
# with running thread pools can deadlock (a "timeout" that is no kill).
SINGLE_THREADED = {
    name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
}


def mutmut(folder, *args, log=None):
    result = subprocess.run(
        [MUTMUT, *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0", **SINGLE_THREADED},
    )
    if log is not None:
        log.write_text(result.stdout + result.stderr)
    return result


def mutant_diff(folder, mutant):
    """The changed lines of one mutant: ("- old", "+ new") stripped of indentation."""
    shown = mutmut(folder, "show", mutant).stdout.splitlines()
    removed = [line[1:].strip() for line in shown if re.match(r"^-(?!--)", line)]
    added = [line[1:].strip() for line in shown if re.match(r"^\+(?!\+\+)", line)]
    return " / ".join(removed), " / ".join(added)


def known_equivalent():
    """{(module, old line, new line): (kind, why)} from mutation/equivalent.txt.

    Format, one mutant per block: `module: <name>`, `- <old line>`, `+ <new line>`, optionally
    `kind: gpu` (a CUDA-only branch: tests/unit/inference/test_gpu.py kills it where CUDA is),
    and `why: ...`; the kind is "equivalent" otherwise.
    """
    entries, current = {}, {}
    for line in EQUIVALENT.read_text().splitlines() if EQUIVALENT.exists() else []:
        if line.startswith("module: "):
            current = {"module": line[8:].strip(), "kind": "equivalent"}
        elif line.startswith("- "):
            current["old"] = line[2:].strip()
        elif line.startswith("+ "):
            current["new"] = line[2:].strip()
        elif line.startswith("kind: "):
            current["kind"] = line[6:].strip()
        elif line.startswith("why: "):
            key = (current["module"], current["old"], current["new"])
            entries[key] = (current["kind"], line[5:].strip())
    return entries


def run_module(name, children, rerun=True):
    """(mutants, survivors) of one module; rerun=False reads the last run's results again."""
    module, tests, functions = MODULES[name]
    dotted = "xrayseg." + module.removesuffix(".py").replace("/", ".")
    patterns = [f"{dotted}.x_{function}__mutmut_*" for function in functions or []]
    folder = WORK / name
    if rerun:
        folder = stage(name, module, tests)
        mutmut(folder, "run", f"--max-children={children}", *patterns, log=folder / "run.log")
    elif not folder.is_dir():
        raise SystemExit(f"{name}: no earlier run in {folder}")
    statuses = {}
    for line in mutmut(folder, "results", "--all", "true").stdout.splitlines():
        if match := re.match(r"^\s*(\S+__mutmut_\d+): (.+)$", line):
            mutant, status = match.groups()
            if not patterns or any(mutant.startswith(p[:-1]) for p in patterns):
                statuses[mutant] = status.strip()
    if not statuses:
        raise SystemExit(f"{name}: mutmut reported no mutants; see {folder / 'run.log'}")
    equivalent = known_equivalent()
    survivors = []
    for mutant, status in sorted(statuses.items()):
        # A timeout is not counted as a kill: it is listed, to be looked at.
        if status == "killed":
            continue
        old, new = mutant_diff(folder, mutant)
        why = equivalent.get((name, old, new)) if status == "survived" else None
        survivors.append((mutant, status, old, new, why))
    return len(statuses), survivors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"some of {', '.join(MODULES)} (default all)")
    parser.add_argument("--children", type=int, default=2, help="mutants tested in parallel")
    parser.add_argument(
        "--summary",
        action="store_true",
        help="only summarise the last run in mutation/work (after editing equivalent.txt)",
    )
    args = parser.parse_args()
    unknown = [name for name in args.modules if name not in MODULES]
    if unknown:
        parser.error(f"unknown modules {unknown}; known: {', '.join(MODULES)}")
    names = args.modules or list(MODULES)
    rows = []
    for name in names:
        print(f"mutating {MODULES[name][0]} ...", flush=True)
        total, survivors = run_module(name, args.children, rerun=not args.summary)
        kinds = [why[0] for *_, why in survivors if why]
        excused = {kind: kinds.count(kind) for kind in KINDS}
        rows.append((name, total - len(survivors), total, excused, survivors))
        print(f"  {total - len(survivors)} / {total} killed, {excused}", flush=True)
    print(f"\n{'module':15} killed / total  equivalent  gpu-only  score (those two left out)")
    sums = {"killed": 0, "total": 0, **dict.fromkeys(KINDS, 0)}
    for name, killed, total, excused, _ in rows:
        score = killed / max(1, total - sum(excused.values()))
        print(
            f"{name:15} {killed:6} / {total:<6} {excused['equivalent']:10} {excused['gpu']:9}"
            f"  {score:.1%}"
        )
        sums["killed"] += killed
        sums["total"] += total
        for kind in KINDS:
            sums[kind] += excused[kind]
    overall = sums["killed"] / max(1, sums["total"] - sum(sums[kind] for kind in KINDS))
    print(
        f"{'all':15} {sums['killed']:6} / {sums['total']:<6} {sums['equivalent']:10} "
        f"{sums['gpu']:9}  {overall:.1%}"
    )
    for *_, survivors in rows:
        for mutant, status, old, new, why in survivors:
            label = f"{why[0]}: {why[1]}" if why else status.upper()
            print(f"\n{mutant} [{label}]\n  - {old}\n  + {new}")
    sys.exit(0 if overall >= MIN_KILLED else 1)


if __name__ == "__main__":
    main()
