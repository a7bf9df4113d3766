"""xrayseg: semantic segmentation of X-ray tomography slices.

All pipeline logic lives in this package. Functions take plain arguments (paths, numbers, dicts)
and never import snakemake, so tests call them directly; scripts/*.py are thin Snakemake shims.
"""
