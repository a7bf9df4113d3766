"""Active TPB: edges whose three phases each reach the faces named for them."""

import numpy as np
import pytest

from xrayseg.data.synthetic import make_phases
from xrayseg.microstructure.activetpb import (
    active_labels,
    active_tpb_densities,
    connected_to_faces,
)

PORE, YSZ, NI = 0, 1, 2
THROUGH = ["zmin", "zmax"]
ALL_THROUGH = {PORE: THROUGH, YSZ: THROUGH, NI: THROUGH}


def three_blocks():
    """Pore for y < 10, YSZ (x < 6) and Ni (x >= 6) for y >= 10: every phase crosses the volume
    along z, and one straight TPB line runs along z at y = 9.5, x = 5.5."""
    volume = np.zeros((12, 20, 20), np.uint8)
    volume[:, 10:, :6] = YSZ
    volume[:, 10:, 6:] = NI
    return volume


def with_isolated_particle(volume):
    """A Ni particle on the pore / YSZ interface, apart from the Ni block: TPB all round it."""
    volume = volume.copy()
    volume[4:8, 9:11, 1:3] = NI
    return volume


def test_an_isolated_particle_adds_total_tpb_but_no_active_tpb():
    plain = three_blocks()
    particle = with_isolated_particle(plain)
    (plain_total,), (plain_active,) = active_tpb_densities(plain, [(0, 1, 2)], ALL_THROUGH)
    (total,), (active,) = active_tpb_densities(particle, [(0, 1, 2)], ALL_THROUGH)
    assert plain_active == plain_total > 0
    assert total > plain_total  # the particle's own TPB counts in the total
    assert active == plain_total  # and none of it is active


def test_a_network_reaching_one_face_is_active_only_when_that_face_is_all_it_must_reach():
    volume = three_blocks()
    volume[8:, 10:, 6:] = PORE  # the Ni block now stops short of the last slice
    triple = [(0, 1, 2)]
    total = active_tpb_densities(volume, triple, {})[0][0]
    assert total > 0
    for ni_faces, active in [(THROUGH, 0), (["zmin"], total), (["zmax"], 0), ([], total)]:
        faces = {PORE: THROUGH, YSZ: THROUGH, NI: ni_faces}
        assert active_tpb_densities(volume, triple, faces)[1][0] == active, ni_faces


def test_connected_to_faces_keeps_the_components_touching_every_named_face():
    volume = np.zeros((6, 6, 6), np.uint8)
    volume[:, 0, 0] = 1  # crosses along z
    volume[0:3, 3, 3] = 1  # touches zmin only
    volume[2, 5, 0:6] = 1  # crosses along x, touches neither z face
    assert connected_to_faces(volume, 1, THROUGH).sum() == 6
    assert connected_to_faces(volume, 1, ["zmin"]).sum() == 9
    assert connected_to_faces(volume, 1, ["xmin", "xmax"]).sum() == 6
    assert connected_to_faces(volume, 1, []).sum() == volume.sum()


def test_active_labels_move_only_the_isolated_voxels_of_the_named_phases():
    particle = with_isolated_particle(three_blocks())
    active = active_labels(particle, ALL_THROUGH)
    moved = active != particle
    assert moved.sum() == 4 * 2 * 2 and (particle[moved] == NI).all()
    assert (active_labels(particle, {PORE: THROUGH}) == particle).all()


def test_on_a_random_structure_active_tpb_is_part_of_the_total():
    volume = make_phases((16, 24, 24), [0.35, 0.35, 0.3], feature_size=2, seed=0)
    total, active = active_tpb_densities(volume, [(0, 1, 2)], ALL_THROUGH)
    assert 0 < active[0] < total[0]


def test_unknown_faces_are_refused():
    with pytest.raises(ValueError, match="unknown face 'top'"):
        connected_to_faces(three_blocks(), NI, ["top"])
