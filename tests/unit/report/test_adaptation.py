"""The report's line on the settings adapted to the data (report.adaptation)."""

from xrayseg.report.adaptation import adaptation_line
from xrayseg.settings.adapt import Adaptation, Change
from xrayseg.settings.spacing import SliceSpacing


def test_nothing_adapted_says_nothing():
    assert adaptation_line({}) is None
    assert adaptation_line(None) is None
    assert adaptation_line(Adaptation(SliceSpacing(1, 1.0, "names")).record()) is None


def test_each_change_is_named_with_its_values_and_why():
    changes = (
        Change("models.unet25d.context", 1, 0, "a 2.5-D context needs neighbouring slices"),
        Change("models.unet25d.orientations", ["z", "y", "x"], ["z"], "planes across"),
    )
    record = Adaptation(SliceSpacing(50, 1.0, "the file names"), changes).record()
    line = adaptation_line(record)
    assert "50 scan slices apart (the file names)" in line
    assert "models.unet25d.context 1 → 0 (a 2.5-D context needs neighbouring slices)" in line
    assert "models.unet25d.orientations [z, y, x] → [z] (planes across)" in line
