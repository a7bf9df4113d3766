"""The schema's training defaults, for code that calls the loop directly (tests, benchmarks).

A Snakemake run never needs this module: the schema's defaults reach the job through the
config. Reading them from config/schema.yaml keeps the schema their one source.
"""

from xrayseg.settings.schema import SCHEMA, section_defaults


def schema_defaults(schema_path=SCHEMA):
    """{key: default} of every training setting in config/schema.yaml (a fresh copy)."""
    return section_defaults("training", schema_path)


def with_defaults(settings, schema_path=SCHEMA):
    """`settings` (training keys and model arguments) over the schema's training defaults."""
    return {**schema_defaults(schema_path), **settings}
