import numpy as np
import pytest
import torch
from scipy import ndimage
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.models import build_network, count_parameters, fit_pixel_model, rf, threshold
from xrayseg.models.forest import forest_bytes, forest_proba, load_forest
from xrayseg.settings.architectures import CATALOGUE


def test_seed_dense_network_has_544512_parameters():
    assert count_parameters(build_network("dnn", 3, 1, {})) == 544_512


def test_seed_unet_has_about_7_76_million_parameters():
    assert count_parameters(build_network("unet", 3, 1, {})) == 7_763_491


def test_networks_output_logits_of_input_size():
    torch.manual_seed(0)
    for arch, args, side in (
        ("dnn", {"patch_size": 16}, 16),
        ("unet", {"width": 4, "depth": 2}, 32),
    ):
        torch.manual_seed(0)
        network = build_network(arch, 3, 1, args).eval()
        out = network(torch.randn(2, 1, side, side))
        assert out.shape == (2, 3, side, side)
        # Logits, not probabilities: a strong input drives them far outside [0, 1] (a final
        # sigmoid or softmax, the seed's mistake, would keep them inside).
        strong = network(100 * torch.randn(2, 1, side, side))
        assert strong.min() < -1 or strong.max() > 2


def test_threshold_recovers_separated_classes():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, (64, 64))
    raw = np.array([0.1, 0.5, 0.9])[labels] + rng.normal(0, 0.03, labels.shape)
    params = threshold.fit([raw], [labels], 3)
    predicted = threshold.predict_proba(params, raw, 3).argmax(0)
    assert (predicted == labels).mean() > 0.99


