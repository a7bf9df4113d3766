"""Settings adapted to slices far apart or voxels not cubes, or the run stopped (settings.adapt)."""

import copy
from pathlib import Path

import pytest

from xrayseg.settings.adapt import adapt_to_data, adaptation, apply_adaptation, default_config
from xrayseg.settings.config import checked_config, problem_lines
from xrayseg.settings.models import patch_orientations
from xrayseg.settings.spacing import SliceSpacing

REPO = Path(__file__).resolve().parents[3]
SCHEMA = REPO / "config" / "schema.yaml"
DEFAULT_FILE = REPO / "config" / "config.yaml"
APART = SliceSpacing(50, 1.0, "test names")
NEIGHBOURS = SliceSpacing(1, 1.0, "test names")
DEEP_VOXELS = SliceSpacing(1, 2.5, "test names")


@pytest.fixture(scope="module")
def defaults():
    return default_config([DEFAULT_FILE], SCHEMA)


def run_config(defaults, **sections):
    """The default config with `sections` merged over it, as the run sees it (checked)."""
    config = copy.deepcopy(defaults)
    for name, section in sections.items():
        config[name] = {**config.get(name, {}), **section}
    assert checked_config(config, SCHEMA) == []
    return config


def keys(changes):
    return {change.key: change.after for change in changes}


def test_neighbouring_cubic_slices_change_nothing(defaults):
    config = run_config(defaults)
    adapted = adaptation(config, defaults, NEIGHBOURS)
    assert adapted.changes == () and adapted.problems == ()
    assert adapted.record() == {} and adapted.lines() == []


def test_slices_apart_make_the_default_25d_unet_2d(defaults):
    config = run_config(defaults)
    adapted = adaptation(config, defaults, APART)
    assert adapted.problems == ()
    assert keys(adapted.changes) == {
        "models.unet25d.context": 0,
        "models.unet25d.orientations": ["z"],
        "microstructure.measure": "sections",
        # The 3-D clean-up needs neighbouring slices: none is left to choose.
        "cleanup.candidates": [{}],
        # Tortuosity, active TPB and sizes are 3-D quantities.
        "transport.quantities": [],
    }
    before = copy.deepcopy(config)
    apply_adaptation(config, adapted)
    assert config["models"]["unet25d"]["context"] == 0
    assert patch_orientations(config["models"]["unet25d"]) == ["z"]
    assert config["microstructure"]["measure"] == "sections"
    assert config["models"]["unet"] == before["models"]["unet"]
    record = adapted.record()
    assert record["spacing"]["slice_step"] == 50
    assert {c["key"] for c in record["changes"]} == set(keys(adapted.changes))
    assert "50 scan slices apart" in adapted.lines()[0]


def test_deep_voxels_keep_the_context_but_not_the_planes_across(defaults):
    config = run_config(defaults)
    adapted = adaptation(config, defaults, DEEP_VOXELS)
    assert keys(adapted.changes) == {
        "models.unet25d.orientations": ["z"],
        "microstructure.measure": "sections",
        "transport.quantities": [],
    }


def test_a_default_config_that_already_asks_for_more_is_adapted_too(defaults):
    # A default config (config/config.yaml edited, the benchmark's merged one) predicting along
    # every axis and smoothing along the stack, with a 3-D clean-up among its candidates.
    own_defaults = run_config(defaults, evaluate={"axes": ["z", "y", "x"], "smooth_sigma": 1.0})
    own_defaults["cleanup"] = {"candidates": [{}, {"majority": 3}, {"min_island": 1}]}
    config = copy.deepcopy(own_defaults)
    adapted = adaptation(config, own_defaults, APART)
    assert adapted.problems == ()
    changed = keys(adapted.changes)
    assert changed["evaluate.axes"] == ["z"]
    assert changed["evaluate.smooth_sigma"] == 0
    assert changed["cleanup.candidates"] == [{}]
    apply_adaptation(config, adapted)
    assert config["cleanup"]["candidates"] == [{}]
    assert config["evaluate"]["axes"] == ["z"]


def test_clean_ups_that_change_nothing_need_nothing(defaults):
    config = run_config(defaults)
    config["cleanup"] = {"candidates": [{}, {"majority": 1, "min_island": 1}]}
    assert "cleanup.candidates" not in keys(adaptation(config, defaults, APART).changes)


