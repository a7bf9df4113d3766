"""New scans for the prediction tests: the tiny run's synthetic imaging with another seed."""

import numpy as np
import tifffile

from xrayseg.data.synthetic import REAL_DATA_DEFAULTS, write_synthetic_dataset

# Another shape than the training volume's (24 x 64 x 64), not square, so nothing assumes either.
SCAN_SHAPE = (12, 72, 64)


def write_scan(folder, seed, feature_size, shape=SCAN_SHAPE):
    """folder/raw/SOCprist*.tiff and folder/labels/slice__*.tif: a synthetic scan with its truth."""
    return write_synthetic_dataset(
        folder,
        shape=shape,
        fractions=REAL_DATA_DEFAULTS["fractions"],
        feature_size=feature_size,
        grey_means=REAL_DATA_DEFAULTS["grey_means"],
        grey_stds=REAL_DATA_DEFAULTS["grey_stds"],
        edge_blur=2.0,
        drift=0.03,
        label_values=REAL_DATA_DEFAULTS["label_values"],
        seed=seed,
    )


def read_folder(folder):
    """The slices of a folder of TIFFs, in name order, as one array."""
    return np.stack([tifffile.imread(p) for p in sorted(folder.glob("*.tif*"))])


def write_scaled_stack(scan_folder, path, gain):
    """The scan's raw slices times `gain` (clipped to uint16) as one multi-page TIFF."""
    raw = read_folder(scan_folder / "raw").astype(np.float64) * gain
    tifffile.imwrite(path, np.clip(raw, 0, 65535).astype(np.uint16))
    return path
