"""Each model's 3-D clean-up of its predicted labels, chosen on the val block (config `cleanup`).

A network that paints specks (a YSZ speck on a pore-Ni edge, where partial volume gives YSZ grey
values) adds interfaces and triple-phase boundary (TPB) that the labels do not have; a majority
vote or the removal of small islands (xrayseg.cleanup) takes them out, and nnU-Net likewise
decides its post-processing from validation results. Every candidate is applied to the val
block's predicted class maps (3-D) and scored against the val labels by pixel accuracy and by the
microstructure error (xrayseg.microstructure.ranking, the report's ranking rule); CHOICE_RULE
picks one. No clean-up is always the first candidate: the choice is "none", with the reason, when
the val block is not evaluated or is no run of neighbouring labelled slices.

The clean-up works on class maps only: probabilities and uncertainty maps stay the model's.
"""

import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from xrayseg.cleanup.candidates import Cleanup
from xrayseg.evaluation.metrics import accuracy_and_mean_iou, confusion_matrix
from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.microstructure.compare import (
    class_count_needed,
    comparison_table,
    measure_microstructure,
)
from xrayseg.microstructure.ranking import RANKED_METRICS, RANKING_RULE, model_errors
from xrayseg.microstructure.roles import class_roles

log = logging.getLogger(__name__)

CHOICE_RULE = (
    "among the candidates whose val pixel accuracy is at most cleanup.accuracy_tolerance below "
    f"no clean-up's, the one with the lowest val microstructure error ({RANKING_RULE}); ties: "
    "the earlier candidate"
)
# A 3-D clean-up needs neighbours along the stack: a block thinner than a 3 x 3 x 3 box is cleaned
# (and chosen on) as if it were a 2-D slice, which says little about a scan.
MIN_SLICES = 3
# The figures recorded per candidate (val) and per block state (test before / after).
FIGURES = (
    "accuracy",
    "mean_iou",
    "microstructure_error",
    "tpb_relative_error",
    "interface_max_abs_error",
)


def candidate_cleanups(entries):
    """[Cleanup] of the config's candidates ({majority, min_island} mappings): no clean-up
    first, then the others in their order, each once."""
    cleanups = [Cleanup()]
    for entry in entries:
        cleanup = Cleanup.from_config(entry)
        if cleanup.is_none:
            cleanup = Cleanup()
        if cleanup not in cleanups:
            cleanups.append(cleanup)
    return cleanups


def block_problem(split, block, scored):
    """Why the scored slices of a split block cannot be cleaned in 3-D (None when they can):
    every slice of the block must be scored (so labelled: one run of neighbouring slices) and
    there must be at least MIN_SLICES of them."""
    if list(scored) != list(block):
        return (
            f"{len(scored)} of the {split} block's {len(block)} slices are scored: not one run "
            "of neighbouring slices, which a 3-D clean-up needs"
        )
    if len(block) < MIN_SLICES:
        return (
            f"the {split} block has {len(block)} slices: a 3-D clean-up needs at least {MIN_SLICES}"
        )
    return None


def figures(confusion, table):
    """{FIGURES} of a prediction: pooled pixel accuracy and mean IoU from its confusion counts,
    the microstructure errors from its microstructure table (microstructure_table's columns)."""
    accuracy, mean_iou = accuracy_and_mean_iou(confusion)
    errors = model_errors(table)
    return {
        "accuracy": float(accuracy),
        "mean_iou": float(mean_iou),
        **{name: errors[name] for name in FIGURES[2:]},
    }


def block_figures(true_block, predicted_block, n_classes, true_metrics, measure):
    """figures() of a predicted block against its labels (true_metrics: the labels' metrics as
    `measure`, volume -> metrics, gives them); voxels ignored in the labels count nowhere."""
    confusion = confusion_matrix(true_block, predicted_block, n_classes)
    ignored = true_block == IGNORE_INDEX
    if ignored.any():
        predicted_block = np.where(ignored, IGNORE_INDEX, predicted_block).astype(np.uint8)
    return figures(confusion, comparison_table(true_metrics, measure(predicted_block)))


def ranked_measure(roles, microstructure, n_classes, class_names):
    """volume -> the ranked metrics (RANKED_METRICS) of it, measured as evaluate measures the
    test block (microstructure settings: voxel size, axis)."""

    def measure(volume):
        return measure_microstructure(
            volume,
            roles,
            microstructure.voxel_size,
            microstructure.axis,
            n_classes,
            class_names=class_names,
            metrics=RANKED_METRICS,
        )

    return measure


@dataclass
class CandidateScore:
    """One candidate's figures on the val block."""

    cleanup: Cleanup
    figures: dict

    def record(self, admissible):
        return {
            **self.cleanup.record(),
            **{f"val_{name}": value for name, value in self.figures.items()},
            "admissible": admissible,
        }


