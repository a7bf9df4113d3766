import numpy as np
import tifffile

from xrayseg.data.synthetic import image_phases, make_phases, write_synthetic_dataset


def test_phases_hit_the_volume_fractions():
    phases = make_phases((24, 64, 64), [0.3, 0.43, 0.27], feature_size=4, seed=0)
    fractions = np.bincount(phases.ravel(), minlength=3) / phases.size
    np.testing.assert_allclose(fractions, [0.3, 0.43, 0.27], atol=0.02)


def test_same_seed_same_volume_other_seed_other_volume():
    a = make_phases((8, 32, 32), [0.5, 0.5], 3, seed=1)
    b = make_phases((8, 32, 32), [0.5, 0.5], 3, seed=1)
    c = make_phases((8, 32, 32), [0.5, 0.5], 3, seed=2)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_neighbouring_slices_are_strongly_correlated_like_a_tomogram():
    phases = make_phases((16, 96, 96), [0.3, 0.43, 0.27], feature_size=8, seed=0)
    agreement = np.mean(phases[1:] == phases[:-1])
    far = np.mean(phases[12:] == phases[:-12])
    assert agreement > 0.9
    assert far < agreement - 0.2


def test_every_pair_of_phases_touches():
    phases = make_phases((16, 64, 64), [0.3, 0.43, 0.27], feature_size=5, seed=0)
    left, right = phases[:, :, :-1], phases[:, :, 1:]
    pairs = {tuple(sorted(p)) for p in zip(left[left != right], right[left != right], strict=True)}
    assert pairs == {(0, 1), (0, 2), (1, 2)}


def test_imaging_matches_the_real_data_facts():
    """DESIGN.md: class means 22.7k/35.0k/40.9k, within-class std 2.4k/1.3k/1.7k, adjacent
    slices' raw correlation 0.99 and label agreement 97.6 %, on real-scale structures."""
    means, stds = [22700, 35000, 40900], [2400, 1300, 1700]
    phases = make_phases((24, 160, 160), [0.3, 0.43, 0.27], feature_size=13, seed=0)
    raw = image_phases(phases, means, stds, edge_blur=2.0, drift=0.0, seed=0)
    assert raw.dtype == np.uint16
    for cls in range(3):
        inside = raw[phases == cls].astype(float)
        assert abs(inside.mean() - means[cls]) < 0.05 * means[cls]
        assert abs(inside.std() - stds[cls]) < 0.2 * stds[cls]
    correlation = np.mean(
        [np.corrcoef(raw[z].ravel(), raw[z + 1].ravel())[0, 1] for z in range(len(raw) - 1)]
    )
    assert correlation > 0.95
    assert np.mean(phases[1:] == phases[:-1]) > 0.95


def test_drift_scales_grey_values_along_the_stack():
    phases = np.ones((10, 16, 16), dtype=np.uint8)
    raw = image_phases(phases, [0, 30000], [0, 1], edge_blur=0, drift=0.1, seed=0)
    ratio = raw[-1].mean() / raw[0].mean()
    assert 1.09 < ratio < 1.12


def test_dataset_has_the_real_layout(tmp_path):
    out = write_synthetic_dataset(
        tmp_path / "synthetic",
        (5, 32, 32),
        [0.3, 0.43, 0.27],
        3,
        [22700, 35000, 40900],
        [2400, 1300, 1700],
        1.0,
        0.03,
        [0, 128, 255],
        seed=0,
    )
    raw_files = sorted((out / "raw").iterdir())
    label_files = sorted((out / "labels").iterdir())
    assert [p.name for p in raw_files][:2] == ["SOCprist0001.tiff", "SOCprist0002.tiff"]
    assert [p.name for p in label_files][:2] == ["slice__001.tif", "slice__002.tif"]
    assert tifffile.imread(raw_files[0]).dtype == np.uint16
    assert set(np.unique(tifffile.imread(label_files[0]))) <= {0, 128, 255}
