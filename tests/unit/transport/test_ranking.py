"""The transport error and timing of a transport table."""

import pytest

from helpers.transport import INF, NAN, model_table
from xrayseg.transport.ranking import computation_seconds, transport_errors


def test_the_transport_error_averages_each_quantitys_mean_absolute_error():
    table = model_table({("pore", "z"): 0.1, ("pore", "y"): -0.3}, -0.2, {"pore": 0.0, "Ni": 0.4})
    errors = transport_errors(table)
    assert errors["tortuosity_mean_abs_error"] == pytest.approx(0.2)
    assert errors["tortuosity_max_abs_error"] == pytest.approx(0.3)
    assert errors["active_tpb_mean_abs_error"] == pytest.approx(0.2)
    assert errors["size_mean_abs_error"] == pytest.approx(0.2)
    assert errors["transport_error"] == pytest.approx(0.2)


def test_a_lost_path_makes_the_error_infinite_and_undefined_ones_are_left_out():
    lost = model_table({("pore", "z"): INF, ("pore", "y"): NAN}, 0.1, {"pore": 0.1})
    assert transport_errors(lost)["tortuosity_mean_abs_error"] == INF
    assert transport_errors(lost)["transport_error"] == INF
    undefined = model_table({("pore", "y"): NAN}, 0.1, {"pore": 0.3})
    assert transport_errors(undefined)["transport_error"] == pytest.approx(0.2)


def test_seconds_are_summed_per_computation_not_per_row():
    table = model_table({("pore", "z"): 0.0, ("Ni", "z"): 0.0}, 0.0, {"pore": 0.0, "Ni": 0.0})
    # Two solves of 10 s (each on two rows), one TPB count of 0.5 s (on two rows), two phases'
    # local thickness of 20 s (each on two rows).
    assert computation_seconds(table) == {"tortuosity": 20.0, "active_tpb": 0.5, "sizes": 40.0}