def score_candidates(true_block, predicted_block, cleanups, n_classes, measure):
    """[CandidateScore] of every clean-up applied to the predicted block (Z, Y, X)."""
    true_metrics = measure(true_block)
    scores = []
    for cleanup in cleanups:
        started = time.perf_counter()
        cleaned = cleanup.apply(predicted_block, n_classes)
        figures = block_figures(true_block, cleaned, n_classes, true_metrics, measure)
        scores.append(CandidateScore(cleanup, figures))
        log.info(
            "clean-up %s on val: accuracy %.4f, mean IoU %.4f, microstructure error %.2f %% "
            "(TPB %+.1f %%, largest interface %.1f %%), %.1f s",
            cleanup.name,
            figures["accuracy"],
            figures["mean_iou"],
            100 * figures["microstructure_error"],
            100 * figures["tpb_relative_error"],
            100 * figures["interface_max_abs_error"],
            time.perf_counter() - started,
        )
    return scores


def admissible(scores, tolerance):
    """Per candidate whether CHOICE_RULE may pick it: val accuracy not more than `tolerance`
    below the first candidate's (no clean-up) and a measured microstructure error."""
    floor = scores[0].figures["accuracy"] - tolerance
    return [
        score.figures["accuracy"] >= floor and math.isfinite(score.figures["microstructure_error"])
        for score in scores
    ]


def choose(scores, tolerance):
    """(index of the chosen candidate, why) by CHOICE_RULE; scores[0] is no clean-up."""
    allowed = admissible(scores, tolerance)
    if not any(allowed):
        return 0, "no microstructure error could be measured on the val block"
    errors = [score.figures["microstructure_error"] for score in scores]
    chosen = min((i for i, ok in enumerate(allowed) if ok), key=lambda i: (errors[i], i))
    none_accuracy = scores[0].figures["accuracy"]
    kept_out = [
        f"{score.cleanup.name} ({score.figures['accuracy']:.4f})"
        for score, ok in zip(scores, allowed, strict=True)
        if not ok and math.isfinite(score.figures["accuracy"])
    ]
    tolerance_text = (
        f"val accuracy at most {100 * tolerance:.2g} pp below no clean-up's {none_accuracy:.4f}"
    )
    excluded = f"; kept out by accuracy: {', '.join(kept_out)}" if kept_out else ""
    if chosen == 0:
        why = (
            f"no candidate with {tolerance_text} has a lower val microstructure error than no "
            f"clean-up ({100 * errors[0]:.2f} %){excluded}"
        )
    else:
        why = (
            f"{scores[chosen].cleanup.name}: the lowest val microstructure error "
            f"({100 * errors[chosen]:.2f} % against {100 * errors[0]:.2f} % without clean-up, "
            f"val accuracy {scores[chosen].figures['accuracy']:.4f}) of the "
            f"{sum(allowed)} candidates with {tolerance_text}{excluded}"
        )
    return chosen, why


@dataclass
class CleanupChoice:
    """The clean-up chosen for one model, why, and what it was chosen on."""

    cleanup: Cleanup
    why: str
    tolerance: float
    candidates: list  # CandidateScore.record() of each, [] when none were scored
    val_slices: list | None  # [first, last] of the val block scored, None when not scored
    seconds: float  # choosing: cleaning and measuring the val block for every candidate

    def record(self):
        """summary.json's cleanup entry (evaluate adds where it was applied and the test
        figures before and after; the seconds go to cleanup_seconds, beside the other
        timings)."""
        return {
            "chosen": self.cleanup.record(),
            "why": self.why,
            "rule": CHOICE_RULE,
            "accuracy_tolerance": self.tolerance,
            "val_slices": self.val_slices,
            "candidates": self.candidates,
        }

    def file_record(self, model):
        """cleanup.json: what predict applies to new scans (Cleanup.from_record reads it)."""
        return {**self.cleanup.record(), "model": model, "why": self.why}


def not_chosen(why, tolerance):
    """The choice of no clean-up, for the reason given."""
    log.info("clean-up: none (%s)", why)
    return CleanupChoice(Cleanup(), why, tolerance, [], None, 0.0)


def choose_cleanup(true_block, predicted_block, settings, class_names, val_slices):
    """CleanupChoice by CHOICE_RULE on the val block.

    true_block, predicted_block: the val block's labels (IGNORE_INDEX ignored) and predicted
    class maps (Z, Y, X); settings: EvaluateSettings (its cleanup and microstructure sections);
    val_slices: [first, last] slice numbers of the block.
    """
    tolerance = float(settings.cleanup.accuracy_tolerance)
    cleanups = candidate_cleanups(settings.cleanup.candidates)
    if len(cleanups) == 1:
        return not_chosen("cleanup.candidates names no clean-up besides none", tolerance)
    started = time.perf_counter()
    roles = class_roles(settings.microstructure.roles, class_names)
    n_classes = max(class_count_needed(roles, true_block, predicted_block), len(class_names))
    measure = ranked_measure(roles, settings.microstructure, n_classes, class_names)
    scores = score_candidates(true_block, predicted_block, cleanups, n_classes, measure)
    chosen, why = choose(scores, tolerance)
    allowed = admissible(scores, tolerance)
    seconds = time.perf_counter() - started
    log.info("clean-up chosen on val slices %s-%s: %s (%.1f s)", *val_slices, why, seconds)
    return CleanupChoice(
        cleanup=scores[chosen].cleanup,
        why=why,
        tolerance=tolerance,
        candidates=[s.record(ok) for s, ok in zip(scores, allowed, strict=True)],
        val_slices=[int(val_slices[0]), int(val_slices[1])],
        seconds=seconds,
    )
