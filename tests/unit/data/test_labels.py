"""Label values to class indices, and the checks of the data settings."""

import numpy as np
import pytest

from xrayseg.data.labels import LabelMapping, UnknownLabels
from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.settings.specs import data_problems

RGB = [[0, 0, 255], [0, 255, 0], [255, 0, 0], [255, 255, 0]]


def test_grey_values_map_to_class_indices_in_config_order():
    mapping = LabelMapping([255, 0, 128])
    classes, unknown = mapping.classes(np.array([[0, 128], [255, 0]], np.uint8), "s")
    np.testing.assert_array_equal(classes, [[1, 2], [0, 1]])
    assert unknown == {}


def test_sixteen_bit_grey_values_work():
    mapping = LabelMapping([0, 1000, 65535])
    classes, _ = mapping.classes(np.array([[65535, 1000, 0]], np.uint16), "s")
    np.testing.assert_array_equal(classes, [[2, 1, 0]])


def test_rgb_colours_map_to_classes_and_constant_alpha_is_dropped():
    mapping = LabelMapping(RGB)
    image = np.array([[c + [255] for c in RGB]], dtype=np.uint8)  # 1 x 4 x RGBA
    classes, unknown = mapping.classes(image, "s")
    np.testing.assert_array_equal(classes, [[0, 1, 2, 3]])
    assert unknown == {}


def test_varying_alpha_is_an_error():
    image = np.zeros((1, 2, 4), np.uint8)
    image[0, 1, 3] = 255
    with pytest.raises(ValueError, match="s.png: .*transparency"):
        LabelMapping(RGB).classes(image, "s.png")


def test_mask_value_becomes_ignore_index_and_is_not_unknown():
    mapping = LabelMapping([0, 255], mask=7)
    classes, unknown = mapping.classes(np.array([[0, 7, 255]], np.uint8), "s")
    np.testing.assert_array_equal(classes, [[0, IGNORE_INDEX, 1]])
    assert unknown == {}


def test_rgb_mask_colour():
    mapping = LabelMapping(RGB[:2], mask=[0, 0, 0])
    image = np.array([[[0, 0, 0], [0, 255, 0]]], np.uint8)
    classes, _ = mapping.classes(image, "s")
    np.testing.assert_array_equal(classes, [[IGNORE_INDEX, 1]])


def test_unknown_values_are_gathered_with_counts_and_slices():
    mapping = LabelMapping([0, 128, 255])
    found = UnknownLabels(mapping)
    for name, image in [
        ("a.tif", np.array([[0, 64, 64]], np.uint8)),
        ("b.tif", np.array([[64, 200, 255]], np.uint8)),
        ("c.tif", np.array([[0, 128, 255]], np.uint8)),
    ]:
        found.add(name, mapping.classes(image, name)[1])
    message = found.message()
    assert "value 64: 3 pixels in a.tif, b.tif" in message
    assert "value 200: 1 pixels in b.tif" in message
    assert "c.tif" not in message
    assert "data.label_values [0, 128, 255]" in message


def test_rgb_labels_with_grey_values_name_the_colours_found():
    image = np.zeros((2, 2, 3), np.uint8)
    image[0, 0] = [255, 0, 0]
    with pytest.raises(
        ValueError, match=r"x.png: label image is RGB .*\[\[0, 0, 0\], \[255, 0, 0\]\]"
    ):
        LabelMapping([0, 255]).classes(image, "x.png")


def test_grey_labels_with_rgb_values_name_the_grey_values_found():
    with pytest.raises(ValueError, match=r"x.tif: label image is greyscale .*\[0, 128\]"):
        LabelMapping(RGB).classes(np.array([[0, 128]], np.uint8), "x.tif")


def test_too_many_classes_for_the_ignore_index():
    with pytest.raises(ValueError, match="at most 254"):
        LabelMapping(list(range(255)))


def _data(**overrides):
    return {"label_values": [0, 128, 255], "class_names": ["a", "b", "c"], **overrides}


@pytest.mark.parametrize(
    ("overrides", "key", "text"),
    [
        ({"class_names": ["a", "b"]}, "data.class_names", "2 names for 3 label_values"),
        ({"label_values": [0, [0, 0, 255], 255]}, "data.label_values", "mixes grey values"),
        ({"label_values": [0, 0, 255]}, "data.label_values", "lists a value twice"),
        ({"class_names": ["a", "a", "c"]}, "data.class_names", "lists a name twice"),
        ({"mask": 128}, "data.mask", "also a class"),
        ({"mask": [0, 0, 0]}, "data.mask", "same kind"),
        ({"slices": [5, 5]}, "data.slices", "start < stop"),
        ({"source": "files"}, "data.raw", "a folder, glob"),
        ({"source": "files", "raw": "/nowhere/*.tif"}, "data.raw", "no files match"),
    ],
)
def test_data_problems_name_the_key(overrides, key, text):
    problems = dict(data_problems(_data(**overrides)))
    assert key in problems
    assert text in problems[key]


def test_good_data_settings_have_no_problems(tmp_path):
    (tmp_path / "s1.tif").write_bytes(b"")
    data = _data(source="files", raw=str(tmp_path), labels=str(tmp_path / "s*.tif"), mask=64)
    assert data_problems(data) == []


def test_labels_saved_as_16_bits_are_named_as_such():
    mapping = LabelMapping([0, 128, 255])
    unknown = UnknownLabels(mapping)
    image = np.array([[0, 128 * 257], [255 * 257, 0]], dtype=np.uint16)
    unknown.add("s.tif", mapping.classes(image, "s.tif")[1])
    message = unknown.message()
    assert message.startswith("label files hold [0, 32896, 65535] where data.label_values are ")
    assert "saved as 16-bit images" in message
    # Any other foreign value: the plain list
    unknown.add("t.tif", {7: 1})
    assert unknown.message().startswith("label files hold values that are not in")
