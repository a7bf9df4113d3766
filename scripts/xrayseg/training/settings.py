"""The training settings a network's loop reads, checked before it starts.

config/schema.yaml is the one source of their defaults: Snakemake fills them into the `training`
section and rules/common.smk merges that section with each model's own entry, so a training job
always gets complete settings. The loop fills in nothing: it names any missing key. Direct calls
(tests, benchmarks) take the schema's defaults through xrayseg.training.defaults.
"""

# Every training setting of config/schema.yaml (a test keeps the two equal).
SETTING_KEYS = (
    "steps",
    "passes",
    "min_steps",
    "max_steps",
    "val_every",
    "val_patches",
    "max_minutes",
    "batch_size",
    "max_batch_size",
    "lr",
    "weight_decay",
    "optimizer",
    "lr_schedule",
    "min_lr_factor",
    "patience",
    "dice_weight",
    "precision",
    "channels_last",
    "augment",
    "orientations",
)


def check_complete(settings):
    """`settings`, or ValueError naming every training setting missing from them."""
    missing = [key for key in SETTING_KEYS if key not in settings]
    if missing:
        raise ValueError(
            "training settings incomplete: missing "
            + ", ".join(f"training.{key}" for key in missing)
            + " (a Snakemake run fills them from config/schema.yaml; direct calls can use "
            "xrayseg.training.defaults.with_defaults)"
        )
    return settings
