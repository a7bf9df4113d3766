"""config/schema.yaml completed from the architecture catalogue when it is loaded.

The schema file documents every key; what depends on the architectures (the names `arch` may
take, and which keys only some architectures take) is filled in here from
settings.architectures, so that adding an architecture edits the catalogue alone.
"""

import yaml

from xrayseg.settings.architectures import CATALOGUE


def load_schema(path):
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
