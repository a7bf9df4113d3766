"""The report's transport section: the ranking, the values, lost paths, skipped quantities."""

import pandas as pd

from helpers.transport import INF, NAN, model_table
from xrayseg.report import transportparts
from xrayseg.report.style import model_palette


def test_models_rank_by_transport_error_with_a_lost_path_after_every_finite_error():
    tables = {
        "lost": model_table({("pore", "z"): INF}, 0.0, {"pore": 0.0}),
        "rough": model_table({("pore", "z"): 0.5}, 0.5, {"pore": 0.5}),
        "close": model_table({("pore", "z"): 0.01}, 0.01, {"pore": 0.01}),
    }
    ranking = transportparts.transport_ranking(tables)
    assert ranking["model"].tolist() == ["close", "rough", "lost"]
    assert ranking["transport_rank"].tolist() == [1, 2, 3]


def test_the_section_shows_values_lost_paths_what_was_skipped_and_the_times():
    tables = {
        "unet": model_table({("pore", "z"): 0.05}, 0.1, {"pore": 0.0}),
        "threshold": model_table({("pore", "z"): INF}, -0.5, {"pore": 0.2}),
    }
    labels = pd.DataFrame(
        {
            "quantity": ["tortuosity_factor", "tpb_density", "thickness_mean"],
            "phases": ["pore", "", "pore"],
            "direction": ["z", "", ""],
            "unit": ["1", "1/length^2", "length"],
            "value": [1.0, NAN, 3.0],
            "converged": ["True", "", ""],
            "iterations": ["300", "", ""],
            "seconds": [12.0, NAN, 3.0],
            "note": ["", "needs three classes with microstructure roles", ""],
        }
    )
    ranking = transportparts.transport_ranking(tables)
    comparison = pd.DataFrame(
        {"model": ["unet", "threshold"], "rank": [1, 2], "microstructure_rank": [1, 2]}
    )
    figure = transportparts.transport_figure(tables, model_palette(tables))
    parts = transportparts.transport_parts(tables, labels, ranking, comparison, b"png", 1.0)
    page = "".join(parts)
    assert "∞ (no path) (path lost)" in page  # the threshold's pore path along z
    assert "(+5.0 %)" in page
    assert "Not measured: TPB density: needs three classes with microstructure roles." in page
    assert "12.0 s" in page  # the labels' solve
    assert figure.axes[0].get_title() == "Transport (test block)"
