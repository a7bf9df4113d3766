import itertools

import numpy as np
import pandas as pd
import pytest

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.microstructure import (
    FACE_COUNT_OVERESTIMATE_3D,
    TPB_EDGE_COUNT_OVERESTIMATE,
    connected_fraction,
    interface_densities,
    interface_face_counts,
    measure_microstructure,
    microstructure_table,
    phase_fractions,
    relative_errors,
    tpb_densities,
    triple_edge_counts,
    triple_edge_maps,
)

ROLES = {"pore": 0, "ysz": 1, "ni": 2}


def three_blocks(shape, line_axis):
    """Pore on one side, YSZ and Ni splitting the other: one straight TPB line along line_axis."""
    volume = np.zeros(shape, dtype=np.uint8)
    across, split = [a for a in range(3) if a != line_axis]
    cut_across, cut_split = shape[across] // 2, shape[split] // 3
    coords = np.indices(shape)
    solid = coords[across] >= cut_across
    volume[solid & (coords[split] < cut_split)] = 1
    volume[solid & (coords[split] >= cut_split)] = 2
    return volume


def random_volume(shape, n_classes=3, seed=0):
    return np.random.default_rng(seed).integers(0, n_classes, shape).astype(np.uint8)


# --- triple-phase boundary -------------------------------------------------------------------


@pytest.mark.parametrize("line_axis", [0, 1, 2])
def test_three_blocks_have_one_tpb_line_of_known_length(line_axis):
    shape = (10, 12, 14)
    volume = three_blocks(shape, line_axis)
    edges, sites = triple_edge_counts(volume, [(0, 1, 2)])
    assert edges.sum() == shape[line_axis]  # one edge per voxel along the line
    maps = triple_edge_maps(volume, (0, 1, 2))
    others = tuple(a for a in range(3) if a != line_axis)
    assert maps[others].sum() == shape[line_axis]
    assert all(m.sum() == 0 for axes, m in maps.items() if axes != others)
    # Length per volume: line length over the volume its edge sites cover.
    site_volume = shape[line_axis] * np.prod([shape[a] - 1 for a in others])
    voxel = 0.5
    expected = shape[line_axis] * voxel / (site_volume * voxel**3)
    assert tpb_densities(volume, [(0, 1, 2)], voxel)[0] == pytest.approx(expected)


def test_three_parallel_slabs_have_no_tpb():
    volume = np.zeros((9, 8, 8), dtype=np.uint8)
    volume[3:6], volume[6:] = 1, 2
    assert tpb_densities(volume, [(0, 1, 2)])[0] == 0


def test_tpb_needs_all_three_phases_and_ignores_a_fourth():
    volume = three_blocks((6, 8, 9), line_axis=0)
    with_fourth = volume.copy()
    with_fourth[:, :, -2:] = 3  # a fourth phase elsewhere adds triples of its own, not of (0,1,2)
    assert triple_edge_counts(with_fourth, [(0, 1, 2)])[0].sum() == 6
    two_phase = np.where(volume == 2, 1, volume).astype(np.uint8)
    assert triple_edge_counts(two_phase, [(0, 1, 2)])[0].sum() == 0


def test_edge_counting_is_the_sum_of_slice_triple_points_over_three_axes():
    # Edges along an axis are the pixel corners of the slices across it, so the 3-D density must
    # equal the mean 2-D triple-point density of the slices, summed over the three slice families.
    volume = random_volume((7, 9, 11))
    slices_sum = sum(
        np.mean([tpb_densities(s, [(0, 1, 2)])[0] for s in np.moveaxis(volume, a, 0)])
        for a in range(3)
    )
    assert tpb_densities(volume, [(0, 1, 2)])[0] == pytest.approx(slices_sum)


