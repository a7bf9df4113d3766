"""Microstructure tables with chosen relative errors, for the tests of the error rule and the
report's ranking."""

import pandas as pd


def micro_table(tpb, interfaces, fraction=0.0):
    """A microstructure.csv table with these relative errors (true values 1)."""
    rows = [("volume_fraction", "pore", fraction), ("tpb_density", "pore/YSZ/Ni", tpb)]
    rows += [
        ("interface_density", pair, error)
        for pair, error in zip(("pore/YSZ", "pore/Ni", "YSZ/Ni"), interfaces, strict=True)
    ]
    return pd.DataFrame(
        {
            "metric": [r[0] for r in rows],
            "phases": [r[1] for r in rows],
            "true": 1.0,
            "predicted": [1 + r[2] for r in rows],
            "relative_error": [r[2] for r in rows],
        }
    )
