"""Expected problems as one readable line each, where the user looks: the end of the output.

An expected problem is bad input, a bad config, no device, no space or no permission: something
the user fixes, not a bug. A check raises InputError (a ValueError, so code that catches
ValueError still does) whose message names the file or key, the problem and the fix, one line
per problem. A job (xrayseg.io.logsetup.log_to) turns an InputError, or an OSError of a full or
read-only disk or a refused permission (disk_problem), into those lines: on stderr, and in a
small error file (error_file) that Snakemake's onerror handler (rules/errors.smk) prints again
after Snakemake's own output, so they end the console output. The traceback goes to the job log
only. Anything else is unexpected: its traceback stays on the console and in the log.

Standard library only: the Snakemake process imports it at every start-up.
"""

import errno
import re
from pathlib import Path

LOGS_DIR = Path("results/logs")
ERRORS_DIR = LOGS_DIR / "errors"

# How many items of a long list a message shows before it says how many there are in all.
SHOWN_ITEMS = 5


class InputError(ValueError):
    """A problem with the user's input or settings: the message names the file or key, the
    problem and the fix, one line per problem."""


def summarised(items, shown=SHOWN_ITEMS, where=None, separator=", "):
    """'a, b, c' for a short list; 'a, b, c, d, e, ... (44 in all; the full list: <where>)'
    for a long one, so that no message grows with the data."""
    items = [str(item) for item in items]
    if len(items) <= shown:
        return separator.join(items)
    rest = f"{len(items)} in all" + (f"; the full list: {where}" if where else "")
    return separator.join(items[:shown]) + f"{separator}... ({rest})"


# Full disks and refused writes that an OSError's errno (or, where the C library of h5py
# reports it only in the text, its message) names.
_DISK_ERRNOS = {
    "No space left on device": errno.ENOSPC,
    "Disk quota exceeded": errno.EDQUOT,
    "Read-only file system": errno.EROFS,
    "Permission denied": errno.EACCES,
    "Operation not permitted": errno.EPERM,
}
_H5_FILENAME = re.compile(r"filename = '([^']*)'")


_HDF5_ERRNO = re.compile(r"errno = (\d+)")


def disk_problem(error, where="results/", writing=None):
    """One line for an error that a full disk, a read-only file system or a refused permission
    raised (an OSError, or an HDF5 error naming the errno in its text); None for any other.
    `where` names the place when the error names no file (h5py and matplotlib often do not);
    writing: whether a refused permission refused a write (None: a file outside results/ was
    being read)."""
    text = str(error)
    code = error.errno if isinstance(error, OSError) else None
    if code not in _DISK_ERRNOS.values():
        hdf5 = _HDF5_ERRNO.search(text)
        code = int(hdf5[1]) if hdf5 else None
    if code not in _DISK_ERRNOS.values() and isinstance(error, OSError):
        code = next((c for phrase, c in _DISK_ERRNOS.items() if phrase in text), None)
    if code not in _DISK_ERRNOS.values():
        return None
    named = getattr(error, "filename", None) or (_H5_FILENAME.search(text) or [None, None])[1]
    path = str(named) if named else where
    if code in (errno.ENOSPC, errno.EDQUOT):
        if named and not Path(path).is_dir():  # the disk matters, not the file that did not fit
            path = f"{Path(path).parent}/"
        what = "no space left" if code == errno.ENOSPC else "the disk quota is used up"
        return (
            f"{what} on the disk holding {path}: free space there (or make results/ a link to a "
            "larger disk), then run the same command again"
        )
    if code == errno.EROFS:
        return (
            f"cannot write {path}: the file system is read-only; run from a writable copy of "
            "the project, or make results/ a link to a writable disk"
        )
    if writing is None:
        writing = not _is_input(path)
    return (
        f"cannot {'write' if writing else 'read'} {path}: permission denied; give "
        "your user access to it (ls -l shows its owner and mode)"
    )


def _is_input(path):
    """Whether a path lies outside results/ (an input the job reads, not an output)."""
    results = (Path.cwd() / "results").resolve()
    return not (Path.cwd() / path).resolve().is_relative_to(results)


def expected_problem(error):
    """The message of an expected problem (InputError, disk_problem), None for anything else.
    The exceptions it was raised from or while handling count too: a full disk often surfaces
    as a library's error while it cleans up after the write that failed."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, InputError):
            return str(error)
        problem = disk_problem(error)
        if problem:
            return problem
        error = error.__cause__ or error.__context__
    return None


def job_name(log_path):
    """A job's name from its log path: results/logs/train/unet.log -> train/unet."""
    log_path = Path(log_path)
    try:
        relative = log_path.relative_to(LOGS_DIR)
    except ValueError:
        relative = Path(log_path.name)
    return relative.with_suffix("").as_posix()


def error_file(log_path):
    """Where the job whose log is `log_path` writes its problem lines for the onerror handler:
    results/logs/errors/train-unet.txt for results/logs/train/unet.log."""
    return ERRORS_DIR / (job_name(log_path).replace("/", "-") + ".txt")


def problem_lines(job, message):
    """`error in <job>: <problem>`, one line per line of `message`."""
    return [f"error in {job}: {line.strip()}" for line in message.splitlines() if line.strip()]


def written_error_lines(since, folder=ERRORS_DIR):
    """The lines of every error file written at or after `since` (a time.time()), oldest file
    first: the problems of the jobs that failed in this run."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    files = []
    for path in folder.glob("*.txt"):
        try:
            stamp = path.stat().st_mtime
            if stamp >= since:
                files.append((stamp, path.name, path.read_text(errors="replace")))
        except OSError:
            continue  # removed meanwhile, or unreadable: its job printed its lines already
    return [line for *_, text in sorted(files) for line in text.splitlines() if line.strip()]
