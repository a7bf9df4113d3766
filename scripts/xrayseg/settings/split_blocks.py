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


def block_ranges(splits):
    """{split: (first, last)} slice index of each train / val / test block in `splits`."""
    ranges = {}
    for z, name in enumerate(splits):
        if name in SPLITS:
            first, _ = ranges.get(name, (z, z))
            ranges[name] = (first, z)
    return ranges


def labelled_block_problems(splits, labelled, minimum, names=None):
    """One message per train / val / test block holding fewer than `minimum` labelled slices.

    splits: the split of every slice (assign_splits); labelled: a bool per slice; names: the
    source name of each slice, to say which files a block spans (optional).
    """
    problems = []
    for name, (first, last) in block_ranges(splits).items():
        count = sum(bool(labelled[z]) for z in range(first, last + 1))
        if count >= minimum:
            continue
        span = f"slices {first}-{last}"
        if names is not None:
            span += f": {names[first]} .. {names[last]}"
        problems.append(
            f"the {name} block ({span}) holds {count} labelled slice{'' if count == 1 else 's'}; "
            f"split.min_labelled_slices asks for at least {minimum}. Label more slices of it, "
            "move the blocks (split.val_fraction, split.test_fraction) or lower "
            "split.min_labelled_slices"
        )
    return problems


def every_nth_train_labelled(splits, every):
    """A bool per slice: every `every`-th slice of the train block (its first slice first) and
    every slice of the other blocks labelled; guard slices unlabelled when every > 1 (no model
    uses their labels). The synthetic volume's sparse labelling (synthetic.train_label_every)."""
    if every <= 1:
        return [True] * len(splits)
    first_train = splits.index("train") if "train" in splits else 0
    return [
        name in ("val", "test") or (name == "train" and (z - first_train) % every == 0)
        for z, name in enumerate(splits)
    ]
