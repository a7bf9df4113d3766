"""The learning-rate schedules, read back from the optimiser."""

import pytest
import torch

from xrayseg.training import schedule
from xrayseg.training.defaults import with_defaults


def optimizer(lr=0.01):
    return torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=lr)


def rates_on_a_plateau(settings, validations):
    """The learning rate before each of `validations` validations whose loss never improves."""
    opt = optimizer(settings["lr"])
    scheduler = schedule.make_scheduler(opt, settings)
    rates = []
    for _ in range(validations):
        rates.append(opt.param_groups[0]["lr"])
        scheduler.step(1.0)
    return rates


def test_the_plateau_schedule_halves_the_rate_each_time_validation_stalls():
    settings = with_defaults({"lr": 0.01, "lr_schedule": "plateau", "patience": 6})
    rates = rates_on_a_plateau(settings, 12)
    lowered = [rate for before, rate in zip(rates, rates[1:], strict=False) if rate < before]
    assert lowered[:2] == pytest.approx([0.005, 0.0025])
    # It waits patience / 3 = 2 stalled validations after the first, then cuts on the next one.
    assert rates[:5] == pytest.approx([0.01] * 4 + [0.005])


def test_the_plateau_schedule_stops_at_the_floor():
    settings = with_defaults(
        {"lr": 0.01, "lr_schedule": "plateau", "patience": 3, "min_lr_factor": 0.1}
    )
    assert min(rates_on_a_plateau(settings, 40)) == pytest.approx(0.001)


def test_the_cosine_schedule_ends_at_the_floor_after_the_steps():
    settings = with_defaults({"lr": 0.01, "steps": 10, "min_lr_factor": 0.01})
    opt = optimizer()
    scheduler = schedule.make_scheduler(opt, settings)
    for _ in range(10):
        opt.step()
        scheduler.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0001)
    assert schedule.make_scheduler(optimizer(), {**settings, "lr_schedule": "constant"}) is None
    with pytest.raises(ValueError, match="unknown lr_schedule 'step'"):
        schedule.make_scheduler(optimizer(), {**settings, "lr_schedule": "step"})
