import hashlib

import numpy as np
import pytest
import tifffile
from scipy import ndimage

from xrayseg.data.realism import REAL_INTERIOR, interior_noise
from xrayseg.data.synthetic import (
    REALISTIC_BLUR,
    REALISTIC_NOISE,
    image_phases,
    imaging_options,
    make_phases,
    shading_to_reach,
    write_synthetic_dataset,
)


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


# The defaults of config/config.yaml before synthetic.realism existed (commit c2d9d76).
EASY_SETTINGS = {
    "fractions": [0.30, 0.43, 0.27],
    "feature_size": 13,
    "grey_means": [22700, 35000, 40900],
    "grey_stds": [2400, 1300, 1700],
    "edge_blur": 2.0,
    "drift": 0.03,
    "seed": 7,
}


def synthetic_volume(shape, realism="easy", feature_size=13):
    """(phases, raw) of EASY_SETTINGS imaged by the `realism` preset, as the synthetic rule
    makes them."""
    settings = {**EASY_SETTINGS, "realism": realism}
    phases = make_phases(shape, settings["fractions"], feature_size, settings["seed"])
    raw = image_phases(
        phases,
        settings["grey_means"],
        settings["grey_stds"],
        drift=settings["drift"],
        seed=settings["seed"],
        **imaging_options(settings),
    )
    return phases, raw


def test_the_easy_volume_is_bit_for_bit_the_one_every_release_made():
    """realism easy (the default) keeps today's volume: the sha256 of the phases and raw values
    of a 12 x 40 x 40 volume as commit c2d9d76 (before the realism options) made them."""
    phases, raw = synthetic_volume((12, 40, 40))
    digest = hashlib.sha256(phases.tobytes() + raw.tobytes()).hexdigest()
    assert digest == "e1036b4e9517834cb8cd7d72e493f4331df1164acac35de6fed117ca0b8104d5"


def test_realism_is_easy_or_real():
    assert imaging_options({"edge_blur": 1.5}) == {
        "edge_blur": 1.5,
        "noise": None,
        "shading_sigma": None,
    }
    real = imaging_options({"realism": "real", "edge_blur": 1.5})
    assert real["noise"] is REALISTIC_NOISE and real["edge_blur"] is REALISTIC_BLUR
    with pytest.raises(ValueError, match="synthetic.realism"):
        imaging_options({"realism": "hard", "edge_blur": 1.5})


def test_realistic_volume_measured_like_the_real_tomogram_has_its_noise_and_correlation():
    """The real preset's blur and noise were fitted to the real tomogram's interior statistics:
    measured the same way (here on 12 slices mid-stack of a stack deep enough for isotropic
    structure), a realistic volume lands near them, while the easy volume's white noise does
    not."""
    shape, middle = (80, 192, 192), slice(34, 46)
    phases, raw = synthetic_volume(shape, "real")
    _, found = interior_noise(raw[middle], phases[middle])
    for name, real in REAL_INTERIOR.items():
        assert found[name]["noise"] == pytest.approx(real["noise"], abs=0.01)
        np.testing.assert_allclose(found[name]["x"], real["x"], atol=0.07)
        np.testing.assert_allclose(found[name]["z"], real["z"], atol=0.07)
    _, easy = interior_noise(synthetic_volume(shape)[1][middle], phases[middle])
    assert easy["pore"]["x"][0] < 0.4 and easy["pore"]["z"][0] < 0.4


def test_shading_tops_a_class_spread_up_to_its_target_slowly_and_leaves_reached_ones():
    s = EASY_SETTINGS
    phases = make_phases((24, 128, 128), s["fractions"], 8, seed=0)
    means, targets = s["grey_means"], [4000, 100, 100]
    options = {"noise": REALISTIC_NOISE, "edge_blur": 2.0, "drift": 0.0, "seed": 0}
    plain = image_phases(phases, means, targets, **options).astype(float)
    shaded = image_phases(phases, means, targets, shading_sigma=(8, 40, 40), **options)
    shaded = shaded.astype(float)
    assert shaded[phases == 0].std() == pytest.approx(4000, rel=0.15)
    # YSZ and Ni spread more than 100 by the blur alone: no shading of their own.
    blurred = ndimage.gaussian_filter(np.float32(means)[phases], 2.0, mode="nearest")
    amplitudes = shading_to_reach(blurred, phases, np.float32(targets), noise_std=500.0)
    assert amplitudes[0] > 3000 and amplitudes[1] == amplitudes[2] == 0
    # Slow: neighbouring pixels inside the pore differ as much as without it.
    inside = ndimage.binary_erosion(phases == 0, iterations=3)[:, :, 1:]
    step = np.diff(shaded, axis=2)[inside].std()
    assert step == pytest.approx(np.diff(plain, axis=2)[inside].std(), rel=0.1)
