"""split.csv's `labelled` column: read as booleans; a table without it is fully labelled."""

import pandas as pd
import pytest

from xrayseg.data.labelled import labelled_flags, labelled_slices_of, unlabelled_slices

SPLITS = ["train", "train", "guard", "val", "test", "test"]


def frame(**columns):
    return pd.DataFrame({"slice": range(6), "split": SPLITS, **columns})


def test_without_the_column_every_slice_is_labelled():
    assert labelled_flags(frame()).all()
    assert labelled_slices_of(frame(), "test") == [4, 5]
    assert unlabelled_slices(frame()) == []


@pytest.mark.parametrize(
    "values",
    [
        [True, False, True, False, True, True],
        ["True", "false", "TRUE", "False", "1", "yes"],
    ],
)
def test_the_column_marks_unlabelled_slices(values, tmp_path):
    path = tmp_path / "split.csv"
    frame(labelled=values).to_csv(path, index=False)
    read = pd.read_csv(path)
    assert unlabelled_slices(read) == [1, 3]
    assert labelled_slices_of(read, "train") == [0]
    assert labelled_slices_of(read, "val") == []


def test_an_unreadable_value_names_the_file_and_the_column():
    with pytest.raises(ValueError, match="my.csv: column 'labelled' holds"):
        labelled_flags(frame(labelled=["yes", "maybe", "no", "no", "no", "no"]), "my.csv")
