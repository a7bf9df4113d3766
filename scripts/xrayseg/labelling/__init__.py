"""Labelling: which slice to label next, and whether more labels would help.

Entry: suggest.suggest_slices (rule suggest, scripts/suggest.py: the stack's unlabelled slices
ranked by the model's uncertainty); nextslices.merge_suggestions (rule next_slices,
scripts/next_slices.py: the stack's ranking joined with every prediction set's);
learningcurve.learning_curve_patches / learning_curve_train / learning_curve_evaluate (rules
learning_curve_*, scripts/learning_curve.py: one model trained on nested subsets of the labelled
train slices).
Modules: ranking (spread-out ranking by uncertainty), suggestpanel (raw / prediction /
uncertainty of the top suggestions), subsets (nested, seeded, evenly spread subsets), curve
(the learning curve's points, paired intervals and where it flattens), learningcurve.

Nothing is imported here, so that the report can use ranking and curve without torch.
"""
