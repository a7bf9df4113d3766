"""A stage's settings as a Snakemake param and back (standard library only).

Each stage that takes settings gets one frozen dataclass, built once from the checked config by
its `from_config` (rules/common.smk), passed to the job as the plain dict `to_params()` gives and
read back by the stage's shim with `from_params`. The dict has its keys in canonical order, so
Snakemake, which compares params by their repr, reruns a job exactly when one of its settings
changes (xrayseg.settings.canonical).
"""

from dataclasses import asdict, dataclass, fields, is_dataclass

from xrayseg.settings.canonical import canonical


@dataclass(frozen=True)
class StageSettings:
    """Base of the stage settings: to_params / from_params; fields that are StageSettings
    themselves travel as nested dicts."""

    def to_params(self):
        """The settings as a plain dict with sorted keys (what a rule passes as a param)."""
        return canonical(asdict(self))

    @classmethod
    def from_params(cls, params):
        """The settings from `to_params()`'s dict; every field must be given, and nothing else
        (a missing or unknown key means the rule and the stage disagree)."""
        names = [field.name for field in fields(cls)]
        missing = [name for name in names if name not in params]
        unknown = sorted(set(params) - set(names))
        if missing or unknown:
            raise ValueError(
                f"{cls.__name__}: params missing {missing}, unknown {unknown}; "
                "rules/common.smk and the stage disagree"
            )
        return cls(**{field.name: _field_value(field, params[field.name]) for field in fields(cls)})

    @classmethod
    def field_names(cls):
        return tuple(field.name for field in fields(cls))


def _field_value(field, value):
    if isinstance(field.type, type) and issubclass(field.type, StageSettings):
        return value if is_dataclass(value) else field.type.from_params(value)
    return value
