"""Route a job's logging and warnings to its Snakemake log file, and its failure to one line."""

import contextlib
import logging
import os
import sys
import traceback

from xrayseg.io.errors import error_file, expected_problem, job_name, problem_lines

# A log record with this attribute set goes to the log file only, not to the console.
FILE_ONLY = "xrayseg_file_only"


class _LogFile(logging.FileHandler):
    """A log file that stays quiet when the disk refuses a write: the job's failure then says
    so in one line, instead of logging printing a traceback per lost record."""

    def handleError(self, record):
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handleError(record)


@contextlib.contextmanager
def log_to(log_path):
    """Send `logging` output of the whole process to `log_path` (and stderr) for one job.

    An exception escaping the job is written to the log with its traceback. An expected problem
    (xrayseg.io.errors: bad input, no space, no permission) then ends the job with exit code 1
    and one line per problem on stderr and in the job's error file, which the onerror handler
    of rules/errors.smk prints again at the end of Snakemake's output; any other exception
    propagates, its traceback printed once.
    """
    job, errors = job_name(log_path), error_file(log_path)
    with contextlib.suppress(OSError):
        errors.unlink(missing_ok=True)  # a problem of an earlier run of this job
    try:
        handlers = [_LogFile(log_path, mode="w"), logging.StreamHandler(sys.stderr)]
    except OSError as error:
        problem = expected_problem(error) or f"cannot open the job log {log_path}: {error}"
        _stop(problem, job, errors)
    handlers[1].addFilter(lambda record: not getattr(record, FILE_ONLY, False))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logging.captureWarnings(True)
    log = logging.getLogger("xrayseg")
    # Exceptions Python cannot raise (in a destructor: h5py disposing of a file it failed to
    # write) are printed through these hooks: to the log file, not between the job's lines.
    hooks = sys.unraisablehook, sys.excepthook
    sys.unraisablehook, sys.excepthook = _unraisable_to_log, _exception_to_log
    try:
        yield log
    except Exception as error:
        problem = expected_problem(error)
        log.error("job failed:\n%s", traceback.format_exc(), extra={FILE_ONLY: True})
        if problem is None:
            _write_lines(
                errors,
                problem_lines(
                    job,
                    f"unexpected {type(error).__name__}: {_first_line(error)} (the traceback "
                    f"is in {log_path})",
                ),
            )
            raise
        _stop(problem, job, errors)
    except BaseException:
        log.error("job stopped:\n%s", traceback.format_exc(), extra={FILE_ONLY: True})
        raise
    finally:
        sys.unraisablehook, sys.excepthook = hooks
        for handler in handlers:
            handler.flush()


def _unraisable_to_log(unraisable):
    _exception_to_log(
        unraisable.exc_type,
        unraisable.exc_value,
        unraisable.exc_traceback,
        f"exception ignored in {unraisable.object!r}",
    )


def _exception_to_log(kind, value, trace, what="exception printed by a library"):
    logging.getLogger("xrayseg").warning(
        "%s:\n%s",
        what,
        "".join(traceback.format_exception(kind, value, trace)),
        extra={FILE_ONLY: True},
    )


def _first_line(error):
    lines = str(error).strip().splitlines()
    return lines[0] if lines else "(no message)"


def _stop(problem, job, errors):
    """End the job with exit code 1 and the problem's lines on stderr and in `errors`.

    The process exits at once, without tearing down what is left: after a failed write a
    library (h5py) can crash while it disposes of its half-written objects, which would bury
    the line under a segfault. Every `with` inside the job has cleaned up by now."""
    lines = problem_lines(job, problem)
    _write_lines(errors, lines)
    print("\n".join(lines), file=sys.stderr, flush=True)
    logging.shutdown()
    sys.stdout.flush()
    os._exit(1)


def _write_lines(path, lines):
    """Write the error file; on a full or read-only disk the console line has to do."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{line}\n" for line in lines))
