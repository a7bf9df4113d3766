"""The training loop of a torch network, counted in optimiser steps.

Training length is a budget of optimiser steps (training.budget: `steps: auto` grows it with the
number of train patches between a floor and a cap; an integer is exactly that many). Each
step trains on a seeded batch of the train patches (training.sampling: reshuffled passes).
Every `val_every` steps (auto: a twentieth of the budget), and after the last step, the network
is scored on one fixed, seeded subset of at most `val_patches` validation patches; the best
weights (lowest validation loss) are kept. Training stops when the first of these holds at a
validation:
  steps        the step budget is spent;
  patience     `patience` validations in a row brought no lower validation loss;
  max_minutes  (when set) this many minutes of training have passed (resumed runs add up).
After each validation `on_validation` gets the full loop state (weights, optimiser, schedule,
every random-number state) so the caller can write a checkpoint from which a killed run resumes
exactly where it stopped: on the CPU, bit for bit.
"""

import logging
import math
import time

import torch

from xrayseg.training.augment import Augmenter
from xrayseg.training.budget import training_budget, validation_interval
from xrayseg.training.data import batches
from xrayseg.training.losses import SegmentationLoss, pixel_counts
from xrayseg.training.precision import Precision
from xrayseg.training.sampling import BatchStream, validation_indices
from xrayseg.training.schedule import make_optimizer, make_scheduler, per_step
from xrayseg.training.settings import check_complete

log = logging.getLogger(__name__)

# The wall clock of the max_minutes guard (a module attribute, so tests can drive it).
clock = time.monotonic

STOP_REASONS = ("steps", "patience", "max_minutes")


def fit_network(
    network, train_set, val_set, settings, device, seed, state=None, on_validation=None
):
    """Train `network` in place; returns the loop state (history, best weights, step, ...).

    settings: every key of xrayseg.training.settings.SETTING_KEYS (extra keys are ignored).
    `state` from an earlier, interrupted run resumes exactly where it stopped.
    The state's "budget" is the record (Budget.to_record) of the budget the steps came from.
    """
    check_complete(settings)
    budget = training_budget(settings, len(train_set))
    val_every = validation_interval(settings["val_every"], budget.steps)
    log.info("training budget: %s; validating every %d steps", budget.describe(), val_every)
    settings = {
        **settings,
        "steps": budget.steps,
        "val_every": val_every,
        "batch_size": budget.batch_size,
        "lr": settings["lr"] * budget.lr_factor,
    }
    trainer = Trainer(network, settings, device, seed)
    state = trainer.restore(state) if state is not None else trainer.fresh_state()
    state["budget"] = budget.to_record()  # plain data: the resume file loads weights-only
    train_set = train_set.to(trainer.device)
    val_set = val_set.subset(validation_indices(len(val_set), settings["val_patches"], seed)).to(
        trainer.device
    )
    stream = BatchStream(len(train_set), settings["batch_size"], seed)
    while state["stopped_by"] is None:
        started = clock()
        first, count = state["step"], min(settings["val_every"], settings["steps"] - state["step"])
        train_loss, train_accuracy, lr = trainer.train_steps(train_set, stream, first, count)
        check_finite(train_loss, first + count, trainer.precision.name)
        state["step"] += count
        val_loss, val_accuracy = evaluate_patches(
            network, val_set, settings["batch_size"], trainer.device, trainer.precision
        )
        trainer.after_validation(val_loss)
        seconds = clock() - started
        state["train_seconds"] += seconds
        row = {
            "step": state["step"],
            "train_loss": train_loss,
            "train_accuracy": train_accuracy,
            "val_loss": val_loss,
            "val_accuracy": val_accuracy,
            "lr": lr,
            "seconds": seconds,
            "train_minutes": state["train_seconds"] / 60,
        }
        improved = record_validation(state, network, row)
        state["stopped_by"] = stop_reason(state, settings)
        row["stopped_by"] = state["stopped_by"] or ""
        log_validation(row, settings, improved)
        trainer.snapshot(state)
        if on_validation is not None:
            on_validation(state)
    log_stop(state, settings)
    return state


def check_finite(train_loss, step, precision):
    """Stop, naming the likely fixes, when the training loss stopped being a number: weights
    that went NaN give a model that predicts one class, and that must not pass for a result."""
    if not math.isfinite(train_loss):
        raise FloatingPointError(
            f"training diverged: the train loss is {train_loss} by step {step} ({precision}); "
            "lower training.lr, or set training.precision: fp32 if it is bf16 or fp16"
        )


