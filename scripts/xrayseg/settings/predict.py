"""The config's `predict` section, checked before any job, and a prediction job's settings.

rules/common.smk imports this module at every start-up, so it must stay free of numpy and torch.

predict: {set name: {raw: spec, model: best | a model, save_probabilities: bool,
                     shift_tolerance: number, chunk_slices: N | null, outputs: auto | tiff | zarr,
                     slab_mb: MB}}

A set is predicted by chunk jobs (rule predict_chunk, one per `chunk_slices` slices of the scan,
or one for the whole scan) and one assemble job (rule predict and its variants) that merges them;
xrayseg.prediction.plan says how a scan is cut.
"""

from dataclasses import dataclass

from xrayseg.settings.inference import InferenceSettings
from xrayseg.settings.roles import MicrostructureSettings
from xrayseg.settings.specs import parse_spec, spec_bytes, spec_files, zarr_shape
from xrayseg.settings.stage import StageSettings

# The model name that stands for "the highest test mean IoU of the last evaluation".
BEST = "best"
# outputs: auto writes the TIFFs as well for a scan of at most this many bytes (as stored).
TIFF_LIMIT_BYTES = 2**30
OUTPUT_LAYOUTS = ("tiff", "zarr")


def predict_problems(predict, models):
    """(config key, problem) pairs for the `predict` section; empty when it is usable."""
    problems = []
    if BEST in models:
        problems.append(
            (
                f"models.{BEST}",
                f"{BEST!r} is reserved for the best-scoring model in results/predict/{BEST}/; "
                "rename the model",
            )
        )
    for name, settings in (predict or {}).items():
        model = settings.get("model", BEST)
        if model != BEST and model not in models:
            problems.append(
                (
                    f"predict.{name}.model",
                    f"{model!r} is not a configured model; use {BEST!r} or one of {list(models)}",
                )
            )
        raw = settings.get("raw")
        if not raw:
            problems.append(
                (f"predict.{name}.raw", "a folder, glob, TIFF stack, file.h5:/path or scan.zarr")
            )
        elif not spec_files(raw):
            problems.append((f"predict.{name}.raw", _missing(raw)))
    return problems


def _missing(raw):
    parsed = parse_spec(raw)
    if parsed.kind == "zarr":
        return (
            f"no Zarr array at {raw!r}; give the array (an OME-Zarr image's full resolution is "
            f"{parsed.path}/0; paths are relative to the working directory)"
        )
    return f"no files match {raw!r}; check the path (relative to the working directory)"


def set_model(settings):
    """The model rule all predicts a set with: its `model`, or the best one."""
    return settings.get("model", BEST)


def output_layout(prediction_set):
    """tiff (the TIFFs and the OME-Zarr images) or zarr (the OME-Zarr images alone) for a set's
    checked settings; auto is tiff for a scan of at most TIFF_LIMIT_BYTES."""
    asked = prediction_set["outputs"]
    if asked != "auto":
        return asked
    return "tiff" if spec_bytes(prediction_set["raw"]) <= TIFF_LIMIT_BYTES else "zarr"


def scan_slice_count(spec):
    """How many slices a scan's data spec holds. Folders, globs and Zarr arrays are counted
    with the standard library; a TIFF stack or an HDF5 dataset is opened (the readers are
    imported only then, as xrayseg.settings.checks does for the training data)."""
    parsed = parse_spec(spec)
    if parsed.kind in ("folder", "glob"):
        return len(spec_files(spec))
    if parsed.kind == "zarr":
        found = zarr_shape(spec)
        return 0 if found is None else found[0][0]
    from xrayseg.io.readers import open_slices

    with open_slices(spec) as source:
        return len(source)


def chunk_ranges(n_slices, chunk_slices):
    """[(start, stop)] of the chunk jobs of a scan: chunk_slices slices each (the last may be
    shorter), or one chunk of the whole scan when chunk_slices is None."""
    if n_slices < 1:
        raise ValueError("a scan without slices cannot be cut into chunks")
    step = n_slices if chunk_slices is None else int(chunk_slices)
    if step < 1:
        raise ValueError(f"chunk_slices must be at least 1, got {chunk_slices}")
    return [(start, min(start + step, n_slices)) for start in range(0, n_slices, step)]


def chunk_name(start, stop):
    """The {chunk} wildcard of the chunk job of slices [start, stop): '000000-000128'."""
    return f"{start:06d}-{stop:06d}"


def parse_chunk_name(name):
    """(start, stop) of a chunk_name."""
    start, stop = (int(part) for part in str(name).split("-"))
    return start, stop


def set_chunks(config, set_name):
    """The chunk names of a configured set, in slice order (reads the scan's slice count)."""
    prediction_set = config["predict"][set_name]
    n_slices = scan_slice_count(prediction_set["raw"])
    return [
        chunk_name(*bounds) for bounds in chunk_ranges(n_slices, prediction_set["chunk_slices"])
    ]


@dataclass(frozen=True)
class ChunkSettings(StageSettings):
    """What a chunk job predicts and how: the scan, the `evaluate` inference settings (with its
    axes and smoothing: a new scan is predicted as evaluate scored the model) and the memory
    for one slab. Every chunk of a set gets the same, so every job cuts the same slab grid."""

    raw: str  # the scan's data spec
    inference: InferenceSettings
    axes: list  # planes averaged: z, y, x (evaluate.axes)
    smooth_sigma: float  # Gaussian along the stack, in slices (evaluate.smooth_sigma)
    slab_mb: int  # memory for one slab of slices

    @classmethod
    def from_config(cls, config, set_name):
        prediction_set = config["predict"][set_name]
        return cls(
            raw=prediction_set["raw"],
            inference=InferenceSettings.from_config(config),
            axes=list(config["evaluate"]["axes"]),
            smooth_sigma=config["evaluate"]["smooth_sigma"],
            slab_mb=prediction_set["slab_mb"],
        )


@dataclass(frozen=True)
class PredictSettings(StageSettings):
    """What the assemble job of a set writes from its chunks: the set's settings that change
    its outputs (its `model` picks the job and save_probabilities its outputs, so neither is
    here), the `microstructure` section and the chunk jobs' settings."""

    raw: str  # the scan's data spec
    shift_tolerance: float  # grey-value shift beyond which the scan is flagged
    outputs: str  # tiff or zarr (auto resolved: output_layout)
    chunk_slices: int | None  # slices per chunk job (None: one chunk)
    microstructure: MicrostructureSettings
    chunk: ChunkSettings

    @classmethod
    def from_config(cls, config, set_name):
        prediction_set = config["predict"][set_name]
        return cls(
            raw=prediction_set["raw"],
            shift_tolerance=prediction_set["shift_tolerance"],
            outputs=output_layout(prediction_set),
            chunk_slices=prediction_set["chunk_slices"],
            microstructure=MicrostructureSettings.from_config(config),
            chunk=ChunkSettings.from_config(config, set_name),
        )

    @property
    def inference(self):
        return self.chunk.inference
