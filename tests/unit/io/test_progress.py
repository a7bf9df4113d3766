"""Progress lines: when they appear and what they say, driven by a fake clock."""

import itertools

from xrayseg.io.progress import Progress, format_seconds, progress_line


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def run(item_seconds, total, every=20.0):
    """The lines a loop of `total` items taking item_seconds[i] each emits, with the clock time
    at which each appeared (seconds since the start)."""
    clock, lines = FakeClock(), []
    progress = Progress(
        "evaluate", total, lambda line: lines.append((clock.now - 100, line)), every, clock=clock
    )
    for seconds in item_seconds:
        clock.now += seconds
        progress.advance()
    return lines


def test_a_line_after_the_first_item_every_interval_and_at_the_end():
    lines = run([3.0] * 40, 40)
    times = [t for t, _ in lines]
    assert times[0] == 3.0 and times[-1] == 120.0
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Due once 20 s passed since the last line: the next 3 s item prints it (at most 23 s apart).
    assert all(20 <= gap <= 23 for gap in gaps[:-1]) and gaps[-1] <= 23
    assert len(lines) == 1 + 5 + 1


def test_lines_at_least_every_30_s_while_items_take_under_10_s():
    lines = run([9.9, 0.1, 7.0, 9.0, 9.5, 2.0, 9.9, 9.9, 9.9, 9.9, 1.0, 0.5] * 5, 60)
    times = [0.0] + [t for t, _ in lines]
    assert max(b - a for a, b in itertools.pairwise(times)) < 30


def test_no_line_between_intervals_on_a_fast_loop():
    lines = run([0.01] * 1000, 1000)
    assert len(lines) == 2  # the first item and the last


def test_the_line_gives_done_speed_and_time_left():
    lines = run([2.0] * 10, 10, every=5.0)
    first = lines[0][1]
    assert first == "evaluate: 1 of 10 slices, 2 s per slice, about 18 s left"
    assert lines[1][1] == "evaluate: 4 of 10 slices, 2 s per slice, about 12 s left"
    assert lines[-1][1] == "evaluate: 10 of 10 slices, 2 s per slice, done in 20 s"


def test_advancing_by_several_items_counts_them():
    clock, lines = FakeClock(), []
    progress = Progress("rf trees", 32, lines.append, every=1.0, unit="tree", clock=clock)
    clock.now += 10
    progress.advance(8)
    clock.now += 30
    progress.advance(24)
    assert lines == [
        "rf trees: 8 of 32 trees, 1.25 s per tree, about 30 s left",
        "rf trees: 32 of 32 trees, 1.25 s per tree, done in 40 s",
    ]


def test_time_left_reads_in_minutes_and_hours():
    assert format_seconds(42.4) == "42 s"
    assert format_seconds(200) == "3 min 20 s"
    assert format_seconds(3900) == "1 h 05 min"
    assert progress_line("predict", 10, 500, 56.0) == (
        "predict: 10 of 500 slices, 5.6 s per slice, about 45 min 44 s left"
    )
