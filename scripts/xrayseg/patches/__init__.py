"""Patches: non-overlapping, deduplicated training patches per split (rule patches,
scripts/patches.py).

Entry: build.build_patches
Modules: build, grid (per-slice grids), dedup (exact and near-duplicate removal), store (HDF5).
"""
