"""The package's own counting against TauFactor's metrics on the same volumes.

xrayseg counts phase fractions, TPB edges and connectivity itself (faster, and it streams over
slabs for volumes larger than memory); these tests hold it to the libraries electrode scientists
use, and pin the one convention that differs.
"""

import contextlib
import io

import numpy as np
import pytest
from taufactor import metrics

from xrayseg.data.synthetic import make_phases
from xrayseg.microstructure import connected_fraction, phase_fractions, triple_edge_counts


@pytest.fixture(params=[((12, 12, 12), 0), ((10, 14, 18), 1)], ids=["cube", "box"], scope="module")
def volume(request):
    shape, seed = request.param
    return make_phases(shape, [0.3, 0.43, 0.27], feature_size=2, seed=seed)


def taufactor_tpb(volume):
    """TauFactor's TPB metric (it prints its edge count; kept off the test output). It pads the
    volume with -1, so it needs signed labels."""
    with contextlib.redirect_stdout(io.StringIO()):
        return float(metrics.triple_phase_boundary(volume.astype(np.int16)))


def test_volume_fractions_equal_taufactors(volume):
    theirs = metrics.volume_fraction(volume, {str(p): p for p in range(3)})
    ours = phase_fractions(volume, 3)
    assert ours == pytest.approx([theirs[str(p)] for p in range(3)], abs=1e-7)


def test_tpb_edges_equal_taufactors_and_only_the_normalisation_differs(volume):
    # Both count the voxel edges whose four voxels hold all three phases. TauFactor divides
    # all of them by all interior edges; xrayseg divides each direction's edges by that
    # direction's edges and adds the directions (a length per volume, see counting.py). On a
    # cube the two differ by exactly 3 (each direction has a third of the edges).
    edges, sites = triple_edge_counts(volume, [(0, 1, 2)])
    theirs = taufactor_tpb(volume)
    assert edges.sum() == round(theirs * sites.sum())
    ours = (edges[0] / sites).sum()
    if len(set(volume.shape)) == 1:
        assert ours == pytest.approx(3 * theirs, rel=1e-6)  # TauFactor returns float32
    else:
        assert ours != pytest.approx(3 * theirs, rel=1e-3)


def test_connected_fractions_equal_taufactors_through_features(volume):
    for phase in range(3):
        _, (theirs,) = metrics.extract_through_feature(volume, phase, "x")
        assert connected_fraction(volume, phase, axis=0) == pytest.approx(theirs, abs=1e-7)
