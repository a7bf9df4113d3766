"""The part of the config the report takes (standard library only).

The report shows the run's configuration under "How it was made" and reads
evaluate.bootstrap_seed; every other result it shows comes from the files the earlier jobs wrote.
It takes the config without the sections that change no result it shows, so that editing them
does not rerun it: `threads` (how fast, not what) and `predict` (the prediction sets, which the
report does not show).
"""

from xrayseg.settings.canonical import canonical

NOT_IN_THE_REPORT = ("threads", "predict")


def report_config(config):
    """The config the report shows, in canonical key order."""
    return canonical({key: value for key, value in config.items() if key not in NOT_IN_THE_REPORT})
