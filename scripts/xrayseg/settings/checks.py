"""Config checks that stop a run before any job, each as one line naming the key.

Snakemake's own schema validation prints the whole schema on an unknown key; these checks say
`config error: <key>: <what is expected>` instead, then check what a schema cannot express:
patch sizes against the slices, UNet depth against the patch size (and a 3-D UNet's patch depth),
the split against the stack.
"""

from collections.abc import Mapping

import jsonschema

from xrayseg.settings.architectures import architecture
from xrayseg.settings.schema import load_schema
from xrayseg.settings.split_blocks import (
    assign_splits,
    every_nth_train_labelled,
    labelled_block_problems,
)


def schema_problems(config, schema):
    """(key, expectation) pairs for every place the config breaks the JSON schema (a dict, or
    the path of config/schema.yaml, loaded with settings.schema.load_schema)."""
    if not isinstance(schema, Mapping):
        schema = load_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    return [_describe(error) for error in errors]


def _describe(error):
    path = [str(part) for part in error.absolute_path]
    key = ".".join(path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        expected = f"one of {', '.join(allowed)}" if allowed else "no other keys"
        return ".".join([*path, unknown[0]]), f"unknown key; expected {expected}"
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return ".".join([*path, missing]), "missing; this key is required here"
    if error.validator == "enum":
        return key, f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "type":
        return key, f"{error.instance!r} should be of type {error.validator_value}"
    if error.validator in ("oneOf", "anyOf") and "description" in error.schema:
        # jsonschema's own message ("not valid under any of the given schemas") names no choice.
        return key, f"{error.instance!r} is not allowed: {error.schema['description']}"
    if error.validator == "pattern" and "examples" in error.schema:
        examples = ", ".join(map(str, error.schema["examples"]))
        return key, f"{error.instance!r} is not allowed; use one of {examples}"
    return key or "config", error.message


def model_problems(models, slice_shape):
    """(key, expectation) pairs for model settings that cannot work on slices of `slice_shape`.

    `models` maps model name -> its settings (training defaults merged in).
    """
    problems = []
    smallest = min(slice_shape) if slice_shape else None
    for name, settings in models.items():
        size = settings.get("patch_size")
        if size is None:
            continue
        if smallest is not None and size > smallest:
            problems.append(
                (
                    f"models.{name}.patch_size",
                    f"{size} is larger than the {slice_shape[0]}x{slice_shape[1]} slices; "
                    f"use at most {smallest}",
                )
            )
        entry = architecture(settings["arch"])
        if entry.pooling:
            depth = entry.arguments_of(settings)[entry.pooling]
            factor = 2**depth
            sides = {"patch_size": size}
            if settings.get("patch_depth") is not None:
                sides["patch_depth"] = settings["patch_depth"]
            for key, side in sides.items():
                if side % factor:
                    problems.append(
                        (
                            f"models.{name}.{key}",
                            f"{side} must be divisible by 2**{entry.pooling} = {factor} "
                            f"({entry.pooling} {depth})",
                        )
                    )
    return problems


def split_problems(split, n_slices):
    """[("split", why)] when the stack cannot hold non-empty train, val and test blocks."""
    try:
        assign_splits(
            n_slices, split["val_fraction"], split["test_fraction"], split["guard_slices"]
        )
    except ValueError as error:
        return [("split", str(error).removeprefix("split: "))]
    return []


def synthetic_label_problems(config, n_slices):
    """(key, expectation) pairs for synthetic.train_label_every: it needs data.sparse_labels,
    cannot follow a data.slices range, and must leave every block enough labelled slices (known
    here from the settings alone, so the run stops before generating the volume)."""
    every = config["synthetic"]["train_label_every"]
    data = config["data"]
    if data["source"] != "synthetic" or every <= 1:
        return []
    problems = []
    if not data["sparse_labels"]:
        problems.append(
            (
                "data.sparse_labels",
                f"synthetic.train_label_every {every} writes labels for only some slices; set "
                "data.sparse_labels: true to ingest them",
            )
        )
    if data.get("slices"):
        problems.append(
            (
                "synthetic.train_label_every",
                "picks train slices of the whole generated stack, so it cannot be combined "
                "with data.slices; leave one of them out",
            )
        )
    if problems:
        return problems
    split = config["split"]
    try:
        splits = assign_splits(
            n_slices, split["val_fraction"], split["test_fraction"], split["guard_slices"]
        )
    except ValueError:
        return []  # split_problems says why
    labelled = every_nth_train_labelled(splits, every)
    return [
        ("split", problem)
        for problem in labelled_block_problems(splits, labelled, split["min_labelled_slices"])
    ]


def stack_geometry(data, synthetic):
    """(number of slices, (height, width)) the run will see; None where it cannot be known cheaply.

    Synthetic data: from the generator's settings. Files: the first raw slice is read (the image
    readers are imported only then, to keep start-up light).
    """
    if data["source"] == "synthetic":
        depth, height, width = synthetic["shape"]
        count = depth
    else:
        from xrayseg.io.readers import open_slices

        with open_slices(data["raw"]) as raw:
            count = len(raw)
            height, width = raw.read(0).shape[:2]
    if data.get("slices"):
        start, stop = data["slices"]
        count = max(0, min(stop, count) - start)
    return count, (height, width)
