"""Settings: the config checked, completed and put into the shapes the stages take.

rules/common.smk imports only this folder, at every Snakemake start-up, so nothing here may import
numpy, torch or an image library (the Snakemake process may lack them): the standard library,
jsonschema and yaml only (checks.stack_geometry opens the first raw slice with io.readers, for
`data.source: files` only).

Entry: config.checked_config (the whole config checked once and completed in place; problems as
`config error: <key>: <expectation>` lines), codedeps.package_modules (a rule's code inputs),
each stage's settings (`from_config` -> `to_params()` as the rule's param -> `from_params` in the
stage's shim), layout (every stage's output paths).
"""
