"""Tortuosity, active TPB and sizes of a finished run's test block: the labels and every model,
with the time each took.

Usage (from the repository root, with the environment `make run` uses active):
    python benchmarks/transport.py --workdir W            # W: a finished run (results, config)
    python benchmarks/transport.py --workdir W --models unet25d,rf --json transport.json
    python benchmarks/transport.py --workdir W --set transport.tortuosity.directions=[z]
    python benchmarks/transport.py --quick      # a smoke test: fullsize.py --quick's run first

W is a folder a pipeline run finished in (benchmarks/fullsize.py --keep W, or a checkout after
`snakemake`): its ingested volume, split and each model's test_predictions.tif are measured as
the transport jobs measure them (xrayseg.transport.job), with W's config but the transport
section of the schema's defaults (a run may have switched it off) and the --set overrides over
it. Tables go to --out (default W/results/transport, the pipeline's layout); nothing is trained
or predicted.

Printed: the machine and its load, then per source (the labels, each model) its wall and CPU
seconds, and three tables for the note (docs/transport.md): tortuosity factor per phase and
direction with its relative error and the solver's iterations and seconds; total and active TPB
density and the active share; the local thickness's mean and d10 / d50 / d90 per phase.
"""

import argparse
import math
import resource
import shutil
import time
from pathlib import Path

import yaml
from fullsize import set_key
from machine import REPO, print_machine, write_json
from pipeline import quick_run

from xrayseg.settings.config import checked_config, problem_lines
from xrayseg.settings.layout import (
    INGEST,
    SPLIT,
    evaluate_folder,
    evaluate_outputs,
    ingest_outputs,
    split_outputs,
    transport_labels_outputs,
    transport_model_outputs,
)
from xrayseg.settings.schema import section_defaults
from xrayseg.settings.transport import TransportSettings
from xrayseg.transport.compare import read_table
from xrayseg.transport.job import measure_labels, measure_model


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="a folder a pipeline run finished in")
    parser.add_argument("--models", help="comma-separated (default: every configured model)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="transport.* override"
    )
    parser.add_argument("--out", help="folder of the tables (default W/results/transport)")
    parser.add_argument("--threads", type=int, default=2, help="torch / numba threads")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="a tiny run made first")
    args = parser.parse_args(argv)
    if not args.workdir and not args.quick:
        parser.error("--workdir is required (or --quick)")
    return args


def run_config(workdir, overrides):
    """W's config, its transport section the schema's defaults with `overrides` over them."""
    config = yaml.safe_load((Path(workdir) / "config" / "config.yaml").read_text())
    config["transport"] = section_defaults("transport")
    for item in overrides:
        key, separator, value = item.partition("=")
        if not separator or not key.startswith("transport."):
            raise SystemExit(f"--set {item!r}: expected transport.KEY=VALUE")
        set_key(config, key.strip(), yaml.safe_load(value))
    problems = checked_config(config, REPO / "config" / "schema.yaml")
    if problems:
        raise SystemExit(problem_lines(problems))
    return config


def timed_job(job, *args, **kwargs):
    """(wall s, CPU s of this process and its threads) of one job."""
    start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    job(*args, **kwargs)
    end = resource.getrusage(resource.RUSAGE_SELF)
    used = (end.ru_utime - cpu.ru_utime) + (end.ru_stime - cpu.ru_stime)
    return time.perf_counter() - start, used


def number(value, digits=3):
    if isinstance(value, str) or value is None:
        return str(value)
    if math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞"
    return f"{value:.{digits}g}"


def percent(value):
    return "" if not math.isfinite(value) else f" ({100 * value:+.1f} %)"


def source_rows(tables):
    """{source: {(quantity, phases, direction): row}} with a value (labels) or predicted."""
    rows = {}
    for source, table in tables.items():
        rows[source] = {}
        for row in table.to_dict("records"):
            value = row["value"] if "value" in row else row["predicted"]
            error = row.get("relative_error", math.nan)
            rows[source][row["quantity"], row["phases"], row["direction"]] = {
                **row,
                "shown": value,
                "error": error,
            }
    return rows


