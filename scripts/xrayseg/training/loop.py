"""The training loop for torch segmentation networks: epochs, validation, early stopping.

Every epoch ends with a validation pass; the best weights (lowest validation loss) are kept, and
training stops after `patience` epochs without improvement. The learning rate follows a schedule
(cosine decay over `epochs`, or halving on a validation plateau). After each epoch `on_epoch_end`
gets the full loop state (weights, optimiser, schedule, every random-number state) so the caller
can write a checkpoint from which a killed run resumes exactly where it stopped.
"""

import logging
import math
import time

import torch

from xrayseg.training.augment import Augmenter
from xrayseg.training.data import batches
from xrayseg.training.losses import SegmentationLoss, pixel_counts
from xrayseg.training.precision import Precision

log = logging.getLogger(__name__)

# Defaults of every training setting; config/schema.yaml gives the same ones (a test checks).
DEFAULT_SETTINGS = {
    "epochs": 30,
    "batch_size": 32,
    "lr": 0.001,
    "weight_decay": 0.00001,
    "optimizer": "adam",
    "lr_schedule": "cosine",
    "min_lr_factor": 0.01,
    "patience": 6,
    "dice_weight": 0.0,
    "precision": "auto",
    "channels_last": False,
    "augment": True,
}


def resolve_settings(settings):
    """Training settings with defaults filled in; unknown keys stay (model arguments)."""
    return {**DEFAULT_SETTINGS, **settings}


def make_optimizer(network, name, lr, weight_decay):
    """Adam (weight decay added to the gradient: L2, as the seed did) or AdamW (decoupled)."""
    optimizers = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
    if name not in optimizers:
        raise ValueError(f"unknown optimizer {name!r}; known: {sorted(optimizers)}")
    return optimizers[name](network.parameters(), lr=lr, weight_decay=weight_decay)


def make_scheduler(optimizer, settings):
    """Per-epoch learning-rate schedule: cosine to lr*min_lr_factor, plateau halving, or none."""
    name = settings["lr_schedule"]
    floor = settings["lr"] * settings["min_lr_factor"]
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=max(1, settings["epochs"]), eta_min=floor
        )
    if name == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, factor=0.5, patience=max(1, settings["patience"] // 3), min_lr=floor
        )
    if name == "constant":
        return None
    raise ValueError(f"unknown lr_schedule {name!r}; known: cosine, plateau, constant")


@torch.no_grad()
def evaluate_patches(network, patch_set, batch_size, device, precision=None):
    """(mean cross-entropy, pixel accuracy) of a network on a patch set; ignored pixels skipped."""
    network.eval()
    precision = precision or Precision("fp32", device)
    loss_fn = SegmentationLoss(dice_weight=0.0, reduction="sum")
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device)
    pixels = torch.zeros((), device=device)
    for index in batches(len(patch_set), batch_size):
        images, labels = patch_set.batch(index, device)
        with precision.autocast():
            logits = network(precision.layout(images))
        total_loss += loss_fn(logits.float(), labels)
        right, counted = pixel_counts(logits, labels)
        correct += right
        pixels += counted
    pixels = max(float(pixels), 1.0)
    return float(total_loss) / pixels, float(correct) / pixels


def fresh_state():
    return {
        "epoch": 0,
        "history": [],
        "best_val_loss": math.inf,
        "best_weights": None,
        "best_epoch": 0,
        "epochs_without_improvement": 0,
    }