def _wedges_around_line(n, direction, point, turn):
    """Three 120-degree wedges of phases 0, 1, 2 meeting on the line point + s * direction."""
    helper = np.array([1.0, 0, 0]) if abs(direction[0]) < 0.9 else np.array([0, 1.0, 0])
    u = np.cross(direction, helper)
    u /= np.linalg.norm(u)
    v = np.cross(direction, u)
    offsets = np.indices((n, n, n), dtype=float).reshape(3, -1).T - point
    angle = (np.arctan2(offsets @ v, offsets @ u) + turn) % (2 * np.pi)
    return (angle // (2 * np.pi / 3)).astype(np.uint8).reshape(n, n, n)


def _chord_in_box(point, direction, low, high):
    entry, leave = -np.inf, np.inf
    for a in range(3):
        ends = sorted(((low - point[a]) / direction[a], (high - point[a]) / direction[a]))
        entry, leave = max(entry, ends[0]), min(leave, ends[1])
    return max(0.0, leave - entry)


def test_random_straight_lines_are_overcounted_by_the_documented_factor():
    # Edges inside an inner box (edges on its end faces count half) over the line's true length
    # there, averaged over random directions: the factor stated in the package documentation.
    rng = np.random.default_rng(5)
    n, margin, ratios = 28, 5, []
    for _ in range(60):
        direction = rng.standard_normal(3)
        direction /= np.linalg.norm(direction)
        point = (n - 1) / 2 + rng.uniform(-0.5, 0.5, 3)
        volume = _wedges_around_line(n, direction, point, rng.uniform(0, 2 * np.pi))
        counted = 0.0
        for axes, edge_map in triple_edge_maps(volume, (0, 1, 2)).items():
            (along,) = set(range(3)) - set(axes)
            position = np.argwhere(edge_map).astype(float)
            position[:, list(axes)] += 0.5
            inside = np.all((position >= margin) & (position <= n - 1 - margin), axis=1)
            on_end = np.isin(position[:, along], [margin, n - 1 - margin])
            counted += np.sum(np.where(on_end, 0.5, 1.0)[inside])
        ratios.append(counted / _chord_in_box(point, direction, margin, n - 1 - margin))
    assert np.mean(ratios) == pytest.approx(TPB_EDGE_COUNT_OVERESTIMATE, abs=0.05)
    assert min(ratios) >= 1.0  # a staircase is never shorter than the line


def test_tpb_2d_one_triple_point():
    image = np.zeros((8, 10), dtype=np.uint8)
    image[4:, :5], image[4:, 5:] = 1, 2
    edges, sites = triple_edge_counts(image, [(0, 1, 2)])
    assert edges.sum() == 1 and sites.tolist() == [7 * 9]
    assert tpb_densities(image, [(0, 1, 2)], voxel_size=2.0)[0] == pytest.approx(1 / (63 * 4))


def test_triple_must_name_three_different_phases():
    with pytest.raises(ValueError, match="three different phases"):
        triple_edge_counts(random_volume((4, 4, 4)), [(0, 1, 1)])


# --- interfaces --------------------------------------------------------------------------------


def test_cube_inside_another_phase_has_six_faces_of_side_squared():
    side, n, voxel = 4, 12, 0.5
    volume = np.zeros((n, n, n), dtype=np.uint8)
    volume[3 : 3 + side, 4 : 4 + side, 5 : 5 + side] = 1
    faces, sites = interface_face_counts(volume, 2)
    assert faces[:, 0, 1].tolist() == [2 * side**2] * 3  # two faces normal to each axis
    assert faces.sum() * voxel**2 == pytest.approx(6 * (side * voxel) ** 2)
    expected = sum(2 * side**2 / (s * voxel) for s in sites)
    assert sites.tolist() == [(n - 1) * n * n] * 3
    densities = interface_densities(volume, 2, voxel)
    assert densities[0, 1] == densities[1, 0] == pytest.approx(expected)
    assert densities[0, 0] == 0


def test_interface_pairs_are_kept_apart():
    volume = np.zeros((4, 6, 9), dtype=np.uint8)
    volume[:, :, 3:6], volume[:, :, 6:] = 1, 2  # faces 0|1 and 1|2, never 0|2
    faces, _ = interface_face_counts(volume, 3)
    assert faces[2, 0, 1] == faces[2, 1, 2] == 4 * 6
    assert faces[2, 0, 2] == 0 and faces[:2].sum() == 0


def test_face_counting_overestimates_a_sphere_by_three_halves():
    radius, n = 12.3, 32
    centre = (n - 1) / 2 + 0.2
    distance = np.sqrt(((np.indices((n, n, n)) - centre) ** 2).sum(axis=0))
    ball = (distance <= radius).astype(np.uint8)
    faces, _ = interface_face_counts(ball, 2)
    ratio = faces.sum() / (4 * np.pi * radius**2)
    assert ratio == pytest.approx(FACE_COUNT_OVERESTIMATE_3D, rel=0.05)


def test_interface_2d_square_boundary_length():
    image = np.zeros((10, 10), dtype=np.uint8)
    image[2:5, 3:6] = 1
    faces, sites = interface_face_counts(image, 2)
    assert faces.sum() == 4 * 3
    assert interface_densities(image, 2)[0, 1] == pytest.approx(6 / 90 + 6 / 90)


def test_face_density_is_half_the_slice_boundary_densities_over_three_axes():
    volume = random_volume((6, 8, 10), n_classes=4, seed=2)
    slices_sum = sum(
        np.mean([interface_densities(s, 4) for s in np.moveaxis(volume, a, 0)], axis=0)
        for a in range(3)
    )
    np.testing.assert_allclose(interface_densities(volume, 4), slices_sum / 2)


# --- fractions and ignored voxels -------------------------------------------------------------


def test_fractions_sum_to_one_and_skip_ignored_voxels():
    volume = random_volume((5, 6, 7), n_classes=4, seed=1)
    volume[0, :3] = IGNORE_INDEX
    fractions = phase_fractions(volume, 4)
    assert fractions.sum() == pytest.approx(1.0)
    counted = volume[volume != IGNORE_INDEX]
    np.testing.assert_allclose(fractions, np.bincount(counted, minlength=4) / counted.size)


def test_labels_beyond_the_class_count_are_an_error():
    with pytest.raises(ValueError, match="class 3"):
        phase_fractions(np.array([[0, 3]], dtype=np.uint8), 3)
    with pytest.raises(ValueError, match="class 3"):
        interface_face_counts(np.array([[0, 3]], dtype=np.uint8), 3)


def test_all_ignored_gives_nan_fractions():
    assert np.isnan(phase_fractions(np.full((2, 3, 3), IGNORE_INDEX, np.uint8), 3)).all()


def test_ignored_block_changes_no_density():
    # An ignored block beside a volume must leave every metric as for the volume alone.
    volume = random_volume((6, 10, 12), seed=3)
    padded = np.concatenate([volume, np.full((6, 10, 5), IGNORE_INDEX, np.uint8)], axis=2)
    np.testing.assert_allclose(phase_fractions(padded, 3), phase_fractions(volume, 3))
    np.testing.assert_allclose(interface_densities(padded, 3), interface_densities(volume, 3))
    np.testing.assert_allclose(
        tpb_densities(padded, [(0, 1, 2)]), tpb_densities(volume, [(0, 1, 2)])
    )
    for phase in range(3):
        assert connected_fraction(padded, phase) == connected_fraction(volume, phase)


def test_faces_and_edges_next_to_ignored_voxels_are_not_counted():
    volume = three_blocks((4, 8, 9), line_axis=0)
    volume[:, 3:6, 3:5] = IGNORE_INDEX  # covers the TPB line and parts of the interfaces
    assert triple_edge_counts(volume, [(0, 1, 2)])[0].sum() == 0
    faces, _ = interface_face_counts(volume, 3)
    assert faces.sum() < interface_face_counts(three_blocks((4, 8, 9), 0), 3)[0].sum()


# --- connectivity ------------------------------------------------------------------------------


def test_spanning_channel_is_connected_and_floating_blob_is_not():
    volume = np.zeros((12, 10, 10), dtype=np.uint8)
    volume[:, 2:4, 2:4] = 1  # a channel through the whole stack
    volume[4:7, 6:8, 6:8] = 2  # a blob touching neither end
    assert connected_fraction(volume, 1) == 1.0
    assert connected_fraction(volume, 2) == 0.0
    assert connected_fraction(volume, 1, axis=1) == 0.0  # the channel does not cross along Y
    volume[2:5, 6:8, 2:4] = 1  # an isolated piece of phase 1 next to the channel's wall
    assert connected_fraction(volume, 1) == pytest.approx(12 * 4 / (12 * 4 + 3 * 2 * 2))


def test_edge_contact_does_not_connect():
    volume = np.zeros((6, 4, 4), dtype=np.uint8)
    volume[:3, 0, 0] = 1
    volume[3:, 0, 1] = 1  # meets the lower part only along a voxel edge
    assert connected_fraction(volume, 1) == 0.0
    volume[3, 0, 0] = 1  # now face-connected
    assert connected_fraction(volume, 1) == 1.0


def test_connected_fraction_in_2d_and_absent_phase():
    image = np.zeros((8, 8), dtype=np.uint8)
    image[:, 3] = 1
    image[2:4, 6] = 1
    assert connected_fraction(image, 1) == pytest.approx(8 / 10)
    assert np.isnan(connected_fraction(image, 2))
    with pytest.raises(ValueError, match="axis 2"):
        connected_fraction(image, 1, axis=2)


def test_ignored_voxels_cut_a_channel():
    volume = np.zeros((8, 5, 5), dtype=np.uint8)
    volume[:, 2, 2] = 1
    volume[4, 2, 2] = IGNORE_INDEX
    assert connected_fraction(volume, 1) == 0.0


# --- roles, comparison and the table -----------------------------------------------------------


def test_two_roles_give_no_tpb_but_everything_else():
    volume = random_volume((5, 6, 7))
    metrics = measure_microstructure(volume, {"pore": 0, "solid": 1})
    kinds = {metric for metric, _ in metrics}
    assert kinds == {"volume_fraction", "connected_fraction", "interface_density"}
    assert ("volume_fraction", "class 2") in metrics
    assert ("interface_density", "solid/class 2") in metrics


def test_four_classes_with_three_roles_give_one_tpb():
    volume = random_volume((5, 6, 7), n_classes=4)
    metrics = measure_microstructure(volume, ROLES)
    tpb = {phases for metric, phases in metrics if metric == "tpb_density"}
    assert tpb == {"pore/ysz/ni"}
    fractions = [v for (metric, _), v in metrics.items() if metric == "volume_fraction"]
    assert len(fractions) == 4 and sum(fractions) == pytest.approx(1.0)
    assert len([m for m, _ in metrics if m == "interface_density"]) == 6


def test_metrics_follow_the_voxel_size():
    volume = random_volume((5, 6, 7))
    unit = measure_microstructure(volume, ROLES)
    scaled = measure_microstructure(volume, ROLES, voxel_size=2.0)
    for (metric, phases), value in unit.items():
        power = {"interface_density": 1, "tpb_density": 2}.get(metric, 0)
        assert scaled[metric, phases] == pytest.approx(value / 2.0**power)


def test_bad_roles_are_refused():
    volume = random_volume((3, 4, 4))
    with pytest.raises(ValueError, match="one role"):
        measure_microstructure(volume, {"pore": 0, "ysz": 0})
    with pytest.raises(ValueError, match="'ni'"):
        measure_microstructure(volume, {"ni": 255})
    with pytest.raises(ValueError, match="voxel_size"):
        measure_microstructure(volume, ROLES, voxel_size=0)
    with pytest.raises(ValueError, match="2-D slice or a 3-D volume"):
        measure_microstructure(volume[None], ROLES)


def test_relative_errors():
    true = {("a", "x"): 2.0, ("b", "x"): 0.0, ("c", "x"): float("nan")}
    predicted = {("a", "x"): 3.0, ("b", "x"): 1.0, ("c", "x"): 1.0}
    errors = relative_errors(true, predicted)
    assert errors["a", "x"] == pytest.approx(0.5)
    assert np.isnan(errors["b", "x"]) and np.isnan(errors["c", "x"])
    assert relative_errors({("a", "x"): 4.0}, {("a", "x"): 1.0})["a", "x"] == -0.75


def test_table_of_a_perfect_prediction_has_zero_errors():
    volume = three_blocks((6, 8, 9), line_axis=0)
    table = microstructure_table(volume, volume, ROLES, voxel_size=0.1)
    assert list(table.columns) == [
        "metric",
        "phases",
        "unit",
        "true",
        "predicted",
        "relative_error",
    ]
    assert (table["true"] == table["predicted"]).all()
    finite = table["true"] != 0
    assert (table.loc[finite, "relative_error"] == 0).all()
    assert table.loc[~finite, "relative_error"].isna().all()
    assert ("tpb_density", "pore/ysz/ni") in set(zip(table.metric, table.phases, strict=True))


def test_table_reports_a_known_error_and_masks_the_prediction():
    true = np.zeros((4, 10, 10), dtype=np.uint8)
    true[:, :, 5:] = 1
    predicted = np.zeros_like(true)
    predicted[:, :, 4:] = 1  # phase 1 grows from 50 % to 60 %
    table = microstructure_table(true, predicted, {"pore": 0, "solid": 1}).set_index(
        ["metric", "phases"]
    )
    assert table.loc[("volume_fraction", "solid"), "relative_error"] == pytest.approx(0.2)
    assert table.loc[("volume_fraction", "pore"), "relative_error"] == pytest.approx(-0.2)
    assert table.loc[("interface_density", "pore/solid"), "relative_error"] == pytest.approx(0)
    # Where the truth is unknown the prediction is not scored either.
    true[:, :, 4] = IGNORE_INDEX
    masked = microstructure_table(true, predicted, {"pore": 0, "solid": 1})
    assert (masked["relative_error"].fillna(0) == 0).all()


def test_table_lines_up_classes_missing_from_one_volume():
    true = random_volume((4, 5, 6))
    predicted = np.zeros_like(true)
    table = microstructure_table(true, predicted, ROLES)
    assert isinstance(table, pd.DataFrame)
    assert len(table) == 3 + 3 + 3 + 1
    row = table[(table.metric == "tpb_density")].iloc[0]
    assert row.true > 0 and row.predicted == 0 and row.relative_error == -1


def test_table_refuses_volumes_of_different_shape():
    with pytest.raises(ValueError, match="differ in shape"):
        microstructure_table(np.zeros((2, 3, 3), np.uint8), np.zeros((2, 3, 4), np.uint8), ROLES)


def test_works_on_any_integer_dtype():
    volume = random_volume((4, 5, 6))
    as_int64 = measure_microstructure(volume.astype(np.int64), ROLES)
    assert as_int64 == measure_microstructure(volume, ROLES)
    with pytest.raises(ValueError, match="integer"):
        measure_microstructure(volume.astype(float), ROLES)


def test_every_axis_pair_is_checked_in_3d():
    assert (
        len(list(itertools.combinations(range(3), 2)))
        == triple_edge_counts(random_volume((3, 4, 5)), [(0, 1, 2)])[1].size
    )


def test_class_names_name_classes_without_a_role():
    volume = random_volume((4, 5, 6), n_classes=4)
    names = ["pore", "YSZ", "Ni", "GDC"]
    metrics = measure_microstructure(volume, {"pore": 0, "ni": 2}, class_names=names)
    assert ("volume_fraction", "GDC") in metrics and ("volume_fraction", "YSZ") in metrics
    assert ("interface_density", "pore/YSZ") in metrics and ("volume_fraction", "ni") in metrics
    # Every named class gets its rows, present or not.
    absent = measure_microstructure(np.zeros((3, 4, 4), np.uint8), {}, class_names=names)
    assert absent["volume_fraction", "GDC"] == 0
    table = microstructure_table(volume, volume, {"pore": 0}, class_names=names)
    assert list(table.loc[table.metric == "volume_fraction", "phases"]) == names
    with pytest.raises(ValueError, match="same name"):
        measure_microstructure(volume, {"YSZ": 0}, class_names=names)
