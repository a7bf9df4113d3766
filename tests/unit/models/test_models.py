import numpy as np
import pytest
import torch
from scipy import ndimage
from sklearn.ensemble import RandomForestClassifier

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.models import REGISTRY, build_network, count_parameters, rf, threshold
from xrayseg.models.forest import forest_proba, forest_tensors, sklearn_trees


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


def test_schema_lists_exactly_the_registered_architectures():
    import yaml

    from helpers.workflow import REPO

    schema = yaml.safe_load((REPO / "config" / "schema.yaml").read_text())
    arch_enum = schema["properties"]["models"]["additionalProperties"]["properties"]["arch"]["enum"]
    assert sorted(arch_enum) == sorted(REGISTRY)


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


def test_random_forest_beats_a_pixelwise_threshold_on_noisy_slices():
    raws, labels = _three_phase_slices()
    params = rf.fit(raws[:2], labels[:2], 3, seed=0, trees=8, samples=4000)
    proba = rf.predict_proba(params, raws[2], 3)
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


def test_stored_forest_predicts_exactly_like_scikit_learn():
    rng = np.random.default_rng(1)
    features = rng.random((2000, 4)).astype(np.float32)
    targets = (features[:, 0] * 3).astype(int) + (features[:, 1] > 0.9)
    targets = np.minimum(targets, 2)
    forest = RandomForestClassifier(6, max_depth=7, random_state=0).fit(features, targets)
    stored = forest_tensors(forest, 3)
    assert np.allclose(forest_proba(stored, features), forest.predict_proba(features), atol=1e-6)


def test_stored_forest_maps_the_classes_it_saw_onto_all_classes():
    rng = np.random.default_rng(2)
    features = rng.random((500, 3)).astype(np.float32)
    targets = np.where(features[:, 0] > 0.5, 2, 0)  # class 1 never occurs
    forest = RandomForestClassifier(3, max_depth=4, random_state=0).fit(features, targets)
    proba = forest_proba(forest_tensors(forest, 3), features)
    assert proba.shape == (500, 3) and not proba[:, 1].any()
    assert np.allclose(proba[:, [0, 2]], forest.predict_proba(features), atol=1e-6)


def test_a_tree_that_is_a_single_leaf_predicts_its_class_fractions():
    features = np.zeros((50, 2), dtype=np.float32)  # nothing to split on
    targets = np.repeat([0, 1], 25)
    forest = RandomForestClassifier(2, bootstrap=False, random_state=0).fit(features, targets)
    assert forest_proba(forest_tensors(forest, 2), features, threads=2) == pytest.approx(0.5)


def test_random_forest_on_a_slice_predicts_like_scikit_learn_on_the_same_features():
    raws, labels = _three_phase_slices(count=3, side=48)
    settings = {"sigma_min": 0.5, "sigma_max": 4.0}
    rows = [rf.pixel_features(raw, settings).reshape(48 * 48, -1) for raw in raws]
    forest = RandomForestClassifier(5, max_depth=10, random_state=0)
    forest.fit(np.concatenate(rows[:2]), np.concatenate(labels[:2]).ravel())
    params = {"features": settings, **forest_tensors(forest, 3)}
    expected = forest.predict_proba(rows[2]).T.reshape(3, 48, 48)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)  # the job's thread count: rows split between two threads
        assert np.allclose(rf.predict_proba(params, raws[2], 3), expected, atol=1e-6)
    finally:
        torch.set_num_threads(threads)


def test_features_fewer_than_the_forest_splits_on_are_a_clear_error():
    rng = np.random.default_rng(4)
    features = rng.random((300, 6)).astype(np.float32)
    targets = (features[:, 5] > 0.5).astype(int)  # only the last feature separates the classes
    stored = forest_tensors(RandomForestClassifier(2, random_state=0).fit(features, targets), 2)
    with pytest.raises(ValueError, match="splits on 6 features"):
        forest_proba(stored, features[:, :4])


def test_prediction_does_not_depend_on_threads_or_chunks():
    raws, labels = _three_phase_slices(count=2, side=40)
    params = rf.fit(raws, labels, 3, seed=1, trees=7, samples=2000)
    features = rf.pixel_features(raws[1], params["features"]).reshape(40 * 40, -1)
    one = forest_proba(params, features, threads=1)
    assert np.array_equal(one, forest_proba(params, features, threads=3, chunk=97))
    assert np.array_equal(one, forest_proba(params, features, threads=2, chunk=10_000))


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


def test_rebuilt_trees_have_the_depth_of_the_fitted_ones():
    raws, labels = _three_phase_slices(count=2, side=32)
    features, targets = rf.sample_pixels(
        raws, labels, [0, 1], 3, 1500, {"sigma_min": 0.5, "sigma_max": 4.0}, 0
    )
    forest = rf.grow_forest(features, targets, 4, 9, 1, 0)
    rebuilt = sklearn_trees(forest_tensors(forest, 3), features.shape[1])
    assert [t.max_depth for t in rebuilt] == [e.tree_.max_depth for e in forest.estimators_]
    assert [t.node_count for t in rebuilt] == [e.tree_.node_count for e in forest.estimators_]


def test_random_forest_params_survive_a_weights_only_load(tmp_path):
    raws, labels = _three_phase_slices(count=2, side=32)
    params = rf.fit(raws, labels, 3, seed=0, trees=3, samples=500)
    torch.save({"params": params}, tmp_path / "model.pt")
    loaded = torch.load(tmp_path / "model.pt", weights_only=True)["params"]
    assert np.array_equal(
        rf.predict_proba(loaded, raws[0], 3), rf.predict_proba(params, raws[0], 3)
    )


def test_random_forest_is_seeded():
    raws, labels = _three_phase_slices(count=2, side=32)
    first = rf.fit(raws, labels, 3, seed=4, trees=3, samples=500)
    second = rf.fit(raws, labels, 3, seed=4, trees=3, samples=500)
    assert all(torch.equal(first[k], second[k]) for k in ("feature", "threshold", "value"))


def test_random_forest_skips_ignored_pixels():
    raws, labels = _three_phase_slices(count=2, side=32)
    labels = [np.where(np.arange(32)[None, :] < 16, IGNORE_INDEX, label) for label in labels]
    params = rf.fit(raws, labels, 3, seed=0, trees=2, samples=800)
    assert params["value"].shape[1] == 3


def test_threshold_cuts_in_the_middle_of_a_gap_between_classes():
    labels = np.repeat([0, 1], 500)
    raw = np.where(labels == 0, 0.1, 0.9) + np.random.default_rng(0).normal(0, 0.01, labels.size)
    params = threshold.fit([raw.reshape(20, 50)], [labels.reshape(20, 50)], 2)
    assert abs(params["thresholds"][0] - 0.5) < 0.05