def print_tortuosity(rows, settings):
    keys = [(p, d) for p in settings.tortuosity_phases for d in settings.directions]
    print("\n| source | " + " | ".join(f"τ {p} {d}" for p, d in keys) + " | iterations | s |")
    print("|---|" + "---|" * (len(keys) + 2))
    for source, found in rows.items():
        cells, iterations, seconds = [], [], 0.0
        for phase, direction in keys:
            row = found.get(("tortuosity_factor", phase, direction))
            if row is None:
                cells.append("")
                continue
            cells.append(number(row["shown"]) + percent(row["error"]))
            iterations.append(str(row["iterations"]))
            seconds += float(row["seconds"])
        print(f"| {source} | {' | '.join(cells)} | {' / '.join(iterations)} | {seconds:.0f} |")


def print_tpb(rows):
    print("\n| source | triple | TPB density | active TPB density | active share | s |")
    print("|---|---|---|---|---|---|")
    for source, found in rows.items():
        for (quantity, phases, _), row in found.items():
            if quantity != "tpb_density" or not phases:
                continue
            active = found["active_tpb_density", phases, ""]
            share = found["active_tpb_fraction", phases, ""]
            print(
                f"| {source} | {phases} | {number(row['shown'], 4)}{percent(row['error'])} | "
                f"{number(active['shown'], 4)}{percent(active['error'])} | "
                f"{number(share['shown'])} | {float(row['seconds']):.1f} |"
            )


def print_sizes(rows, settings):
    print("\n| source | phase | mean | d10 | d50 | d90 | s |")
    print("|---|---|---|---|---|---|---|")
    for source, found in rows.items():
        for phase in settings.size_phases:
            cells = [
                number(found[f"thickness_{key}", phase, ""]["shown"])
                + percent(found[f"thickness_{key}", phase, ""]["error"])
                for key in ("mean", "d10", "d50", "d90")
            ]
            seconds = float(found["thickness_mean", phase, ""]["seconds"])
            print(f"| {source} | {phase} | {' | '.join(cells)} | {seconds:.0f} |")


def main(argv=None):
    args = parse_args(argv)
    machine = print_machine("transport quantities of a finished run's test block")
    workdir = (
        quick_run("transport_quick_", "--set", "transport.quantities=[]")
        if args.quick
        else Path(args.workdir).resolve()
    )
    config = run_config(workdir, args.set)
    settings = TransportSettings.from_config(config)
    out = Path(args.out) if args.out else workdir / "results" / "transport"
    volume = workdir / ingest_outputs(INGEST)["volume"]
    split = workdir / split_outputs(SPLIT)["split"]
    run = {"threads": args.threads, "device": "cpu"}
    figures = {"machine": machine, "settings": settings.to_params(), "sources": {}}
    labels_table = out / transport_labels_outputs(".")["table"]
    labels_table.parent.mkdir(parents=True, exist_ok=True)
    wall, cpu = timed_job(measure_labels, volume, split, settings, labels_table, **run)
    print(f"labels: {wall:.0f} s wall, {cpu:.0f} CPU s", flush=True)
    figures["sources"]["labels"] = {"wall_s": wall, "cpu_s": cpu}
    tables = {"labels": read_table(labels_table)}
    models = args.models.split(",") if args.models else list(config["models"])
    for model in models:
        predictions = workdir / evaluate_outputs(evaluate_folder(model))["predictions"]
        table = out / transport_model_outputs(".", model)["table"]
        table.parent.mkdir(parents=True, exist_ok=True)
        wall, cpu = timed_job(
            measure_model, predictions, volume, split, labels_table, settings, table, **run
        )
        print(f"{model}: {wall:.0f} s wall, {cpu:.0f} CPU s", flush=True)
        figures["sources"][model] = {"wall_s": wall, "cpu_s": cpu}
        tables[model] = read_table(table)
    rows = source_rows(tables)
    if "tortuosity" in settings.quantities:
        print_tortuosity(rows, settings)
    if "active_tpb" in settings.quantities and settings.faces:
        print_tpb(rows)
    if "sizes" in settings.quantities:
        print_sizes(rows, settings)
    for source, table in tables.items():
        figures["sources"][source]["table"] = table.to_dict("records")
    if args.json:
        write_json(args.json, figures)
    if args.quick:
        shutil.rmtree(workdir.parent)


if __name__ == "__main__":
    main()
