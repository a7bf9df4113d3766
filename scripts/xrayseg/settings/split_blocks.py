"""The split arithmetic alone (standard library only, so config checks can run it at start-up).

Layout along the stack: train | guard | val | guard | test. Neighbouring tomogram slices are nearly
identical, so a random split leaks; contiguous blocks separated by unused guard slices do not.
"""

SPLITS = ("train", "val", "test")
GUARD = "guard"


def assign_splits(n_slices, val_fraction, test_fraction, guard_slices):
    """List of split names, one per slice, in stack order.

    Test is the last block, val the block before it, train the rest at the start; `guard_slices`
    unused slices sit between train and val and between val and test. Raises ValueError when a
    block would be empty.
    """
    n_test = round(n_slices * test_fraction)
    n_val = round(n_slices * val_fraction)
    n_train = n_slices - n_test - n_val - 2 * guard_slices
    if min(n_train, n_val, n_test) < 1:
        raise ValueError(
            f"split: {n_slices} slices cannot hold train/val/test blocks of "
            f"{n_train}/{n_val}/{n_test} slices with {guard_slices} guard slices between blocks; "
            "lower split.val_fraction, split.test_fraction or split.guard_slices, or add slices"
        )
    blocks = [
        ("train", n_train),
        (GUARD, guard_slices),
        ("val", n_val),
        (GUARD, guard_slices),
        ("test", n_test),
    ]
    return [name for name, count in blocks for _ in range(count)]
