"""The whole config checked and completed once, before any job (rules/common.smk calls it).

Checks run in stages, each needing the one before to pass: the schema (unknown keys, types,
ranges); the data section; the microstructure roles; then the split against the stack, the
models against the slices and the prediction sets. Each problem is a (config key, expectation)
pair; problem_lines turns them into `config error: <key>: <expectation>` lines.
"""

from xrayseg.io.errors import InputError
from xrayseg.settings.canonical import canonical
from xrayseg.settings.checks import (
    model_problems,
    schema_problems,
    split_problems,
    stack_geometry,
    synthetic_label_problems,
)
from xrayseg.settings.inputchecks import input_problems
from xrayseg.settings.labelling import labelling_problems
from xrayseg.settings.models import model_settings
from xrayseg.settings.predict import predict_problems
from xrayseg.settings.roles import microstructure_problems, roles_that_fit
from xrayseg.settings.schema import fill_defaults, load_schema
from xrayseg.settings.specs import data_problems
from xrayseg.settings.transport import transport_problems


def checked_config(config, schema_path):
    """The problems of `config` (a loaded config.yaml), empty when it is usable.

    When the schema holds, `config` is completed in place: the schema's defaults filled in, the
    default microstructure roles applied only where data.class_names has their classes, and
    every mapping's keys in sorted order (xrayseg.settings.canonical), so that the rest of the
    workflow sees one config per content whatever order its keys were written in.
    """
    schema = load_schema(schema_path)
    problems = schema_problems(config, schema)
    if problems:
        return problems
    roles_given = "roles" in config.get("microstructure", {})
    fill_defaults(config, schema)
    if not roles_given:
        roles = config["microstructure"]["roles"]
        config["microstructure"]["roles"] = roles_that_fit(roles, config["data"]["class_names"])
    _replace(config, canonical(config))
    problems = data_problems(config["data"]) or input_problems(config)
    if problems:
        return problems
    problems = microstructure_problems(config["microstructure"], config["data"]["class_names"])
    if problems:
        return problems
    try:
        n_slices, slice_shape = stack_geometry(config["data"], config["synthetic"])
    except InputError as error:  # the first raw slice, read for its size
        return [("data.raw", str(error))]
    models = {name: model_settings(config, name) for name in config["models"]}
    return (
        split_problems(config["split"], n_slices)
        + synthetic_label_problems(config, n_slices)
        + model_problems(models, slice_shape)
        + predict_problems(config["predict"], config["models"])
        + labelling_problems(config)
        + transport_problems(config)
    )


def problem_lines(problems):
    """One `config error: <key>: <expectation>` line per problem."""
    return "\n".join(f"config error: {key}: {what}" for key, what in problems)


def _replace(mapping, contents):
    mapping.clear()
    mapping.update(contents)