@pytest.mark.parametrize(
    ("sections", "key"),
    [
        ({"evaluate": {"axes": ["z", "x"]}}, "evaluate.axes"),
        ({"evaluate": {"smooth_sigma": 0.5}}, "evaluate.smooth_sigma"),
        ({"training": {"orientations": ["z", "y"]}}, "training.orientations"),
        ({"transport": {"quantities": ["sizes"]}}, "transport.quantities"),
    ],
)
def test_settings_the_user_asks_for_stop_the_run(defaults, sections, key):
    config = run_config(defaults, **sections)
    adapted = adaptation(config, defaults, APART)
    assert [problem_key for problem_key, _ in adapted.problems] == [key]
    line = problem_lines(adapted.problems)
    assert line.startswith(f"config error: {key}: ")
    assert "50 scan slices apart" in line and "data.slice_step" in line
    assert "\n" not in line


def test_a_model_the_defaults_do_not_have_is_asked_for(defaults):
    config = run_config(defaults)
    config["models"]["wide25d"] = {"arch": "unet", "patch_size": 64, "context": 2}
    config["models"]["cube"] = {"arch": "unet3d", "patch_size": 16}
    problems = dict(adaptation(config, defaults, APART).problems)
    assert set(problems) == {"models.wide25d.context", "models.cube.arch"}
    assert "remove the model" in problems["models.cube.arch"]
    assert "set it to 0" in problems["models.wide25d.context"]


def test_a_changed_default_model_setting_is_asked_for(defaults):
    config = run_config(defaults)
    config["models"]["unet25d"]["context"] = 2
    problems = dict(adaptation(config, defaults, APART).problems)
    assert list(problems) == ["models.unet25d.context"]
    # Planes across the slices are still the default config's: not a problem of their own.
    assert adaptation(config, defaults, DEEP_VOXELS).problems == ()


def test_the_same_problem_is_said_once(defaults):
    config = run_config(defaults, training={"orientations": ["z", "x"]})
    problems = adaptation(config, defaults, DEEP_VOXELS).problems
    assert [key for key, _ in problems] == ["training.orientations"]


