"""Data: the synthetic tomogram, the ingested volume and the split of its slices into blocks.

Rules synthetic, ingest and split (scripts/synthetic.py, scripts/ingest.py, scripts/split.py).
Entry: synthetic.write_synthetic_from_config, ingest.ingest_volume, split.write_split_table.
"""
