"""One training job: results/models/{model}/model.pt and history.csv for one configured model."""

import json
import logging
import os
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import torch

from xrayseg.atomic import atomic_output
from xrayseg.confighash import config_hash
from xrayseg.models import build_network, count_parameters, spec_for
from xrayseg.split import slices_of
from xrayseg.training.checkpoint import load_checkpoint, save_checkpoint
from xrayseg.training.data import load_patch_set
from xrayseg.training.loop import fit_network

log = logging.getLogger(__name__)

HISTORY_COLUMNS = [
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "lr",
    "seconds",
]


def pick_device(requested="auto"):
    """cuda when present (or asked for), else cpu."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


def volume_info(volume_path):
    """Class names, label values and normalisation recorded by ingest."""
    with h5py.File(volume_path, "r") as volume:
        attrs = volume.attrs
        return {
            "class_names": json.loads(attrs["class_names"]),
            "label_values": json.loads(attrs["label_values"]),
            "normalisation": {"low": float(attrs["norm_low"]), "high": float(attrs["norm_high"])},
        }


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
    spec = spec_for(model_cfg["arch"])
    info = volume_info(volume_path)
    n_classes = len(info["class_names"])
    arch_args = {key: model_cfg[key] for key in spec.arch_keys if key in model_cfg}
    checkpoint = {
        "model_name": model_name,
        "arch": model_cfg["arch"],
        "kind": spec.kind,
        "arch_args": arch_args,
        "n_classes": n_classes,
        "in_channels": 1,
        "patch_size": model_cfg.get("patch_size"),
        "config": model_cfg,
        "seed": seed,
        **info,
    }
    started = time.perf_counter()
    if spec.kind == "pixel":
        checkpoint.update(
            _fit_pixel_model(spec, model_cfg, volume_path, split_csv, n_classes, seed)
        )
        history = pd.DataFrame([{"epoch": 1, "seconds": time.perf_counter() - started}])
    else:
        result = _train_network(
            model_cfg,
            arch_args,
            n_classes,
            patches_path,
            checkpoint_path,
            seed,
            pick_device(device),
        )
        checkpoint.update(result["checkpoint"])
        history = pd.DataFrame(result["history"], columns=HISTORY_COLUMNS)
    checkpoint["train_seconds"] = time.perf_counter() - started
    save_checkpoint(checkpoint, checkpoint_path)
    with atomic_output(history_path) as tmp:
        history.to_csv(tmp, index=False)
    _resume_path(checkpoint_path).unlink(missing_ok=True)
    log.info("%s trained in %.1f s", model_name, checkpoint["train_seconds"])


def _fit_pixel_model(spec, model_cfg, volume_path, split_csv, n_classes, seed):
    train_slices = slices_of(pd.read_csv(split_csv), "train")
    with h5py.File(volume_path, "r") as volume:
        raws = [volume["raw"][z] for z in train_slices]
        labels = [volume["labels"][z] for z in train_slices]
    params = spec.fit(raws, labels, n_classes, seed)
    log.info("fitted %s: %s", model_cfg["arch"], params)
    return {
        "params": params,
        "parameters": sum(len(v) for v in params.values() if isinstance(v, list)),
    }


def _resume_path(checkpoint_path):
    return Path(checkpoint_path).with_name("resume.pt")


def _train_network(model_cfg, arch_args, n_classes, patches_path, checkpoint_path, seed, device):
    network = build_network(model_cfg["arch"], n_classes, 1, arch_args)
    parameters = count_parameters(network)
    log.info("%s: %d parameters, training on %s", model_cfg["arch"], parameters, device)
    train_set = load_patch_set(patches_path, "train")
    val_set = load_patch_set(patches_path, "val")
    log.info("%d train and %d val patches", len(train_set), len(val_set))
    run_hash = config_hash(
        {
            "model": model_cfg,
            "seed": seed,
            "patches": str(patches_path),
            "patches_mtime": os.path.getmtime(patches_path),
        }
    )
    resume_path = _resume_path(checkpoint_path)
    state = None
    if resume_path.exists():
        saved = load_checkpoint(resume_path)
        if saved.get("run_hash") == run_hash:
            state = saved["state"]
        else:
            log.info("ignoring %s: it belongs to other settings", resume_path)

    def save_resume(loop_state):
        save_checkpoint({"run_hash": run_hash, "state": loop_state}, resume_path)

    state = fit_network(network, train_set, val_set, model_cfg, device, seed, state, save_resume)
    return {
        "history": state["history"],
        "checkpoint": {
            "state_dict": state["best_weights"],
            "epoch": state["epoch"],
            "best_val_loss": state["best_val_loss"],
            "parameters": parameters,
            "device": str(device),
        },
    }
