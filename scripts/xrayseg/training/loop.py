"""The training loop for torch segmentation networks: epochs, validation, early stopping.

Every epoch ends with a validation pass; the best weights (lowest validation loss) are kept, and
training stops after `patience` epochs without improvement. After each epoch `on_epoch_end` gets the
full loop state so the caller can write a resumable checkpoint.
"""

import copy
import logging
import time

import torch
from torch import nn

from xrayseg.training.augment import flip_rotate
from xrayseg.training.data import batches

log = logging.getLogger(__name__)


def make_optimizer(network, name, lr, weight_decay):
    optimizers = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
    if name not in optimizers:
        raise ValueError(f"unknown optimizer {name!r}; known: {sorted(optimizers)}")
    return optimizers[name](network.parameters(), lr=lr, weight_decay=weight_decay)


@torch.no_grad()
def evaluate_patches(network, patch_set, batch_size, device):
    """(mean cross-entropy, pixel accuracy) of a network on a patch set."""
    network.eval()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    total_loss = correct = pixels = 0.0
    for index in batches(len(patch_set), batch_size):
        images = patch_set.images[index].to(device)
        labels = patch_set.labels[index].to(device)
        logits = network(images)
        total_loss += float(loss_fn(logits, labels))
        correct += float((logits.argmax(1) == labels).sum())
        pixels += labels.numel()
    return total_loss / pixels, correct / pixels


def fit_network(network, train_set, val_set, settings, device, seed, state=None, on_epoch_end=None):
    """Train `network` in place; returns the loop state (history, best weights, epoch, ...).

    settings: epochs, batch_size, lr, weight_decay, optimizer, patience, augment.
    `state` from an earlier, interrupted run resumes exactly where it stopped.
    """
    network.to(device)
    optimizer = make_optimizer(
        network, settings["optimizer"], settings["lr"], settings["weight_decay"]
    )
    generator = torch.Generator().manual_seed(seed)
    if state is None:
        state = {
            "epoch": 0,
            "history": [],
            "best_val_loss": float("inf"),
            "best_weights": None,
            "epochs_without_improvement": 0,
        }
    else:
        network.load_state_dict(state["weights"])
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"])
        log.info("resuming after epoch %d", state["epoch"])
    loss_fn = nn.CrossEntropyLoss()
    while (
        state["epoch"] < settings["epochs"]
        and state["epochs_without_improvement"] < settings["patience"]
    ):
        started = time.perf_counter()
        network.train()
        total_loss = correct = pixels = 0.0
        for index in batches(len(train_set), settings["batch_size"], generator):
            if len(index) < 2:  # BatchNorm cannot train on a single sample
                continue
            images, labels = train_set.images[index], train_set.labels[index]
            if settings["augment"]:
                images, labels = flip_rotate(images, labels, generator)
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad(set_to_none=True)
            logits = network(images)
            loss = loss_fn(logits, labels)
            loss.backward()
            optimizer.step()
            total_loss += float(loss) * labels.numel()
            correct += float((logits.argmax(1) == labels).sum())
            pixels += labels.numel()
        val_loss, val_accuracy = evaluate_patches(network, val_set, settings["batch_size"], device)
        state["epoch"] += 1
        improved = val_loss < state["best_val_loss"]
        if improved:
            state["best_val_loss"] = val_loss
            state["best_weights"] = copy.deepcopy(network.state_dict())
            state["epochs_without_improvement"] = 0
        else:
            state["epochs_without_improvement"] += 1
        row = {
            "epoch": state["epoch"],
            "train_loss": total_loss / max(pixels, 1),
            "train_accuracy": correct / max(pixels, 1),
            "val_loss": val_loss,
            "val_accuracy": val_accuracy,
            "lr": optimizer.param_groups[0]["lr"],
            "seconds": time.perf_counter() - started,
        }
        state["history"].append(row)
        log.info(
            "epoch %3d  train loss %.4f acc %.4f  val loss %.4f acc %.4f  %.1fs%s",
            row["epoch"],
            row["train_loss"],
            row["train_accuracy"],
            val_loss,
            val_accuracy,
            row["seconds"],
            "  *best" if improved else "",
        )
        state["weights"] = network.state_dict()
        state["optimizer"] = optimizer.state_dict()
        state["generator"] = generator.get_state()
        if on_epoch_end is not None:
            on_epoch_end(state)
    if state["epochs_without_improvement"] >= settings["patience"]:
        log.info("early stop: no validation improvement for %d epochs", settings["patience"])
    return state
