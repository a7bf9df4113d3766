"""The training budget rule: fixed steps, passes over the patches, the floor and the cap."""

import pytest

from xrayseg.training.budget import Budget, training_budget, validation_interval
from xrayseg.training.defaults import with_defaults


def auto(passes=2, min_steps=100, max_steps=1000, batch_size=8, max_batch_size=None):
    return with_defaults(
        {
            "steps": "auto",
            "passes": passes,
            "min_steps": min_steps,
            "max_steps": max_steps,
            "batch_size": batch_size,
            "max_batch_size": max_batch_size,
        }
    )


def test_an_integer_is_exactly_that_many_steps_whatever_the_data():
    for patches in (1, 50, 10**6):
        budget = training_budget(with_defaults({"steps": 333}), patches)
        assert budget.steps == 333 and budget.rule == "fixed"
        assert budget.train_patches == patches
        assert "training.steps" in budget.describe()


def test_between_floor_and_cap_the_budget_is_the_passes_over_the_patches():
    budget = training_budget(auto(passes=2, batch_size=8), 2000)
    assert budget.steps == 500 and budget.rule == "passes"
    # Rounded up: the last partial batch of a pass counts.
    assert training_budget(auto(passes=1, batch_size=8), 2001).steps == 251
    assert "2 passes over 2000 train patches" in budget.describe()


def test_the_budget_grows_with_the_patches_and_never_leaves_its_bounds():
    steps = [training_budget(auto(), patches).steps for patches in range(1, 20000, 97)]
    assert steps == sorted(steps)
    assert min(steps) == 100 and max(steps) == 1000


def test_a_small_volume_gets_the_floor_and_a_large_one_the_cap():
    small = training_budget(auto(passes=2, min_steps=700), 54)
    assert small.steps == 700 and small.rule == "floor"
    assert "floor" in small.describe() and "14 steps" in small.describe()
    large = training_budget(auto(passes=2, max_steps=1000), 10**5)
    assert large.steps == 1000 and large.rule == "cap"
    assert "cap" in large.describe()
    # On the bounds themselves the passes decide.
    assert training_budget(auto(passes=1, min_steps=100, batch_size=10), 1000).rule == "passes"
    assert training_budget(auto(passes=1, max_steps=100, batch_size=10), 1000).rule == "passes"


def test_a_larger_batch_takes_fewer_steps_for_the_same_passes():
    assert training_budget(auto(batch_size=16), 4000).steps == 500
    assert training_budget(auto(batch_size=8), 4000).steps == 1000


def test_the_same_settings_and_patches_give_the_same_budget():
    first = training_budget(auto(passes=1.5), 3456)
    assert training_budget(auto(passes=1.5), 3456) == first
    assert Budget(**first.to_record()) == first


def test_a_floor_above_the_cap_or_no_patches_is_refused():
    with pytest.raises(ValueError, match=r"min_steps \(500\) is above training.max_steps \(400\)"):
        training_budget(auto(min_steps=500, max_steps=400), 100)
    with pytest.raises(ValueError, match="no train patches"):
        training_budget(auto(), 0)
    with pytest.raises(ValueError, match="auto or a positive integer"):
        training_budget(with_defaults({"steps": "many"}), 10)


def test_auto_validation_comes_a_twentieth_of_the_budget_apart_but_not_too_often():
    assert validation_interval("auto", 4000) == 200
    assert validation_interval("auto", 4010) == 201  # rounded up: never more than 20
    # A small budget keeps validations at least 50 steps apart (700 steps: 14 of them).
    assert validation_interval("auto", 700) == 50
    assert validation_interval(30, 4000) == 30


def test_a_budget_says_what_it_read():
    fixed = training_budget(with_defaults({"steps": 333, "batch_size": 16}), 50)
    assert (fixed.batch_size, fixed.passes, fixed.min_steps, fixed.max_steps) == (
        16,
        None,
        None,
        None,
    )
    budget = training_budget(auto(passes=2, min_steps=100, max_steps=1000, batch_size=8), 2000)
    assert (budget.batch_size, budget.passes, budget.min_steps, budget.max_steps) == (
        8,
        2,
        100,
        1000,
    )


def test_one_step_is_a_budget_and_a_fraction_of_a_batch_is_one_step():
    assert training_budget(with_defaults({"steps": 1}), 5).steps == 1
    budget = training_budget(auto(passes=0.01, min_steps=1, max_steps=10, batch_size=8), 10)
    assert (budget.steps, budget.rule) == (1, "passes")
    with pytest.raises(ValueError, match="auto or a positive integer, got 0"):
        training_budget(with_defaults({"steps": 0}), 10)


def test_a_refused_budget_says_why():
    with pytest.raises(ValueError, match="the floor of the budget must not exceed its cap$"):
        training_budget(auto(min_steps=500, max_steps=400), 100)
    with pytest.raises(
        ValueError, match="^no train patches: a training budget needs at least one$"
    ):
        training_budget(auto(), 0)


def test_without_max_batch_size_the_batch_never_changes():
    budget = training_budget(auto(passes=2, max_steps=1000, batch_size=8), 10**5)
    assert (budget.batch_size, budget.rule, budget.lr_factor) == (8, "cap", 1.0)
    same = training_budget(auto(passes=2, max_steps=1000, batch_size=8, max_batch_size=8), 10**5)
    assert (same.batch_size, same.steps, same.rule) == (8, 1000, "cap")


def test_past_the_cap_the_batch_grows_until_the_passes_fit():
    # 2 passes over 20000 patches: 5000 steps of 8, 1000 of 40 fit the cap.
    budget = training_budget(auto(passes=2, max_steps=1000, max_batch_size=64), 20000)
    assert (budget.batch_size, budget.steps, budget.rule) == (40, 1000, "batch")
    assert (budget.base_batch_size, budget.max_batch_size) == (8, 64)
    assert budget.lr_factor == pytest.approx(5**0.5)
    assert "batch grown from 8" in budget.describe() and "x2.24" in budget.describe()
    # Every pass is still taken: steps x batch covers the passes.
    for patches in (4001, 7777, 12345, 31671):
        grown = training_budget(auto(passes=2, max_steps=1000, max_batch_size=64), patches)
        assert grown.steps <= 1000 and grown.steps * grown.batch_size >= 2 * patches
        assert (grown.steps - 1) * grown.batch_size < 2 * patches


def test_a_batch_at_its_largest_leaves_the_rest_to_the_cap():
    budget = training_budget(auto(passes=2, max_steps=1000, max_batch_size=16), 10**5)
    assert (budget.batch_size, budget.steps, budget.rule) == (16, 1000, "cap")
    assert "the cap" in budget.describe() and "batch grown from 8" in budget.describe()


def test_below_the_cap_a_growable_batch_stays_as_configured():
    small = training_budget(auto(passes=2, min_steps=100, max_batch_size=512), 54)
    assert (small.batch_size, small.steps, small.rule, small.lr_factor) == (8, 100, "floor", 1.0)
    middle = training_budget(auto(passes=2, max_batch_size=512), 2000)
    assert (middle.batch_size, middle.steps, middle.rule) == (8, 500, "passes")
    # On the cap itself the passes decide.
    bound = training_budget(auto(passes=2, max_steps=500, max_batch_size=512), 2000)
    assert (bound.batch_size, bound.steps, bound.rule) == (8, 500, "passes")


def test_a_max_batch_size_below_the_batch_is_refused():
    refused = r"max_batch_size \(4\) is below .* the batch may only grow$"
    with pytest.raises(ValueError, match=refused):
        training_budget(auto(batch_size=8, max_batch_size=4), 100)
