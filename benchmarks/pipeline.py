"""The whole pipeline end to end in a fresh copy, and how long Snakemake takes to see that
nothing is left to do.

Usage (from the repository root, with the environment `make run` uses active):
    python benchmarks/pipeline.py                 # the default config: snakemake --cores all
    python benchmarks/pipeline.py --config my.yaml --cores 2
    python benchmarks/pipeline.py --quick         # a tiny config, synthetic data only (seconds)

The repository's files (git ls-files: tracked and untracked-but-not-ignored) are copied into a
temporary folder without results/, resources/ or .snakemake/, so nothing is cached. There it runs
what `make run` runs (`snakemake --cores all`), timed; then the same command again (nothing to
do: the time Snakemake needs to start, read the config, build the DAG and check every file), a
dry run (-n), and `snakemake --version` (the interpreter and Snakemake's imports alone). Each
rule's own seconds come from its benchmark: file (results/benchmarks/).
"""

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml
from machine import REPO, print_machine, write_json

# A complete pipeline on a tiny volume; --quick makes only its synthetic data.
QUICK_CONFIG = {
    "seed": 1,
    "device": "cpu",
    "data": {
        "source": "synthetic",
        "label_values": [0, 128, 255],
        "class_names": ["pore", "YSZ", "Ni"],
    },
    "synthetic": {"shape": [12, 48, 48], "feature_size": 6, "seed": 3},
    "split": {"val_fraction": 0.2, "test_fraction": 0.25, "guard_slices": 1},
    "models": {"threshold": {"arch": "threshold"}},
    "threads": {"train": 1, "evaluate": 1},
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="a config file to run instead of config/config.yaml")
    parser.add_argument("--cores", default="all", help="snakemake --cores (default: all)")
    parser.add_argument("--target", nargs="*", default=[], help="targets (default: rule all)")
    parser.add_argument("--keep", help="run in this folder and keep it (must not exist)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="tiny config, synthetic data only")
    args = parser.parse_args(argv)
    if args.quick and not args.target:
        args.target = ["resources/synthetic"]
    return args


def snakemake_command():
    script = Path(sys.executable).with_name("snakemake")
    return [str(script)] if script.exists() else [sys.executable, "-m", "snakemake"]


def repository_files():
    """The files a fresh clone would have (plus new files not yet committed, not ignored)."""
    try:
        listed = subprocess.run(
            [
                "git",
                "-C",
                str(REPO),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        skip = {"results", "resources", ".snakemake", ".venv", ".git", "__pycache__"}
        return [
            path.relative_to(REPO)
            for path in REPO.rglob("*")
            if path.is_file() and not skip & set(path.relative_to(REPO).parts)
        ]
    return [Path(name) for name in listed.decode().split("\0") if name]


def fresh_copy(destination):
    for relative in repository_files():
        source = REPO / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def quick_run(prefix, *options):
    """A finished tiny run in a new temporary folder (benchmarks/fullsize.py --quick: the
    threshold model alone, with fullsize's `options`), for a benchmark's --quick."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix)) / "run"
    command = [sys.executable, str(REPO / "benchmarks" / "fullsize.py"), "--quick"]
    command += ["--keep", str(workdir), "--cores", "1", *options]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return workdir


def timed(command, workdir):
    """(seconds, completed process) of one command in `workdir`; stops on failure."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(
            f"{' '.join(command)} failed ({done.returncode}):\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return seconds, done


def rule_seconds(workdir):
    """{rule: (jobs, summed seconds)} from the rules' benchmark files."""
    totals = defaultdict(lambda: [0, 0.0])
    root = Path(workdir) / "results" / "benchmarks"
    for path in sorted(root.rglob("*.tsv")):
        rule = path.relative_to(root).parts[0].removesuffix(".tsv")
        with path.open() as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                totals[rule][0] += 1
                totals[rule][1] += float(row["s"])
    return {rule: tuple(value) for rule, value in totals.items()}


def main(argv=None):
    args = parse_args(argv)
    machine = print_machine("pipeline end to end in a fresh copy, then the no-op run")
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="xrayseg-run-"))
    workdir.mkdir(parents=True, exist_ok=bool(not args.keep))
    snakemake = snakemake_command()
    figures = {}
    try:
        fresh_copy(workdir)
        if args.quick:
            (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(QUICK_CONFIG))
        elif args.config:
            shutil.copy(args.config, workdir / "config" / "config.yaml")
        run = [*snakemake, "--cores", args.cores, *args.target]
        print(f"in {workdir}: snakemake {' '.join(run[len(snakemake) :])}", flush=True)
        figures["full_run_s"], done = timed(run, workdir)
        figures["jobs"] = sum(
            bool(re.match(r"(local)?rule \w+:", line)) for line in done.stderr.splitlines()
        )
        figures["noop_run_s"], noop = timed(run, workdir)
        nothing = "Nothing to be done" in noop.stdout + noop.stderr
        figures["noop_says_nothing_to_do"] = nothing
        if not args.quick:  # each is one more Snakemake start-up: seconds
            figures["dry_run_s"], _ = timed([*run, "-n"], workdir)
            figures["snakemake_version_s"], _ = timed([*snakemake, "--version"], workdir)
        figures["rules"] = rule_seconds(workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"  full run         {figures['full_run_s']:8.1f} s ({figures['jobs']} jobs)", flush=True)
    for rule, (jobs, seconds) in sorted(figures["rules"].items(), key=lambda item: -item[1][1]):
        print(f"    {rule:14s} {seconds:8.1f} s in {jobs} job(s)", flush=True)
    print(
        f"  nothing to do    {figures['noop_run_s']:8.1f} s "
        f"({'says nothing to be done' if nothing else 'DID NOT say nothing to be done'})",
        flush=True,
    )
    if "dry_run_s" in figures:
        print(f"  dry run (-n)     {figures['dry_run_s']:8.1f} s", flush=True)
        print(
            f"  snakemake --version {figures['snakemake_version_s']:5.1f} s (start-up alone)",
            flush=True,
        )
    write_json(args.json, {"machine": machine, **figures})
    return figures


if __name__ == "__main__":
    main()
