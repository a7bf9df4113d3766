"""Data: the synthetic tomogram, ingest of raw and label slices, and the split along the stack
(rules synthetic, ingest and split; scripts/synthetic.py, ingest.py, split.py).

Entry: synthetic.write_synthetic_from_config, ingest.ingest_volume, split.write_split_table
Modules: synthetic, imaging (its correlated noise and shading), realism (how real a volume looks:
benchmarks/realism.py), sandstone (a 4-phase set labelled on 9 slices 50 apart), ingest, pairing
(raw <-> label by number), labels (label values -> classes), summary (per-slice statistics, class
histograms and the classes figure), splitshading (the split blocks behind plots along the stack,
shared with the report), split, context (2.5-D neighbours within a split block).
"""
