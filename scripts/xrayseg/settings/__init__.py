"""Settings: the config checked, completed and put into the shapes the stages take.

rules/common.smk imports only this folder, at every Snakemake start-up, so nothing here may import
numpy, torch or an image library (the Snakemake process may lack them): the standard library,
jsonschema and yaml only (checks.stack_geometry opens the first raw slice with io.readers, for
`data.source: files` only).

Entry: config.checked_config (the whole config checked once and completed in place; problems as
`config error: <key>: <expectation>` lines), codedeps.package_modules (a rule's code inputs)
Modules: config, checks (schema and cross-key checks), schema (config/schema.yaml completed from
the architecture catalogue), architectures (the catalogue: every architecture's kind, dimensions,
arguments and their defaults), specs (data specs: folder, glob, stack, HDF5), roles
(microstructure roles), models (one model's merged settings, the patch files it trains on),
inference (InferenceSettings, shared by evaluation and prediction), predict (prediction sets),
report (the config the report shows), canonical (sorted keys, so reordered settings compare
equal), codedeps (the package files a script runs), split_blocks (the split arithmetic),
confighash (provenance hashes).
"""
