"""Write outputs under a temporary name and rename them into place only when complete.

A crash, a SIGTERM from a cluster or a full disk then never leaves a truncated HDF5 file or
checkpoint under its final name, which Snakemake (or a resumed job) would otherwise trust.
"""

import contextlib
import os
import shutil
from pathlib import Path


@contextlib.contextmanager
def atomic_output(final_path):
    """Yield a temporary path beside `final_path`; rename it onto `final_path` on success.

    The temporary name lives in the same directory so the rename is atomic on POSIX file systems.
    On any exception the temporary file (or folder) is removed and the final path is untouched.
    """
    final_path = Path(final_path)
    final_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = final_path.with_name(f".{final_path.name}.tmp-{os.getpid()}")
    _remove(tmp_path)
    try:
        yield tmp_path
        os.replace(tmp_path, final_path)
    finally:
        _remove(tmp_path)


def _remove(path):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
