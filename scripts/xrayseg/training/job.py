"""One training job: results/models/{model}/model.pt and history.csv for one configured model.

model.pt is a xrayseg.models.checkpoint.Checkpoint: its header (CheckpointHeader: the model,
its data and how it trained) and payload (a network's best validation's weights, or a pixel
model's fitted params); load it with load_checkpoint.
history.csv has one row per validation (HISTORY_COLUMNS, the training budget on every row; a
pixel model: one row of step 0 and seconds).
A 2.5-D model (context k > 0) takes 2k+1 channels: slice z and k slices on each side, stacked in
slice order by xrayseg.data.context.context_stack within z's split block, at prediction time too.

While a network trains, resume.pt beside model.pt holds the state after the last validation;
a job killed (SIGTERM, preemption) and started again with the same settings resumes from it.
"""

import logging
import os
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import torch

from xrayseg.data.split import labelled_slices_of, slices_of
from xrayseg.io.atomic import atomic_output
from xrayseg.io.volume import read_volume_info
from xrayseg.models import build_network, count_parameters, fit_pixel_model, spec_for
from xrayseg.models.checkpoint import (
    Checkpoint,
    CheckpointHeader,
    load_plain,
    save_checkpoint,
    save_plain,
)
from xrayseg.models.device import describe_precision, pick_device, resolve_precision
from xrayseg.settings.architectures import architecture
from xrayseg.settings.confighash import config_hash
from xrayseg.settings.models import patch_depth
from xrayseg.training.data import load_patch_sets
from xrayseg.training.loop import fit_network
from xrayseg.training.preemption import stop_on_sigterm
from xrayseg.training.settings import check_complete
from xrayseg.training.volumeslices import VolumeSlices

log = logging.getLogger(__name__)

HISTORY_COLUMNS = [
    "step",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "lr",
    "seconds",
    "train_minutes",
    "stopped_by",
    # The budget (training.budget) on every row: its steps, the rule that set them (fixed,
    # passes, floor, cap) and the train patches it counted.
    "budget_steps",
    "budget_rule",
    "train_patches",
]


def resume_path(checkpoint_path):
    return Path(checkpoint_path).with_name("resume.pt")


def train_model(
    model_name,
    model_cfg,
    volume_path,
    split_csv,
    patches_path,
    checkpoint_path,
    history_path,
    threads=1,
    seed=0,
    device="auto",
):
    """Train one model as configured and write its checkpoint and history."""
    torch.set_num_threads(max(1, int(threads)))
    torch.manual_seed(seed)
    np.random.seed(seed)
    entry = architecture(model_cfg["arch"])
    info = read_volume_info(volume_path).label_facts()
    n_classes = len(info["class_names"])
    arch_args = entry.arguments_of(model_cfg)
    context = int(model_cfg.get("context", 0)) if entry.takes_context else 0
    started = time.perf_counter()
    with stop_on_sigterm():
        if entry.trains_on_patches:
            result = _train_network(
                model_cfg,
                arch_args,
                n_classes,
                context,
                {"patches": patches_path, "volume": volume_path, "split": split_csv},
                checkpoint_path,
                seed,
                pick_device(device),
            )
            history = pd.DataFrame(result["history"], columns=HISTORY_COLUMNS)
            budget = result["record"]["budget"]
            history["budget_steps"] = budget["steps"]
            history["budget_rule"] = budget["rule"]
            history["train_patches"] = budget["train_patches"]
        else:
            result = _fit_pixel_model(
                model_cfg["arch"], arch_args, volume_path, split_csv, n_classes, seed
            )
            # Fitted in one go: no steps, no losses (the report draws no curve for it).
            history = pd.DataFrame([{"step": 0, "seconds": time.perf_counter() - started}])
        header = CheckpointHeader(
            model_name=model_name,
            arch=model_cfg["arch"],
            arch_args=arch_args,
            n_classes=n_classes,
            class_names=info["class_names"],
            label_values=info["label_values"],
            normalisation=info["normalisation"],
            in_channels=2 * context + 1,
            context=context,
            patch_size=model_cfg.get("patch_size"),
            patch_depth=patch_depth(model_cfg) if entry.volumetric else None,
            config=model_cfg,
            seed=seed,
            torch_version=str(torch.__version__),
            train_seconds=time.perf_counter() - started,
            **result["record"],
        )
        save_checkpoint(Checkpoint(header, result["payload"]), checkpoint_path)
        with atomic_output(history_path) as tmp:
            history.to_csv(tmp, index=False)
        resume_path(checkpoint_path).unlink(missing_ok=True)
    log.info("%s trained in %.1f s", model_name, header.train_seconds)


