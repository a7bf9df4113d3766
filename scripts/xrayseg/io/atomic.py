"""Write outputs under a temporary name and rename them into place only when complete.

A crash, a SIGTERM from a cluster or a full disk then never leaves a truncated HDF5 file or
checkpoint under its final name, which Snakemake (or a resumed job) would otherwise trust.
"""

import contextlib
import os
import shutil
import socket
from pathlib import Path


@contextlib.contextmanager
def atomic_output(final_path):
    """Yield a temporary path beside `final_path`; rename it onto `final_path` on success.

    The temporary name lives in the same directory so the rename is atomic on POSIX file systems.
    On any exception the temporary file (or folder) is removed and the final path is untouched.
    """
    final_path = Path(final_path)
    final_path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{final_path.name}.tmp-{socket.gethostname()}-"
    # A writer killed by SIGKILL (or a node failure) leaves its temporary behind; remove those of
    # this host whose process is gone. Other hosts' temporaries are left alone: on a shared file
    # system their process ids mean nothing here.
    for stale in final_path.parent.glob(f"{glob_escape(prefix)}*"):
        if not _process_alive(stale.name[len(prefix) :]):
            _remove(stale)
    tmp_path = final_path.with_name(f"{prefix}{os.getpid()}")
    _remove(tmp_path)
    try:
        yield tmp_path
        os.replace(tmp_path, final_path)
    finally:
        _remove(tmp_path)


def glob_escape(text):
    """`text` with glob metacharacters escaped, for Path.glob."""
    return "".join(f"[{char}]" if char in "*?[" else char for char in text)


def _process_alive(pid_text):
    """Whether the process with this id (a decimal string) runs on this host."""
    if not pid_text.isdigit():
        return True  # not one of ours: leave it
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
