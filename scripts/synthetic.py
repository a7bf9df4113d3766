"""Snakemake shim: generate the built-in synthetic tomogram."""

from xrayseg.logsetup import log_to
from xrayseg.synthetic import write_synthetic_dataset

with log_to(snakemake.log[0]):
    settings = snakemake.params.settings
    write_synthetic_dataset(
        out_dir=snakemake.output[0],
        shape=settings["shape"],
        fractions=settings["fractions"],
        feature_size=settings["feature_size"],
        grey_means=settings["grey_means"],
        grey_stds=settings["grey_stds"],
        edge_blur=settings["edge_blur"],
        drift=settings["drift"],
        label_values=snakemake.params.label_values,
        seed=settings["seed"],
    )
