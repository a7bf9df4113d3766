"""Which torch device a job runs on (training, evaluation and prediction alike)."""

import torch


def pick_device(requested="auto"):
    """cuda when present (or asked for), else cpu."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)
