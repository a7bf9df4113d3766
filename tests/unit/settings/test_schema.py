"""The config schema completed from the architecture catalogue: an architecture added to the
catalogue alone is accepted, checked and documented-or-refused."""

import copy
from types import MappingProxyType

import pytest

from helpers.workflow import REPO, TINY_CONFIG
from xrayseg.settings import schema as schema_module
from xrayseg.settings.architectures import CATALOGUE, TORCH, Architecture
from xrayseg.settings.checks import schema_problems
from xrayseg.settings.schema import load_schema

SCHEMA = REPO / "config" / "schema.yaml"


def problems_of(entry, schema=SCHEMA):
    config = copy.deepcopy(TINY_CONFIG)
    config["models"]["m"] = entry
    return schema_problems(config, schema)


def test_an_unknown_architecture_is_refused_naming_the_catalogued_ones():
    [(key, why)] = problems_of({"arch": "resnet"})
    assert key == "models.m.arch"
    assert why == f"'resnet' is not one of {', '.join(CATALOGUE)}"


def test_networks_need_a_patch_size_and_only_2d_networks_take_context():
    assert problems_of({"arch": "dnn"}) == [
        ("models.m.patch_size", "missing; this key is required here")
    ]
    assert problems_of({"arch": "unet", "patch_size": 16, "context": 2}) == []
    assert [key for key, _ in problems_of({"arch": "rf", "context": 1})] == ["models.m"]
    assert [key for key, _ in problems_of({"arch": "threshold", "patch_depth": 4})] == ["models.m"]


@pytest.fixture
def added_catalogue(monkeypatch):
    """The catalogue with one more 2-D network, `added`, taking the arguments given."""

    def add(**arguments):
        added = Architecture(TORCH, MappingProxyType(arguments))
        monkeypatch.setattr(schema_module, "CATALOGUE", {**CATALOGUE, "added": added})

    return add


def test_an_architecture_added_to_the_catalogue_is_a_valid_arch_with_its_rules(added_catalogue):
    assert [key for key, _ in problems_of({"arch": "added", "patch_size": 16})] == ["models.m.arch"]
    added_catalogue(width=8)
    assert problems_of({"arch": "added", "patch_size": 16, "width": 4, "context": 1}) == []
    assert [key for key, _ in problems_of({"arch": "added"})] == ["models.m.patch_size"]


def test_an_argument_the_schema_does_not_describe_stops_the_loading(added_catalogue):
    added_catalogue(kernel=3)
    with pytest.raises(ValueError, match=r"added\.kernel; describe each there"):
        load_schema(SCHEMA)
