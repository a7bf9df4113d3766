"""segmentation.tif: an ImageJ hyperstack while it fits a classic TIFF (< 4 GiB), else a BigTIFF.
The size rule is tested on small stacks by moving the limit, not by writing 4 GiB."""

import numpy as np
import pytest
import tifffile

from xrayseg.io import labelfiles as files


def written(path):
    with tifffile.TiffFile(path) as tif:
        return tif.is_bigtiff, tif.is_imagej, tif.asarray()


GREY = np.random.default_rng(0).choice(np.array([0, 128, 255], np.uint8), size=(3, 5, 7))
RGB = np.random.default_rng(1).integers(0, 256, size=(2, 4, 6, 3), dtype=np.uint8)


@pytest.mark.parametrize("stack", [GREY, RGB, GREY.astype(np.uint16) * 200], ids=str)
def test_the_stack_switches_to_bigtiff_at_the_classic_tiff_limit(tmp_path, monkeypatch, stack):
    size = stack.nbytes  # every pixel of every slice, in the output's dtype
    for limit, bigtiff in ((size + 1, False), (size, True), (size - 1, True)):
        monkeypatch.setattr(files, "IMAGEJ_LIMIT", limit)
        out = tmp_path / f"stack_{limit}.tif"
        files.write_label_stack(out, iter(stack), stack.shape, stack.dtype)
        is_bigtiff, is_imagej, data = written(out)
        assert (is_bigtiff, is_imagej) == (bigtiff, not bigtiff), limit
        np.testing.assert_array_equal(data, stack)


def test_the_limit_leaves_room_below_4_gib_for_the_tiff_structure():
    # Offsets in a classic TIFF are 32-bit: the image data and every tag and offset must fit in
    # 4 GiB. A real-size volume (500 x 501 x 501 uint8, 125 MB) stays an ImageJ stack.
    assert 500 * 501 * 501 < files.IMAGEJ_LIMIT < 2**32 - 2**20
