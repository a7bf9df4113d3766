"""The training budget rule: fixed steps, passes over the patches, the floor and the cap."""

import pytest

from xrayseg.training.budget import Budget, training_budget, validation_interval
from xrayseg.training.defaults import with_defaults


def auto(passes=2, min_steps=100, max_steps=1000, batch_size=8):
    return with_defaults(
        {
            "steps": "auto",
            "passes": passes,
            "min_steps": min_steps,
            "max_steps": max_steps,
            "batch_size": batch_size,
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
