"""Checks made when a run starts, before any job: what the config alone cannot tell.

The device a job would run on, and whether the folders the jobs write into take writes. Each
problem is one line naming the key or the folder, the problem and the fix. rules/errors.smk runs
them from Snakemake's onstart hook, which knows the jobs to run and whether they run here
(a cluster's login node needs no GPU for its jobs). Standard library only, like the rest of
xrayseg.settings: the caller asks torch how many CUDA devices there are.
"""

import errno
import os
from pathlib import Path

from xrayseg.io.errors import disk_problem

# Less free space than this on a folder's disk stops the run before any job: a job would stop on
# its first write, with a full disk for every job after it.
MIN_FREE_BYTES = 1 << 20


def device_problem(device, cuda_devices, torch_version=None):
    """One line when `device` (the config's `device`) names a CUDA device this machine lacks;
    None when it is usable. cuda_devices: how many CUDA devices torch sees (0 when torch is
    built without CUDA); torch_version names the build in the message."""
    if not str(device).startswith("cuda"):
        return None
    index = int(device.partition(":")[2] or 0)
    if index < cuda_devices:
        return None
    if cuda_devices == 0:
        build = f" (torch {torch_version})" if torch_version else ""
        seen = f"torch{build} finds no CUDA device on this machine"
    else:
        seen = f"torch sees {cuda_devices} CUDA device(s): cuda:0..cuda:{cuda_devices - 1}"
    return (
        f"device: {device!r} asks for a CUDA GPU, but {seen}; set device: auto (a GPU when "
        "there is one, else the CPU) or cpu, or run on a machine with that GPU"
    )


def nearest_folder(path):
    """The folder a new file at `path` would go into, or its nearest existing ancestor."""
    folder = Path(path).absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def unwritable_problems(paths, min_free=MIN_FREE_BYTES):
    """One line per folder that the files at `paths` would be written into and that takes no
    write: read-only file system, no permission, or less than `min_free` bytes free."""
    problems, seen = [], set()
    for path in paths:
        folder = nearest_folder(path)
        if folder in seen:
            continue
        seen.add(folder)
        problem = folder_problem(folder, min_free)
        if problem:
            problems.append(problem)
    return problems


def folder_problem(folder, min_free=MIN_FREE_BYTES):
    """One line when the existing folder `folder` takes no new file, else None."""
    shown = _shown(folder)
    try:
        stats = os.statvfs(folder)
    except OSError:
        return None  # a file system that cannot say: the jobs will
    if stats.f_flag & os.ST_RDONLY:
        code = errno.EROFS
    elif not os.access(folder, os.W_OK | os.X_OK):
        code = errno.EACCES
    elif stats.f_bavail * stats.f_frsize < min_free:
        code = errno.ENOSPC
    else:
        return None
    return disk_problem(OSError(code, os.strerror(code), shown), writing=True)


def _shown(folder):
    """A folder as the user names it: relative to the working directory when inside it."""
    try:
        return f"{Path(folder).relative_to(Path.cwd())}/"
    except ValueError:
        return f"{folder}/"