def fit_network(network, train_set, val_set, settings, device, seed, state=None, on_epoch_end=None):
    """Train `network` in place; returns the loop state (history, best weights, epoch, ...).

    settings: see DEFAULT_SETTINGS (missing keys take those defaults).
    `state` from an earlier, interrupted run resumes exactly where it stopped: on the CPU the
    resumed run ends with the same weights as one that was never interrupted.
    """
    settings = resolve_settings(settings)
    device = torch.device(device)
    precision = Precision(settings["precision"], device, settings["channels_last"])
    network.to(device)
    precision.prepare(network)
    optimizer = make_optimizer(
        network, settings["optimizer"], settings["lr"], settings["weight_decay"]
    )
    scheduler = make_scheduler(optimizer, settings)
    scaler = precision.grad_scaler()
    augmenter = Augmenter(settings["augment"])
    loss_fn = SegmentationLoss(dice_weight=settings["dice_weight"])
    generator = torch.Generator().manual_seed(seed)
    if state is None:
        state = fresh_state()
        torch.manual_seed(seed)  # weights were drawn already; this seeds dropout
    else:
        network.load_state_dict(state["weights"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        if device.type == "cuda" and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(state["cuda_rng"], device)
        log.info("resuming after epoch %d", state["epoch"])
    train_set, val_set = train_set.to(device), val_set.to(device)
    while (
        state["epoch"] < settings["epochs"]
        and state["epochs_without_improvement"] < settings["patience"]
    ):
        started = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        train_loss, train_accuracy = _train_epoch(
            network,
            train_set,
            settings,
            generator,
            augmenter,
            loss_fn,
            optimizer,
            scaler,
            precision,
        )
        val_loss, val_accuracy = evaluate_patches(
            network, val_set, settings["batch_size"], device, precision
        )
        state["epoch"] += 1
        improved = val_loss < state["best_val_loss"]
        if improved:
            state["best_val_loss"] = val_loss
            state["best_epoch"] = state["epoch"]
            state["best_weights"] = _cpu_copy(network.state_dict())
            state["epochs_without_improvement"] = 0
        else:
            state["epochs_without_improvement"] += 1
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(val_loss)
        elif scheduler is not None:
            scheduler.step()
        row = {
            "epoch": state["epoch"],
            "train_loss": train_loss,
            "train_accuracy": train_accuracy,
            "val_loss": val_loss,
            "val_accuracy": val_accuracy,
            "lr": lr,
            "seconds": time.perf_counter() - started,
        }
        state["history"].append(row)
        log.info(
            "epoch %3d/%d  train loss %.4f acc %.4f  val loss %.4f acc %.4f  lr %.2e  %.1fs%s",
            row["epoch"],
            settings["epochs"],
            train_loss,
            train_accuracy,
            val_loss,
            val_accuracy,
            lr,
            row["seconds"],
            "  *best" if improved else "",
        )
        state["weights"] = _cpu_copy(network.state_dict())
        state["optimizer"] = optimizer.state_dict()
        state["scheduler"] = scheduler.state_dict() if scheduler is not None else None
        state["scaler"] = scaler.state_dict()
        state["generator"] = generator.get_state()
        state["torch_rng"] = torch.get_rng_state()
        state["cuda_rng"] = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
        if on_epoch_end is not None:
            on_epoch_end(state)
    if state["epochs_without_improvement"] >= settings["patience"]:
        log.info(
            "early stop: no validation improvement for %d epochs; best epoch %d (val loss %.4f)",
            settings["patience"],
            state["best_epoch"],
            state["best_val_loss"],
        )
    return state


def _train_epoch(
    network, train_set, settings, generator, augmenter, loss_fn, optimizer, scaler, precision
):
    """One pass over the shuffled train set; returns (mean loss, pixel accuracy)."""
    network.train()
    device = precision.device
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device)
    pixels = torch.zeros((), device=device)
    for index in batches(len(train_set), settings["batch_size"], generator):
        if len(index) < 2:  # BatchNorm cannot train on a single sample
            continue
        images, labels = train_set.batch(index, device)
        images, labels = augmenter(images, labels, generator)
        loss, logits = train_step(network, optimizer, scaler, loss_fn, precision, images, labels)
        right, counted = pixel_counts(logits, labels)
        total_loss += loss * counted
        correct += right
        pixels += counted
    pixels = max(float(pixels), 1.0)
    return float(total_loss) / pixels, float(correct) / pixels


def train_step(network, optimizer, scaler, loss_fn, precision, images, labels):
    """One optimiser step under the configured precision; returns (detached loss, logits)."""
    optimizer.zero_grad(set_to_none=True)
    with precision.autocast():
        logits = network(precision.layout(images))
    loss = loss_fn(logits.float(), labels)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach(), logits.detach()


def _cpu_copy(state_dict):
    """A detached, contiguous CPU copy of a state dict (standard layout even if channels-last)."""
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in state_dict.items()}
