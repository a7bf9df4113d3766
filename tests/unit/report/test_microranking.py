"""The report's microstructure ranking and the TPB profiles it draws."""

import math

import numpy as np
import pandas as pd

from helpers.microstructure import micro_table
from xrayseg.microstructure.profile import tpb_profile
from xrayseg.report.microranking import microstructure_ranking, profile_windows, tpb_profiles
from xrayseg.report.tables import microstructure_ranking_html


def test_models_are_ranked_by_the_smallest_microstructure_error():
    tables = {
        "pixel_best": micro_table(0.22, [0.08, 0.02, 0.05]),
        "three_d": micro_table(-0.02, [0.01, -0.02, 0.01]),
        "no_tpb": micro_table(math.nan, [0.04, 0.04, 0.04]),
        "nothing": micro_table(math.nan, [math.nan] * 3),
    }
    ranking = microstructure_ranking(tables)
    assert ranking["model"].tolist() == ["three_d", "no_tpb", "pixel_best", "nothing"]
    assert ranking["microstructure_rank"].tolist() == [1, 2, 3, 4]
    # Without a TPB density the interfaces alone are ranked.
    assert math.isclose(ranking.set_index("model").loc["no_tpb", "microstructure_error"], 0.04)


def test_the_ranking_table_shows_both_ranks_and_bolds_the_best_of_each_column():
    ranking = microstructure_ranking(
        {"a": micro_table(0.2, [0.1, 0.1, 0.1]), "b": micro_table(0.01, [0.02, 0.0, 0.01])}
    )
    comparison = pd.DataFrame({"model": ["a", "b"], "rank": [1, 2], "test_mean_iou": [0.99, 0.98]})
    html = microstructure_ranking_html(ranking, comparison, 1.0)
    rows = html.split("<tr>")[2:]
    # b: (1 % TPB + 1 % mean interface) / 2 = 1.0 %
    assert rows[0].startswith('<td class="text">b</td><td>1</td><td class="good">1.0 %</td>')
    assert '<td class="good">0.9900</td>' in rows[1]


def test_profiles_hold_the_truth_and_every_model_in_volume_slice_numbers():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, (20, 8, 8)).astype(np.uint8)
    model = truth.copy()
    model[5] = rng.integers(0, 3, (8, 8))
    roles = {"pore": "pore", "ysz": "YSZ", "ni": "Ni"}
    profiles = tpb_profiles(truth, {"m": model}, roles, ["pore", "YSZ", "Ni"], first_slice=100)
    frame = profiles["pore/YSZ/Ni"]
    assert profile_windows(20) == (2, 2) and set(frame["source"]) == {"labels", "m"}
    labels = frame[frame["source"] == "labels"]
    assert labels["window_start"].tolist() == list(range(100, 120, 2))
    np.testing.assert_allclose(labels["tpb_density"], tpb_profile(truth, (0, 1, 2), 2)[1])
    assert tpb_profiles(truth, {}, {"pore": "pore"}, ["pore", "YSZ", "Ni"]) == {}
