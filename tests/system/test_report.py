"""Both reports from a finished tiny run: results/report.html opened in headless Chromium, and
`snakemake --report` regenerated from the cached results without running a job."""

import json
import re
import time

import numpy as np
import pandas as pd
import pytest

from helpers.headless_chromium import chromium_path, open_page
from helpers.workflow import TINY_CONFIG, run_snakemake
from xrayseg.report.build import FIGURES

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


def figure_files(run):
    """The report's figures as written to results/report/ (each is embedded in the page too)."""
    return sorted(p.stem for p in (run / "results" / "report").glob("*.png"))


def test_every_image_decodes_with_a_size(browser_view, finished_tiny_run):
    images = browser_view["images"]
    # Every figure, the microstructure errors among them (evaluate writes microstructure.csv),
    # the TPB density along the test block, the reliability diagram, and the suggestion panel
    # (written under results/suggest/), and each model's transport errors.
    expected = [*FIGURES, "microstructure", "tpb_profile", "reliability", "transport"]
    assert figure_files(finished_tiny_run) == sorted(expected)
    assert len(images) == len(figure_files(finished_tiny_run)) + 1
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
        "Microstructure",
        "Clean-up",
        "Transport: tortuosity, active TPB, sizes",
        "Uncertainty and calibration",
        "Which slice to label next",
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
    assert len(sources) == len(figure_files(finished_tiny_run)) + 1  # and the suggestion panel
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
    assert set(categories) == {
        "Data",
        "Patches",
        "Training",
        "Evaluation",
        "Comparison",
        "Labelling",
    }
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


def test_microstructure_table_shows_each_models_errors(finished_tiny_run):
    page = (finished_tiny_run / "results" / "report.html").read_text()
    section = page[page.index("<section id='microstructure'>") :]
    section = section[: section.index("</section>")]
    for model in MODELS:
        assert f"<th>{model}</th>" in section
        table = pd.read_csv(finished_tiny_run / "results" / "eval" / model / "microstructure.csv")
        finite = table[np.isfinite(table["relative_error"])]
        assert f"{100 * finite['relative_error'].iloc[0]:+.1f} %" in section
    assert "volume fraction" in section
