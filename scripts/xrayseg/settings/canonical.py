"""Settings in one canonical form, so that equal settings compare equal as Snakemake writes them.

Snakemake decides whether `params` changed by comparing their repr, which follows a dict's key
order: a config whose keys were merely reordered (e.g. rewritten by a YAML tool) would rerun every
job. Mappings with their keys sorted, recursively, give one repr per content.
"""

from collections.abc import Mapping


def canonical(value):
    """`value` with every mapping, however deep, as a dict with its keys in sorted order.

    Lists and tuples keep their order (it means something: class order, [start, stop]).
    """
    if isinstance(value, Mapping):
        return {key: canonical(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return type(value)(canonical(item) for item in value)
    return value