class Trainer:
    """The parts that take optimiser steps: network, optimiser, schedule, loss, augmentation,
    precision and the random numbers of augmentation and dropout."""

    def __init__(self, network, settings, device, seed):
        self.network = network
        self.device = torch.device(device)
        training_3d = any(parameter.dim() == 5 for parameter in network.parameters())
        self.precision = Precision(
            settings["precision"], self.device, settings["channels_last"], training_3d
        )
        network.to(self.device)
        self.precision.prepare(network)
        self.optimizer = make_optimizer(
            network, settings["optimizer"], settings["lr"], settings["weight_decay"]
        )
        self.scheduler = make_scheduler(self.optimizer, settings)
        self.scaler = self.precision.grad_scaler()
        self.augmenter = Augmenter(settings["augment"])
        self.loss_fn = SegmentationLoss(dice_weight=settings["dice_weight"])
        self.generator = torch.Generator().manual_seed(seed)
        self.seed = seed

    def fresh_state(self):
        torch.manual_seed(self.seed)  # weights were drawn already; this seeds dropout
        return {
            "step": 0,
            "history": [],
            "best_val_loss": math.inf,
            "best_weights": None,
            "best_step": 0,
            "validations_without_improvement": 0,
            "train_seconds": 0.0,
            "stopped_by": None,
        }

    def restore(self, state):
        """Load an interrupted run's state into the parts; returns the state."""
        self.network.load_state_dict(state["weights"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        if self.device.type == "cuda" and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(state["cuda_rng"], self.device)
        log.info("resuming after step %d", state["step"])
        return state

    def snapshot(self, state):
        """Store everything restore() needs in `state` (weights as contiguous CPU copies)."""
        state["weights"] = cpu_copy(self.network.state_dict())
        state["optimizer"] = self.optimizer.state_dict()
        state["scheduler"] = self.scheduler.state_dict() if self.scheduler is not None else None
        state["scaler"] = self.scaler.state_dict()
        state["generator"] = self.generator.get_state()
        state["torch_rng"] = torch.get_rng_state()
        cuda = self.device.type == "cuda"
        state["cuda_rng"] = torch.cuda.get_rng_state(self.device) if cuda else None

    def train_steps(self, train_set, stream, first, count):
        """Optimiser steps first .. first + count - 1; returns (mean loss, pixel accuracy, the
        learning rate of the last step)."""
        self.network.train()
        total_loss = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device)
        pixels = torch.zeros((), device=self.device)
        lr = self.optimizer.param_groups[0]["lr"]
        for step in range(first, first + count):
            images, labels = train_set.batch(stream.indices(step), self.device)
            images, labels = self.augmenter(images, labels, self.generator)
            lr = self.optimizer.param_groups[0]["lr"]
            loss, logits = train_step(
                self.network,
                self.optimizer,
                self.scaler,
                self.loss_fn,
                self.precision,
                images,
                labels,
            )
            if per_step(self.scheduler):
                self.scheduler.step()
            right, counted = pixel_counts(logits, labels)
            total_loss += loss * counted
            correct += right
            pixels += counted
        pixels = max(float(pixels), 1.0)
        return float(total_loss) / pixels, float(correct) / pixels, lr

    def after_validation(self, val_loss):
        if self.scheduler is not None and not per_step(self.scheduler):
            self.scheduler.step(val_loss)


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


def record_validation(state, network, row):
    """Append a validation's history row and keep the weights if they are the best yet;
    returns whether they are."""
    improved = row["val_loss"] < state["best_val_loss"]
    if improved:
        state["best_val_loss"] = row["val_loss"]
        state["best_step"] = state["step"]
        state["best_weights"] = cpu_copy(network.state_dict())
        state["validations_without_improvement"] = 0
    else:
        state["validations_without_improvement"] += 1
    state["history"].append(row)
    return improved


def stop_reason(state, settings):
    """Why training stops after this validation (one of STOP_REASONS), or None to go on."""
    if state["step"] >= settings["steps"]:
        return "steps"
    if state["validations_without_improvement"] >= settings["patience"]:
        return "patience"
    limit = settings["max_minutes"]
    if limit is not None and state["train_seconds"] >= 60 * limit:
        return "max_minutes"
    return None


def log_validation(row, settings, improved):
    log.info(
        "step %d/%d  train loss %.4f acc %.4f  val loss %.4f acc %.4f  lr %.2e  %.1fs  "
        "(%.1f min)%s",
        row["step"],
        settings["steps"],
        row["train_loss"],
        row["train_accuracy"],
        row["val_loss"],
        row["val_accuracy"],
        row["lr"],
        row["seconds"],
        row["train_minutes"],
        "  *best" if improved else "",
    )


def log_stop(state, settings):
    best = f"best step {state['best_step']} (val loss {state['best_val_loss']:.4f}) kept"
    reason = state["stopped_by"]
    if reason == "steps":
        log.info("stop: step budget of %d spent; %s", settings["steps"], best)
    elif reason == "patience":
        log.info(
            "early stop at step %d: no lower validation loss in %d validations; %s",
            state["step"],
            settings["patience"],
            best,
        )
    else:
        log.warning(
            "stop at step %d of %d: training.max_minutes (%g) passed after %.1f min; %s",
            state["step"],
            settings["steps"],
            settings["max_minutes"],
            state["train_seconds"] / 60,
            best,
        )


def cpu_copy(state_dict):
    """A detached, contiguous CPU copy of a state dict (standard layout even if channels-last)."""
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in state_dict.items()}
