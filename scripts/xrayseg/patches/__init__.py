"""Patches: non-overlapping, deduplicated training patches per split, 2-D and 3-D.

Rules patches, patches_across and cubes (scripts/patches.py, scripts/cubes.py).
Entry: build.build_patches, cubes.build_cubes.
"""
