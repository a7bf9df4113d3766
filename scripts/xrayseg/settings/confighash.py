"""A short stable hash of settings, stored in every artefact so its provenance can be checked."""

import hashlib
import json


def config_hash(settings):
    """First 16 hex digits of the SHA-256 of the settings as canonical JSON."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
