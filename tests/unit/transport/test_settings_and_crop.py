"""The transport settings from the config, its checks, and the crop that bounds a volume."""

import numpy as np
import pytest

from xrayseg.settings.schema import section_defaults
from xrayseg.settings.transport import TransportSettings, transport_problems
from xrayseg.transport.crop import central_crop, crop_side

CLASS_NAMES = ["pore", "YSZ", "Ni"]
ROLES = {"ni": "Ni", "pore": "pore", "ysz": "YSZ"}


def config(transport=None, roles=ROLES, axis=0, class_names=CLASS_NAMES, predict=None):
    return {
        "data": {"class_names": list(class_names)},
        "microstructure": {"roles": dict(roles), "voxel_size": 0.5, "axis": axis},
        "transport": {**section_defaults("transport"), **(transport or {})},
        "predict": predict or {},
    }


def test_defaults_measure_every_role_class_across_and_along_the_stack_and_every_class_size():
    settings = TransportSettings.from_config(config(class_names=[*CLASS_NAMES, "GDC"]))
    assert settings.quantities == ["tortuosity", "active_tpb", "sizes"]
    assert settings.tortuosity_phases == CLASS_NAMES  # in class order, GDC has no role
    assert settings.directions == ["z", "y"]
    assert settings.size_phases == [*CLASS_NAMES, "GDC"]
    assert settings.faces == {name: ["zmin", "zmax"] for name in CLASS_NAMES}
    assert settings.voxel_size == 0.5
    assert TransportSettings.from_params(settings.to_params()) == settings


def test_faces_default_to_both_ends_of_the_microstructure_axis_and_can_be_named_per_class():
    settings = TransportSettings.from_config(
        config({"active_tpb": {"faces": {"Ni": ["zmax"]}}}, axis=2)
    )
    assert settings.faces == {"pore": ["xmin", "xmax"], "YSZ": ["xmin", "xmax"], "Ni": ["zmax"]}


def test_without_roles_there_is_no_transport_phase_and_no_face_but_every_size():
    settings = TransportSettings.from_config(config(roles={}))
    assert (settings.tortuosity_phases, settings.faces) == ([], {})
    assert settings.size_phases == CLASS_NAMES


def test_unknown_classes_and_sets_are_config_problems_naming_their_key():
    problems = transport_problems(
        config(
            {
                "tortuosity": {**section_defaults("transport")["tortuosity"], "phases": ["gas"]},
                "sizes": {"phases": ["Ni", "nickel"]},
                "active_tpb": {"faces": {"ysz": ["zmin"]}},
                "sets": ["scan_a", "scan_b"],
            },
            predict={"scan_a": {}},
        )
    )
    assert [key for key, _ in problems] == [
        "transport.tortuosity.phases",
        "transport.sizes.phases",
        "transport.active_tpb.faces",
        "transport.sets",
    ]
    assert "'nickel' is not a class name; data.class_names: pore, YSZ, Ni" in problems[1][1]
    assert "'scan_b' is not a prediction set" in problems[3][1]
    assert transport_problems(config()) == []


@pytest.mark.parametrize(
    "shape, max_voxels, kept",
    [
        ((10, 20, 30), 6000, (10, 20, 30)),  # fits whole
        ((100, 501, 501), 2**25, (100, 501, 501)),  # a full-size test block fits 2^25
        ((100, 501, 501), 2**20, (100, 102, 102)),  # the default: its central 100-slice box
        ((1000, 2000, 2000), 8000, (20, 20, 20)),  # a cube where the volume allows
        ((10, 2000, 2000), 10 * 300 * 300, (10, 300, 300)),  # thin: the long sides cut alike
    ],
)
def test_the_crop_is_the_largest_box_of_one_common_side_within_the_budget(shape, max_voxels, kept):
    side = crop_side(shape, max_voxels)
    box = central_crop(shape, max_voxels)
    assert tuple(s.stop - s.start for s in box) == kept
    assert np.prod(kept) <= max_voxels
    bigger = [min(length, side + 1) for length in shape]
    assert np.prod(bigger) > max_voxels or bigger == list(shape)


def test_the_crop_is_centred():
    assert central_crop((4, 10, 11), 4 * 4 * 4) == (slice(0, 4), slice(3, 7), slice(3, 7))
