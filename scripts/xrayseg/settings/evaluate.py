"""The settings of the calibrate and evaluate stages, built from the checked config.

No numpy or torch: rules/common.smk builds them at start-up, the stages read them back.
"""

from dataclasses import dataclass, replace

from xrayseg.settings.inference import InferenceSettings
from xrayseg.settings.roles import MicrostructureSettings
from xrayseg.settings.stage import StageSettings


@dataclass(frozen=True)
class CleanupSettings(StageSettings):
    """Which 3-D clean-ups of the predicted labels evaluate tries on the val block, and how it
    chooses one (config section `cleanup`, same names; xrayseg.evaluation.cleanupchoice)."""

    candidates: list  # {majority, min_island} mappings; no clean-up is always tried first
    accuracy_tolerance: float  # val accuracy a candidate may lose against no clean-up

    @classmethod
    def from_config(cls, config):
        section = config["cleanup"]
        return cls([dict(entry) for entry in section["candidates"]], section["accuracy_tolerance"])

    def without_candidates(self):
        """The settings that try nothing but no clean-up."""
        return replace(self, candidates=[])


@dataclass(frozen=True)
class EvaluateSettings(StageSettings):
    """How evaluate predicts and scores a model (config section `evaluate`, same names; its
    inference settings and the `microstructure` and `cleanup` sections as fields of their own)."""

    inference: InferenceSettings
    microstructure: MicrostructureSettings
    cleanup: CleanupSettings
    splits: list  # the split blocks scored (test among them)
    train_slices: int | None  # train slices scored, spread over the block (0 or None: all)
    train_slices_seed: int
    axes: list  # planes each wholly scored block is predicted along: z, y, x
    smooth_sigma: float  # Gaussian along the stack, in slices (0: none)
    boundary_tolerance: float  # px, boundary F1
    bootstrap_resamples: int
    confidence: float
    bootstrap_seed: int
    bootstrap_block: int  # consecutive slices per bootstrap draw
    # The rule adds test_probabilities.h5 to the outputs; a setting here too, so that switching
    # it reruns the evaluation either way.
    save_probabilities: bool

    @classmethod
    def from_config(cls, config):
        section = config["evaluate"]
        sections = ("inference", "microstructure", "cleanup")
        own = [name for name in cls.field_names() if name not in sections]
        unread = sorted(set(section) - set(own) - set(InferenceSettings.field_names()))
        if unread:
            # A schema key no field takes would change nothing: say so at start-up.
            raise ValueError(f"evaluate.{unread[0]}: not a field of {cls.__name__}")
        return cls(
            inference=InferenceSettings.from_config(config),
            microstructure=MicrostructureSettings.from_config(config),
            cleanup=CleanupSettings.from_config(config),
            **{name: section[name] for name in own},
        )

    def test_only(self):
        """The settings scoring the test block alone (a learning-curve point): without the val
        block there is no clean-up to choose, so the candidates are left out too (changing them
        then reruns no learning-curve point)."""
        return replace(self, splits=["test"], cleanup=self.cleanup.without_candidates())


@dataclass(frozen=True)
class CalibrateSettings(StageSettings):
    """How calibrate fits a model's temperature: whole val slices predicted as evaluate predicts
    them (config sections `calibration` and `evaluate`'s inference settings; the run's seed)."""

    inference: InferenceSettings
    val_slices: int | None  # labelled val slices, spread over the block (0 or None: all)
    pixels: int  # labelled pixels sampled from them
    seed: int

    @classmethod
    def from_config(cls, config):
        section = config["calibration"]
        return cls(
            inference=InferenceSettings.from_config(config),
            val_slices=section["val_slices"],
            pixels=section["pixels"],
            seed=config["seed"],
        )
