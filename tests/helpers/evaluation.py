"""What evaluate_model takes in the unit tests: the config's `evaluate` section for a small CPU
run, and its output paths."""

# Patch windows in fp32 without channels-last: small and exact on any CPU.
EVALUATE_SETTINGS = {
    "splits": ["train", "val", "test"],
    "overlap": 0.5,
    "batch_size": 4,
    "window": "patch",
    "flip_tta": False,
    "precision": "fp32",
    "channels_last": False,
    "sigma_scale": 0.125,
    "boundary_tolerance": 2,
    "bootstrap_resamples": 50,
    "confidence": 0.95,
    "bootstrap_seed": 0,
    "bootstrap_block": 1,
    "save_probabilities": False,
}

OUTPUT_NAMES = {
    "metrics": "metrics.csv",
    "summary": "summary.json",
    "confusion": "confusion.csv",
    "predictions": "test_predictions.tif",
    "microstructure": "microstructure.csv",
    "panel": "panel.png",
    "panel_worst": "panel_worst.png",
    "panel_best": "panel_best.png",
}


def evaluation_outputs(folder, *optional):
    """evaluate_model's outputs under `folder`, with the optional ones named (probabilities,
    uncertainty, calibration)."""
    extra = {
        "probabilities": "test_probabilities.h5",
        "uncertainty": "test_uncertainty.h5",
        "calibration": "calibration.csv",
    }
    names = {**OUTPUT_NAMES, **{key: extra[key] for key in optional}}
    return {key: folder / name for key, name in names.items()}
