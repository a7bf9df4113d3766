"""config/schema.yaml: the one source of every setting's default.

Standard library, jsonschema and yaml only.

A Snakemake run gets the defaults through the checked config (xrayseg.settings.config fills them
in); code that builds settings without a config (tests, benchmarks) takes them from here.
"""

import copy
import functools
from pathlib import Path

import jsonschema
import yaml

SCHEMA = Path(__file__).resolve().parents[3] / "config" / "schema.yaml"


def load_schema(path=SCHEMA):
    with open(path) as handle:
        return yaml.safe_load(handle)


def fill_defaults(config, schema):
    """Fill in, in place, every default the schema gives for a key the config leaves out, at any
    depth where the schema describes the config (as snakemake.utils.validate does)."""
    properties = jsonschema.Draft202012Validator.VALIDATORS["properties"]

    def properties_with_defaults(validator, subschemas, instance, schema):
        if isinstance(instance, dict):
            for key, subschema in subschemas.items():
                if "default" in subschema:
                    instance.setdefault(key, copy.deepcopy(subschema["default"]))
        yield from properties(validator, subschemas, instance, schema)

    filling = jsonschema.validators.extend(
        jsonschema.Draft202012Validator, {"properties": properties_with_defaults}
    )
    # Filling happens while validating; the problems are schema_problems' to report.
    for _ in filling(schema).iter_errors(config):
        pass


@functools.cache
def _section_defaults(section, path):
    config = {section: {}}
    fill_defaults(config, load_schema(path))
    return config[section]


def section_defaults(section, path=SCHEMA):
    """Config section `section` as the schema's defaults complete it when the config gives none
    of its keys, nested sections included (a fresh copy); keys without a default are absent."""
    return copy.deepcopy(_section_defaults(section, Path(path)))
