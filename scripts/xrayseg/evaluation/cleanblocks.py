"""The chosen clean-up in evaluate: chosen on the val block, applied to the evaluated blocks.

A split block is cleaned when every one of its slices is scored (one run of neighbouring
labelled slices, at least evaluation.cleanupchoice.MIN_SLICES): val and test, and train when
evaluate.train_slices covers the whole train block. Train scored on a spread subset of its slices
(the default at full size) cannot be cleaned in 3-D, so its scores, and its gap to test, are
before clean-up; summary.json lists the blocks cleaned and why not the others. The test scores
before the clean-up are recorded beside the after ones, which are the headline scores.
"""

import numpy as np

from xrayseg.evaluation.cleanupchoice import (
    block_problem,
    choose_cleanup,
    figures,
    not_chosen,
)
from xrayseg.evaluation.metrics import confusion_matrix
from xrayseg.evaluation.microstructure import measure_test_block
from xrayseg.microstructure.ranking import RANKED_METRICS


def choose_on_val(labels, blocks, scored, maps, settings, class_names):
    """The CleanupChoice for this model: chosen on the val block's predicted class maps
    (maps: {split: {slice: class map}}), or none with the reason when that cannot be done.

    labels: the volume's label dataset; blocks, scored: {split: its slices, those scored}.
    """
    tolerance = float(settings.cleanup.accuracy_tolerance)
    if "val" not in blocks:
        return not_chosen("the val block is not evaluated (evaluate.splits)", tolerance)
    problem = block_problem("val", blocks["val"], scored["val"])
    if problem:
        return not_chosen(problem, tolerance)
    first, last = blocks["val"][0], blocks["val"][-1]
    true_block = np.asarray(labels[first : last + 1])
    predicted_block = np.stack([maps["val"][z] for z in blocks["val"]])
    return choose_cleanup(true_block, predicted_block, settings, class_names, [first, last])


def apply_to_blocks(cleanup, blocks, scored, maps, n_classes):
    """Clean the class maps of every split block that can be cleaned, in place in `maps`;
    ([the splits cleaned], {split not cleaned: why})."""
    cleaned, not_cleaned = [], {}
    for split, block in blocks.items():
        problem = (
            "no clean-up chosen" if cleanup.is_none else block_problem(split, block, scored[split])
        )
        if problem:
            not_cleaned[split] = problem
            continue
        volume = cleanup.apply(np.stack([maps[split][z] for z in block]), n_classes)
        maps[split] = {z: volume[i] for i, z in enumerate(block)}
        cleaned.append(split)
    return cleaned, not_cleaned


def figures_before_after(labels, before, after_confusion, after_table, settings, class_names):
    """{"before", "after"}: the test figures (cleanupchoice.FIGURES) of the class maps before the
    clean-up (`before`: {slice: class map}; None: the test block was not cleaned, so before is
    after) and after it (its pooled confusion counts and its microstructure table, as evaluate
    wrote them). The microstructure before is measured on the same run of test slices, ranked
    metrics only."""
    after = figures(after_confusion, after_table)
    if before is None:
        return {"before": after, "after": after}
    n_classes = len(class_names)
    confusion = sum(confusion_matrix(labels[z], before[z], n_classes) for z in sorted(before))
    table, _ = measure_test_block(
        labels, before, settings.microstructure, class_names, metrics=RANKED_METRICS
    )
    return {"before": figures(confusion, table), "after": after}