@pytest.mark.parametrize(
    "arch", [name for name, entry in CATALOGUE.items() if entry.trains_on_patches]
)
def test_each_network_builds_from_its_catalogue_defaults_and_pools_as_catalogued(arch):
    entry = CATALOGUE[arch]
    network = build_network(arch, 3, 1, {}).eval()
    factor = 2 ** entry.arguments[entry.pooling] if entry.pooling else 1
    side = entry.arguments.get("patch_size", 2 * factor)
    shape = (1, 1, *[side] * entry.spatial_dims)
    with torch.no_grad():
        assert network(torch.zeros(shape)).shape == (1, 3, *shape[2:])
        if entry.pooling:
            with pytest.raises(ValueError, match=f"divisible by {factor}"):
                network(torch.zeros((1, 1, *[side + factor // 2] * entry.spatial_dims)))


def test_unet_dropout_acts_in_training_mode_only():
    torch.manual_seed(0)
    images = torch.randn(4, 1, 16, 16)
    with_dropout = build_network("unet", 3, 1, {"width": 4, "depth": 2, "dropout": 0.5})
    with_dropout.train()
    assert not torch.equal(with_dropout(images), with_dropout(images))
    with_dropout.eval()
    assert torch.equal(with_dropout(images), with_dropout(images))
    without = build_network("unet", 3, 1, {"width": 4, "depth": 2, "dropout": 0.0}).train()
    assert torch.equal(without(images), without(images))


def test_unet_takes_context_channels():
    network = build_network("unet", 3, 5, {"width": 4, "depth": 2}).eval()
    assert network(torch.randn(2, 5, 16, 16)).shape == (2, 3, 16, 16)
    with pytest.raises(RuntimeError):
        network(torch.randn(2, 1, 16, 16))


def _three_phase_slices(count=3, side=64, seed=0):
    """Blobby three-class label slices and noisy grey values whose local mean tells the class."""
    rng = np.random.default_rng(seed)
    labels, raws = [], []
    for _ in range(count):
        field = ndimage.gaussian_filter(rng.standard_normal((side, side)), 4)
        label = np.digitize(field, np.quantile(field, [0.33, 0.66])).astype(np.uint8)
        raw = np.array([0.2, 0.5, 0.8])[label] + rng.normal(0, 0.2, label.shape)
        labels.append(label)
        raws.append(raw.astype(np.float32))
    return raws, labels


def fit_forest(raws, labels, seed=0, **arguments):
    """The params of the rf architecture fitted as a training job fits it (catalogue defaults
    for the arguments left out)."""
    return fit_pixel_model("rf", raws, labels, 3, arguments, seed=seed)


def test_random_forest_beats_a_pixelwise_threshold_on_noisy_slices():
    raws, labels = _three_phase_slices()
    params = fit_forest(raws[:2], labels[:2], trees=8, samples=4000)
    proba = rf.predict_proba(rf.unpack(params), raws[2], 3)
    assert proba.shape == (3, 64, 64) and proba.dtype == np.float32
    assert np.allclose(proba.sum(0), 1, atol=1e-5)
    forest_accuracy = (proba.argmax(0) == labels[2]).mean()
    thresholds = threshold.fit(raws[:2], labels[:2], 3)
    threshold_accuracy = (
        threshold.predict_proba(thresholds, raws[2], 3).argmax(0) == labels[2]
    ).mean()
    # Smoothed features average the noise away; a pixel's own grey value cannot.
    assert forest_accuracy > threshold_accuracy + 0.05
    assert rf.parameter_count(params) > 0


def test_a_stored_forest_predicts_exactly_like_the_fitted_one():
    rng = np.random.default_rng(1)
    features = rng.random((2000, 4)).astype(np.float32)
    targets = (features[:, 0] * 3).astype(int) + (features[:, 1] > 0.9)
    targets = np.minimum(targets, 2)
    forest = RandomForestClassifier(6, max_depth=7, random_state=0).fit(features, targets)
    loaded = load_forest(forest_bytes(forest))
    expected = forest.predict_proba(features).astype(np.float32)
    assert np.array_equal(forest_proba(loaded, features, 3, threads=2, chunk=300), expected)


def test_a_stored_forest_maps_the_classes_it_saw_onto_all_classes():
    rng = np.random.default_rng(2)
    features = rng.random((500, 3)).astype(np.float32)
    targets = np.where(features[:, 0] > 0.5, 2, 0)  # class 1 never occurs
    forest = RandomForestClassifier(3, max_depth=4, random_state=0).fit(features, targets)
    proba = forest_proba(load_forest(forest_bytes(forest)), features, 3)
    assert proba.shape == (500, 3) and not proba[:, 1].any()
    assert np.allclose(proba[:, [0, 2]], forest.predict_proba(features), atol=1e-6)
    with pytest.raises(ValueError, match="has class 2, asked for 2 classes"):
        forest_proba(forest, features, 2)


def test_a_tree_that_is_a_single_leaf_predicts_its_class_fractions():
    features = np.zeros((50, 2), dtype=np.float32)  # nothing to split on
    targets = np.repeat([0, 1], 25)
    forest = RandomForestClassifier(2, bootstrap=False, random_state=0).fit(features, targets)
    stored = load_forest(forest_bytes(forest))
    assert forest_proba(stored, features, 2, threads=2) == pytest.approx(0.5)


def test_random_forest_on_a_slice_predicts_like_scikit_learn_on_the_same_features():
    raws, labels = _three_phase_slices(count=3, side=48)
    settings = {"sigma_min": 0.5, "sigma_max": 4.0}
    rows = [rf.pixel_features(raw, settings).reshape(48 * 48, -1) for raw in raws]
    forest = RandomForestClassifier(5, max_depth=10, random_state=0)
    forest.fit(np.concatenate(rows[:2]), np.concatenate(labels[:2]).ravel())
    model = {"features": settings, "forest": forest}
    expected = forest.predict_proba(rows[2]).T.reshape(3, 48, 48)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)  # the job's thread count: rows split between two threads
        assert np.allclose(rf.predict_proba(model, raws[2], 3), expected, atol=1e-6)
    finally:
        torch.set_num_threads(threads)


def test_features_other_than_the_forest_was_fitted_on_are_a_clear_error():
    rng = np.random.default_rng(4)
    features = rng.random((300, 6)).astype(np.float32)
    targets = (features[:, 5] > 0.5).astype(int)
    fitted = RandomForestClassifier(2, random_state=0).fit(features, targets)
    with pytest.raises(ValueError, match="expecting 6 features"):
        forest_proba(load_forest(forest_bytes(fitted)), features[:, :4], 2)


def test_prediction_does_not_depend_on_threads_or_chunks():
    raws, labels = _three_phase_slices(count=2, side=40)
    model = rf.unpack(fit_forest(raws, labels, seed=1, trees=7, samples=2000))
    forest = model["forest"]
    features = rf.pixel_features(raws[1], model["features"]).reshape(40 * 40, -1)
    one = forest_proba(forest, features, 3, threads=1)
    assert np.array_equal(one, forest_proba(forest, features, 3, threads=3, chunk=97))
    assert np.array_equal(one, forest_proba(forest, features, 3, threads=2, chunk=10_000))


def test_growing_the_forest_in_batches_gives_the_forest_of_one_fit():
    rng = np.random.default_rng(3)
    features = rng.random((1500, 5)).astype(np.float32)
    targets = (features[:, 0] + 0.3 * features[:, 1] > 0.7).astype(int)
    batched = rf.grow_forest(features, targets, trees=7, max_depth=6, threads=2, seed=5, batch=3)
    whole = RandomForestClassifier(7, max_depth=6, min_samples_leaf=2, random_state=5).fit(
        features, targets
    )
    assert len(batched.estimators_) == 7
    for mine, theirs in zip(batched.estimators_, whole.estimators_, strict=True):
        assert np.array_equal(mine.tree_.threshold, theirs.tree_.threshold)
        assert np.array_equal(mine.tree_.value, theirs.tree_.value)


def same_trees(first, second):
    return len(first.estimators_) == len(second.estimators_) and all(
        np.array_equal(a.tree_.threshold, b.tree_.threshold)
        and np.array_equal(a.tree_.feature, b.tree_.feature)
        and np.array_equal(a.tree_.value, b.tree_.value)
        for a, b in zip(first.estimators_, second.estimators_, strict=True)
    )


def test_random_forest_params_survive_a_weights_only_load(tmp_path):
    raws, labels = _three_phase_slices(count=2, side=32)
    params = fit_forest(raws, labels, trees=3, samples=500)
    torch.save({"params": params}, tmp_path / "model.pt")
    loaded = torch.load(tmp_path / "model.pt", weights_only=True)["params"]
    assert same_trees(rf.unpack(loaded)["forest"], rf.unpack(params)["forest"])
    assert rf.parameter_count(loaded) == rf.parameter_count(params) > 0


def test_a_stored_object_that_is_not_a_forest_is_refused():
    class Stranger:
        pass

    with pytest.raises(Exception, match="Untrusted types"):
        load_forest(forest_bytes(Stranger()))
    tree = DecisionTreeClassifier().fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="holds a DecisionTreeClassifier, not a random forest"):
        load_forest(forest_bytes(tree))


def test_random_forest_is_seeded():
    raws, labels = _three_phase_slices(count=2, side=32)
    first = rf.unpack(fit_forest(raws, labels, seed=4, trees=3, samples=500))["forest"]
    second = rf.unpack(fit_forest(raws, labels, seed=4, trees=3, samples=500))["forest"]
    other = rf.unpack(fit_forest(raws, labels, seed=5, trees=3, samples=500))["forest"]
    assert same_trees(first, second) and not same_trees(first, other)


def test_random_forest_skips_ignored_pixels():
    raws, labels = _three_phase_slices(count=2, side=32)
    labels = [np.where(np.arange(32)[None, :] < 16, IGNORE_INDEX, label) for label in labels]
    forest = rf.unpack(fit_forest(raws, labels, trees=2, samples=800))["forest"]
    assert forest.classes_.tolist() == [0, 1, 2]


def test_threshold_cuts_in_the_middle_of_a_gap_between_classes():
    labels = np.repeat([0, 1], 500)
    raw = np.where(labels == 0, 0.1, 0.9) + np.random.default_rng(0).normal(0, 0.01, labels.size)
    params = threshold.fit([raw.reshape(20, 50)], [labels.reshape(20, 50)], 2)
    assert abs(params["thresholds"][0] - 0.5) < 0.05
