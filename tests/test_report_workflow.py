"""Both reports from a finished tiny run: results/report.html opened in headless Chromium, and
`snakemake --report` regenerated from the cached results without running a job."""

import json
import re
import time

import pandas as pd
import pytest
from conftest import TINY_CONFIG, run_snakemake
from headless_chromium import chromium_path, open_page

from xrayseg.report import build_report
from xrayseg.report.build import FIGURES, per_model_paths

pytestmark = pytest.mark.workflow

MODELS = list(TINY_CONFIG["models"])
SCORE_TABLE_MODELS = (
    "[...document.querySelectorAll('#score-table tbody tr td:first-child')]"
    ".map(td => td.textContent)"
)
SECTIONS = "[...document.querySelectorAll('section > h2')].map(h => h.textContent)"


@pytest.fixture(scope="module")
def browser_view(finished_tiny_run, tmp_path_factory):
    """What headless Chromium sees of results/report.html, and where its screenshot went."""
    if chromium_path() is None:
        pytest.skip(
            "Debian's chromium is not installed (`make test-system` installs it as root, or "
            "`apt-get install chromium`)"
        )
    workdir = tmp_path_factory.mktemp("browser")
    screenshot = workdir / "report.png"
    view = open_page(
        finished_tiny_run / "results" / "report.html",
        workdir,
        screenshot,
        evaluate=[SCORE_TABLE_MODELS, SECTIONS],
    )
    return {**view, "screenshot": screenshot}


def test_report_page_loads_without_console_errors(browser_view):
    assert browser_view["errors"] == []
    assert browser_view["title"] == "xrayseg: model comparison"


def test_every_image_decodes_with_a_size(browser_view):
    images = browser_view["images"]
    assert len(images) == len(FIGURES)  # no microstructure tables in this run
    for image in images:
        assert image["decode_error"] is None, image
        assert image["width"] > 0 and image["height"] > 0, image


def test_score_table_lists_every_model_best_first(browser_view, finished_tiny_run):
    listed = browser_view["evaluated"][0]
    names = [name.removeprefix("★ ") for name in listed]
    assert sorted(names) == sorted(MODELS)
    assert listed[0].startswith("★ ") and not any(n.startswith("★") for n in listed[1:])
    table = pd.read_csv(finished_tiny_run / "results" / "report" / "scores.csv")
    assert names == table["model"].tolist()
    assert table["test_mean_iou"].is_monotonic_decreasing


def test_page_has_every_section_and_a_screenshot(browser_view):
    assert browser_view["evaluated"][1] == [
        "Models side by side",
        "Where they fail",
        "Training",
        "Data",
        "Patches",
        "How it was made",
    ]
    png = browser_view["screenshot"].read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_report_is_self_contained_and_names_the_command(finished_tiny_run):
    page = (finished_tiny_run / "results" / "report.html").read_text()
    assert not re.search(r"(src|href)=['\"](https?:)?//", page)
    assert "<script" not in page
    sources = re.findall(r"<img [^>]*src='([^']*)'", page)
    assert len(sources) == len(FIGURES)
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    # The command line of the run (conftest.run_snakemake) reached the report job.
    assert re.search(r"<code>snakemake [^<]*--cores 2</code>", page)


@pytest.fixture(scope="module")
def snakemake_report(finished_tiny_run, tmp_path_factory):
    """`snakemake --report` on the finished run: the report's path, its seconds, and whether
    any file under results/ changed (it must run no job)."""
    results = finished_tiny_run / "results"
    before = {p: p.stat().st_mtime_ns for p in results.rglob("*") if p.is_file()}
    path = tmp_path_factory.mktemp("snakemake_report") / "report.html"
    started = time.monotonic()
    run_snakemake(finished_tiny_run, "--report", str(path))
    seconds = time.monotonic() - started
    after = {p: p.stat().st_mtime_ns for p in results.rglob("*") if p.is_file()}
    return {"path": path, "seconds": seconds, "unchanged": after == before}


def test_snakemake_report_regenerates_from_the_cache_without_jobs(snakemake_report):
    assert snakemake_report["unchanged"], "snakemake --report ran a job"
    assert snakemake_report["seconds"] < 120, f"took {snakemake_report['seconds']:.0f} s"
    page = snakemake_report["path"].read_text()
    match = re.search(r"var categories = (\{.*?\});\n", page)
    categories = json.loads(match.group(1))
    assert set(categories) == {"Data", "Patches", "Training", "Evaluation", "Comparison"}
    files = {path for sub in categories.values() for paths in sub.values() for path in paths}
    for model in MODELS:
        assert f"results/models/{model}/history.csv" in files
        assert f"results/eval/{model}/panel_worst.png" in files
    assert "results/report.html" in files
    assert {f"results/report/{name}.png" for name in FIGURES} <= files
    assert "Test slice panels" in categories["Evaluation"]


def test_snakemake_report_opens_in_a_browser(snakemake_report, tmp_path):
    if chromium_path() is None:
        pytest.skip("Debian's chromium is not installed (`make test-system` installs it as root)")
    view = open_page(
        snakemake_report["path"],
        tmp_path,
        tmp_path / "snakemake_report.png",
        evaluate=["document.body.innerText"],
    )
    assert view["errors"] == []
    text = view["evaluated"][0]
    for category in ("Comparison", "Data", "Evaluation", "Patches", "Training"):
        assert category in text
    assert "xrayseg turns a stack of raw X-ray tomography slices" in text  # report/workflow.rst


def test_microstructure_errors_get_a_table_and_a_figure(finished_tiny_run, tmp_path):
    """With each model's microstructure.csv (fabricated here: the evaluation writes them once
    that stage is in), the report adds the table and the figure."""
    results = finished_tiny_run / "results"
    lists = {
        "summaries": [results / "eval" / m / "summary.json" for m in MODELS],
        "metrics": [results / "eval" / m / "metrics.csv" for m in MODELS],
        "confusions": [results / "eval" / m / "confusion.csv" for m in MODELS],
        "predictions": [results / "eval" / m / "test_predictions.tif" for m in MODELS],
        "histories": [results / "models" / m / "history.csv" for m in MODELS],
        "microstructure": [],
    }
    for number, model in enumerate(MODELS):
        path = tmp_path / f"{model}_microstructure.csv"
        pd.DataFrame(
            {
                "metric": ["volume_fraction", "volume_fraction", "interface_density"],
                "phases": ["pore", "Ni", "pore/Ni"],
                "unit": ["1", "1", "1/length"],
                "true": [0.3, 0.27, 0.05],
                "predicted": [0.3 + 0.01 * number, 0.27, 0.04],
                "relative_error": [0.01 * number / 0.3, 0.0, -0.2 + 0.05 * number],
            }
        ).to_csv(path, index=False)
        lists["microstructure"].append(path)
    figures = {name: tmp_path / f"{name}.png" for name in (*FIGURES, "microstructure")}
    build_report(
        per_model_paths(MODELS, lists),
        results / "ingest" / "volume.h5",
        results / "ingest" / "summary.csv",
        results / "split" / "split.csv",
        sorted((results / "patches").glob("*px.csv")),
        TINY_CONFIG,
        {"html": tmp_path / "report.html", "scores": tmp_path / "scores.csv", "figures": figures},
    )
    page = (tmp_path / "report.html").read_text()
    section = page[page.index("<section id='microstructure'>") :]
    section = section[: section.index("</section>")]
    for model in MODELS:
        assert f"<th>{model}</th>" in section
    assert "interface density" in section and "-20.0 %" in section
    assert figures["microstructure"].stat().st_size > 0
    assert "not recorded" in page  # no command given here
