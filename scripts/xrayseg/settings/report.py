"""The part of the config the report takes (standard library only).

The report shows the run's configuration under "How it was made" and reads
evaluate.bootstrap_seed; every other result it shows comes from the files the earlier jobs wrote.
It takes the config without the sections that change no result it shows, so that editing them
does not rerun it: `threads` (how fast, not what), `predict` (the prediction sets, which the
report does not show) and `transport.sets` (which of them the transport stage measures).
"""

from xrayseg.settings.canonical import canonical

NOT_IN_THE_REPORT = ("threads", "predict")


def report_config(config):
    """The config the report shows, in canonical key order."""
    shown = {key: value for key, value in config.items() if key not in NOT_IN_THE_REPORT}
    if "transport" in shown:
        shown["transport"] = {k: v for k, v in shown["transport"].items() if k != "sets"}
    return canonical(shown)
