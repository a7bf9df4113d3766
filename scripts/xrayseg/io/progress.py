"""Progress lines for long loops: items done, seconds per item, time left.

A job that runs for many minutes must show in its log that it is alive and when it will finish.
Loops call `Progress.advance()` after each item; a line is emitted after the first item (the
first speed estimate), whenever `every` seconds have passed since the last line, and after the
last item. With the default 20 s a line appears at least every 30 s while items take under 10 s.
The clock and the output are arguments, so the behaviour is tested without waiting.
"""

import time


def progress_line(label, done, total, elapsed, unit="slice"):
    """'label: 12 of 40 slices, 1.25 s per slice, about 35 s left' (elapsed: seconds so far)."""
    per_item = elapsed / done if done else float("nan")
    left = per_item * (total - done)
    line = f"{label}: {done} of {total} {unit}s, {per_item:.3g} s per {unit}"
    if done < total:
        return f"{line}, about {format_seconds(left)} left"
    return f"{line}, done in {format_seconds(elapsed)}"


def format_seconds(seconds):
    """42 s, 3 min 20 s, 1 h 05 min."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Progress:
    """Counts finished items of a loop and emits progress_line()s (see the module docstring)."""

    def __init__(self, label, total, emit, every=20.0, unit="slice", clock=time.monotonic):
        self.label, self.total, self.emit = label, int(total), emit
        self.every, self.unit, self.clock = float(every), unit, clock
        self.done = 0
        self.started = self.last_line = clock()

    def advance(self, count=1):
        """Record `count` more finished items; emit a line when one is due."""
        self.done += count
        now = self.clock()
        due = self.done == count or now - self.last_line >= self.every or self.done >= self.total
        if due:
            self.last_line = now
            self.emit(
                progress_line(self.label, self.done, self.total, now - self.started, self.unit)
            )
