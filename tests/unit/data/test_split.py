import pytest

from xrayseg.data.split import assign_splits, split_table


def test_blocks_are_contiguous_in_order_with_guards():
    splits = assign_splits(20, val_fraction=0.2, test_fraction=0.25, guard_slices=2)
    assert splits == ["train"] * 7 + ["guard"] * 2 + ["val"] * 4 + ["guard"] * 2 + ["test"] * 5


def test_no_train_slice_neighbours_a_held_out_slice():
    splits = assign_splits(100, 0.15, 0.2, 3)
    for i in range(len(splits) - 1):
        pair = {splits[i], splits[i + 1]}
        assert len(pair - {"guard"}) <= 1, f"slices {i} and {i + 1} cross splits: {pair}"


def test_empty_block_is_an_error_naming_the_keys():
    with pytest.raises(ValueError, match="guard_slices"):
        assign_splits(6, 0.2, 0.2, 2)


def test_table_has_one_row_per_slice():
    frame = split_table(["a", "b", "c", "d", "e"], 0.2, 0.2, 0)
    assert frame["split"].tolist() == ["train"] * 3 + ["val", "test"]
    assert frame["slice"].tolist() == [0, 1, 2, 3, 4]
