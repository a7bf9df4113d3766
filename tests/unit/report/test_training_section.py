"""The report's training section: steps taken, the budget and why, the weights kept."""

from types import SimpleNamespace

import pandas as pd

from xrayseg.report import sections

PNGS = {"curves": b"png"}


def history(**budget):
    rows = {
        "step": [50, 100, 150],
        "train_loss": [0.5, 0.3, 0.2],
        "val_loss": [0.4, 0.2, 0.25],
        "stopped_by": [None, None, "steps"],
    }
    return pd.DataFrame({**rows, **{key: [value] * 3 for key, value in budget.items()}})


def training_list(histories):
    models = {name: SimpleNamespace(history=h) for name, h in histories.items()}
    return sections._training_parts(models, PNGS)[-1]


def test_each_network_names_its_budget_the_rule_and_the_patches_it_counted():
    text = training_list(
        {
            "unet": history(budget_steps=150, budget_rule="passes", train_patches=1200),
            "dnn": history(budget_steps=150, budget_rule="floor", train_patches=54),
            "old": history(),
        }
    )
    assert (
        "unet: 150 steps of a budget of 150 (passes over the train patches; 1200 train "
        "patches), stopped by steps, lowest validation loss 0.2000 at step 100"
    ) in text
    assert "dnn: 150 steps of a budget of 150 (the floor, min_steps; 54 train patches)" in text
    # A history from before the budget columns still reads.
    assert "old: 150 steps, stopped by steps" in text


def test_a_pixel_model_is_fitted_in_one_go():
    assert "rf: fitted in one go" in training_list({"rf": pd.DataFrame({"step": [0]})})