def _fit_pixel_model(arch, arch_args, volume_path, split_csv, n_classes, seed):
    """{"payload": params, "record": the header's training fields} of a pixel model fitted on
    the labelled train slices, each read when the model asks for it."""
    spec = spec_for(arch)
    split_frame = pd.read_csv(split_csv)
    train_slices = labelled_slices_of(split_frame, "train")
    if not train_slices:
        raise ValueError(f"{split_csv}: the train block holds no labelled slice to fit on")
    with h5py.File(volume_path, "r") as volume:
        params = fit_pixel_model(
            arch,
            VolumeSlices(volume["raw"], train_slices),
            VolumeSlices(volume["labels"], train_slices),
            n_classes,
            arch_args,
            seed=seed,
            threads=torch.get_num_threads(),
        )
    size = spec.parameter_count(params) if spec.parameter_count else 0
    log.info(
        "fitted %s (%d parameters) on the %d labelled of %d train slices",
        arch,
        size,
        len(train_slices),
        len(slices_of(split_frame, "train")),
    )
    # Pixel models fit with numpy and scikit-learn: always on the CPU.
    return {"payload": params, "record": {"parameters": size, "device": "cpu"}}


def _train_network(model_cfg, arch_args, n_classes, context, inputs, checkpoint_path, seed, device):
    """{"payload": the best weights, "record": the header's training fields, "history": one row
    per validation} of a network trained on its patches."""
    settings = check_complete(model_cfg)
    if inputs["patches"] is None:
        raise ValueError(f"{model_cfg['arch']} trains on patches; the job got no patch file")
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fastest kernels; bit-for-bit only on the CPU
    network = build_network(model_cfg["arch"], n_classes, 2 * context + 1, arch_args)
    parameters = count_parameters(network)
    training_3d = architecture(model_cfg["arch"]).volumetric
    precision = resolve_precision(settings["precision"], device, training_3d=training_3d)
    log.info(
        "%s: %d parameters, %d input channel(s), training on %s (%s%s)",
        model_cfg["arch"],
        parameters,
        2 * context + 1,
        device,
        describe_precision(settings["precision"], precision, device, training_3d),
        ", channels-last" if settings["channels_last"] else "",
    )
    split_frame = pd.read_csv(inputs["split"]) if context else None
    # One patch file per orientation trained on (training.orientations: z, y, x).
    train_set, val_set = (
        load_patch_sets(inputs["patches"], split, context, inputs["volume"], split_frame)
        for split in ("train", "val")
    )
    spatial_dims = architecture(model_cfg["arch"]).spatial_dims
    if train_set.images.dim() != spatial_dims + 2:
        raise ValueError(
            f"{inputs['patches']}: holds {train_set.images.dim() - 2}-D patches; "
            f"{model_cfg['arch']} trains on {spatial_dims}-D patches"
        )
    log.info(
        "%d train and %d val patches of %s px (validation on %d); batch_size %d",
        len(train_set),
        len(val_set),
        " x ".join(str(side) for side in train_set.images.shape[2:]),
        min(len(val_set), settings["val_patches"]),
        settings["batch_size"],
    )
    resume = resume_path(checkpoint_path)
    run_hash = _run_hash(model_cfg, seed, device, inputs)
    state = _resume_state(resume, run_hash)

    def save_resume(loop_state):
        save_plain({"run_hash": run_hash, "state": loop_state}, resume)

    state = fit_network(network, train_set, val_set, settings, device, seed, state, save_resume)
    return {
        "history": state["history"],
        "payload": state["best_weights"],
        "record": {
            "step": state["step"],
            "best_step": state["best_step"],
            "best_val_loss": state["best_val_loss"],
            "stopped_by": state["stopped_by"],
            "budget": state["budget"],
            "validations": len(state["history"]),
            "parameters": parameters,
            "device": str(device),
            "precision": precision,
        },
    }


def _run_hash(model_cfg, seed, device, inputs):
    """What a resume file must match: the settings, seed, device kind and the input files."""
    return config_hash(
        {
            "model": model_cfg,
            "seed": seed,
            "device": device.type,
            "inputs": {name: str(path) for name, path in inputs.items()},
            "mtimes": [os.path.getmtime(p) for p in _paths(inputs.values())],
        }
    )


def _paths(values):
    """The file paths among `values` (each None, a path or a list of paths), flattened."""
    for value in values:
        if isinstance(value, list | tuple):
            yield from value
        elif value is not None:
            yield value


def _resume_state(resume, run_hash):
    """The loop state saved in `resume` by a run with the same hash, else None."""
    if not resume.exists():
        return None
    try:
        saved = load_plain(resume)
    except Exception as error:  # written atomically, so only a foreign file gets here
        log.warning("ignoring unreadable %s: %s", resume, error)
        return None
    if saved.get("run_hash") != run_hash:
        log.info("ignoring %s: it belongs to other settings or inputs", resume)
        return None
    return saved["state"]