def test_adapt_to_data_reads_the_names_and_changes_the_config_in_place(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for n in range(0, 401, 50):
        (raw / f"Sandstone_Versa{n:04d}.tif").write_bytes(b"")
    config = default_config([DEFAULT_FILE], SCHEMA)
    config["data"].update(source="files", raw=str(raw), labels=str(raw))
    adapted = adapt_to_data(config, [DEFAULT_FILE], SCHEMA)
    assert adapted.spacing.step == 50
    assert config["models"]["unet25d"]["context"] == 0
    # Asked for: nothing is written into the config, the problem is returned.
    config["evaluate"]["axes"] = ["z", "y", "x"]
    adapted = adapt_to_data(config, [DEFAULT_FILE], SCHEMA)
    assert [key for key, _ in adapted.problems] == ["evaluate.axes"]
    assert config["evaluate"]["axes"] == ["z", "y", "x"]


def test_default_files_merge_section_by_section(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("evaluate:\n  smooth_sigma: 2\nmodels:\n  unet:\n    width: 4\n")
    merged = default_config([DEFAULT_FILE, extra], SCHEMA)
    assert merged["evaluate"]["smooth_sigma"] == 2
    assert merged["evaluate"]["axes"] == ["z"]
    assert merged["models"]["unet"]["width"] == 4
    assert merged["models"]["unet"]["patch_size"] == 64
    assert "unet25d" in merged["models"]


def test_every_adapted_setting_says_what_it_was_and_why(defaults):
    own_defaults = run_config(defaults, evaluate={"axes": ["z", "y", "x"], "smooth_sigma": 1.5})
    own_defaults["cleanup"] = {"candidates": [{}, {"majority": 3, "min_island": 50}]}
    adapted = adaptation(copy.deepcopy(own_defaults), own_defaults, APART)
    assert adapted.lines() == [
        "the slices are 50 scan slices apart (test names); adapted:",
        "models.unet25d.context: 1 -> 0 (a 2.5-D context (neighbouring slices as channels) "
        "needs neighbouring slices)",
        "models.unet25d.orientations: [z, y, x] -> [z] (training on planes across the slices "
        "needs neighbouring slices and cubic voxels)",
        "evaluate.axes: [z, y, x] -> [z] (predicting planes across the slices needs "
        "neighbouring slices and cubic voxels)",
        "evaluate.smooth_sigma: 1.5 -> 0 (smoothing along the stack needs neighbouring slices)",
        "cleanup.candidates: [{}, {majority: 3, min_island: 50}] -> [{}] (a 3-D clean-up needs "
        "neighbouring slices)",
        "transport.quantities: [tortuosity, active_tpb, sizes] -> [] (transport quantities "
        "measured in 3-D needs neighbouring slices and cubic voxels)",
        "microstructure.measure: volume -> sections (measuring the microstructure in 3-D needs "
        "neighbouring slices and cubic voxels)",
    ]
    assert adapted.record()["changes"][3] == {
        "key": "evaluate.smooth_sigma",
        "before": 1.5,
        "after": 0,
        "why": "smoothing along the stack needs neighbouring slices",
    }


def test_a_problem_says_the_value_the_need_the_data_and_both_ways_out(defaults):
    config = run_config(defaults, evaluate={"axes": ["z", "x"], "smooth_sigma": 0.5})
    config["models"]["cube"] = {"arch": "unet3d", "patch_size": 16}
    problems = dict(adaptation(config, defaults, APART).problems)
    apart = "but the slices are 50 scan slices apart (test names)"
    assert problems == {
        "models.cube.arch": f"unet3d: a 3-D network needs neighbouring slices, {apart}; remove "
        "the model, or set data.slice_step if the data allow it",
        "evaluate.axes": "[z, x]: predicting planes across the slices needs neighbouring slices "
        f"and cubic voxels, {apart}; set it to [z], or set data.slice_step and "
        "data.voxel_aspect if the data allow it",
        "evaluate.smooth_sigma": "0.5: smoothing along the stack needs neighbouring slices, "
        f"{apart}; set it to 0, or set data.slice_step if the data allow it",
    }


def test_the_models_after_a_3d_network_are_checked_too(defaults):
    config = run_config(defaults)
    config["models"] = {
        "cube": {"arch": "unet3d", "patch_size": 16},
        "wide25d": {"arch": "unet", "patch_size": 64, "context": 2},
    }
    problems = dict(adaptation(config, defaults, APART).problems)
    assert {"models.cube.arch", "models.wide25d.context"} <= set(problems)


@pytest.mark.parametrize(
    ("candidates", "cleans"),
    [
        ([{}, {"min_island": 2}], True),
        ([{}, {"majority": 3}], True),
        ([{}, {"majority": 1, "min_island": 1}], False),
    ],
)
def test_a_clean_up_needs_neighbours_when_it_changes_something(defaults, candidates, cleans):
    config = run_config(defaults)
    config["cleanup"] = {"candidates": candidates}
    adapted = adaptation(config, defaults, APART)
    keys_named = set(keys(adapted.changes)) | {key for key, _ in adapted.problems}
    assert ("cleanup.candidates" in keys_named) is cleans


def test_the_adapted_config_and_the_record_do_not_share_values(defaults):
    config = run_config(defaults)
    adapted = adaptation(config, defaults, APART)
    apply_adaptation(config, adapted)
    config["cleanup"]["candidates"][0]["majority"] = 3  # the clean-up list holds a dict
    assert keys(adapted.changes)["cleanup.candidates"] == [{}]


def test_isotropic_data_are_taken_as_they_are(defaults):
    config = copy.deepcopy(defaults)
    adapted = adapt_to_data(config, [DEFAULT_FILE], SCHEMA)
    assert adapted.spacing.isotropic and adapted.changes == ()
    assert config == defaults


def test_a_default_file_is_completed_from_the_schema(tmp_path):
    only = tmp_path / "only.yaml"
    only.write_text("evaluate:\n  smooth_sigma: 2\n")
    merged = default_config([only], SCHEMA)
    assert merged["evaluate"]["smooth_sigma"] == 2
    assert merged["evaluate"]["axes"] == ["z"]
