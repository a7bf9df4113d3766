"""Volume metrics fed slice by slice equal the whole-volume microstructure measurement."""

import numpy as np
import pytest
from scipy import ndimage

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.microstructure import measure_microstructure
from xrayseg.microstructure.compare import class_labels
from xrayseg.microstructure.streaming import StreamingMicrostructure, metrics_table

ROLES = {"pore": 0, "ysz": 1, "ni": 2}


def structured_volume(shape, seed, n_classes=3, ignored=0.0):
    """Blobby phases (smoothed random fields), optionally with scattered ignored voxels."""
    rng = np.random.default_rng(seed)
    fields = ndimage.gaussian_filter(rng.standard_normal((n_classes, *shape)), (0, 1.5, 1.5, 1.5))
    volume = fields.argmax(axis=0).astype(np.uint8)
    volume[rng.random(shape) < ignored] = IGNORE_INDEX
    return volume


def streamed(volume, roles, slab, voxel_size=1.0, axis=0, n_classes=3):
    metrics = StreamingMicrostructure(n_classes, roles, voxel_size, axis, slab=slab)
    for plane in volume:
        metrics.add(plane)
    return metrics.result()


def assert_same_metrics(found, expected):
    assert list(found) == list(expected)
    for key, value in expected.items():
        if np.isnan(value):
            assert np.isnan(found[key]), key
        else:
            assert found[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key


@pytest.mark.parametrize("slab", [1, 2, 3, 5, 32])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_streamed_metrics_equal_the_whole_volume_measurement(slab, axis):
    volume = structured_volume((11, 9, 10), seed=slab * 3 + axis)
    expected = measure_microstructure(volume, ROLES, 0.5, axis, 3)
    assert_same_metrics(streamed(volume, ROLES, slab, 0.5, axis), expected)


@pytest.mark.parametrize("slab", [1, 4])
def test_ignored_voxels_and_fewer_roles_are_handled_alike(slab):
    volume = structured_volume((9, 8, 8), seed=5, n_classes=4, ignored=0.05)
    roles = {"pore": 0, "metal": 3}
    expected = measure_microstructure(volume, roles, 1.0, 0, 4)
    found = streamed(volume, roles, slab, n_classes=4)
    assert not any(metric == "tpb_density" for metric, _ in found)
    assert_same_metrics(found, expected)


def test_a_path_joined_several_slabs_back_spans_the_volume():
    # Phase 1 enters at the top in column A, which ends in slice 4; a bridge in slice 4 leads to
    # column B, which runs to the bottom. With slabs of 2 slices, the last slab sees B alone: only
    # the chain of joins back through earlier slabs makes A and B one spanning component.
    volume = np.zeros((10, 5, 7), dtype=np.uint8)
    volume[:5, 1, 1] = 1  # column A, slices 0-4
    volume[4, 1, 1:6] = 1  # bridge in slice 4
    volume[4:, 1, 5] = 1  # column B, slices 4-9
    volume[6:8, 3, 3] = 1  # a floating blob of 2 voxels
    volume[0:3, 3, 5] = 1  # a dead end from the top, 3 voxels
    found = streamed(volume, {}, slab=2, n_classes=3)
    phase_voxels = np.count_nonzero(volume == 1)
    assert found["connected_fraction", "class 1"] == pytest.approx(
        (phase_voxels - 5) / phase_voxels
    )
    assert found["connected_fraction", "class 1"] == connected_whole(volume)
    assert np.isnan(found["connected_fraction", "class 2"])


def connected_whole(volume):
    return measure_microstructure(volume, {}, 1.0, 0, 2)["connected_fraction", "class 1"]


def test_a_single_slice_volume_and_a_slab_longer_than_the_stack():
    volume = structured_volume((1, 12, 12), seed=2)
    assert_same_metrics(streamed(volume, ROLES, 32), measure_microstructure(volume, ROLES, 1, 0, 3))


def test_phases_are_named_by_role_then_class_name():
    assert class_labels({"pore": 0}, 3, ["void", "YSZ", "Ni"]) == {0: "pore", 1: "YSZ", 2: "Ni"}
    assert class_labels({}, 2, None) == {0: "class 0", 1: "class 1"}
    with pytest.raises(ValueError, match="same name"):
        class_labels({"YSZ": 0}, 2, ["pore", "YSZ"])


def test_volume_table_rows_carry_units():
    volume = structured_volume((4, 6, 6), seed=1)
    rows = metrics_table(streamed(volume, ROLES, 2))
    units = {row["metric"]: row["unit"] for row in rows}
    assert units == {
        "volume_fraction": "1",
        "connected_fraction": "1",
        "interface_density": "1/length",
        "tpb_density": "1/length^2",
    }
    fractions = [row["value"] for row in rows if row["metric"] == "volume_fraction"]
    assert sum(fractions) == pytest.approx(1.0)


def test_bad_slices_are_refused():
    metrics = StreamingMicrostructure(3, ROLES)
    metrics.add(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="differs from the first"):
        metrics.add(np.zeros((4, 5), np.uint8))
    with pytest.raises(ValueError, match="one 2-D slice"):
        metrics.add(np.zeros((2, 4, 4), np.uint8))
    too_many = StreamingMicrostructure(2, {})
    too_many.add(np.full((4, 4), 2, np.uint8))
    with pytest.raises(ValueError, match="class 2"):
        too_many.result()
    with pytest.raises(ValueError, match="no slices"):
        StreamingMicrostructure(3, ROLES).result()
    with pytest.raises(ValueError, match="beyond"):
        StreamingMicrostructure(2, ROLES)
