"""Route a job's logging and warnings to its Snakemake log file."""

import contextlib
import logging
import sys
import traceback


@contextlib.contextmanager
def log_to(log_path):
    """Send `logging` output of the whole process to `log_path` (and stderr) for one job.

    An exception escaping the job is written to the log with its traceback before it propagates,
    so the log file always says why a job failed.
    """
    handlers = [logging.FileHandler(log_path, mode="w"), logging.StreamHandler(sys.stderr)]
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logging.captureWarnings(True)
    try:
        yield logging.getLogger("xrayseg")
    except BaseException:
        logging.getLogger("xrayseg").error("job failed:\n%s", traceback.format_exc())
        raise
    finally:
        for handler in handlers:
            handler.flush()
