"""Small volumes written in the layouts users bring, for the ingest tests."""

import h5py
import numpy as np
import tifffile
from skimage.io import imsave

GREY_VALUES = [0, 128, 255]
CLASS_NAMES = ["pore", "YSZ", "Ni"]
RGB_VALUES = [[0, 0, 255], [0, 255, 0], [255, 0, 0], [255, 255, 0]]
# 12 slices: train 0-4, guard 5, val 6-7, guard 8, test 9-11. Its val block has 2 slices, fewer
# than the default split.min_labelled_slices (3) asks for.
SPLIT = {"val_fraction": 0.2, "test_fraction": 0.25, "guard_slices": 1, "min_labelled_slices": 2}
N_SLICES = 12
SHAPE = (14, 17)


def phantom(n_slices=N_SLICES, shape=SHAPE, n_classes=3, seed=0):
    """(raw uint16, classes uint8): each class has its own grey level plus noise; every slice
    differs, so a mix-up of slice order shows in the data."""
    rng = np.random.default_rng(seed)
    classes = rng.integers(0, n_classes, size=(n_slices, *shape), dtype=np.uint8)
    means = np.linspace(10000, 40000, n_classes)
    raw = means[classes] + rng.normal(0, 500, classes.shape) + np.arange(n_slices)[:, None, None]
    return np.clip(raw, 0, 65535).astype(np.uint16), classes


def write_folder(folder, arrays, names, compression=None):
    """One file per slice; TIFF or PNG chosen by each name's ending."""
    folder.mkdir(parents=True, exist_ok=True)
    for array, name in zip(arrays, names, strict=True):
        if name.endswith(".png"):
            imsave(folder / name, array, check_contrast=False)
        else:
            tifffile.imwrite(folder / name, array, compression=compression)
    return folder


def real_names(n_slices=N_SLICES):
    """The real data's naming: SOCprist0001.tiff and slice__001.tif."""
    raw = [f"SOCprist{z + 1:04d}.tiff" for z in range(n_slices)]
    labels = [f"slice__{z + 1:03d}.tif" for z in range(n_slices)]
    return raw, labels


def grey_labels(classes, values=GREY_VALUES):
    return np.asarray(values, dtype=np.uint8)[classes]


def rgb_labels(classes, colours=RGB_VALUES):
    return np.asarray(colours, dtype=np.uint8)[classes]


def write_real_layout(root, raw, labels, compression="packbits"):
    """raw/SOCprist*.tiff and labels/slice__*.tif, as the real data comes."""
    raw_names, label_names = real_names(len(raw))
    write_folder(root / "raw", raw, raw_names, compression=compression)
    write_folder(root / "labels", labels, label_names)
    return root / "raw", root / "labels"


def write_h5(path, dataset, array):
    with h5py.File(path, "a") as f:
        f.create_dataset(dataset, data=array, chunks=(1, *array.shape[1:]))
    return f"{path}:{dataset}"
