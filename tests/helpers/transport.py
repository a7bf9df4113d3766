"""A model's transport table built from the relative errors a test wants."""

import math

import pandas as pd

from xrayseg.transport.compare import COLUMNS

INF, NAN = math.inf, math.nan


def model_table(tau_errors, active_error, d50_errors, seconds=(10.0, 20.0)):
    """A model's transport table with the given relative errors (true values 1)."""
    rows = []
    for (phase, direction), error in tau_errors.items():
        predicted = INF if math.isinf(error) else 1 + error
        for quantity in ("tortuosity_factor", "effective_diffusivity"):
            rows.append((quantity, phase, direction, "1", 1.0, predicted, error, seconds[0], ""))
    for quantity, error in (("tpb_density", 0.1), ("active_tpb_density", active_error)):
        rows.append((quantity, "pore/YSZ/Ni", "", "1/length^2", 1.0, 1 + error, error, 0.5, ""))
    for phase, error in d50_errors.items():
        for quantity in ("thickness_mean", "thickness_d50"):
            rows.append((quantity, phase, "", "length", 1.0, 1 + error, error, seconds[1], ""))
    frame = pd.DataFrame(
        [(*row[:4], row[4], row[5], row[6], "True", 100, row[7], row[8]) for row in rows],
        columns=COLUMNS,
    )
    return frame
