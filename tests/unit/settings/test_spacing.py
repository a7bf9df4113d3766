"""How far apart the slices lie, from the raw file names or data.slice_step (settings.spacing)."""

import pytest

from xrayseg.settings.spacing import SliceSpacing, number_gaps, slice_spacing


def files_data(folder, names, **extra):
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")
    return {"source": "files", "raw": str(folder), "labels": str(folder), **extra}


def test_numbered_names_50_apart_give_a_step_of_50(tmp_path):
    names = [f"Sandstone_Versa{n:04d}.tif" for n in range(0, 401, 50)]
    spacing = slice_spacing(files_data(tmp_path / "raw", names))
    assert spacing.step == 50
    assert not spacing.neighbours and not spacing.isotropic
    assert "Sandstone_Versa0000.tif, Sandstone_Versa0050.tif" in spacing.describe()


def test_a_glob_reads_the_numbers_too(tmp_path):
    files_data(tmp_path, [f"scan{n:03d}.png" for n in (10, 13, 16, 19)] + ["other001.png"])
    spacing = slice_spacing({"source": "files", "raw": str(tmp_path / "scan*.png")})
    assert spacing.step == 3


def test_consecutive_numbers_are_neighbours(tmp_path):
    names = [f"SOCprist{n:04d}.tiff" for n in range(1, 8)]
    spacing = slice_spacing(files_data(tmp_path / "raw", names))
    assert spacing.step == 1 and spacing.neighbours and spacing.isotropic


def test_names_without_numbers_and_stacks_mean_1(tmp_path):
    data = files_data(tmp_path / "raw", ["first.tif", "second.tif", "third.tif"])
    assert slice_spacing(data).step == 1
    stack = tmp_path / "stack.tif"
    stack.write_bytes(b"")
    assert slice_spacing({"source": "files", "raw": str(stack)}).step == 1
    assert slice_spacing({"source": "files", "raw": f"{tmp_path}/scan.h5:/data"}).step == 1
    assert slice_spacing({"source": "synthetic"}).step == 1


def test_the_setting_overrides_the_names(tmp_path):
    names = [f"Sandstone_Versa{n:04d}.tif" for n in range(0, 401, 50)]
    data = files_data(tmp_path / "raw", names, slice_step=1)
    assert slice_spacing(data).step == 1
    data = files_data(tmp_path / "raw", ["a.tif", "b.tif"], slice_step=20)
    spacing = slice_spacing(data)
    assert spacing.step == 20 and spacing.source == "data.slice_step"
    assert slice_spacing({"source": "synthetic", "slice_step": 4}).step == 4


def test_one_missing_file_leaves_a_stack_of_neighbours(tmp_path):
    numbers = [n for n in range(1, 30) if n != 12]
    names = [f"s{n:03d}.tif" for n in numbers]
    spacing = slice_spacing(files_data(tmp_path / "raw", names))
    assert spacing.step == 1
    assert spacing.gaps == ((1, 26), (2, 1))
    assert "uneven" in spacing.describe()


def test_the_slice_range_is_the_range_of_the_stack_used(tmp_path):
    # Neighbours first, then every 10th slice: data.slices picks the part the run sees.
    numbers = [*range(0, 20), *range(30, 200, 10)]
    data = files_data(tmp_path / "raw", [f"s{n:03d}.tif" for n in numbers])
    assert slice_spacing({**data, "slices": [0, 20]}).step == 1
    assert slice_spacing({**data, "slices": [20, len(numbers)]}).step == 10


def test_gaps_most_common_first_and_the_smaller_on_a_tie():
    assert number_gaps([0, 5, 10, 12, 14]) == ((2, 2), (5, 2))
    assert number_gaps([3]) == ()
    assert number_gaps([1, 1, 2]) == ((1, 1),)


@pytest.mark.parametrize(
    ("step", "aspect", "neighbours", "isotropic"),
    [(1, 1.0, True, True), (1, 1.08, True, True), (1, 2.0, True, False), (2, 0.5, False, False)],
)
def test_neighbours_and_cubes(step, aspect, neighbours, isotropic):
    spacing = SliceSpacing(step, aspect, "test")
    assert spacing.neighbours is neighbours and spacing.isotropic is isotropic


def test_the_aspect_comes_from_the_config():
    spacing = slice_spacing({"source": "synthetic", "voxel_aspect": 3.0})
    assert spacing.neighbours and not spacing.isotropic
    assert "3 times as deep" in spacing.describe()


def test_the_most_common_gap_comes_first_even_when_larger():
    assert number_gaps([0, 5, 10, 15, 16]) == ((5, 3), (1, 1))


def test_two_numbered_files_give_their_gap(tmp_path):
    spacing = slice_spacing(files_data(tmp_path / "raw", ["s010.tif", "s030.tif"]))
    assert spacing.step == 20


def test_the_aspect_and_the_source_whatever_gives_the_step(tmp_path):
    unnumbered = files_data(tmp_path / "raw", ["a.tif", "b.tif"], voxel_aspect=2.0)
    cases = {
        "data.slice_step": {"source": "synthetic", "slice_step": 1, "voxel_aspect": 2.0},
        "the synthetic volume": {"source": "synthetic", "voxel_aspect": 2.0},
        "no slice numbers in the raw names; data.slice_step auto": unnumbered,
    }
    for source, data in cases.items():
        spacing = slice_spacing(data)
        assert (spacing.aspect, spacing.source) == (2.0, source)


@pytest.mark.parametrize(
    ("spacing", "description"),
    [
        (SliceSpacing(1, 1.0, "s"), "the slices are neighbours (s)"),
        (SliceSpacing(2, 1.0, "s"), "the slices are 2 scan slices apart (s)"),
        (SliceSpacing(3, 2.0, "s", ((3, 9),)), "the slices are 3 scan slices apart (s)"),
        (
            SliceSpacing(1, 2.5, "s", ((1, 26), (2, 3), (3, 2), (4, 1), (5, 1))),
            "the slices are neighbours (s); the numbers' gaps are uneven "
            "(1 x26, 2 x3, 3 x2, 4 x1): the most common one counts, "
            "with voxels 2.5 times as deep as wide (data.voxel_aspect)",
        ),
    ],
)
def test_the_description_says_how_far_apart_what_says_so_and_the_aspect(spacing, description):
    assert spacing.describe() == description


def test_the_record_holds_the_spacing_and_its_description():
    spacing = SliceSpacing(1, 2.0, "s")
    assert spacing.record() == {
        "slice_step": 1,
        "voxel_aspect": 2.0,
        "source": "s",
        "neighbours": True,
        "isotropic": False,
        "description": spacing.describe(),
    }
