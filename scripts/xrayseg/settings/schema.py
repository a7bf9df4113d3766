"""config/schema.yaml: the one source of every setting's default, completed from the catalogue.

Standard library, jsonschema and yaml only.

The schema file documents every key; what depends on the architectures (the names `arch` may
take, and which keys only some architectures take) is filled in when it is loaded, from
settings.architectures, so that adding an architecture edits the catalogue alone. A Snakemake run
gets the defaults through the checked config (xrayseg.settings.config fills them in); code that
builds settings without a config (tests, benchmarks) takes them from here.
"""

import copy
import functools
from pathlib import Path

import jsonschema
import yaml

from xrayseg.settings.architectures import CATALOGUE

SCHEMA = Path(__file__).resolve().parents[3] / "config" / "schema.yaml"


def load_schema(path=SCHEMA):
    """The JSON schema of config/schema.yaml with the catalogue's names and rules filled in."""
    with open(path) as handle:
        schema = yaml.safe_load(handle)
    entry = schema["properties"]["models"]["additionalProperties"]
    entry["properties"]["arch"]["enum"] = list(CATALOGUE)
    entry["allOf"] = architecture_rules()
    undocumented = [
        f"{name}.{key}"
        for name, architecture in CATALOGUE.items()
        for key in architecture.arguments
        if key not in entry["properties"]
    ]
    if undocumented:
        raise ValueError(
            f"architecture arguments missing from {path} (models entries): "
            f"{', '.join(undocumented)}; describe each there"
        )
    return schema


def architecture_rules():
    """JSON-schema rules of a model entry: networks need a patch_size; only 2-D networks take
    context (neighbouring slices); only volumetric networks take patch_depth."""

    def names(condition):
        return [name for name, architecture in CATALOGUE.items() if condition(architecture)]

    return [
        {
            "if": {"properties": {"arch": {"enum": names(lambda a: a.trains_on_patches)}}},
            "then": {"required": ["patch_size"]},
        },
        {
            "if": {"properties": {"arch": {"enum": names(lambda a: not a.takes_context)}}},
            "then": {"not": {"required": ["context"]}},
        },
        {
            "if": {"properties": {"arch": {"enum": names(lambda a: not a.volumetric)}}},
            "then": {"not": {"required": ["patch_depth"]}},
        },
    ]


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
