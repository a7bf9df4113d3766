"""Labelling: which slice to label next, and whether more labels would help.

Rules suggest and next_slices (scripts/suggest.py, scripts/next_slices.py) rank the unlabelled
slices by the model's uncertainty; the learning curve's rules (scripts/learning_curve_split.py)
train one model on nested subsets of the labelled train slices. Nothing is imported here, so that
the report can use the ranking without torch.
Entry: suggest.suggest_slices, nextslices.merge_suggestions, subsets.write_subset_split.
"""
