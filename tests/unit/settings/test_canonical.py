"""Settings in canonical form: one repr per content (what Snakemake compares params by)."""

from xrayseg.settings.canonical import canonical


def reversed_keys(value):
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


SETTINGS = {
    "split": {"val_fraction": 0.2, "test_fraction": 0.25, "guard_slices": 1},
    "models": {"unet": {"arch": "unet", "augment": {"zoom": {"p": 0.2, "range": [0.9, 1.1]}}}},
    "evaluate": {"splits": ["train", "val", "test"], "window": "slice"},
    "layers": [{"b": 1, "a": 2}],
}


def test_reordered_mappings_give_the_same_repr():
    again = reversed_keys(SETTINGS)
    assert repr(again) != repr(SETTINGS)
    assert repr(canonical(again)) == repr(canonical(SETTINGS))
    assert canonical(again) == SETTINGS


def test_keys_are_sorted_at_every_depth_while_lists_keep_their_order():
    result = canonical(SETTINGS)
    assert list(result) == ["evaluate", "layers", "models", "split"]
    assert list(result["split"]) == ["guard_slices", "test_fraction", "val_fraction"]
    assert list(result["models"]["unet"]["augment"]["zoom"]) == ["p", "range"]
    assert list(result["layers"][0]) == ["a", "b"]
    assert result["evaluate"]["splits"] == ["train", "val", "test"]
    assert result["models"]["unet"]["augment"]["zoom"]["range"] == [0.9, 1.1]
