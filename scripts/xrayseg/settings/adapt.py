"""Model, evaluate, microstructure and transport settings adapted to what the data supports.

Several settings assume that consecutive slices of the stack are neighbours in the scan, or
that the voxels are cubes (xrayseg.settings.spacing says which holds):

| setting | needs | adapted to |
|---|---|---|
| a model's `context` > 0 (2.5-D input) | neighbours | 0 (a 2-D model) |
| a model's `orientations` with y or x (training.orientations) | isotropic | [z] |
| a volumetric model (`arch: unet3d`) | neighbours | - (cannot be adapted) |
| `evaluate.axes` with y or x | isotropic | [z] |
| `evaluate.smooth_sigma` > 0 (along the stack) | neighbours | 0 |
| `cleanup.candidates` other than none (3-D clean-up) | neighbours | [{}] (none) |
| `microstructure.measure: volume` (3-D measures, one voxel size) | isotropic | sections |
| `transport.quantities` (tortuosity, active TPB, sizes: 3-D) | isotropic | [] (none) |

Where the data cannot support a setting, a default is adapted and the run says so (at start-up,
and in the report); a setting the user asked for stops the run before any job, with one line
naming the key (a problem, as config errors are). What the user asked for is what their config
changed: a setting counts as a default when the run's value is the default config's
(config/config.yaml with the schema's defaults filled in) for the same model, and as asked for
when it differs, or belongs to a model the default config does not have. So `--configfile
my_data.yaml` pointing `data` at files 50 slices apart trains the default unet25d 2-D, while a
my_data.yaml that sets `evaluate.axes: [z, y, x]`, or adds a model with `context: 2`, stops.
`data.slice_step: 1` says the slices are neighbours after all, whatever their names say.

Standard library only: rules/common.smk adapts the config at start-up, before it lists any
job's inputs.
"""

import copy
from dataclasses import dataclass
from pathlib import Path

import yaml

from xrayseg.settings.architectures import VOLUME_ARCHS
from xrayseg.settings.models import model_settings
from xrayseg.settings.schema import fill_defaults, load_schema
from xrayseg.settings.spacing import slice_spacing

NEIGHBOURS, ISOTROPIC = "neighbours", "isotropic"
NEEDS = {
    NEIGHBOURS: "needs neighbouring slices",
    ISOTROPIC: "needs neighbouring slices and cubic voxels",
}


@dataclass(frozen=True)
class Change:
    """One adapted setting: its config key, its value before and after, and why."""

    key: str
    before: object
    after: object
    why: str

    def line(self):
        return f"{self.key}: {_shown(self.before)} -> {_shown(self.after)} ({self.why})"


@dataclass(frozen=True)
class Adaptation:
    """What the data supports (spacing: xrayseg.settings.spacing.SliceSpacing), the settings
    adapted to it and the problems: (key, message) pairs for settings asked for that it cannot
    support."""

    spacing: object
    changes: tuple = ()
    problems: tuple = ()

    def lines(self):
        """Human lines: the spacing, then one per change (none when nothing changed)."""
        if not self.changes:
            return []
        return [f"{self.spacing.describe()}; adapted:", *(c.line() for c in self.changes)]

    def record(self):
        """A plain dict (a param of the report, which lists the changes); empty when nothing
        was adapted (a run on neighbouring slices)."""
        if not self.changes:
            return {}
        return {
            "spacing": self.spacing.record(),
            "changes": [
                {"key": c.key, "before": c.before, "after": c.after, "why": c.why}
                for c in self.changes
            ],
        }


@dataclass(frozen=True)
class _Setting:
    """A setting that needs `need`: its key, the value the run has and the default config's
    (None where the default config does not have it), and the value it is adapted to (None:
    it cannot be adapted)."""

    key: str
    value: object
    default: object
    need: str
    adapted: object
    what: str  # what the setting does, for the message


def adapt_to_data(config, default_paths, schema_path):
    """The Adaptation of the checked `config` to its data, applied to it in place when there is
    no problem. default_paths: the default config's files (the Snakefile's `configfile:`, not
    the --configfile ones), merged in order and completed from the schema at schema_path."""
    spacing = slice_spacing(config["data"])
    if spacing.isotropic:  # everything is supported: no need to read the default config
        return Adaptation(spacing)
    adapted = adaptation(config, default_config(default_paths, schema_path), spacing)
    if not adapted.problems:
        apply_adaptation(config, adapted)
    return adapted


