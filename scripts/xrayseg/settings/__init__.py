"""Settings: the config checked and put into the shapes the stages take (standard library only).

rules/common.smk imports only this folder, at every Snakemake start-up, so nothing here may import
numpy, torch or an image library (the Snakemake process may lack them).

Entry: checks (config problems, one line per key)
Modules: checks (schema and cross-key checks), specs (data specs: folder, glob, stack, HDF5),
predict (prediction sets), split_blocks (the split arithmetic), confighash (provenance hashes).
"""
