"""The schema's training defaults, for code that calls the loop directly (tests, benchmarks).

A Snakemake run never needs this module: the schema's defaults reach the job through the
config. Reading them from config/schema.yaml keeps the schema their one source.
"""

import functools
from pathlib import Path

import yaml

SCHEMA = Path(__file__).resolve().parents[3] / "config" / "schema.yaml"


@functools.cache
def _defaults(schema_path):
    with open(schema_path) as handle:
        schema = yaml.safe_load(handle)
    properties = schema["properties"]["training"]["properties"]
    return {key: spec.get("default") for key, spec in properties.items()}


def schema_defaults(schema_path=SCHEMA):
    """{key: default} of every training setting in config/schema.yaml (a fresh copy)."""
    return dict(_defaults(Path(schema_path)))


def with_defaults(settings, schema_path=SCHEMA):
    """`settings` (training keys and model arguments) over the schema's training defaults."""
    return {**schema_defaults(schema_path), **settings}