def default_config(paths, schema_path):
    """The default config: the files at `paths` merged (later ones win, section by section, as
    Snakemake merges config files) with the schema's defaults filled in."""
    config = {}
    for path in paths:
        _merge(config, yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
    fill_defaults(config, load_schema(schema_path))
    return config


def adaptation(config, defaults, spacing):
    """Adaptation of the checked `config` (defaults filled in) to `spacing`, without changing
    it. `defaults`: the default config, checked the same way (config/config.yaml and the
    schema's defaults)."""
    supported = {NEIGHBOURS: spacing.neighbours, ISOTROPIC: spacing.isotropic}
    changes, problems = [], []
    for setting in _settings_in_need(config, defaults):
        if supported[setting.need]:
            continue
        if setting.adapted is not None and setting.value == setting.default:
            why = f"{setting.what} {NEEDS[setting.need]}"
            if setting.key not in {change.key for change in changes}:
                changes.append(Change(setting.key, setting.value, setting.adapted, why))
            continue
        fix = (
            f"set it to {_shown(setting.adapted)}"
            if setting.adapted is not None
            else "remove the model"
        )
        problem = (
            f"{_shown(setting.value)}: {setting.what} {NEEDS[setting.need]}, but "
            f"{spacing.describe()}; {fix}, or set data.slice_step"
            + (" and data.voxel_aspect" if setting.need == ISOTROPIC else "")
            + " if the data allow it"
        )
        if setting.key not in {key for key, _ in problems}:
            problems.append((setting.key, problem))
    return Adaptation(spacing, tuple(changes), tuple(problems))


def apply_adaptation(config, adapted):
    """Write the adapted values of `adapted` (an Adaptation) into `config`, in place."""
    for change in adapted.changes:
        *path, last = change.key.split(".")
        section = config
        for part in path:
            section = section[part]
        section[last] = copy.deepcopy(change.after)


def _settings_in_need(config, defaults):
    """Every _Setting of `config` that needs neighbours or cubic voxels when it is on."""
    for name in config["models"]:
        settings = model_settings(config, name)
        default = model_settings(defaults, name) if name in defaults.get("models", {}) else {}
        own = config["models"][name]
        if settings["arch"] in VOLUME_ARCHS:
            yield _Setting(
                f"models.{name}.arch", settings["arch"], None, NEIGHBOURS, None, "a 3-D network"
            )
            continue
        if settings.get("context"):
            yield _Setting(
                f"models.{name}.context",
                settings["context"],
                default.get("context"),
                NEIGHBOURS,
                0,
                "a 2.5-D context (neighbouring slices as channels)",
            )
        orientations = list(settings.get("orientations") or ["z"])
        if orientations != ["z"]:
            key = (
                f"models.{name}.orientations" if "orientations" in own else "training.orientations"
            )
            yield _Setting(
                key,
                orientations,
                default.get("orientations"),
                ISOTROPIC,
                ["z"],
                "training on planes across the slices",
            )
    evaluate, default_evaluate = config["evaluate"], defaults.get("evaluate", {})
    if list(evaluate["axes"]) != ["z"]:
        yield _Setting(
            "evaluate.axes",
            list(evaluate["axes"]),
            default_evaluate.get("axes"),
            ISOTROPIC,
            ["z"],
            "predicting planes across the slices",
        )
    if evaluate["smooth_sigma"]:
        yield _Setting(
            "evaluate.smooth_sigma",
            evaluate["smooth_sigma"],
            default_evaluate.get("smooth_sigma"),
            NEIGHBOURS,
            0,
            "smoothing along the stack",
        )
    candidates = config.get("cleanup", {}).get("candidates")
    if candidates and any(_cleans(candidate) for candidate in candidates):
        yield _Setting(
            "cleanup.candidates",
            candidates,
            defaults.get("cleanup", {}).get("candidates"),
            NEIGHBOURS,
            [{}],
            "a 3-D clean-up",
        )
    quantities = list(config.get("transport", {}).get("quantities") or [])
    if quantities:
        yield _Setting(
            "transport.quantities",
            quantities,
            defaults.get("transport", {}).get("quantities"),
            ISOTROPIC,
            [],
            "transport quantities measured in 3-D",
        )
    measure = config["microstructure"].get("measure")
    if measure == "volume":
        yield _Setting(
            "microstructure.measure",
            measure,
            defaults.get("microstructure", {}).get("measure"),
            ISOTROPIC,
            "sections",
            "measuring the microstructure in 3-D",
        )


def _merge(config, update):
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            _merge(config[key], value)
        else:
            config[key] = copy.deepcopy(value)


def _cleans(candidate):
    """Whether a clean-up candidate changes anything (a vote over more than one voxel, or
    islands of more than one voxel removed)."""
    return (candidate.get("majority") or 1) > 1 or (candidate.get("min_island") or 0) > 1


def _shown(value):
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    return str(value)
