"""The report's line on the settings adapted to the data (xrayseg.settings.adapt)."""


def adaptation_line(record):
    """One sentence for the verdict area: how far apart the slices are, and each setting
    adapted with its value before and after and why; None when nothing was adapted.

    record: xrayseg.settings.adapt.Adaptation.record() (the report rule's param), or None.
    """
    if not record or not record.get("changes"):
        return None
    spacing = record["spacing"]["description"]
    changes = "; ".join(
        f"{change['key']} {_shown(change['before'])} → {_shown(change['after'])} ({change['why']})"
        for change in record["changes"]
    )
    return f"Settings adapted to the data, since {spacing}: {changes}."


def _shown(value):
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    return str(value)
