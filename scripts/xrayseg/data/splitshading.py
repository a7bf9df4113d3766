"""The split blocks drawn behind a plot along the stack, for ingest's figure and the report's.

One look for both, so a block reads the same in either."""

SPLIT_COLOURS = {"train": "#a6cee3", "guard": "#dddddd", "val": "#fdbf6f", "test": "#cab2d6"}


def split_blocks(splits):
    """[(split, first slice, last slice)] of the contiguous blocks of a Series indexed by slice."""
    order = splits.sort_index()
    slices, names = order.index.to_list(), order.to_list()
    blocks, start = [], 0
    for i in range(1, len(names) + 1):
        if i == len(names) or names[i] != names[start]:
            blocks.append((names[start], slices[start], slices[i - 1]))
            start = i
    return blocks


def shade_splits(axis, splits, label=True):
    """Background spans per contiguous split block of `splits` (a Series indexed by slice),
    each named above the axes when `label` (guard blocks are not named)."""
    for name, first, last in split_blocks(splits):
        colour = SPLIT_COLOURS.get(name, "#eeeeee")
        axis.axvspan(first - 0.5, last + 0.5, color=colour, alpha=0.35, linewidth=0, zorder=0)
        if label and name != "guard":
            axis.text(
                (first + last) / 2,
                1.0,
                name,
                ha="center",
                va="bottom",
                transform=axis.get_xaxis_transform(),
                fontsize="small",
            )


def mark_labelled(axis, slices, labelled):
    """Short ticks along the bottom of the axes at the labelled slices, when only some are
    (sparse labels); nothing when every slice is labelled. Returns whether it drew."""
    marked = [z for z, flag in zip(slices, labelled, strict=True) if flag]
    if len(marked) == len(slices):
        return False
    axis.vlines(
        marked,
        0,
        0.04,
        transform=axis.get_xaxis_transform(),
        colors="black",
        linewidth=1.0,
        label=f"labelled ({len(marked)} of {len(slices)})",
    )
    return True
